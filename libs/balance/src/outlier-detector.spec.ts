import { describe, expect, it } from 'vitest';
import { BalanceError } from './errors';
import { type Ejection, type OutlierDetectorOptions, OutlierDetector } from './outlier-detector';
import { ManualClock } from './seeded-random';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `e${i}`);

/** A status, or 'connect' for a failure to connect. */
type Outcome = number | 'connect';

function detector(n: number, opts: Partial<OutlierDetectorOptions> = {}) {
  const clock = new ManualClock();
  const d = new OutlierDetector({ clock, ...opts });
  d.setEndpoints(ids(n));
  return { clock, d };
}

function record(d: OutlierDetector, id: string, outcome: Outcome) {
  return outcome === 'connect' ? d.recordConnectFailure(id) : d.recordStatus(id, outcome);
}

const repeat = <T>(value: T, times: number): T[] => new Array<T>(times).fill(value);

/** Five 5xx in a row (the default threshold); the ejection of the last record, if any. */
function fiveErrors(d: OutlierDetector, id: string) {
  return repeat(500, 5)
    .map((s) => record(d, id, s))
    .at(-1);
}

/** Ejects `id`, checks that it is out until the end the ejection names, and returns how long that is. */
function ejectAndWaitOut(d: OutlierDetector, clock: ManualClock, id: string): number {
  const start = clock.now();
  const ejection = fiveErrors(d, id);
  if (!ejection) throw new Error(`${id} was not ejected`);
  expect(d.isEjected(id, ejection.untilMs - 1)).toBe(true);
  expect(d.isEjected(id, ejection.untilMs)).toBe(false);
  clock.set(ejection.untilMs);
  return ejection.untilMs - start;
}

