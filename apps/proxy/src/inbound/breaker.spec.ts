import { describe, expect, it } from 'vitest';
import { Breaker } from './breaker';

describe('Breaker', () => {
  it('runs `capacity` holders, queues `queueLimit` more and rejects the next', () => {
    const breaker = new Breaker<string>(2, 20);
    const admissions = Array.from({ length: 23 }, (_, i) => breaker.acquire(`r${i}`));
    expect(admissions.slice(0, 2)).toEqual(['run', 'run']);
    expect(admissions.slice(2, 22)).toEqual(Array(20).fill('queued'));
    expect(admissions[22]).toBe('rejected');
    expect(breaker.inFlight).toBe(2);
    expect(breaker.queued).toBe(20);
  });

  it('hands a freed slot to the longest waiter (FIFO)', () => {
    const breaker = new Breaker<string>(1, 3);
    breaker.acquire('a');
    breaker.acquire('b');
    breaker.acquire('c');
    breaker.acquire('d');
    expect([breaker.release(), breaker.release(), breaker.release()]).toEqual(['b', 'c', 'd']);
    expect(breaker.inFlight).toBe(1);
    expect(breaker.release()).toBeUndefined();
    expect(breaker.inFlight).toBe(0);
  });

  it('a cancelled waiter frees its place in the queue and is never admitted', () => {
    const breaker = new Breaker<string>(1, 2);
    breaker.acquire('a');
    breaker.acquire('b');
    breaker.acquire('c');
    expect(breaker.acquire('d')).toBe('rejected');
    expect(breaker.cancel('b')).toBe(true);
    expect(breaker.cancel('b')).toBe(false);
    expect(breaker.acquire('d')).toBe('queued');
    expect(breaker.release()).toBe('c');
    expect(breaker.release()).toBe('d');
  });

  it('with no queue refuses as soon as every slot is taken', () => {
    const breaker = new Breaker<number>(1, 0);
    expect(breaker.acquire(1)).toBe('run');
    expect(breaker.acquire(2)).toBe('rejected');
  });

  it('rejects impossible sizes and unbalanced releases', () => {
    expect(() => new Breaker(0, 0)).toThrow(RangeError);
    expect(() => new Breaker(1, -1)).toThrow(RangeError);
    expect(() => new Breaker(1, 0).release()).toThrow(/released more often/);
  });
});
