import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DECAY_MS, DEFAULT_RTT_MS } from './defaults';
import { RttEstimate } from './rtt-estimate';

describe('RttEstimate (peak-EWMA)', () => {
  it('starts at the default RTT and loses 1 - 1/e of it per decay period', () => {
    const rtt = new RttEstimate(DEFAULT_RTT_MS, 0, DEFAULT_DECAY_MS);
    expect(rtt.at(0)).toBe(30);
    expect(rtt.at(10_000)).toBeCloseTo(30 / Math.E, 9);
    expect(rtt.at(20_000)).toBeCloseTo(30 / Math.E ** 2, 9);
  });

  it('jumps to a peak at once, and lower samples do not pull it down faster than the decay', () => {
    const rtt = new RttEstimate(30, 0, 10_000);
    rtt.observe(500, 100);
    expect(rtt.at(100)).toBe(500);
    rtt.observe(1, 200);
    expect(rtt.at(200)).toBeCloseTo(500 * Math.exp(-100 / 10_000), 9);
  });

  it('follows peaks and decays at the stated rate (property)', () => {
    const sample = fc.record({ gapMs: fc.integer({ min: 0, max: 30_000 }), rttMs: fc.double({ min: 0, max: 5_000, noNaN: true }) });
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 60_000 }), fc.array(sample, { maxLength: 50 }), fc.integer({ min: 0, max: 60_000 }), (decayMs, samples, probeMs) => {
        const rtt = new RttEstimate(30, 0, decayMs);
        let t = 0;
        for (const s of samples) {
          t += s.gapMs;
          const before = rtt.at(t);
          rtt.observe(s.rttMs, t);
          const after = rtt.at(t);
          expect(after).toBeCloseTo(Math.max(before, s.rttMs), 9);
        }
        const now = rtt.at(t);
        expect(rtt.at(t + probeMs)).toBeCloseTo(now * Math.exp(-probeMs / decayMs), 9);
      }),
      { numRuns: 150 },
    );
  });
});
