import type { Dispatcher } from 'undici';

type Headers = Dispatcher.DispatchOptions['headers'];

/**
 * The request's headers with `host` set to the logical authority when the caller set none, since a
 * Pool would otherwise send the endpoint's `ip:port` (the server routes and logs by the name asked for).
 */
export function withHost(headers: Headers, host: string): Headers {
  if (headers === undefined || headers === null) return { host };
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) if (String(headers[i]).toLowerCase() === 'host') return headers;
    return [...headers, 'host', host] as Headers;
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    const flat: string[] = [];
    for (const [name, value] of headers as Iterable<[string, string | string[] | undefined]>) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) flat.push(name, v);
    }
    return withHost(flat, host);
  }
  const record = headers as Record<string, string | string[] | undefined>;
  for (const name of Object.keys(record)) if (name.toLowerCase() === 'host') return headers;
  return { ...record, host };
}

/** The first value of a header (name in lower case) in headers as withHost returns them (a flat list or a record). */
export function headerValue(headers: Headers, name: string): string | undefined {
  if (headers === undefined || headers === null) return undefined;
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) if (String(headers[i]).toLowerCase() === name) return String(headers[i + 1]);
    return undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  for (const [key, value] of Object.entries(record)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}
