import { httpGet as vizHttpGet, VizError, type HttpAnswer } from '@trellis/viz';
import { CliError } from './errors';

export { REQUEST_TIMEOUT_MS, type HttpAnswer } from '@trellis/viz';

/** GET http://address/path, bounded in time and size (@trellis/viz); a refused or slow target is CLI_UNREACHABLE. */
export async function httpGet(address: string, path: string, timeoutMs?: number): Promise<HttpAnswer> {
  try {
    return await vizHttpGet(address, path, timeoutMs);
  } catch (err) {
    if (err instanceof VizError) throw new CliError('CLI_UNREACHABLE', err.message, { cause: err });
    throw err;
  }
}
