import type { AutoscalingConfig } from './annotations';
import type { ScaleResult } from './decider';
import { DEFAULT_SCALE_TO_ZERO_GRACE_PERIOD_SEC } from './defaults';

export interface TargetScalerInit {
  /** A target the autoscaler saw being created: it gets its initial scale until that many pods are ready. */
  isNew: boolean;
  /** Knative `scale-to-zero-grace-period`. */
  gracePeriodSec?: number;
}

export interface ScaleInput {
  nowMs: number;
  decision: ScaleResult;
  config: AutoscalingConfig;
  /** The Deployment's spec.replicas now. */
  currentReplicas: number;
  readyPods: number;
}

/**
 * What Knative's KPA reconciler does with a decision before it reaches the scale subresource: initial scale,
 * min/max bounds and the scale-to-zero gate.
 *
 * States: initializing (new target, fewer than initial-scale pods ready: at least initial-scale is wanted) →
 * running. In running, a decision of 0 opens a zero period: during max(grace period, pod retention) the last pod is
 * kept (1 replica, or 0 if already at zero); afterwards 0 is applied. Any non-zero decision closes the period.
 * An invalid decision (no metrics) changes nothing except to bring the replicas inside [min, max].
 */
export class TargetScaler {
  private initialized: boolean;
  private zeroSinceMs: number | undefined;
  private readonly gracePeriodSec: number;

  constructor(init: TargetScalerInit) {
    this.initialized = !init.isNew;
    this.zeroSinceMs = undefined;
    this.gracePeriodSec = init.gracePeriodSec ?? DEFAULT_SCALE_TO_ZERO_GRACE_PERIOD_SEC;
  }

  /** Whether a zero decision is being held back by the grace period. */
  get holdingLastPod(): boolean {
    return this.zeroSinceMs !== undefined;
  }

  /** The replica count to apply (may equal the current one). */
  desiredReplicas(input: ScaleInput): number {
    const { config } = input;
    if (!this.initialized && input.readyPods >= config.initialScale) this.initialized = true;
    if (!input.decision.scaleValid) {
      const want = this.initialized ? input.currentReplicas : Math.max(input.currentReplicas, config.initialScale);
      return applyBounds(config.minScale, config.maxScale, want);
    }
    let want = input.decision.desiredPodCount;
    if (!this.initialized) want = Math.max(want, config.initialScale);
    want = applyBounds(config.minScale, config.maxScale, want);
    if (want > 0) {
      this.zeroSinceMs = undefined;
      return want;
    }
    this.zeroSinceMs ??= input.nowMs;
    const waitMs = Math.max(this.gracePeriodSec, config.scaleToZeroPodRetentionSec) * 1000;
    if (input.nowMs - this.zeroSinceMs >= waitMs) return 0;
    return Math.min(input.currentReplicas, 1);
  }
}

/** Knative applyBounds: at least min; at most max unless max is 0 (unbounded). */
export function applyBounds(min: number, max: number, x: number): number {
  if (x < min) return min;
  if (max !== 0 && x > max) return max;
  return x;
}
