import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Decider, type DeciderSpec } from './decider';
import { parseCaseFile, replayCase } from './replay';

const cases = parseCaseFile(JSON.parse(readFileSync(new URL('./fixtures/kpa-cases.json', import.meta.url), 'utf8')));

describe('KPA conformance cases (Knative autoscaler_test.go)', () => {
  it('loads every case', () => {
    expect(cases.length).toBeGreaterThanOrEqual(21);
  });
  for (const c of cases) {
    it(c.id, () => {
      for (const outcome of replayCase(c)) {
        expect(outcome.mismatches, `step ${outcome.step}`).toEqual([]);
      }
    });
  }
});

const spec: DeciderSpec = {
  scalingMetric: 'concurrency',
  targetValue: 10,
  totalValue: 10 / 0.7,
  targetBurstCapacity: 211,
  panicThreshold: 2,
  maxScaleUpRate: 1000,
  maxScaleDownRate: 2,
  stableWindowSec: 60,
  scaleDownDelaySec: 0,
  reachable: true,
  activationScale: 1,
};

describe('Decider', () => {
  it('starts in panic mode when created with more than one ready pod and keeps that count', () => {
    const d = new Decider(spec, { readyPodsAtCreate: 5, nowMs: 0 });
    expect(d.panicking).toBe(true);
    expect(d.scale(2000, 5, { stable: 0, panic: 0 }).desiredPodCount).toBe(5);
  });

  it('does not panic when created with one pod', () => {
    const d = new Decider(spec, { readyPodsAtCreate: 1, nowMs: 0 });
    expect(d.panicking).toBe(false);
    expect(d.scale(2000, 1, { stable: 0, panic: 0 }).desiredPodCount).toBe(0);
  });

  it('returns an invalid result without data', () => {
    const d = new Decider(spec, { readyPodsAtCreate: 1, nowMs: 0 });
    expect(d.scale(0, 1, undefined)).toEqual({ desiredPodCount: -1, excessBurstCapacity: -1, scaleValid: false });
  });

  it('leaves panic only after a full stable window under the threshold', () => {
    const d = new Decider(spec, { readyPodsAtCreate: 1, nowMs: 0 });
    d.scale(0, 1, { stable: 30, panic: 30 });
    expect(d.panicking).toBe(true);
    expect(d.scale(60_000, 3, { stable: 5, panic: 5 }).desiredPodCount).toBe(3);
    expect(d.panicking).toBe(true);
    const after = d.scale(60_001, 3, { stable: 5, panic: 5 });
    expect(d.panicking).toBe(false);
    expect(after.desiredPodCount).toBe(1);
  });

  it('raises a non-zero demand to the activation scale', () => {
    const d = new Decider({ ...spec, activationScale: 3 }, { readyPodsAtCreate: 0, nowMs: 0 });
    expect(d.scale(0, 0, { stable: 1, panic: 1 }).desiredPodCount).toBe(3);
    expect(d.scale(2000, 0, { stable: 0, panic: 0 }).desiredPodCount).toBe(0);
  });

  it.each([
    [true, 4],
    [false, 0],
  ])('applies the scale-down delay only to a reachable revision (reachable %s: %i pods 10 s after the load stops; Knative 1.18)', (reachable, expected) => {
    const d = new Decider({ ...spec, scaleDownDelaySec: 60, reachable }, { readyPodsAtCreate: 0, nowMs: 0 });
    expect(d.scale(0, 0, { stable: 40, panic: 10 }).desiredPodCount).toBe(4);
    expect(d.scale(10_000, 4, { stable: 0, panic: 0 }).desiredPodCount).toBe(expected);
  });

  it('restarts the delay window when the scale-down delay changes', () => {
    const d = new Decider({ ...spec, scaleDownDelaySec: 60 }, { readyPodsAtCreate: 0, nowMs: 0 });
    expect(d.scale(0, 0, { stable: 40, panic: 10 }).desiredPodCount).toBe(4);
    expect(d.panicking).toBe(false);
    expect(d.scale(10_000, 0, { stable: 0, panic: 0 }).desiredPodCount).toBe(4);
    d.update({ ...spec, scaleDownDelaySec: 0 });
    expect(d.scale(12_000, 0, { stable: 0, panic: 0 }).desiredPodCount).toBe(0);
  });
});
