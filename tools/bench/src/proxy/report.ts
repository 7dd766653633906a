import { aggregate, SCENARIOS, type Aggregate, type Sample, type Scenario, type ScenarioId, type VariantResult } from './results';
import { FIXED_RATE_TOTAL_RPS } from './load';
import { summarize, type Summary } from './stats';

export interface Machine {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly tools: Readonly<Record<string, string>>;
}

export interface ReportMeta {
  readonly command: string;
  readonly date: string;
  readonly machine: Machine;
  readonly runs: number;
  readonly durationSeconds: number;
  readonly notes: readonly string[];
  readonly svgFile: string;
  /** The scenarios the run measured; the report has a table for each. */
  readonly scenarios: readonly ScenarioId[];
}

const DIRECT_ID = 'direct';
const TRELLIS_OUTBOUND_ID = 'trellis-outbound';
const NGINX_ID = 'nginx';
const NODE_PEER_IDS = ['http-proxy', 'fastify', 'undici'];

// Aims from issue 8 ("Aims (ratios from the same run)").
const AIM_VS_BEST_NODE_PEER = 1.5;
const AIM_VS_NGINX = 0.5;
const AIM_ADDED_P50_MS = 0.08;
const AIM_ADDED_P99_MS = 0.5;
const AIM_H2_VS_NGINX = 0.5;
const AIM_PEAK_RSS_MB = 80;
const BYTES_PER_MB = 1024 * 1024;

