import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EndpointLoad } from './endpoint-load';
import { cheaper } from './p2c-peak-ewma';

const state = fc.record({
  rttMs: fc.double({ min: 0.01, max: 5_000, noNaN: true }),
  updatedAt: fc.integer({ min: 0, max: 120_000 }),
  pending: fc.integer({ min: 0, max: 50 }),
  weight: fc.integer({ min: 1, max: 100 }),
});

function load(s: { rttMs: number; updatedAt: number; pending: number }): EndpointLoad {
  const l = new EndpointLoad(s.rttMs, s.updatedAt, 10_000);
  l.pending = s.pending;
  return l;
}

describe('P2C peak-EWMA cost comparison', () => {
  it('orders two endpoints exactly as their cost / weight at any later time (property)', () => {
    fc.assert(
      fc.property(state, state, fc.integer({ min: 0, max: 60_000 }), (a, b, later) => {
        const now = Math.max(a.updatedAt, b.updatedAt) + later;
        const costA = load(a).cost(now) / a.weight;
        const costB = load(b).cost(now) / b.weight;
        // Skip near-ties, where rounding may order them either way.
        fc.pre(Math.abs(costA - costB) > 1e-9 * Math.max(costA, costB));
        expect(cheaper(load(a), load(b), a.weight, b.weight)).toBe(costA < costB);
      }),
      { numRuns: 300 },
    );
  });

  it('counts pending requests: RTT x (pending + 1)', () => {
    const l = load({ rttMs: 30, updatedAt: 0, pending: 3 });
    expect(l.cost(0)).toBe(120);
    expect(l.cost(10_000)).toBeCloseTo(120 / Math.E, 9);
  });
});
