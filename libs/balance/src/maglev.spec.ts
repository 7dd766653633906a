import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBalancer } from './create-balancer';
import { hashKey } from './hash';
import { maglevTable } from './maglev';
import { ManualClock, seededRandom } from './seeded-random';

describe('maglev', () => {
  it('fills the whole 65,537-entry table in proportion to weight, within 1 % (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 20 }), (weights) => {
        const endpoints = weights.map((weight, i) => ({ id: `10.1.${i}.7:443`, weight, value: i }));
        const table = maglevTable(endpoints, 65_537);
        const counts = new Array<number>(weights.length).fill(0);
        for (const owner of table) counts[owner] = (counts[owner] ?? 0) + 1;
        expect(counts.length).toBe(weights.length);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(65_537);
        const total = weights.reduce((a, b) => a + b, 0);
        counts.forEach((c, i) => {
          const expected = (65_537 * weights[i]!) / total;
          expect(Math.abs(c - expected) / expected).toBeLessThanOrEqual(0.01);
        });
      }),
      { numRuns: 15 },
    );
  });

  it('moves the slots of the endpoint removed and at most 2 % of the others (property)', () => {
    const size = 65_537;
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.nat(), fc.string({ minLength: 1, maxLength: 12 }), (n, victimSeed, prefix) => {
        // Sorted by id, as the picker fills the table.
        const endpoints = Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}:80`, weight: 1, value: i })).sort((a, b) => (a.id < b.id ? -1 : 1));
        const victim = victimSeed % n;
        const rest = endpoints.filter((_, i) => i !== victim);
        const before = maglevTable(endpoints, size);
        const after = maglevTable(rest, size);
        let victimSlots = 0;
        let movedOthers = 0;
        for (let slot = 0; slot < size; slot++) {
          const was = endpoints[before[slot]!]!.id;
          const now = rest[after[slot]!]!.id;
          if (before[slot] === victim) victimSlots += 1;
          else if (was !== now) movedOthers += 1;
        }
        // The victim's share is 1/N within 1 % (the fill is balanced, tested above); everything
        // else that moves is Maglev's price for that balance. The paper measures it rather than
        // bounding it; over random sets of 2 to 40 endpoints it stays under 0.7 % of the table.
        expect(Math.abs(victimSlots - size / n) / (size / n)).toBeLessThanOrEqual(0.01);
        expect(movedOthers / size).toBeLessThanOrEqual(0.02);
      }),
      { numRuns: 15 },
    );
  });

  it('sends a key to the table slot of its hash', () => {
    const b = createBalancer<number>('maglev', { clock: new ManualClock(), random: seededRandom(3) });
    const endpoints = Array.from({ length: 10 }, (_, i) => ({ id: `pod-${i}`, weight: 1, value: i }));
    b.update({ type: 'reset', endpoints });
    const table = maglevTable(endpoints, 65_537);
    for (let i = 0; i < 2_000; i++) {
      const key = `session-${i}`;
      const r = b.picker.pick(key);
      expect(r.kind === 'picked' && r.endpoint.id).toBe(endpoints[table[hashKey(key) % 65_537]!]!.id);
    }
  });
});
