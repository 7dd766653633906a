import { describe, expect, it } from 'vitest';
import { parseAutoscalingAnnotations, type AutoscalingConfig } from './annotations';
import { INVALID_SCALE } from './decider';
import { TargetScaler, applyBounds } from './target-scaler';

const config = (o: Partial<AutoscalingConfig> = {}): AutoscalingConfig => ({ ...parseAutoscalingAnnotations(undefined).config, ...o });
const valid = (n: number) => ({ desiredPodCount: n, excessBurstCapacity: 0, scaleValid: true });

describe('TargetScaler', () => {
  it('keeps the last pod for the 30 s grace period, then scales to zero', () => {
    const s = new TargetScaler({ isNew: false });
    const at = (nowMs: number, current: number) => s.desiredReplicas({ nowMs, decision: valid(0), config: config(), currentReplicas: current, readyPods: current });
    expect(at(0, 3)).toBe(1);
    expect(s.holdingLastPod).toBe(true);
    expect(at(29_999, 1)).toBe(1);
    expect(at(30_000, 1)).toBe(0);
  });

  it('waits for the pod retention period when it is longer than the grace period', () => {
    const s = new TargetScaler({ isNew: false });
    const c = config({ scaleToZeroPodRetentionSec: 90 });
    expect(s.desiredReplicas({ nowMs: 0, decision: valid(0), config: c, currentReplicas: 1, readyPods: 1 })).toBe(1);
    expect(s.desiredReplicas({ nowMs: 60_000, decision: valid(0), config: c, currentReplicas: 1, readyPods: 1 })).toBe(1);
    expect(s.desiredReplicas({ nowMs: 90_000, decision: valid(0), config: c, currentReplicas: 1, readyPods: 1 })).toBe(0);
  });

  it('restarts the grace period after demand returns', () => {
    const s = new TargetScaler({ isNew: false });
    s.desiredReplicas({ nowMs: 0, decision: valid(0), config: config(), currentReplicas: 1, readyPods: 1 });
    expect(s.desiredReplicas({ nowMs: 20_000, decision: valid(2), config: config(), currentReplicas: 1, readyPods: 1 })).toBe(2);
    expect(s.desiredReplicas({ nowMs: 40_000, decision: valid(0), config: config(), currentReplicas: 2, readyPods: 2 })).toBe(1);
    expect(s.desiredReplicas({ nowMs: 69_999, decision: valid(0), config: config(), currentReplicas: 1, readyPods: 1 })).toBe(1);
  });

  it('never wakes a target that is already at zero while holding', () => {
    const s = new TargetScaler({ isNew: false });
    expect(s.desiredReplicas({ nowMs: 0, decision: valid(0), config: config(), currentReplicas: 0, readyPods: 0 })).toBe(0);
  });

  it('applies min and max scale', () => {
    const s = new TargetScaler({ isNew: false });
    const c = config({ minScale: 2, maxScale: 5 });
    expect(s.desiredReplicas({ nowMs: 0, decision: valid(0), config: c, currentReplicas: 3, readyPods: 3 })).toBe(2);
    expect(s.desiredReplicas({ nowMs: 0, decision: valid(50), config: c, currentReplicas: 3, readyPods: 3 })).toBe(5);
    expect(s.desiredReplicas({ nowMs: 0, decision: INVALID_SCALE, config: c, currentReplicas: 0, readyPods: 0 })).toBe(2);
    expect(s.desiredReplicas({ nowMs: 0, decision: INVALID_SCALE, config: c, currentReplicas: 4, readyPods: 4 })).toBe(4);
  });

  it('holds a new target at its initial scale until that many pods are ready', () => {
    const s = new TargetScaler({ isNew: true });
    const c = config({ initialScale: 3 });
    expect(s.desiredReplicas({ nowMs: 0, decision: INVALID_SCALE, config: c, currentReplicas: 0, readyPods: 0 })).toBe(3);
    expect(s.desiredReplicas({ nowMs: 2000, decision: valid(0), config: c, currentReplicas: 3, readyPods: 1 })).toBe(3);
    expect(s.desiredReplicas({ nowMs: 4000, decision: valid(1), config: c, currentReplicas: 3, readyPods: 3 })).toBe(1);
  });

  it('leaves a known target alone without metrics', () => {
    const s = new TargetScaler({ isNew: false });
    expect(s.desiredReplicas({ nowMs: 0, decision: INVALID_SCALE, config: config(), currentReplicas: 0, readyPods: 0 })).toBe(0);
    expect(s.desiredReplicas({ nowMs: 0, decision: INVALID_SCALE, config: config(), currentReplicas: 4, readyPods: 4 })).toBe(4);
  });
});

describe('applyBounds', () => {
  it('treats max 0 as unbounded', () => {
    expect(applyBounds(0, 0, 1000)).toBe(1000);
    expect(applyBounds(1, 3, 0)).toBe(1);
    expect(applyBounds(1, 3, 9)).toBe(3);
  });
});
