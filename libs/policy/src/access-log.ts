/**
 * One access-log record: the fields of Envoy's default access log format, named after its command
 * operators in snake case (`%START_TIME%` → `start_time`, `%REQ(X-FORWARDED-FOR)%` → `x_forwarded_for`,
 * `%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%` → `upstream_service_time`). As in Envoy, a value that is
 * not set is `-`.
 */
export interface AccessLogEntry {
  /** ISO 8601 with milliseconds, UTC. */
  readonly start_time: string;
  readonly method: string;
  readonly path: string;
  /** `HTTP/1.1` or `HTTP/2`. */
  readonly protocol: string;
  /** 0 when no response was sent (the client left first). */
  readonly response_code: number;
  /** Envoy's short flags, comma-separated (`UAEX`, `RL`, `UT`, ...), or `-`. */
  readonly response_flags: string;
  readonly bytes_received: number;
  readonly bytes_sent: number;
  /** ms from the start of the request to the last byte out. */
  readonly duration: number;
  /** ms from sending to the upstream to its response headers; `-` when the proxy answered itself. */
  readonly upstream_service_time: number | '-';
  readonly x_forwarded_for: string;
  readonly user_agent: string;
  readonly request_id: string;
  readonly authority: string;
  /** `host:port` the request went to, or `-`. */
  readonly upstream_host: string;
}

export const NOT_SET = '-';

/** A header value as the access log shows it: the first value, or `-`. */
export function logValue(value: string | string[] | undefined): string {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? NOT_SET : first;
}

/** Envoy's `%PROTOCOL%` for Node's `httpVersion`. */
export function protocolName(httpVersion: string): string {
  return httpVersion === '2.0' ? 'HTTP/2' : `HTTP/${httpVersion}`;
}
