import { describe, expect, it } from 'vitest';
import { CircuitBreakers } from './circuit-breakers';

const LIMITS = { connections: 2, pending: 1, requests: 3, retries: 1 };

describe('CircuitBreakers', () => {
  it('grants each resource up to its limit, then counts overflows', () => {
    const b = new CircuitBreakers(LIMITS);
    expect([1, 2, 3, 4].map(() => b.tryAcquire('requests'))).toEqual([true, true, true, false]);
    expect(b.inUse('requests')).toBe(3);
    expect(b.overflows('requests')).toBe(1);
    expect(b.tryAcquire('retries')).toBe(true);
    expect(b.tryAcquire('retries')).toBe(false);
    expect(b.inUse('connections')).toBe(0);
  });

  it('gives units back on release, never below zero', () => {
    const b = new CircuitBreakers(LIMITS);
    b.tryAcquire('pending');
    b.release('pending');
    b.release('pending');
    expect(b.inUse('pending')).toBe(0);
    expect(b.tryAcquire('pending')).toBe(true);
  });

  it('keeps units taken when the limit drops, and refuses new ones until under it', () => {
    const b = new CircuitBreakers(LIMITS);
    b.tryAcquire('connections');
    b.tryAcquire('connections');
    b.setLimits({ ...LIMITS, connections: 1 });
    expect(b.inUse('connections')).toBe(2);
    expect(b.tryAcquire('connections')).toBe(false);
    b.release('connections');
    expect(b.tryAcquire('connections')).toBe(false);
    b.release('connections');
    expect(b.tryAcquire('connections')).toBe(true);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a limit of %s', (bad) => {
    expect(() => new CircuitBreakers({ ...LIMITS, requests: bad })).toThrow(/requests/);
  });
});
