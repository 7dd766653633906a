import { PolicyError } from './errors';
import type { Meta, RateLimitSpec } from './model';
import { validateRateLimit } from './rate-limit';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function rateOf(v: unknown, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v) || typeof v.requestsPerSecond !== 'number') {
    throw new PolicyError('INVALID_RATE', `${what} must be {"requestsPerSecond": <number>}`);
  }
  return v.requestsPerSecond;
}

/**
 * Reads a rate limit written as the spec of Linkerd's HTTPLocalRateLimitPolicy, with client
 * identities in place of ServiceAccount references (the proxy knows no namespaces):
 * `{"total":{"requestsPerSecond":100},"identity":{"requestsPerSecond":20},
 *   "overrides":[{"requestsPerSecond":25,"clients":["web.shop.serviceaccount.identity.cluster.local"]}]}`.
 * Throws PolicyError INVALID_RATE with the reason.
 */
export function parseRateLimitJson(text: string, meta: Meta): RateLimitSpec {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new PolicyError('INVALID_RATE', 'not JSON', { cause });
  }
  if (!isObject(value)) throw new PolicyError('INVALID_RATE', 'must be a JSON object');
  const overrides = value.overrides ?? [];
  if (!Array.isArray(overrides)) throw new PolicyError('INVALID_RATE', 'overrides must be a list');
  return validateRateLimit({
    meta,
    totalRps: rateOf(value.total, 'total'),
    identityRps: rateOf(value.identity, 'identity'),
    overrides: overrides.map((o: unknown, i) => {
      const clients = isObject(o) ? o.clients : undefined;
      if (!Array.isArray(clients) || !clients.every((c) => typeof c === 'string')) {
        throw new PolicyError('INVALID_RATE', `overrides[${i}].clients must be a list of identities`);
      }
      return { rps: rateOf(o, `overrides[${i}]`) ?? 0, clients };
    }),
  });
}
