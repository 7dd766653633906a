import type { DeciderSpec, ScalingMetric } from './decider';
import {
  DEFAULT_ACTIVATION_SCALE,
  DEFAULT_CONCURRENCY_TARGET,
  DEFAULT_INITIAL_SCALE,
  DEFAULT_MAX_SCALE,
  DEFAULT_MAX_SCALE_DOWN_RATE,
  DEFAULT_MAX_SCALE_UP_RATE,
  DEFAULT_MIN_SCALE,
  DEFAULT_PANIC_THRESHOLD_PERCENTAGE,
  DEFAULT_PANIC_WINDOW_PERCENTAGE,
  DEFAULT_RPS_TARGET,
  DEFAULT_SCALE_DOWN_DELAY_SEC,
  DEFAULT_SCALE_TO_ZERO_POD_RETENTION_SEC,
  DEFAULT_STABLE_WINDOW_SEC,
  DEFAULT_TARGET_BURST_CAPACITY,
  DEFAULT_TARGET_UTILIZATION_PERCENTAGE,
  KPA_CLASS,
  MAX_PANIC_THRESHOLD_PERCENTAGE,
  MAX_PANIC_WINDOW_PERCENTAGE,
  MAX_SCALE_DOWN_DELAY_SEC,
  MAX_STABLE_WINDOW_SEC,
  MIN_PANIC_THRESHOLD_PERCENTAGE,
  MIN_PANIC_WINDOW_PERCENTAGE,
  MIN_STABLE_WINDOW_SEC,
  MIN_TARGET,
} from './defaults';
import { parseGoDuration } from './duration';

export const ANNOTATION_PREFIX = 'autoscaling.knative.dev/';
export const CLASS_ANNOTATION = `${ANNOTATION_PREFIX}class`;

/** One target's autoscaling settings, read from its annotations. Percentages as given, windows in seconds. */
export interface AutoscalingConfig {
  metric: ScalingMetric;
  /** Per-pod total capacity: the `target` annotation, else the metric's default (limited by container concurrency). */
  target: number;
  targetUtilizationPercentage: number;
  targetBurstCapacity: number;
  stableWindowSec: number;
  panicWindowPercentage: number;
  panicThresholdPercentage: number;
  minScale: number;
  /** 0 means unbounded. */
  maxScale: number;
  initialScale: number;
  activationScale: number;
  scaleDownDelaySec: number;
  scaleToZeroPodRetentionSec: number;
}

export interface AnnotationProblem {
  annotation: string;
  value: string;
  reason: string;
}

export interface ParseOptions {
  /** The pods' container concurrency (0 = unlimited); caps the concurrency target like Knative does. */
  containerConcurrency?: number;
  /** Knative `allow-zero-initial-scale`; false by default. */
  allowZeroInitialScale?: boolean;
}

/** Knative's cluster-wide rates (config-autoscaler), not settable per target. */
export interface ScaleRates {
  maxScaleUpRate: number;
  maxScaleDownRate: number;
}

export const DEFAULT_SCALE_RATES: ScaleRates = { maxScaleUpRate: DEFAULT_MAX_SCALE_UP_RATE, maxScaleDownRate: DEFAULT_MAX_SCALE_DOWN_RATE };

/** True when the annotations select the KPA (`autoscaling.knative.dev/class: kpa.autoscaling.knative.dev`). */
export function isKpaClass(annotations: Record<string, string> | undefined): boolean {
  return annotations?.[CLASS_ANNOTATION] === KPA_CLASS;
}

type Check<T> = (raw: string) => { value: T } | { problem: string };

/**
 * Reads the `autoscaling.knative.dev/*` annotations. Every annotation that does not parse or is out of Knative's
 * range is reported as a problem and its default is used instead; the result is always a usable config.
 */
