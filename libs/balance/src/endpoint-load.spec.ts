import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EndpointLoad, LoadHandle } from './endpoint-load';
import { ManualClock } from './seeded-random';

describe('LoadHandle', () => {
  it('records the RTT to the first byte, or to end() when no byte came', () => {
    const clock = new ManualClock(0);
    const load = new EndpointLoad(30, 0, 10_000);
    const h = new LoadHandle(load, clock);
    clock.advance(80);
    h.firstByte();
    clock.advance(5_000);
    h.end();
    expect(load.at(80)).toBe(80);

    const timedOut = new LoadHandle(load, clock);
    clock.advance(1_000);
    timedOut.end();
    expect(load.at(clock.now())).toBe(1_000);
  });

  it('measures the RTT from connected() when the connection had to be set up first', () => {
    const clock = new ManualClock(0);
    const load = new EndpointLoad(30, 0, 10_000);
    const h = new LoadHandle(load, clock);
    clock.advance(200);
    h.connected();
    clock.advance(4);
    h.firstByte();
    // 4 ms decays the 30 ms default a little; the 204 ms from start would have been taken as a new peak.
    expect(load.at(clock.now())).toBeLessThan(30);
    expect(load.pending).toBe(0);
    const late = new LoadHandle(load, clock);
    clock.advance(50);
    late.firstByte();
    late.connected();
    expect(load.at(clock.now())).toBe(50);
  });

  it('keeps pending (until first byte) and active (until end) exact under any call order (property)', () => {
    const call = fc.record({ handle: fc.nat({ max: 9 }), op: fc.constantFrom('firstByte', 'end') as fc.Arbitrary<'firstByte' | 'end'>, gapMs: fc.nat({ max: 100 }) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.array(call, { maxLength: 60 }), (count, calls) => {
        const clock = new ManualClock(0);
        const load = new EndpointLoad(30, 0, 10_000);
        const handles = Array.from({ length: count }, () => new LoadHandle(load, clock));
        const firstByte = new Set<number>();
        const ended = new Set<number>();
        for (const c of calls) {
          if (c.handle >= count) continue;
          clock.advance(c.gapMs);
          handles[c.handle]![c.op]();
          if (c.op === 'end') ended.add(c.handle);
          else if (!ended.has(c.handle)) firstByte.add(c.handle);
        }
        const settled = new Set([...firstByte, ...ended]);
        expect(load.pending).toBe(count - settled.size);
        expect(load.active).toBe(count - ended.size);
      }),
      { numRuns: 150 },
    );
  });
});
