import type { Clock } from '@trellis/balance';
import { logValue, NOT_SET, type AccessLogEntry } from '@trellis/policy';
import { pino } from 'pino';
import type { Writable } from 'node:stream';
import { errorCodeOf, errorResponse, responseFlag } from '../proxy-error';
import type { EndpointChoice, Layer, OutboundCall } from './layer';
import type { UpstreamResponse } from './upstream';

export interface OutboundAccessLogOptions {
  /** Where each JSON line goes (stdout in the proxy). */
  readonly write: (line: string) => void;
}

/** Body bytes of a write: a Buffer's length, a string's UTF-8 length (what a synthetic response writes). */
function bytesOf(chunk: unknown): number {
  if (Buffer.isBuffer(chunk)) return chunk.length;
  return typeof chunk === 'string' ? Buffer.byteLength(chunk) : 0;
}

/** Counts the body bytes written into `dst` (its own write/end, patched for this one response). */
function countWrites(dst: Writable, add: (n: number) => void): Writable {
  const write = dst.write.bind(dst) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const end = dst.end.bind(dst) as (chunk?: unknown, ...rest: unknown[]) => Writable;
  Object.assign(dst, {
    write: (chunk: unknown, ...rest: unknown[]) => {
      add(bytesOf(chunk));
      return write(chunk, ...rest);
    },
    end: (chunk?: unknown, ...rest: unknown[]) => {
      add(bytesOf(chunk));
      return end(chunk, ...rest);
    },
  });
  return dst;
}

/**
 * The outbound access log (Envoy's default format, `@trellis/policy` AccessLogEntry, with
 * `direction: "outbound"`): one line per request when its response is over, or when the stack
 * failed it (status and flags from the error table; `DC` when the client left), once the client
 * has the body. The layer sits at
 * the top of the stack, so it sees the request once, whatever the retries below did.
 * `upstream_service_time` runs to the response headers, `upstream_host` is the endpoint of the
 * last attempt, `bytes_received` the declared `content-length`. Built only with TRELLIS_ACCESS_LOG.
 */
export function accessLogLayer(options: OutboundAccessLogOptions, clock: Clock): Layer {
  const log = pino({ base: undefined, timestamp: false }, { write: options.write });
  const emit = (call: OutboundCall, startMs: number, fields: Pick<AccessLogEntry, 'response_code' | 'response_flags' | 'bytes_sent' | 'upstream_service_time'>) => {
    const ex = call.ex;
    const endMs = clock.now();
    const endpoint = call.endpoint as EndpointChoice | undefined;
    const entry: AccessLogEntry = {
      start_time: new Date(Date.now() - (endMs - startMs)).toISOString(),
      method: ex.method,
      path: ex.path,
      protocol: ex.protocol === 'h2' ? 'HTTP/2' : 'HTTP/1.1',
      ...fields,
      response_flags: ex.clientGone() ? 'DC' : fields.response_flags,
      bytes_received: ex.hasBody ? Number(ex.header('content-length') ?? Number.NaN) || 0 : 0,
      duration: Math.round(endMs - startMs),
      x_forwarded_for: logValue(ex.header('x-forwarded-for')),
      user_agent: logValue(ex.header('user-agent')),
      request_id: logValue(ex.header('x-request-id')),
      authority: logValue(ex.authority),
      upstream_host: endpoint?.id ?? NOT_SET,
    };
    log.info({ direction: 'outbound', ...entry }, 'access');
  };
  return (next) => async (call) => {
    const startMs = clock.now();
    let response: UpstreamResponse;
    try {
      response = await next(call);
    } catch (err) {
      const code = errorCodeOf(err);
      emit(call, startMs, { response_code: errorResponse(err).status, response_flags: responseFlag(code), bytes_sent: 0, upstream_service_time: NOT_SET });
      throw err;
    }
    const headersMs = clock.now();
    let bytes = 0;
    // The line is written once the upstream body is over AND the client has it (piped, or dropped for
    // HEAD/204/a reset stream): a small body ends upstream before the rescue point starts piping it.
    let waiting = response.endStream ? 1 : 2;
    const done = () => {
      waiting -= 1;
      if (waiting !== 0) return;
      emit(call, startMs, { response_code: response.status, response_flags: NOT_SET, bytes_sent: bytes, upstream_service_time: Math.round(headersMs - startMs) });
    };
    if (!response.endStream) {
      let delivered = false;
      const deliveredOnce = () => {
        if (delivered) return;
        delivered = true;
        done();
      };
      const pipeTo = response.pipeTo.bind(response);
      const discard = response.discard.bind(response);
      response.pipeTo = (dst) => pipeTo(countWrites(dst, (n) => (bytes += n))).finally(deliveredOnce);
      response.discard = () => {
        discard();
        deliveredOnce();
      };
    }
    response.onEnd(done);
    return response;
  };
}
