import type { Logger } from 'pino';
import { OutboundError } from './errors';
import type { Exchange } from './exchange';
import { callNext, OutboundCall, type Service } from './layer';
import type { UpstreamResponse } from './upstream';

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
  const respond = (ex: Exchange, response: UpstreamResponse): Promise<void> | undefined => {
    let delivered: Promise<void>;
    try {
      delivered = ex.respond(response);
    } catch (err) {
      fail(ex, err);
      return undefined;
    }
    return delivered.catch((err: unknown) => fail(ex, err));
  };
  return (ex) =>
    callNext(stack, new OutboundCall(ex)).then(
      (response) => respond(ex, response),
      (err: unknown) => fail(ex, err),
    );
}
