import { logValue, NOT_SET, protocolName, type AccessLogEntry } from '@trellis/policy';
import { pino } from 'pino';
import { CLIENT_CLOSED_REQUEST_STATUS, responseFlag } from '../proxy-error';
import type { Exchange, Middleware } from './exchange';

export interface AccessLogOptions {
  /** Where each JSON line goes (stdout in the proxy). */
  readonly write: (line: string) => void;
  /** The chain's clock (ms). */
  readonly now: () => number;
  /** `host:port` of the app, the upstream of every admitted request. */
  readonly upstream: string;
}

/**
 * One access-log line per request when it ends, with the fields of Envoy's default format
 * (`@trellis/policy` AccessLogEntry) and `direction: "inbound"`. `bytes_received` is the declared
 * `content-length` (the body is streamed, never counted), `bytes_sent` the body bytes relayed from
 * the app (0 for the proxy's own answers), `upstream_service_time` runs from the
 * admission to the app to the end of the response, and `response_flags` come from the proxy's
 * error table (`DC` when the client left). Built only when `TRELLIS_ACCESS_LOG` is on.
 */
export function accessLog(options: AccessLogOptions): Middleware {
  const { now, upstream } = options;
  const log = pino({ base: undefined, timestamp: false }, { write: options.write });
  const onEnd = (ex: Exchange): void => {
    const endMs = now();
    const admitted = ex.admittedMs > 0;
    const gone = ex.failure === undefined && ex.finalStatus === CLIENT_CLOSED_REQUEST_STATUS;
    const entry: AccessLogEntry = {
      start_time: new Date(Date.now() - (endMs - ex.startMs)).toISOString(),
      method: ex.method,
      path: ex.target,
      protocol: protocolName(ex.httpVersion),
      response_code: ex.statusCode,
      response_flags: gone ? 'DC' : responseFlag(ex.failure),
      bytes_received: ex.hasBody ? Number(ex.headers['content-length'] ?? Number.NaN) || 0 : 0,
      bytes_sent: ex.responseBytes,
      duration: Math.round(endMs - ex.startMs),
      upstream_service_time: admitted ? Math.round(endMs - ex.admittedMs) : NOT_SET,
      x_forwarded_for: logValue(ex.headers['x-forwarded-for']),
      user_agent: logValue(ex.headers['user-agent']),
      request_id: logValue(ex.headers['x-request-id']),
      authority: logValue(ex.headers[':authority'] ?? ex.headers.host),
      upstream_host: admitted ? upstream : NOT_SET,
    };
    log.info({ direction: 'inbound', ...entry }, 'access');
  };
  return (next) => (ex) => {
    ex.onEnd(onEnd);
    next(ex);
  };
}
