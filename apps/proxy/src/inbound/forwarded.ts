import { isIPv6 } from 'node:net';
import type { Middleware } from './exchange';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** An RFC 7239 value: a token as is, IPv6 addresses in brackets, anything else as a quoted string. */
function forwardedValue(raw: string): string {
  const value = isIPv6(raw) ? `[${raw}]` : raw;
  if (TOKEN.test(value)) return value;
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

function single(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

/**
 * Builds an RFC 7239 Forwarded value from X-Forwarded-For/-Host/-Proto, as Knative's
 * ForwardedShimHandler does: one element per X-Forwarded-For hop; host and proto join the last one.
 * Returns undefined when there is nothing to translate.
 */
export function forwardedFromXForwarded(xff: string, xfh: string, xfp: string): string | undefined {
  if (xff === '' && xfh === '' && xfp === '') return undefined;
  const elements = xff === '' ? [] : xff.split(',').map((hop) => hop.trim()).filter((hop) => hop !== '').map((hop) => `for=${forwardedValue(hop)}`);
  const pairs: string[] = [];
  if (xfh !== '') pairs.push(`host=${forwardedValue(xfh.trim())}`);
  if (xfp !== '') pairs.push(`proto=${forwardedValue(xfp.trim())}`);
  if (pairs.length > 0) {
    const last = elements.pop();
    elements.push(last === undefined ? pairs.join(';') : [last, ...pairs].join(';'));
  }
  return elements.join(', ');
}

/** Adds a Forwarded header for the app when the request has X-Forwarded-* but no Forwarded. */
export function forwarded(): Middleware {
  return (next) => (ex) => {
    const headers = ex.headers;
    if (headers.forwarded === undefined) {
      const xff = headers['x-forwarded-for'];
      const xfh = headers['x-forwarded-host'];
      const xfp = headers['x-forwarded-proto'];
      if (xff !== undefined || xfh !== undefined || xfp !== undefined) {
        const value = forwardedFromXForwarded(single(xff), single(xfh), single(xfp));
        if (value !== undefined && value !== '') ex.addHeader('forwarded', value);
      }
    }
    next(ex);
  };
}
