import { Decider, type DeciderSpec, type ScaleResult } from './decider';
import { KpaError } from './errors';

/** One case of the conformance file format (see fixtures/kpa-cases.json, "about"). */
export interface KpaCase {
  id: string;
  spec: DeciderSpec;
  init: { readyPodsAtCreate: number; panicTimeSec?: number; maxPanicPods?: number };
  steps: KpaStep[];
}

export interface KpaStep {
  tSec: number;
  readyPods: number;
  observedStable: number;
  observedPanic: number;
  updateSpecBefore?: Partial<DeciderSpec>;
  expect: {
    desiredPodCount: number;
    excessBurstCapacity: number;
    scaleValid: boolean;
    panicking?: boolean;
    panicTimeSec?: number;
  };
}

export interface StepOutcome {
  caseId: string;
  step: number;
  pass: boolean;
  expected: KpaStep['expect'];
  actual: ScaleResult & { panicking: boolean; panicTimeSec: number | undefined };
  /** One entry per field that differs, e.g. "desiredPodCount expected 5 got 4". */
  mismatches: string[];
}

/** Knative's scaling tests accept ±1 on the excess burst capacity. */
const EBC_TOLERANCE = 1;

const SPEC_NUMBERS = [
  'targetValue',
  'totalValue',
  'targetBurstCapacity',
  'panicThreshold',
  'maxScaleUpRate',
  'maxScaleDownRate',
  'stableWindowSec',
  'scaleDownDelaySec',
  'activationScale',
] as const;

/** Validates a parsed case file; throws KpaError KPA_BAD_CASE_FILE naming the first bad field. */
export function parseCaseFile(json: unknown): KpaCase[] {
  const root = asRecord(json, '$');
  if (!Array.isArray(root['cases'])) throw bad('$.cases', 'an array');
  return root['cases'].map((c, i) => parseCase(c, `$.cases[${i}]`));
}

function parseCase(json: unknown, path: string): KpaCase {
  const c = asRecord(json, path);
  const id = c['id'];
  if (typeof id !== 'string') throw bad(`${path}.id`, 'a string');
  const spec = parseSpec(c['spec'], `${path}.spec`);
  const init = asRecord(c['init'], `${path}.init`);
  const steps = c['steps'];
  if (!Array.isArray(steps) || steps.length === 0) throw bad(`${path}.steps`, 'a non-empty array');
  return {
    id,
    spec,
    init: {
      readyPodsAtCreate: num(init, 'readyPodsAtCreate', `${path}.init`),
      ...optionalNum(init, 'panicTimeSec', `${path}.init`),
      ...optionalNum(init, 'maxPanicPods', `${path}.init`),
    },
    steps: steps.map((s, i) => parseStep(s, `${path}.steps[${i}]`)),
  };
}

function parseSpec(json: unknown, path: string): DeciderSpec {
  const s = asRecord(json, path);
  const metric = s['scalingMetric'];
  if (metric !== 'concurrency' && metric !== 'rps') throw bad(`${path}.scalingMetric`, '"concurrency" or "rps"');
  if (typeof s['reachable'] !== 'boolean') throw bad(`${path}.reachable`, 'a boolean');
  const spec = { scalingMetric: metric, reachable: s['reachable'] } as DeciderSpec;
  for (const key of SPEC_NUMBERS) spec[key] = num(s, key, path);
  return spec;
}

function parseStep(json: unknown, path: string): KpaStep {
  const s = asRecord(json, path);
  const e = asRecord(s['expect'], `${path}.expect`);
  if (typeof e['scaleValid'] !== 'boolean') throw bad(`${path}.expect.scaleValid`, 'a boolean');
  if (e['panicking'] !== undefined && typeof e['panicking'] !== 'boolean') throw bad(`${path}.expect.panicking`, 'a boolean');
  const step: KpaStep = {
    tSec: num(s, 'tSec', path),
    readyPods: num(s, 'readyPods', path),
    observedStable: num(s, 'observedStable', path),
    observedPanic: num(s, 'observedPanic', path),
    expect: {
      desiredPodCount: num(e, 'desiredPodCount', `${path}.expect`),
      excessBurstCapacity: num(e, 'excessBurstCapacity', `${path}.expect`),
      scaleValid: e['scaleValid'],
      ...(e['panicking'] === undefined ? {} : { panicking: e['panicking'] }),
      ...optionalNum(e, 'panicTimeSec', `${path}.expect`),
    },
  };
  if (s['updateSpecBefore'] !== undefined) step.updateSpecBefore = asRecord(s['updateSpecBefore'], `${path}.updateSpecBefore`) as Partial<DeciderSpec>;
  return step;
}

