import type { RequestLogFields, RequestLogTemplate } from '../config/request-log-template';
import type { Logger } from '../logger';
import type { Exchange, Middleware } from './exchange';

export interface RequestLogOptions {
  readonly enabled: boolean;
  readonly template: RequestLogTemplate | undefined;
  readonly revision: RequestLogFields['revision'];
  readonly logger: Logger;
  /** Where templated lines go (Knative writes them to stdout as they are). */
  readonly write: (line: string) => void;
  readonly now: () => number;
}

function fieldsOf(ex: Exchange, options: RequestLogOptions): RequestLogFields {
  const headers = ex.headers;
  const header = (name: string): string => {
    const value = headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : (value ?? '');
  };
  return {
    method: ex.method,
    uri: ex.target,
    host: header(ex.isHttp2 ? ':authority' : 'host') || header('host'),
    proto: `HTTP/${ex.httpVersion}`,
    remoteAddr: `${ex.remoteAddress ?? ''}:${ex.remotePort ?? ''}`,
    userAgent: header('user-agent'),
    referer: header('referer'),
    contentLength: header('content-length') || '0',
    header,
    status: ex.finalStatus,
    responseSize: ex.responseBytes,
    latencySeconds: (options.now() - ex.startMs) / 1000,
    revision: options.revision,
  };
}

/** Logs one line per request when SERVING_ENABLE_REQUEST_LOG is on; outermost, so probes are logged too. */
export function requestLog(options: RequestLogOptions): Middleware {
  if (!options.enabled) return (next) => next;
  const { template, logger, write } = options;
  return (next) => (ex) => {
    ex.onEnd(() => {
      const fields = fieldsOf(ex, options);
      if (template) {
        write(`${template(fields)}\n`);
        return;
      }
      logger.info(
        {
          httpRequest: {
            requestMethod: fields.method,
            requestUrl: fields.uri,
            host: fields.host,
            status: fields.status,
            userAgent: fields.userAgent,
            remoteIp: fields.remoteAddr,
            referer: fields.referer,
            latency: `${fields.latencySeconds}s`,
            protocol: fields.proto,
          },
        },
        'request',
      );
    });
    next(ex);
  };
}