export function parseAutoscalingAnnotations(
  annotations: Record<string, string> | undefined,
  options: ParseOptions = {},
): { config: AutoscalingConfig; problems: AnnotationProblem[] } {
  const problems: AnnotationProblem[] = [];
  const a = annotations ?? {};
  const read = <T>(name: string, fallback: T, check: Check<T>): T => {
    const raw = a[ANNOTATION_PREFIX + name];
    if (raw === undefined) return fallback;
    const result = check(raw);
    if ('problem' in result) {
      problems.push({ annotation: ANNOTATION_PREFIX + name, value: raw, reason: result.problem });
      return fallback;
    }
    return result.value;
  };

  const metric = read<ScalingMetric>('metric', 'concurrency', (raw) =>
    raw === 'concurrency' || raw === 'rps' ? { value: raw } : { problem: 'must be "concurrency" or "rps" for the KPA' },
  );
  const cc = options.containerConcurrency ?? 0;
  const defaultTarget = metric === 'rps' ? DEFAULT_RPS_TARGET : cc > 0 ? cc : DEFAULT_CONCURRENCY_TARGET;
  const annotatedTarget = read<number>('target', defaultTarget, float((v) => v >= MIN_TARGET, `must be a number >= ${MIN_TARGET}`));
  const target = metric === 'concurrency' && cc > 0 ? Math.min(annotatedTarget, cc) : annotatedTarget;
  const maxScale = read('max-scale', DEFAULT_MAX_SCALE, int((v) => v >= 0, 'must be an integer >= 0'));
  let minScale = read('min-scale', DEFAULT_MIN_SCALE, int((v) => v >= 0, 'must be an integer >= 0'));
  if (maxScale > 0 && minScale > maxScale) {
    problems.push({ annotation: `${ANNOTATION_PREFIX}min-scale`, value: String(minScale), reason: `must not exceed max-scale (${maxScale})` });
    minScale = DEFAULT_MIN_SCALE;
  }
  const minInitial = options.allowZeroInitialScale === true ? 0 : 1;
  const config: AutoscalingConfig = {
    metric,
    target,
    targetUtilizationPercentage: read(
      'target-utilization-percentage',
      DEFAULT_TARGET_UTILIZATION_PERCENTAGE,
      float((v) => v >= 1 && v <= 100, 'must be a number between 1 and 100'),
    ),
    targetBurstCapacity: read(
      'target-burst-capacity',
      DEFAULT_TARGET_BURST_CAPACITY,
      float((v) => v >= 0 || v === -1, 'must be a number >= 0, or -1 for unlimited'),
    ),
    stableWindowSec: read(
      'window',
      DEFAULT_STABLE_WINDOW_SEC,
      seconds(MIN_STABLE_WINDOW_SEC, MAX_STABLE_WINDOW_SEC),
    ),
    panicWindowPercentage: read(
      'panic-window-percentage',
      DEFAULT_PANIC_WINDOW_PERCENTAGE,
      float(
        (v) => v >= MIN_PANIC_WINDOW_PERCENTAGE && v <= MAX_PANIC_WINDOW_PERCENTAGE,
        `must be a number between ${MIN_PANIC_WINDOW_PERCENTAGE} and ${MAX_PANIC_WINDOW_PERCENTAGE}`,
      ),
    ),
    panicThresholdPercentage: read(
      'panic-threshold-percentage',
      DEFAULT_PANIC_THRESHOLD_PERCENTAGE,
      float(
        (v) => v >= MIN_PANIC_THRESHOLD_PERCENTAGE && v <= MAX_PANIC_THRESHOLD_PERCENTAGE,
        `must be a number between ${MIN_PANIC_THRESHOLD_PERCENTAGE} and ${MAX_PANIC_THRESHOLD_PERCENTAGE}`,
      ),
    ),
    minScale,
    maxScale,
    initialScale: read('initial-scale', DEFAULT_INITIAL_SCALE, int((v) => v >= minInitial, `must be an integer >= ${minInitial}`)),
    activationScale: read(
      'activation-scale',
      DEFAULT_ACTIVATION_SCALE,
      int((v) => v >= 1 && (maxScale === 0 || v <= maxScale), 'must be an integer >= 1 and not above max-scale'),
    ),
    scaleDownDelaySec: read('scale-down-delay', DEFAULT_SCALE_DOWN_DELAY_SEC, seconds(0, MAX_SCALE_DOWN_DELAY_SEC)),
    scaleToZeroPodRetentionSec: read('scale-to-zero-pod-retention-period', DEFAULT_SCALE_TO_ZERO_POD_RETENTION_SEC, seconds(0, MAX_STABLE_WINDOW_SEC)),
  };
  return { config, problems };
}

/** The decider spec Knative builds from a config (MakeDecider / ResolveMetricTarget). */
export function toDeciderSpec(config: AutoscalingConfig, rates: ScaleRates = DEFAULT_SCALE_RATES): DeciderSpec {
  return {
    scalingMetric: config.metric,
    targetValue: Math.max(MIN_TARGET, (config.target * config.targetUtilizationPercentage) / 100),
    totalValue: config.target,
    targetBurstCapacity: config.targetBurstCapacity,
    panicThreshold: config.panicThresholdPercentage / 100,
    maxScaleUpRate: rates.maxScaleUpRate,
    maxScaleDownRate: rates.maxScaleDownRate,
    stableWindowSec: config.stableWindowSec,
    scaleDownDelaySec: config.scaleDownDelaySec,
    reachable: true,
    activationScale: config.activationScale,
  };
}

/** The panic window in whole seconds (at least one bucket). */
export function panicWindowSec(config: AutoscalingConfig): number {
  return Math.max(1, Math.round((config.stableWindowSec * config.panicWindowPercentage) / 100));
}

const FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const INT = /^[+-]?\d+$/;

function float(ok: (v: number) => boolean, reason: string): Check<number> {
  return (raw) => {
    const v = Number(raw.trim());
    return FLOAT.test(raw.trim()) && Number.isFinite(v) && ok(v) ? { value: v } : { problem: reason };
  };
}

function int(ok: (v: number) => boolean, reason: string): Check<number> {
  return (raw) => {
    const v = Number(raw.trim());
    return INT.test(raw.trim()) && Number.isSafeInteger(v) && ok(v) ? { value: v } : { problem: reason };
  };
}

function seconds(minSec: number, maxSec: number): Check<number> {
  const reason = `must be a duration between ${minSec}s and ${maxSec}s in whole seconds (e.g. "60s", "2m")`;
  return (raw) => {
    let ms: number;
    try {
      ms = parseGoDuration(raw);
    } catch {
      return { problem: reason };
    }
    return ms % 1000 === 0 && ms >= minSec * 1000 && ms <= maxSec * 1000 ? { value: ms / 1000 } : { problem: reason };
  };
}
