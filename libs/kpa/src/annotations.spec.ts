import { describe, expect, it } from 'vitest';
import { isKpaClass, panicWindowSec, parseAutoscalingAnnotations, toDeciderSpec } from './annotations';
import { parseGoDuration } from './duration';

const A = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [`autoscaling.knative.dev/${k}`, v]));

describe('parseAutoscalingAnnotations', () => {
  it("uses Knative's defaults without annotations", () => {
    const { config, problems } = parseAutoscalingAnnotations(undefined);
    expect(problems).toEqual([]);
    expect(config).toEqual({
      metric: 'concurrency',
      target: 100,
      targetUtilizationPercentage: 70,
      targetBurstCapacity: 211,
      stableWindowSec: 60,
      panicWindowPercentage: 10,
      panicThresholdPercentage: 200,
      minScale: 0,
      maxScale: 0,
      initialScale: 1,
      activationScale: 1,
      scaleDownDelaySec: 0,
      scaleToZeroPodRetentionSec: 0,
    });
    const spec = toDeciderSpec(config);
    expect(spec.targetValue).toBeCloseTo(70);
    expect(spec.panicThreshold).toBe(2);
    expect(spec.maxScaleUpRate).toBe(1000);
    expect(spec.maxScaleDownRate).toBe(2);
    expect(panicWindowSec(config)).toBe(6);
  });

  it('reads every annotation', () => {
    const { config, problems } = parseAutoscalingAnnotations(
      A({
        metric: 'rps',
        target: '50',
        'target-utilization-percentage': '80',
        'target-burst-capacity': '-1',
        window: '2m',
        'panic-window-percentage': '20',
        'panic-threshold-percentage': '300',
        'min-scale': '2',
        'max-scale': '9',
        'initial-scale': '3',
        'activation-scale': '2',
        'scale-down-delay': '30s',
        'scale-to-zero-pod-retention-period': '1m5s',
      }),
    );
    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      metric: 'rps',
      target: 50,
      targetUtilizationPercentage: 80,
      targetBurstCapacity: -1,
      stableWindowSec: 120,
      panicWindowPercentage: 20,
      panicThresholdPercentage: 300,
      minScale: 2,
      maxScale: 9,
      initialScale: 3,
      activationScale: 2,
      scaleDownDelaySec: 30,
      scaleToZeroPodRetentionSec: 65,
    });
    expect(toDeciderSpec(config).targetValue).toBe(40);
    expect(panicWindowSec(config)).toBe(24);
  });

  it('defaults rps to a target of 200', () => {
    expect(parseAutoscalingAnnotations(A({ metric: 'rps' })).config.target).toBe(200);
  });

  it('caps the concurrency target at the container concurrency', () => {
    expect(parseAutoscalingAnnotations(A({ target: '50' }), { containerConcurrency: 10 }).config.target).toBe(10);
    expect(parseAutoscalingAnnotations(undefined, { containerConcurrency: 10 }).config.target).toBe(10);
  });

  it.each([
    ['metric', 'cpu'],
    ['target', '0'],
    ['target', 'ten'],
    ['target-utilization-percentage', '101'],
    ['window', '5s'],
    ['window', '61.5s'],
    ['window', '2h'],
    ['panic-window-percentage', '0.5'],
    ['panic-threshold-percentage', '100'],
    ['min-scale', '-1'],
    ['min-scale', '1.5'],
    ['max-scale', 'x'],
    ['initial-scale', '0'],
    ['activation-scale', '0'],
    ['scale-down-delay', '-1s'],
    ['scale-down-delay', 'soon'],
    ['scale-to-zero-pod-retention-period', '1ms'],
  ])('reports %s=%s and uses the default', (name, value) => {
    const bad = parseAutoscalingAnnotations(A({ [name]: value }));
    const defaults = parseAutoscalingAnnotations(undefined).config;
    expect(bad.problems).toHaveLength(1);
    expect(bad.problems[0]).toMatchObject({ annotation: `autoscaling.knative.dev/${name}`, value });
    expect(bad.problems[0]?.reason.length).toBeGreaterThan(0);
    expect(bad.config).toEqual(defaults);
  });

  it('reports min-scale above max-scale', () => {
    const { config, problems } = parseAutoscalingAnnotations(A({ 'min-scale': '5', 'max-scale': '3' }));
    expect(problems.map((p) => p.annotation)).toEqual(['autoscaling.knative.dev/min-scale']);
    expect(config.minScale).toBe(0);
    expect(config.maxScale).toBe(3);
  });

  it('accepts initial-scale 0 when allowed', () => {
    expect(parseAutoscalingAnnotations(A({ 'initial-scale': '0' }), { allowZeroInitialScale: true }).config.initialScale).toBe(0);
  });

  it('recognises the KPA class', () => {
    expect(isKpaClass({ 'autoscaling.knative.dev/class': 'kpa.autoscaling.knative.dev' })).toBe(true);
    expect(isKpaClass({ 'autoscaling.knative.dev/class': 'hpa.autoscaling.knative.dev' })).toBe(false);
    expect(isKpaClass(undefined)).toBe(false);
  });
});

describe('parseGoDuration', () => {
  it.each([
    ['0', 0],
    ['60s', 60_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    ['-2s', -2000],
  ])('%s = %i ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each(['', '60', 's', '1x', '1m 2s'])('rejects %j', (text) => {
    expect(() => parseGoDuration(text)).toThrow(/not a duration/);
  });
});
