import { VizError } from './errors';

/** Ours: one answer from a proxy, the destination or the autoscaler; far above any /metrics page they serve. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Ours: how long one scrape or probe may take before the target counts as unreachable. */
export const REQUEST_TIMEOUT_MS = 2_000;

export interface HttpAnswer {
  status: number;
  body: string;
}

/** GET http://address/path, bounded in time and size; a refused or slow target is a VIZ_UNREACHABLE error. */
export async function httpGet(address: string, path: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<HttpAnswer> {
  let res: Response;
  try {
    res = await fetch(`http://${address}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    throw new VizError('VIZ_UNREACHABLE', `${address}: ${cause === 'TimeoutError' ? `no answer in ${timeoutMs} ms` : cause}`, { cause: err });
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += (chunk as Uint8Array).byteLength;
    if (size > MAX_BODY_BYTES) throw new VizError('VIZ_TOO_LARGE', `${address}${path}: answer larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Uint8Array);
  }
  return { status: res.status, body: Buffer.concat(chunks).toString('utf8') };
}
