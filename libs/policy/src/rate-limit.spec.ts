import { ManualClock } from '@trellis/balance';
import { describe, expect, it } from 'vitest';
import { PolicyError } from './errors';
import type { RateLimitSpec } from './model';
import { LocalRateLimiter, MAX_IDENTITY_BUCKETS, validateRateLimit } from './rate-limit';
import { parseRateLimitJson } from './rate-limit-json';

const META = { group: 'policy.linkerd.io', kind: 'HTTPLocalRateLimitPolicy', name: 'web-rl' };
const A = 'a.shop.serviceaccount.identity.cluster.local';
const B = 'b.shop.serviceaccount.identity.cluster.local';
const VIP = 'vip.shop.serviceaccount.identity.cluster.local';

function spec(s: Partial<RateLimitSpec>): RateLimitSpec {
  return { meta: META, totalRps: undefined, identityRps: undefined, overrides: [], ...s };
}

/** How many of `n` requests from `client`, all at the same instant, pass. */
function admitted(limiter: LocalRateLimiter, client: string | undefined, n: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) if (!limiter.check(client).limited) ok++;
  return ok;
}

describe('LocalRateLimiter (Linkerd LocalRateLimit semantics)', () => {
  it('total: one second of requests at once, then the rate as time passes', () => {
    const clock = new ManualClock();
    const limiter = new LocalRateLimiter(spec({ totalRps: 10 }), clock);
    expect(admitted(limiter, A, 15)).toBe(10);
    expect(limiter.check(B)).toEqual({ limited: true, scope: 'total', retryAfterSeconds: 1 });
    clock.advance(500);
    expect(admitted(limiter, B, 10)).toBe(5);
  });

  it('per identity: each client has its own bucket; clients without identity share one', () => {
    const limiter = new LocalRateLimiter(spec({ totalRps: 100, identityRps: 3 }), new ManualClock());
    expect(admitted(limiter, A, 5)).toBe(3);
    expect(admitted(limiter, B, 5)).toBe(3);
    expect(admitted(limiter, undefined, 5)).toBe(3);
    expect(limiter.check(A)).toMatchObject({ limited: true, scope: 'identity' });
  });

  it('override: a listed client gets its own rate instead of the per-identity one', () => {
    const limiter = new LocalRateLimiter(spec({ totalRps: 100, identityRps: 2, overrides: [{ rps: 6, clients: [VIP] }] }), new ManualClock());
    expect(admitted(limiter, VIP, 10)).toBe(6);
    expect(limiter.check(VIP)).toMatchObject({ limited: true, scope: 'override' });
    expect(admitted(limiter, A, 10)).toBe(2);
  });

  it('Retry-After is the whole seconds until the next token, at least 1', () => {
    const clock = new ManualClock();
    const limiter = new LocalRateLimiter(spec({ identityRps: 1 }), clock);
    expect(limiter.check(A).limited).toBe(false);
    expect(limiter.check(A)).toMatchObject({ retryAfterSeconds: 1 });
    clock.advance(999);
    expect(limiter.check(A)).toMatchObject({ limited: true });
    clock.advance(1);
    expect(limiter.check(A).limited).toBe(false);
  });

  it('keeps at most MAX_IDENTITY_BUCKETS identity buckets', () => {
    const limiter = new LocalRateLimiter(spec({ identityRps: 1 }), new ManualClock());
    for (let i = 0; i <= MAX_IDENTITY_BUCKETS; i++) limiter.check(`c${i}`);
    // The first client's bucket was dropped to make room: it starts full again.
    expect(limiter.check('c0').limited).toBe(false);
    expect(limiter.check(`c${MAX_IDENTITY_BUCKETS}`).limited).toBe(true);
  });
});

describe('validateRateLimit', () => {
  it.each([
    ['negative total', spec({ totalRps: -1 })],
    ['zero identity', spec({ identityRps: 0 })],
    ['fractional total', spec({ totalRps: 1.5 })],
    ['identity above total', spec({ totalRps: 10, identityRps: 20 })],
    ['override above total', spec({ totalRps: 10, overrides: [{ rps: 11, clients: [A] }] })],
    ['override without clients', spec({ overrides: [{ rps: 1, clients: [] }] })],
  ])('refuses %s with INVALID_RATE', (_name, s) => {
    expect(() => validateRateLimit(s)).toThrow(PolicyError);
    expect(() => validateRateLimit(s)).toThrow(expect.objectContaining({ code: 'INVALID_RATE' }) as Error);
  });
});

describe('parseRateLimitJson (HTTPLocalRateLimitPolicy spec shape)', () => {
  it('reads total, identity and overrides', () => {
    const text = JSON.stringify({ total: { requestsPerSecond: 100 }, identity: { requestsPerSecond: 20 }, overrides: [{ requestsPerSecond: 25, clients: [VIP] }] });
    expect(parseRateLimitJson(text, META)).toEqual(spec({ totalRps: 100, identityRps: 20, overrides: [{ rps: 25, clients: [VIP] }] }));
  });

  it.each(['{', '[]', '{"total":5}', '{"total":{"requestsPerSecond":-3}}', '{"overrides":[{"requestsPerSecond":1}]}', '{"overrides":{}}'])(
    'refuses %s with INVALID_RATE',
    (text) => {
      expect(() => parseRateLimitJson(text, META)).toThrow(expect.objectContaining({ code: 'INVALID_RATE' }) as Error);
    },
  );
});
