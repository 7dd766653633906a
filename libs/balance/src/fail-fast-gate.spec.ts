import { describe, expect, it } from 'vitest';
import { FailFastGate, type GateAdmission, type GateState } from './fail-fast-gate';
import { ManualClock } from './seeded-random';

type Step =
  | { at: number; ready: boolean; opened?: boolean }
  | { at: number; admit: GateAdmission }
  | { at: number; expire: boolean };

const TIMEOUT_MS = 3_000;

function run(steps: Step[], initiallyReady = false): { state: GateState; deadline: number | undefined } {
  const clock = new ManualClock();
  const gate = new FailFastGate(clock, TIMEOUT_MS, initiallyReady);
  for (const step of steps) {
    clock.set(step.at);
    if ('ready' in step) expect(gate.setReady(step.ready), `setReady(${step.ready}) at ${step.at}`).toBe(step.opened ?? false);
    else if ('admit' in step) expect(gate.admit(), `admit at ${step.at}`).toBe(step.admit);
    else expect(gate.expire(), `expire at ${step.at}`).toBe(step.expire);
  }
  return { state: gate.state, deadline: gate.deadlineMs() };
}

describe('FailFastGate', () => {
  it.each<{ name: string; steps: Step[]; initiallyReady?: boolean; state: GateState; deadline?: number }>([
    { name: 'a ready gate passes requests', initiallyReady: true, steps: [{ at: 0, admit: 'pass' }], state: 'open' },
    { name: 'not ready: requests wait, and the timer starts with the first', steps: [{ at: 500, admit: 'wait' }, { at: 2_000, admit: 'wait' }], state: 'waiting', deadline: 3_500 },
    { name: 'no request waited: no deadline, never fail-fast', steps: [{ at: 10_000, expire: false }], state: 'waiting' },
    { name: 'the timeout after the first wait enters fail-fast', steps: [{ at: 0, admit: 'wait' }, { at: 2_999, expire: false }, { at: 3_000, expire: true }, { at: 3_001, admit: 'fail' }], state: 'fail-fast' },
    { name: 'admit notices an elapsed timeout itself', steps: [{ at: 0, admit: 'wait' }, { at: 3_000, admit: 'fail' }], state: 'fail-fast' },
    { name: 'expire reports the transition once', steps: [{ at: 0, admit: 'wait' }, { at: 3_000, expire: true }, { at: 4_000, expire: false }], state: 'fail-fast' },
    { name: 'readiness before the timeout opens the gate', steps: [{ at: 0, admit: 'wait' }, { at: 1_000, ready: true, opened: true }, { at: 5_000, expire: false }, { at: 5_000, admit: 'pass' }], state: 'open' },
    { name: 'readiness ends fail-fast', steps: [{ at: 0, admit: 'wait' }, { at: 3_000, expire: true }, { at: 9_000, ready: true, opened: true }, { at: 9_000, admit: 'pass' }], state: 'open' },
    { name: 'losing readiness again waits a fresh timeout', steps: [{ at: 0, admit: 'wait' }, { at: 3_000, expire: true }, { at: 4_000, ready: true, opened: true }, { at: 5_000, ready: false }, { at: 6_000, admit: 'wait' }, { at: 8_999, expire: false }], state: 'waiting', deadline: 9_000 },
    { name: 'setReady(true) on an open gate opens nothing', initiallyReady: true, steps: [{ at: 0, ready: true, opened: false }], state: 'open' },
  ])('$name', ({ steps, initiallyReady, state, deadline }) => {
    expect(run(steps, initiallyReady)).toEqual({ state, deadline });
  });

  it('refuses a timeout that is not positive', () => {
    expect(() => new FailFastGate(new ManualClock(), 0)).toThrow(/timeoutMs/);
  });
});