/** Runs one case through a fresh Decider, one scale() per step, and compares every expected field. */
export function replayCase(c: KpaCase): StepOutcome[] {
  const firstMs = (c.steps[0]?.tSec ?? 0) * 1000;
  const decider = new Decider(c.spec, {
    readyPodsAtCreate: c.init.readyPodsAtCreate,
    nowMs: firstMs,
    ...(c.init.panicTimeSec === undefined ? {} : { panicTimeMs: c.init.panicTimeSec * 1000 }),
    ...(c.init.maxPanicPods === undefined ? {} : { maxPanicPods: c.init.maxPanicPods }),
  });
  return c.steps.map((step, i) => {
    if (step.updateSpecBefore !== undefined) decider.update({ ...decider.currentSpec, ...step.updateSpecBefore });
    const result = decider.scale(step.tSec * 1000, step.readyPods, { stable: step.observedStable, panic: step.observedPanic });
    const panicMs = decider.panicTimeMs;
    const actual = { ...result, panicking: decider.panicking, panicTimeSec: panicMs === undefined ? undefined : panicMs / 1000 };
    const mismatches = compare(step.expect, actual);
    return { caseId: c.id, step: i, pass: mismatches.length === 0, expected: step.expect, actual, mismatches };
  });
}

function compare(expected: KpaStep['expect'], actual: StepOutcome['actual']): string[] {
  const out: string[] = [];
  const diff = (field: string, want: unknown, got: unknown) => out.push(`${field} expected ${String(want)} got ${String(got)}`);
  if (actual.desiredPodCount !== expected.desiredPodCount) diff('desiredPodCount', expected.desiredPodCount, actual.desiredPodCount);
  if (Math.abs(actual.excessBurstCapacity - expected.excessBurstCapacity) > EBC_TOLERANCE) {
    diff('excessBurstCapacity', expected.excessBurstCapacity, actual.excessBurstCapacity);
  }
  if (actual.scaleValid !== expected.scaleValid) diff('scaleValid', expected.scaleValid, actual.scaleValid);
  if (expected.panicking !== undefined && actual.panicking !== expected.panicking) diff('panicking', expected.panicking, actual.panicking);
  if (expected.panicTimeSec !== undefined && actual.panicTimeSec !== expected.panicTimeSec) {
    diff('panicTimeSec', expected.panicTimeSec, actual.panicTimeSec);
  }
  return out;
}

function asRecord(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(path, 'an object');
  return v as Record<string, unknown>;
}

function num(o: Record<string, unknown>, key: string, path: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`${path}.${key}`, 'a finite number');
  return v;
}

function optionalNum<K extends string>(o: Record<string, unknown>, key: K, path: string): { [P in K]?: number } {
  if (o[key] === undefined) return {};
  return { [key]: num(o, key, path) } as { [P in K]?: number };
}

function bad(path: string, what: string): KpaError {
  return new KpaError('KPA_BAD_CASE_FILE', `${path} must be ${what}`);
}

export interface ReplayReport {
  /** One PASS/FAIL line per step, then a summary line. */
  lines: string[];
  passed: number;
  failed: number;
  outcomes: StepOutcome[];
}

/** Replays every case and reports each step in the words `kpa-replay` and `trellis replay` print. */
export function replayReport(cases: readonly KpaCase[]): ReplayReport {
  const lines: string[] = [];
  const outcomes: StepOutcome[] = [];
  let passed = 0;
  let failed = 0;
  for (const c of cases) {
    for (const o of replayCase(c)) {
      outcomes.push(o);
      const a = o.actual;
      const got = `desired=${a.desiredPodCount} ebc=${a.excessBurstCapacity} valid=${a.scaleValid} panicking=${a.panicking}`;
      if (o.pass) {
        passed++;
        lines.push(`PASS ${o.caseId} step ${o.step}: ${got}`);
      } else {
        failed++;
        lines.push(`FAIL ${o.caseId} step ${o.step}: ${o.mismatches.join('; ')} (expected ${JSON.stringify(o.expected)}, actual ${got})`);
      }
    }
  }
  lines.push(`${failed === 0 ? 'ok' : 'FAILED'}: ${passed} passed, ${failed} failed, ${cases.length} cases`);
  return { lines, passed, failed, outcomes };
}
