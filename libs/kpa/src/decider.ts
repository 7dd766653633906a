import { TICK_INTERVAL_SEC } from './defaults';
import { MaxTimeWindow } from './max-time-window';

export type ScalingMetric = 'concurrency' | 'rps';

/** Knative's scaling.DeciderSpec, with windows in seconds. */
export interface DeciderSpec {
  scalingMetric: ScalingMetric;
  /** Per-pod target (total × utilization). */
  targetValue: number;
  /** Per-pod total capacity, used for the excess burst capacity. */
  totalValue: number;
  /** 0: no burst capacity wanted; -1: unlimited (EBC is always -1). */
  targetBurstCapacity: number;
  /** As a fraction: 2 means 200 %. */
  panicThreshold: number;
  maxScaleUpRate: number;
  maxScaleDownRate: number;
  stableWindowSec: number;
  scaleDownDelaySec: number;
  reachable: boolean;
  activationScale: number;
}

export interface ScaleResult {
  desiredPodCount: number;
  excessBurstCapacity: number;
  scaleValid: boolean;
}

/** Window averages of the scaling metric summed over the revision (not per pod). */
export interface Observed {
  stable: number;
  panic: number;
}

export interface DeciderInit {
  /** Ready pods when the decider is created; more than one starts it in panic mode. */
  readyPodsAtCreate: number;
  nowMs: number;
  /** Restores a panic state (tests, replays). */
  panicTimeMs?: number;
  maxPanicPods?: number;
}

export const INVALID_SCALE: ScaleResult = Object.freeze({ desiredPodCount: -1, excessBurstCapacity: -1, scaleValid: false });

/**
 * The KPA decision (Knative pkg/autoscaler/scaling/autoscaler.go), a pure object of spec, time and metrics.
 *
 * State machine: stable ⇄ panic. Panic starts when the panic-window pod count reaches `panicThreshold` × ready
 * pods, is extended (panicTime = now) on every tick still over the threshold, and ends once a tick is under the
 * threshold and more than a stable window has passed since panicTime. While panicking, the desired count never
 * decreases (it is the running maximum `maxPanicPods`).
 */
export class Decider {
  private spec: DeciderSpec;
  private panicTime: number | undefined;
  private maxPanicPods: number;
  private delayWindow: MaxTimeWindow | undefined;

  constructor(spec: DeciderSpec, init: DeciderInit) {
    this.spec = spec;
    this.delayWindow = makeDelayWindow(spec.scaleDownDelaySec);
    this.panicTime = init.panicTimeMs ?? (init.readyPodsAtCreate > 1 ? init.nowMs : undefined);
    this.maxPanicPods = init.maxPanicPods ?? init.readyPodsAtCreate;
  }

  /** Replaces the spec; a changed scale-down delay starts a fresh delay window. */
  update(spec: DeciderSpec): void {
    if (spec.scaleDownDelaySec !== this.spec.scaleDownDelaySec) this.delayWindow = makeDelayWindow(spec.scaleDownDelaySec);
    this.spec = spec;
  }

  get currentSpec(): DeciderSpec {
    return this.spec;
  }

  get panicking(): boolean {
    return this.panicTime !== undefined;
  }

  get panicTimeMs(): number | undefined {
    return this.panicTime;
  }

  /** `observed` undefined means no data yet: the result is invalid and nothing changes. */
  scale(nowMs: number, readyPods: number, observed: Observed | undefined): ScaleResult {
    if (observed === undefined) return INVALID_SCALE;
    const spec = this.spec;
    const ready = Math.max(1, readyPods);
    const maxScaleUp = Math.ceil(spec.maxScaleUpRate * ready);
    const maxScaleDown = spec.reachable ? Math.floor(ready / spec.maxScaleDownRate) : 0;
    const dspc = Math.ceil(observed.stable / spec.targetValue);
    const dppc = Math.ceil(observed.panic / spec.targetValue);
    let stablePods = Math.trunc(Math.min(Math.max(dspc, maxScaleDown), maxScaleUp));
    let panicPods = Math.trunc(Math.min(Math.max(dppc, maxScaleDown), maxScaleUp));
    if (spec.activationScale > 1) {
      if (dspc > 0 && spec.activationScale > stablePods) stablePods = spec.activationScale;
      if (dppc > 0 && spec.activationScale > panicPods) panicPods = spec.activationScale;
    }

    this.updatePanic(nowMs, dppc / ready >= spec.panicThreshold);

    let desired = stablePods;
    if (this.panicTime !== undefined) {
      this.maxPanicPods = Math.max(this.maxPanicPods, stablePods, panicPods);
      desired = this.maxPanicPods;
    }
    // Knative 1.18 (knative/serving#15831): the scale-down delay is recorded but not applied to an unreachable
    // revision, which nothing routes to, so it goes down as fast as the max-scale-down rate (itself lifted above).
    if (this.delayWindow !== undefined) {
      this.delayWindow.record(nowMs, desired);
      if (spec.reachable) desired = this.delayWindow.current();
    }
    return { desiredPodCount: desired, excessBurstCapacity: excessBurstCapacity(spec, readyPods, observed.panic), scaleValid: true };
  }

  private updatePanic(nowMs: number, overThreshold: boolean): void {
    if (overThreshold) {
      this.panicTime = nowMs;
    } else if (this.panicTime !== undefined && this.panicTime + this.spec.stableWindowSec * 1000 < nowMs) {
      this.panicTime = undefined;
      this.maxPanicPods = 0;
    }
  }
}

/** EBC = ready × total − target burst capacity − panic value, floored; 0 when TBC is 0, −1 when unlimited. */
export function excessBurstCapacity(spec: DeciderSpec, readyPods: number, observedPanic: number): number {
  if (spec.targetBurstCapacity === 0) return 0;
  if (spec.targetBurstCapacity < 0) return -1;
  return Math.trunc(Math.floor(readyPods * spec.totalValue - spec.targetBurstCapacity - observedPanic));
}

function makeDelayWindow(scaleDownDelaySec: number): MaxTimeWindow | undefined {
  return scaleDownDelaySec > 0 ? new MaxTimeWindow(scaleDownDelaySec, TICK_INTERVAL_SEC) : undefined;
}