describe('OutlierDetector', () => {
  // Each row feeds one endpoint of 20 (so the 10 % rule allows its ejection) a sequence of
  // outcomes and lists the reason returned by each record, null for none.
  const cases: { name: string; opts: Partial<OutlierDetectorOptions>; outcomes: Outcome[]; reasons: (Ejection['reason'] | null)[] }[] = [
    { name: 'five 5xx eject (default 5)', opts: {}, outcomes: repeat(500, 5), reasons: [null, null, null, null, 'consecutive_5xx'] },
    {
      name: 'a success resets the 5xx count',
      opts: {},
      outcomes: [...repeat(500, 4), 200, ...repeat(500, 5)],
      reasons: [...repeat(null, 9), 'consecutive_5xx'],
    },
    { name: '4xx and 600 are not 5xx', opts: {}, outcomes: [...repeat(500, 4), 404, ...repeat(500, 4), 600, ...repeat(500, 4)], reasons: repeat(null, 14) },
    {
      name: 'gateway errors and connection failures are 5xx too',
      opts: {},
      outcomes: [502, 'connect', 504, 500, 503],
      reasons: [null, null, null, null, 'consecutive_5xx'],
    },
    { name: 'gateway detector off by default', opts: {}, outcomes: repeat(503, 5), reasons: [null, null, null, null, 'consecutive_5xx'] },
    { name: '502, 503, 504 are gateway errors', opts: { consecutiveGatewayErrors: 3 }, outcomes: [502, 503, 504], reasons: [null, null, 'consecutive_gateway'] },
    { name: 'a connection failure is a gateway error', opts: { consecutiveGatewayErrors: 3 }, outcomes: repeat<Outcome>('connect', 3), reasons: [null, null, 'consecutive_gateway'] },
    {
      name: 'a 5xx that is not a gateway error resets the gateway count only',
      opts: { consecutiveGatewayErrors: 3 },
      outcomes: [503, 503, 500, 503, 503],
      reasons: [null, null, null, null, 'consecutive_5xx'],
    },
    { name: 'a success resets the gateway count', opts: { consecutiveGatewayErrors: 3 }, outcomes: [503, 503, 200, 503, 503], reasons: repeat(null, 5) },
    { name: 'the gateway detector asks first', opts: { consecutive5xx: 3, consecutiveGatewayErrors: 3 }, outcomes: repeat(503, 3), reasons: [null, null, 'consecutive_gateway'] },
    { name: 'consecutive5xx 0 disables the 5xx detector', opts: { consecutive5xx: 0 }, outcomes: [...repeat(500, 20), ...repeat<Outcome>('connect', 20)], reasons: repeat(null, 40) },
    {
      name: 'with only the gateway detector on, 500s never eject',
      opts: { consecutive5xx: 0, consecutiveGatewayErrors: 2 },
      outcomes: [...repeat(500, 10), 502, 504],
      reasons: [...repeat(null, 11), 'consecutive_gateway'],
    },
    {
      name: 'consecutiveGatewayErrors 0 disables the gateway detector',
      opts: { consecutive5xx: 0, consecutiveGatewayErrors: 0 },
      outcomes: repeat(503, 20),
      reasons: repeat(null, 20),
    },
  ];

  it.each(cases)('$name', ({ opts, outcomes, reasons }) => {
    const { clock, d } = detector(20, opts);
    const got = outcomes.map((o) => record(d, 'e1', o));
    expect(got.map((e) => e?.reason ?? null)).toEqual(reasons);
    const ejection = got.find((e) => e !== null);
    expect(d.ejected()).toEqual(ejection ? ['e1'] : []);
    if (ejection) expect(ejection).toEqual({ id: 'e1', untilMs: clock.now() + 30_000, reason: ejection.reason });
  });

  it('ejects for base x times ejected, capped at the maximum', () => {
    const defaults = detector(10);
    const durations = Array.from({ length: 12 }, () => ejectAndWaitOut(defaults.d, defaults.clock, 'e0'));
    expect(durations).toEqual([30_000, 60_000, 90_000, 120_000, 150_000, 180_000, 210_000, 240_000, 270_000, 300_000, 300_000, 300_000]);

    const custom = detector(10, { baseEjectionMs: 1_000, maxEjectionMs: 2_500 });
    const customDurations = Array.from({ length: 4 }, () => ejectAndWaitOut(custom.d, custom.clock, 'e0'));
    expect(customDurations).toEqual([1_000, 2_000, 2_500, 2_500]);
  });

  it.each([
    { ejections: 3, healthyMs: 0, next: 120_000 },
    { ejections: 3, healthyMs: 9_999, next: 120_000 },
    { ejections: 3, healthyMs: 10_000, next: 90_000 },
    { ejections: 3, healthyMs: 25_000, next: 60_000 },
    { ejections: 3, healthyMs: 100_000, next: 30_000 },
  ])('after $ejections ejections and $healthyMs ms healthy, the next ejection lasts $next ms', ({ ejections, healthyMs, next }) => {
    const { clock, d } = detector(10);
    for (let i = 0; i < ejections; i++) ejectAndWaitOut(d, clock, 'e0');
    clock.advance(healthyMs);
    expect(fiveErrors(d, 'e0')?.untilMs).toBe(clock.now() + next);
  });

  it.each([
    { endpoints: 1, percent: 10, ejected: 1 },
    { endpoints: 3, percent: 10, ejected: 1 },
    { endpoints: 10, percent: 0, ejected: 1 },
    { endpoints: 30, percent: 10, ejected: 3 },
    { endpoints: 29, percent: 10, ejected: 2 },
    { endpoints: 10, percent: 50, ejected: 5 },
    { endpoints: 10, percent: 100, ejected: 10 },
  ])('ejects at most $percent % of $endpoints endpoints, but always one', ({ endpoints, percent, ejected }) => {
    const { d } = detector(endpoints, { maxEjectionPercent: percent });
    const reasons = ids(endpoints).map((id) => fiveErrors(d, id)?.reason);
    expect(d.ejected()).toHaveLength(ejected);
    expect(reasons.filter((r) => r === 'consecutive_5xx')).toHaveLength(ejected);
  });

  it('starts counting again after a refused ejection', () => {
    const { clock, d } = detector(3);
    fiveErrors(d, 'e0');
    expect(repeat(500, 5).map((s) => record(d, 'e1', s))).toEqual(repeat(null, 5));
    clock.advance(30_000);
    expect(d.ejected()).toEqual([]);
    // e1's count restarted at its refused ejection: one more 5xx is not five in a row.
    expect(record(d, 'e1', 500)).toBeNull();
    expect(repeat(500, 3).map((s) => record(d, 'e1', s))).toEqual(repeat(null, 3));
    expect(record(d, 'e1', 500)?.reason).toBe('consecutive_5xx');
  });

  it('ignores records while ejected and comes back with clean counts', () => {
    const { clock, d } = detector(10, { consecutiveGatewayErrors: 2 });
    fiveErrors(d, 'e0');
    expect(repeat<Outcome>('connect', 10).map((o) => record(d, 'e0', o))).toEqual(repeat(null, 10));
    clock.advance(30_000);
    expect(d.isEjected('e0')).toBe(false);
    expect([500, 500, 500, 503].map((s) => record(d, 'e0', s))).toEqual(repeat(null, 4));
  });

  it('tells when the next ejected endpoint comes back', () => {
    const { clock, d } = detector(20);
    expect(d.nextExpiryMs()).toBeUndefined();
    fiveErrors(d, 'e0');
    clock.advance(10_000);
    fiveErrors(d, 'e1');
    expect(d.ejected()).toEqual(['e0', 'e1']);
    expect(d.nextExpiryMs()).toBe(30_000);
    expect(d.nextExpiryMs(30_000)).toBe(40_000);
    expect(d.nextExpiryMs(40_000)).toBeUndefined();
    clock.set(30_000);
    expect(d.ejected()).toEqual(['e1']);
  });

  it('ignores unknown endpoints and forgets removed ones', () => {
    const { d } = detector(0);
    d.setEndpoints(['a']);
    expect(repeat(500, 10).map((s) => record(d, 'x', s))).toEqual(repeat(null, 10));
    d.recordSuccess('x');
    fiveErrors(d, 'a');
    expect(d.ejected()).toEqual(['a']);
    d.setEndpoints(['b']);
    expect(d.ejected()).toEqual([]);
    expect(d.isEjected('a')).toBe(false);
  });

  it.each([
    { consecutive5xx: -1 },
    { consecutive5xx: 2.5 },
    { consecutive5xx: Number.NaN },
    { consecutiveGatewayErrors: -3 },
    { consecutiveGatewayErrors: Number.POSITIVE_INFINITY },
    { maxEjectionPercent: 120 },
    { baseEjectionMs: 0 },
  ])('rejects %o with INVALID_OPTION', (opts) => {
    const attempt = () => new OutlierDetector({ clock: new ManualClock(), ...opts });
    expect(attempt).toThrow(BalanceError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});
