import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RetryBudget, retryBudgetFor } from './retry-budget';
import { ManualClock } from './seeded-random';

describe('RetryBudget', () => {
  it('allows min x ttl retries with no traffic, then refuses', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ clock });
    let granted = 0;
    for (let i = 0; i < 500; i++) if (budget.withdraw()) granted += 1;
    expect(granted).toBe(100);
  });

  it('adds ratio x requests to the budget, and forgets requests and retries within ttl + one slot', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ clock, ratio: 0.2, minRetriesPerSecond: 0, ttlMs: 10_000 });
    for (let i = 0; i < 100; i++) budget.deposit();
    expect(budget.balance()).toBeCloseTo(20);
    let granted = 0;
    for (let i = 0; i < 50; i++) if (budget.withdraw()) granted += 1;
    expect(granted).toBe(20);
    clock.advance(11_000);
    for (let i = 0; i < 10; i++) budget.deposit();
    expect(budget.withdraw()).toBe(true);
    expect(budget.withdraw()).toBe(true);
    expect(budget.withdraw()).toBe(false);
  });

  it('remembers retries for the whole ttl, even across slot boundaries', () => {
    const clock = new ManualClock(150);
    const budget = new RetryBudget({ clock, ratio: 0, minRetriesPerSecond: 5, ttlMs: 1_000 });
    const grant = () => Array.from({ length: 10 }, () => budget.withdraw()).filter(Boolean).length;
    expect(grant()).toBe(5);
    clock.set(1_149);
    expect(grant()).toBe(0);
    clock.set(1_200);
    expect(grant()).toBe(5);
  });

  it('never grants more than ratio x requests + min x ttl within the ttl before a grant (property)', () => {
    const event = fc.record({
      gapMs: fc.integer({ min: 0, max: 700 }),
      kind: fc.constantFrom('deposit', 'deposit', 'withdraw'),
      count: fc.integer({ min: 1, max: 20 }),
    });
    fc.assert(
      fc.property(
        fc.constantFrom(1_000, 5_000, 10_000),
        fc.constantFrom(0, 0.2, 0.5, 1),
        fc.integer({ min: 0, max: 5 }),
        fc.array(event, { maxLength: 200 }),
        (ttlMs, ratio, minRetriesPerSecond, events) => {
          const clock = new ManualClock();
          const budget = new RetryBudget({ clock, ttlMs, ratio, minRetriesPerSecond });
          const deposits: number[] = [];
          const grants: number[] = [];
          for (const e of events) {
            clock.advance(e.gapMs);
            const now = clock.now();
            for (let i = 0; i < e.count; i++) {
              if (e.kind === 'deposit') {
                budget.deposit();
                deposits.push(now);
              } else if (budget.withdraw()) {
                grants.push(now);
                const inWindow = (t: number) => t > now - ttlMs && t <= now;
                const retries = grants.filter(inWindow).length;
                const requests = deposits.filter(inWindow).length;
                expect(retries).toBeLessThanOrEqual(ratio * requests + minRetriesPerSecond * (ttlMs / 1000) + 1e-9);
              }
            }
          }
        },
      ),
      { numRuns: 120 },
    );
  });
});

describe('retryBudgetFor', () => {
  it('keeps the current budget, with its counts, while the settings resolve to the same values', () => {
    const clock = new ManualClock();
    const current = retryBudgetFor(clock, undefined, undefined);
    for (let i = 0; i < 30; i++) current.withdraw();
    const defaults = { ratio: 0.2, minRetriesPerSecond: 10, ttlMs: undefined };
    expect(retryBudgetFor(clock, defaults, current)).toBe(current);
    expect(retryBudgetFor(clock, { ...defaults, ttlMs: 10_000 }, current)).toBe(current);
    expect(retryBudgetFor(clock, undefined, current).balance()).toBeCloseTo(70);
  });

  it('starts a fresh, full budget when a setting changes', () => {
    const clock = new ManualClock();
    const current = retryBudgetFor(clock, { ratio: 0.2, minRetriesPerSecond: 10, ttlMs: 10_000 }, undefined);
    for (let i = 0; i < 30; i++) current.withdraw();
    for (const changed of [{ ratio: 0.5 }, { minRetriesPerSecond: 5 }, { ttlMs: 5_000 }]) {
      const next = retryBudgetFor(clock, { ratio: 0.2, minRetriesPerSecond: 10, ttlMs: 10_000, ...changed }, current);
      expect(next).not.toBe(current);
      expect(next.balance()).toBeCloseTo(next.minRetriesPerSecond * (next.ttlMs / 1000));
    }
  });

  it('refuses invalid settings as the constructor does', () => {
    expect(() => retryBudgetFor(new ManualClock(), { ratio: -1 }, undefined)).toThrow(/ratio/);
  });
});
