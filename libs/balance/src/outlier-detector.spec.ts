import { describe, expect, it } from 'vitest';
import { OutlierDetector } from './outlier-detector';
import { ManualClock } from './seeded-random';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `e${i}`);

function fail(d: OutlierDetector, id: string, times: number) {
  for (let i = 0; i < times; i++) d.recordFailure(id);
}

describe('OutlierDetector', () => {
  it('ejects after 5 consecutive failures for 30 s; a success resets the count', () => {
    const clock = new ManualClock();
    const d = new OutlierDetector({ clock });
    d.setEndpoints(ids(20));
    fail(d, 'e1', 4);
    d.recordStatus('e1', 200);
    fail(d, 'e1', 4);
    expect(d.isEjected('e1')).toBe(false);
    d.recordStatus('e1', 503);
    expect(d.ejected()).toEqual(['e1']);
    expect(d.isEjected('e1', clock.now() + 29_999)).toBe(true);
    expect(d.isEjected('e1', clock.now() + 30_000)).toBe(false);
  });

  it('ejects for base x times ejected, capped at 300 s, and forgives one ejection per healthy interval', () => {
    const clock = new ManualClock();
    const d = new OutlierDetector({ clock });
    d.setEndpoints(ids(10));
    const durations: number[] = [];
    for (let n = 0; n < 12; n++) {
      const start = clock.now();
      fail(d, 'e0', 5);
      let t = start;
      while (d.isEjected('e0', t)) t += 1_000;
      durations.push(t - start);
      clock.set(t);
    }
    expect(durations.slice(0, 4)).toEqual([30_000, 60_000, 90_000, 120_000]);
    expect(durations.slice(-2)).toEqual([300_000, 300_000]);
    // Ejected 12 times; 10 healthy intervals forgive 10, so the next ejection is the 3rd: 90 s.
    clock.advance(10 * 10_000);
    fail(d, 'e0', 5);
    expect(d.isEjected('e0', clock.now() + 89_999)).toBe(true);
    expect(d.isEjected('e0', clock.now() + 90_000)).toBe(false);
  });

  it('ejects at most 10 % of the endpoints, but always allows one', () => {
    const clock = new ManualClock();
    const few = new OutlierDetector({ clock });
    few.setEndpoints(ids(3));
    ids(3).forEach((id) => fail(few, id, 5));
    expect(few.ejected()).toEqual(['e0']);

    const many = new OutlierDetector({ clock });
    many.setEndpoints(ids(30));
    ids(30).forEach((id) => fail(many, id, 5));
    expect(many.ejected()).toHaveLength(3);
  });

  it('ignores unknown endpoints and forgets removed ones', () => {
    const clock = new ManualClock();
    const d = new OutlierDetector({ clock });
    d.setEndpoints(['a']);
    fail(d, 'x', 10);
    fail(d, 'a', 5);
    expect(d.ejected()).toEqual(['a']);
    d.setEndpoints(['b']);
    expect(d.ejected()).toEqual([]);
    expect(() => new OutlierDetector({ clock, maxEjectionPercent: 120 })).toThrow(/0..100/);
  });
});