export function formatNumber(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatRate(value: number): string {
  return formatNumber(Math.round(value), 0);
}

function range(summary: Summary, format: (n: number) => string): string {
  return summary.count > 1 ? `${format(summary.min)}–${format(summary.max)}` : '';
}

function ms(value: number): string {
  return formatNumber(value, 3);
}

function signedMs(value: number): string {
  return `${value >= 0 ? '+' : '−'}${ms(Math.abs(value))}`;
}

export function ratio(numerator: number, denominator: number): string {
  if (!(denominator > 0) || !Number.isFinite(numerator)) return '–';
  return `${formatNumber(numerator / denominator, 2)}×`;
}

function aggregateOf(variant: VariantResult | undefined, scenario: ScenarioId): Aggregate | undefined {
  return variant && !variant.skipped ? aggregate(variant.samples[scenario]) : undefined;
}

function withRange(summary: Summary | undefined, format: (n: number) => string): string {
  if (!summary) return '–';
  const spread = range(summary, format);
  return spread ? `${format(summary.median)} (${spread})` : format(summary.median);
}

function added(summary: Summary | undefined, base: Summary | undefined): string {
  return summary && base ? signedMs(summary.median - base.median) : '–';
}

function scenarioTable(scenario: Scenario, variants: readonly VariantResult[]): string {
  const direct = aggregateOf(variants.find((v) => v.id === DIRECT_ID), scenario.id);
  const h2 = scenario.protocol === 'h2';
  const header = h2
    ? '| Variant | req/s median (min–max) | × direct | mean latency ms (min–max) | added mean vs direct | proxy CPU µs/request (min–max) | errors |\n|---|---:|---:|---:|---:|---:|---:|'
    : '| Variant | req/s median (min–max) | × direct | p50 ms (min–max) | added p50 | p99 ms (min–max) | added p99 | proxy CPU µs/request (min–max) | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|';
  const rows = variants.flatMap((variant) => {
    const skip = variant.skipped ?? variant.scenarioSkips[scenario.id];
    const result = aggregateOf(variant, scenario.id);
    if (skip || !result) {
      const columns = h2 ? 5 : 7;
      return [`| ${variant.label} | ${skip ? 'skipped (see below)' : 'no result'} |${' – |'.repeat(columns)}`];
    }
    const rate = withRange(result.requestsPerSecond, formatRate);
    const times = direct ? ratio(result.requestsPerSecond.median, direct.requestsPerSecond.median) : '–';
    const cpu = withRange(result.cpuMicrosPerRequest, formatRate);
    if (h2) {
      return [`| ${variant.label} | ${rate} | ${times} | ${withRange(result.meanMs, ms)} | ${added(result.meanMs, direct?.meanMs)} | ${cpu} | ${result.errors} |`];
    }
    return [
      `| ${variant.label} | ${rate} | ${times} | ${withRange(result.p50Ms, ms)} | ${added(result.p50Ms, direct?.p50Ms)} | ${withRange(result.p99Ms, ms)} | ${added(result.p99Ms, direct?.p99Ms)} | ${cpu} | ${result.errors} |`,
    ];
  });
  return `### ${scenario.title}\n\n${header}\n${rows.join('\n')}\n`;
}

/** Requests/s of each measured variant (rows) divided by each baseline or peer (columns), medians of the same run. */
export function ratioMatrix(scenario: ScenarioId, variants: readonly VariantResult[]): string {
  const measured = variants.filter((v) => aggregateOf(v, scenario));
  const columns = measured.filter((v) => v.kind !== 'trellis');
  if (measured.length === 0) return '';
  const median = (v: VariantResult) => aggregateOf(v, scenario)?.requestsPerSecond.median ?? Number.NaN;
  const header = `| row ÷ column | ${columns.map((c) => c.label).join(' | ')} |\n|---|${columns.map(() => '---:').join('|')}|`;
  const rows = measured.map((row) => `| ${row.label} | ${columns.map((c) => ratio(median(row), median(c))).join(' | ')} |`);
  return `${header}\n${rows.join('\n')}\n`;
}

function mb(bytes: number | undefined): string {
  return bytes === undefined ? '–' : formatNumber(bytes / BYTES_PER_MB, 1);
}

/** Peak RSS at the fixed rate (with the rate each round achieved) next to the peak after the full-speed runs. */
export function rssTable(variants: readonly VariantResult[]): string {
  const rows = variants
    .filter((v) => !v.skipped && (v.peakRssBytes !== undefined || v.fixedRatePeakRssBytes !== undefined))
    .map((v) => {
      const samples = v.fixedRateSamples ?? [];
      const rate = withRange(summarize(samples.map((x) => x.requestsPerSecond)), formatRate);
      const errors = samples.length > 0 ? String(samples.reduce((sum, x) => sum + x.errors, 0)) : '–';
      return `| ${v.label} | ${mb(v.fixedRatePeakRssBytes)} | ${rate} | ${errors} | ${mb(v.peakRssBytes)} |`;
    });
  return `| Variant | peak RSS MB at ${formatRate(FIXED_RATE_TOTAL_RPS)} req/s | achieved req/s (min–max) | errors | peak RSS MB after full-speed runs |\n|---|---:|---:|---:|---:|\n${rows.join('\n')}\n`;
}

interface BaselineMeasure {
  readonly title: string;
  readonly format: (n: number) => string;
  readonly value: (v: VariantResult, direct: VariantResult | undefined) => number | undefined;
}

function addedMs(field: 'p50Ms' | 'p99Ms'): BaselineMeasure['value'] {
  return (v, direct) => {
    const own = aggregateOf(v, 'h1-c1')?.[field]?.median;
    const base = direct && aggregateOf(direct, 'h1-c1')?.[field]?.median;
    return own !== undefined && base !== undefined ? own - base : undefined;
  };
}

const rateOf = (scenario: ScenarioId) => (v: VariantResult) => aggregateOf(v, scenario)?.requestsPerSecond.median;
const cpuOf = (scenario: ScenarioId) => (v: VariantResult) => aggregateOf(v, scenario)?.cpuMicrosPerRequest?.median;
const toMb = (bytes: number | undefined) => (bytes === undefined ? undefined : bytes / BYTES_PER_MB);

const BASELINE_MEASURES: readonly BaselineMeasure[] = [
  { title: 'HTTP/1.1 c=50 req/s', format: formatRate, value: rateOf('h1-c50') },
  { title: 'HTTP/1.1 c=1 req/s', format: formatRate, value: rateOf('h1-c1') },
  { title: 'added p50 at c=1, ms', format: signedMs, value: addedMs('p50Ms') },
  { title: 'added p99 at c=1, ms', format: signedMs, value: addedMs('p99Ms') },
  { title: 'HTTP/1.1 c=50 CPU µs/request', format: formatRate, value: cpuOf('h1-c50') },
  { title: 'HTTP/2 1×1 req/s', format: formatRate, value: rateOf('h2-c1') },
  { title: 'HTTP/2 1×1 CPU µs/request', format: formatRate, value: cpuOf('h2-c1') },
  { title: 'HTTP/2 req/s', format: formatRate, value: rateOf('h2') },
  { title: 'HTTP/2 CPU µs/request', format: formatRate, value: cpuOf('h2') },
  { title: `peak RSS MB at ${formatRate(FIXED_RATE_TOTAL_RPS)} req/s`, format: (n) => formatNumber(n, 1), value: (v) => toMb(v.fixedRatePeakRssBytes) },
  { title: 'peak RSS MB after full-speed runs', format: (n) => formatNumber(n, 1), value: (v) => toMb(v.peakRssBytes) },
];

/** Each variant next to its --baseline-proxy twin: medians of the same rounds and current ÷ baseline; empty without twins. */
export function baselineTable(variants: readonly VariantResult[]): string {
  const direct = variants.find((v) => v.id === DIRECT_ID);
  const pairs = variants.flatMap((twin) => {
    const current = variants.find((v) => v.id === twin.baselineOf);
    return current && !current.skipped && !twin.skipped ? [[current, twin] as const] : [];
  });
  if (pairs.length === 0) return '';
  const cell = (measure: BaselineMeasure, v: VariantResult) => {
    const value = measure.value(v, direct);
    return value === undefined ? '–' : measure.format(value);
  };
  // A measure neither build has (a scenario the run left out) gets no row.
  const rows = pairs.flatMap(([current, twin]) =>
    BASELINE_MEASURES.filter((m) => m.value(current, direct) !== undefined || m.value(twin, direct) !== undefined).map(
      (m) => `| ${current.label} | ${m.title} | ${cell(m, current)} | ${cell(m, twin)} | ${ratio(m.value(current, direct) ?? Number.NaN, m.value(twin, direct) ?? Number.NaN)} |`,
    ),
  );
  return `| Variant | measure | current build | baseline | current ÷ baseline |\n|---|---|---:|---:|---:|\n${rows.join('\n')}\n`;
}

interface AimCheck {
  readonly aim: string;
  readonly measured: string;
  readonly met: boolean | undefined;
}

function aimRow(check: AimCheck): string {
  const verdict = check.met === undefined ? 'not measured' : check.met ? 'met' : 'not met';
  return `| ${check.aim} | ${check.measured} | ${verdict} |`;
}

function rateRatioAim(aim: string, scenario: ScenarioId, target: number, subject: Aggregate | undefined, bases: (Aggregate | undefined)[]): AimCheck {
  const best = Math.max(...bases.map((b) => b?.requestsPerSecond.median ?? Number.NaN).filter(Number.isFinite));
  if (!subject || !Number.isFinite(best)) return { aim, measured: `– (${scenario} not measured for both)`, met: undefined };
  const value = subject.requestsPerSecond.median / best;
  return { aim, measured: `${formatNumber(value, 2)}×`, met: value >= target };
}

function latencyAims(variants: readonly VariantResult[], direct: Aggregate | undefined): AimCheck[] {
  const hops: [string, number][] = [['trellis-outbound', 1], ['trellis-inbound', 1], ['trellis-two-hop', 2]];
  return hops.flatMap(([id, count]) => {
    const variant = variants.find((v) => v.id === id);
    const result = aggregateOf(variant, 'h1-c1');
    const label = variant?.label ?? id;
    const check = (field: 'p50Ms' | 'p99Ms', limit: number): AimCheck => {
      const aim = `${label}: added ${field === 'p50Ms' ? 'p50' : 'p99'} at c=1 per hop ≤ ${limit} ms`;
      // Rounded to the microsecond shown, so the verdict agrees with the printed figure.
      const value = result?.[field] && direct?.[field] ? Math.round(((result[field].median - direct[field].median) / count) * 1000) / 1000 : undefined;
      return value === undefined ? { aim, measured: '–', met: undefined } : { aim, measured: `${signedMs(value)} ms`, met: value <= limit };
    };
    return [check('p50Ms', AIM_ADDED_P50_MS), check('p99Ms', AIM_ADDED_P99_MS)];
  });
}

function rssAims(variants: readonly VariantResult[]): AimCheck[] {
  return variants
    .filter((v) => v.kind === 'trellis')
    .map((v) => {
      const aim = `${v.label}: peak RSS under ${formatRate(FIXED_RATE_TOTAL_RPS)} req/s ≤ ${AIM_PEAK_RSS_MB} MB`;
      if (v.skipped || v.fixedRatePeakRssBytes === undefined) return { aim, measured: '–', met: undefined };
      const peakMb = v.fixedRatePeakRssBytes / BYTES_PER_MB;
      const achieved = summarize((v.fixedRateSamples ?? []).map((x) => x.requestsPerSecond));
      const at = achieved ? ` at ${formatRate(achieved.median)} req/s` : '';
      return { aim, measured: `${formatNumber(peakMb, 1)} MB${at}`, met: peakMb <= AIM_PEAK_RSS_MB };
    });
}

export function aimChecks(variants: readonly VariantResult[]): AimCheck[] {
  const get = (id: string, scenario: ScenarioId) => aggregateOf(variants.find((v) => v.id === id), scenario);
  const outbound50 = get(TRELLIS_OUTBOUND_ID, 'h1-c50');
  return [
    rateRatioAim(`Trellis outbound c=50 req/s ≥ ${AIM_VS_BEST_NODE_PEER}× best Node peer`, 'h1-c50', AIM_VS_BEST_NODE_PEER, outbound50, NODE_PEER_IDS.map((id) => get(id, 'h1-c50'))),
    rateRatioAim(`Trellis outbound c=50 req/s ≥ ${AIM_VS_NGINX}× nginx (1 worker)`, 'h1-c50', AIM_VS_NGINX, outbound50, [get(NGINX_ID, 'h1-c50')]),
    ...latencyAims(variants, get(DIRECT_ID, 'h1-c1')),
    rateRatioAim(`Trellis outbound HTTP/2 req/s ≥ ${AIM_H2_VS_NGINX}× nginx h2c`, 'h2', AIM_H2_VS_NGINX, get(TRELLIS_OUTBOUND_ID, 'h2'), [get(NGINX_ID, 'h2')]),
    ...rssAims(variants),
  ];
}

function machineLines(meta: ReportMeta): string {
  const tools = Object.entries(meta.machine.tools).map(([name, version]) => `${name} ${version}`).join(', ');
  return `- Machine: ${meta.machine.nproc} CPUs, ${meta.machine.cpuModel}; Node ${meta.machine.node}; ${tools}
- Date: ${meta.date}
- ${meta.runs} interleaved round(s) of ${meta.durationSeconds} s per measurement; figures are medians with min–max over the rounds.`;
}

/** One line of free text for a Markdown list: no line breaks, no HTML. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/</g, '&lt;').trim();
}

function skippedLines(variants: readonly VariantResult[]): string {
  const lines = variants.flatMap((v) => [
    ...(v.skipped ? [`- ${v.label}: ${oneLine(v.skipped)}`] : []),
    ...(v.skipped ? [] : Object.entries(v.scenarioSkips).map(([scenario, why]) => `- ${v.label}, ${scenario}: ${oneLine(why ?? '')}`)),
    ...(v.failures ?? []).map((why) => `- ${v.label}, failed ${oneLine(why)}`),
  ]);
  return lines.length > 0 ? lines.join('\n') : '- none';
}

function variantLines(variants: readonly VariantResult[]): string {
  return variants.map((v) => `- **${v.label}** (\`${v.id}\`): ${v.description ?? ''}`).join('\n');
}

function sampleText(sample: Sample, h2: boolean): string {
  const latency = h2 ? `mean ${ms(sample.meanMs ?? Number.NaN)}` : `p50 ${ms(sample.p50Ms ?? Number.NaN)} / p99 ${ms(sample.p99Ms ?? Number.NaN)}`;
  const cpu = sample.cpuMicrosPerRequest !== undefined ? `, ${formatRate(sample.cpuMicrosPerRequest)} µs CPU` : '';
  return `${formatRate(sample.requestsPerSecond)} (${latency}${cpu}${sample.errors > 0 ? `, ${sample.errors} err` : ''})`;
}

/** Every measurement in the order of the rounds, so a reader can see the spread behind each median. */
export function rawSamples(variants: readonly VariantResult[]): string {
  const rows = variants.flatMap((v) =>
    SCENARIOS.flatMap((s) => {
      const samples = v.samples[s.id] ?? [];
      return samples.length === 0 ? [] : [`| ${v.label} | ${s.id} | ${samples.map((x) => sampleText(x, s.protocol === 'h2')).join('; ')} |`];
    }),
  );
  return `| Variant | scenario | req/s (latency ms) per round |\n|---|---|---|\n${rows.join('\n')}\n`;
}

type Percentile = 'p50' | 'p99' | 'p999';

/** One percentile of one timing of one process, summarized over the rounds. */
function timingCell(samples: readonly Sample[], processName: string, timing: 'inProxy' | 'upstream' | 'own', p: Percentile): Summary | undefined {
  return summarize(samples.flatMap((s) => (s.timeInProxy ?? []).filter((t) => t.process === processName).flatMap((t) => (t[timing] ? [t[timing][p]] : []))));
}

/** --time-in-proxy: per variant, scenario and timed process, what the client saw against what the process timed. */
export function timeInProxyTable(variants: readonly VariantResult[]): string {
  const rows = variants.flatMap((v) =>
    SCENARIOS.filter((s) => s.protocol === 'h1').flatMap((s) => {
      const samples = v.samples[s.id] ?? [];
      const processes = [...new Set(samples.flatMap((x) => (x.timeInProxy ?? []).filter((t) => t.inProxy !== undefined).map((t) => t.process)))];
      const client = summarize(samples.flatMap((x) => (x.p99Ms === undefined ? [] : [x.p99Ms])));
      return processes.map((name) => {
        const cell = (timing: 'inProxy' | 'upstream' | 'own', p: Percentile) => withRange(timingCell(samples, name, timing, p), ms);
        return `| ${v.label} | ${s.id} | ${name} | ${withRange(client, ms)} | ${cell('inProxy', 'p50')} | ${cell('inProxy', 'p99')} | ${cell('upstream', 'p99')} | ${cell('own', 'p50')} | ${cell('own', 'p99')} | ${cell('own', 'p999')} |`;
      });
    }),
  );
  if (rows.length === 0) return '';
  return `| Variant | scenario | process | client p99 | in proxy p50 | in proxy p99 | backend wait p99 | own p50 | own p99 | own p99.9 |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n${rows.join('\n')}\n`;
}

function timeInProxySection(variants: readonly VariantResult[]): string {
  const table = timeInProxyTable(variants);
  return table
    ? `\n## Time in the proxy (--time-in-proxy)\n\nMedians (min–max) over the rounds, ms. "in proxy" runs from the read that starts a request to the first write of its answer; "backend wait" from a write on a dialled connection to the next read; "own" is the difference, for requests alone in the process (c=1). The rest of the client's latency is spent outside the proxy process.\n\n${table}`
    : '';
}

function baselineSection(variants: readonly VariantResult[]): string {
  const table = baselineTable(variants);
  return table ? `\n## Current build against the baseline bundle\n\nMedians of the same interleaved rounds; the baseline bundle is named in the notes above.\n\n${table}` : '';
}

/** The ratio matrices of the measured throughput scenarios (HTTP/1.1 c=50 and both HTTP/2 loads). */
function ratioSections(scenarios: readonly ScenarioId[], variants: readonly VariantResult[]): string {
  const titles: [ScenarioId, string][] = [
    ['h1-c50', 'HTTP/1.1, 50 connections'],
    ['h2-c1', 'HTTP/2, 1 connection × 1 stream'],
    ['h2', 'HTTP/2, 10 connections × 10 streams'],
  ];
  return titles
    .filter(([id]) => scenarios.includes(id))
    .map(([id, title]) => `### ${title}\n\n${ratioMatrix(id, variants)}`)
    .join('\n');
}

export function renderReport(meta: ReportMeta, variants: readonly VariantResult[]): string {
  const notes = meta.notes.map((n) => `- ${n}`).join('\n');
  const scenarios = SCENARIOS.filter((s) => meta.scenarios.includes(s.id));
  return `# Proxy benchmark: Trellis against direct, nginx, haproxy and Node proxies

Generated by \`tools/bench/src/proxy\` (issue 8). Command:

\`\`\`
${meta.command}
\`\`\`

${machineLines(meta)}
${notes}

![requests per second by variant](${meta.svgFile})

## Results

${scenarios.map((s) => scenarioTable(s, variants)).join('\n')}
"added" is the difference of medians against direct in the same run.
${baselineSection(variants)}${timeInProxySection(variants)}
## Ratios (requests/s, row ÷ column)

${ratioSections(meta.scenarios, variants)}
## Peak RSS

${rssTable(variants)}
## Aims of issue 8

| Aim | Measured | Verdict |
|---|---:|---|
${aimChecks(variants).map(aimRow).join('\n')}

## Skipped and failed

${skippedLines(variants)}

## Variants

${variantLines(variants)}

## Raw samples

${rawSamples(variants)}`;
}
