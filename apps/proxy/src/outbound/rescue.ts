import type { Logger } from 'pino';
import { OutboundError } from './errors';
import type { Exchange } from './exchange';
import { OutboundCall, type Service } from './layer';

/**
 * The one rescue point of the outbound stack (linkerd2-proxy's ServerRescue): runs each request
 * through the stack, streams the response to the client, and turns any error into the proxy's own
 * response from the error table (proxy-error.ts): or cuts the response when its headers were sent,
 * or does nothing when the client went away.
 */
export function rescue(stack: Service, logger: Logger): (ex: Exchange) => Promise<void> {
  const fail = (ex: Exchange, err: unknown) => {
    if (ex.clientGone()) return;
    ex.fail(err);
    if (!(err instanceof OutboundError)) logger.debug({ err }, 'outbound request failed');
  };
  return async (ex) => {
    let response;
    try {
      response = await stack(new OutboundCall(ex));
    } catch (err) {
      fail(ex, err);
      return;
    }
    try {
      await ex.respond(response);
    } catch (err) {
      fail(ex, err);
    }
  };
}
