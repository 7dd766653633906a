import { describe, expect, it } from 'vitest';
import { aimChecks, baselineTable, ratio, ratioMatrix, rawSamples, renderReport, rssTable, timeInProxyTable, type ReportMeta } from './report';
import type { Sample, VariantResult } from './results';

const h1 = (rps: number, p50: number, p99: number): Sample => ({ requestsPerSecond: rps, p50Ms: p50, p99Ms: p99, errors: 0 });
const h2 = (rps: number, mean: number): Sample => ({ requestsPerSecond: rps, meanMs: mean, errors: 0 });

function variant(id: string, kind: VariantResult['kind'], samples: VariantResult['samples'], extra: Partial<VariantResult> = {}): VariantResult {
  return { id, label: id, kind, samples, scenarioSkips: {}, ...extra };
}

const MB = 1024 * 1024;
const variants: VariantResult[] = [
  variant('direct', 'baseline', { 'h1-c1': [h1(10_000, 0.1, 0.2)], 'h1-c50': [h1(90_000, 0.5, 1), h1(100_000, 0.5, 1), h1(80_000, 0.5, 1)], h2: [h2(40_000, 2)] }),
  variant('trellis-outbound', 'trellis', { 'h1-c1': [{ ...h1(8_000, 0.16, 0.6), cpuMicrosPerRequest: 180.4 }], 'h1-c50': [h1(30_000, 1, 2)], h2: [h2(10_000, 5)] }, { peakRssBytes: 60 * MB, fixedRatePeakRssBytes: 50 * MB, fixedRateSamples: [h2(4_990, 0.1), h2(5_000, 0.1), h2(4_980, 0.1)] }),
  variant('trellis-two-hop', 'trellis', { 'h1-c1': [h1(6_000, 0.26, 1.2)] }, { peakRssBytes: 95 * MB, fixedRatePeakRssBytes: 90 * MB, fixedRateSamples: [{ ...h2(3_100, 4), errors: 7 }] }),
  variant('trellis-inbound', 'trellis', {}, { skipped: 'did not start: bundle | missing' }),
  variant('nginx', 'peer', { 'h1-c50': [h1(50_000, 0.6, 1.5)], h2: [h2(25_000, 3)] }, { peakRssBytes: 10 * MB }),
  variant('undici', 'peer', { 'h1-c50': [h1(12_000, 3, 8)] }, { scenarioSkips: { h2: 'HTTP/1.1 only' }, failures: ['round 2, h1-c1: wrk failed'] }),
  variant('http-proxy', 'peer', { 'h1-c50': [h1(6_000, 6, 12)] }),
];

const meta: ReportMeta = {
  command: 'npx nx run bench:proxy-bench -- --runs 3',
  date: '2026-11-22T12:00:00.000Z',
  machine: { nproc: 2, cpuModel: 'AMD EPYC', node: 'v20.20.2', tools: { nginx: '1.22.1', wrk: '4.1.0' } },
  runs: 3,
  durationSeconds: 10,
  notes: ['other helpers shared the CPUs'],
  svgFile: 'proxy.svg',
  scenarios: ['h1-c1', 'h1-c50', 'h2'],
};

describe('ratio', () => {
  it('formats a quotient with two decimals and a dash when the base is missing', () => {
    expect(ratio(30_000, 12_000)).toBe('2.50×');
    expect(ratio(1, 0)).toBe('–');
    expect(ratio(Number.NaN, 1)).toBe('–');
  });
});

describe('ratioMatrix', () => {
  it('divides each measured variant by each baseline and peer, never by a Trellis variant', () => {
    const table = ratioMatrix('h1-c50', variants);
    const header = table.split('\n')[0] ?? '';
    expect(header).toBe('| row ÷ column | direct | nginx | undici | http-proxy |');
    expect(table).toContain('| trellis-outbound | 0.33× | 0.60× | 2.50× | 5.00× |');
    expect(table).not.toContain('| trellis-inbound |');
  });
});

describe('aimChecks', () => {
  const byAim = () => new Map(aimChecks(variants).map((c) => [c.aim, c]));

  it('compares Trellis outbound with the best Node peer and with nginx', () => {
    const checks = byAim();
    expect(checks.get('Trellis outbound c=50 req/s ≥ 1.5× best Node peer')).toMatchObject({ measured: '2.50×', met: true });
    expect(checks.get('Trellis outbound c=50 req/s ≥ 0.5× nginx (1 worker)')).toMatchObject({ measured: '0.60×', met: true });
    expect(checks.get('Trellis outbound HTTP/2 req/s ≥ 0.5× nginx h2c')).toMatchObject({ measured: '0.40×', met: false });
  });

  it('divides the added latency of the two-hop variant by its two hops', () => {
    const checks = byAim();
    expect(checks.get('trellis-outbound: added p50 at c=1 per hop ≤ 0.08 ms')).toMatchObject({ measured: '+0.060 ms', met: true });
    expect(checks.get('trellis-two-hop: added p50 at c=1 per hop ≤ 0.08 ms')).toMatchObject({ measured: '+0.080 ms', met: true });
    expect(checks.get('trellis-two-hop: added p99 at c=1 per hop ≤ 0.5 ms')).toMatchObject({ measured: '+0.500 ms', met: true });
    expect(checks.get('trellis-outbound: added p99 at c=1 per hop ≤ 0.5 ms')).toMatchObject({ measured: '+0.400 ms', met: true });
  });

  it('checks peak RSS per Trellis variant and leaves skipped ones unmeasured', () => {
    const checks = byAim();
    expect(checks.get('trellis-outbound: peak RSS under 5,000 req/s ≤ 80 MB')).toMatchObject({ measured: '50.0 MB at 4,990 req/s', met: true });
    expect(checks.get('trellis-two-hop: peak RSS under 5,000 req/s ≤ 80 MB')).toMatchObject({ measured: '90.0 MB at 3,100 req/s', met: false });
    expect(checks.get('trellis-inbound: peak RSS under 5,000 req/s ≤ 80 MB')).toMatchObject({ met: undefined });
  });
});

describe('rssTable', () => {
  const table = rssTable(variants);

  it('puts the peak at the fixed rate, the rate achieved and its errors before the peak after the full-speed runs', () => {
    expect(table.split('\n')[0]).toBe('| Variant | peak RSS MB at 5,000 req/s | achieved req/s (min–max) | errors | peak RSS MB after full-speed runs |');
    expect(table).toContain('| trellis-outbound | 50.0 | 4,990 (4,980–5,000) | 0 | 60.0 |');
    expect(table).toContain('| trellis-two-hop | 90.0 | 3,100 | 7 | 95.0 |');
  });

  it('shows a dash where only the full-speed peak was read, and leaves out variants without processes', () => {
    expect(table).toContain('| nginx | – | – | – | 10.0 |');
    expect(table).not.toContain('| direct |');
    expect(table).not.toContain('| trellis-inbound |');
  });
});

describe('renderReport', () => {
  const text = renderReport(meta, variants);

  it('states the command, the machine, the date and the notes', () => {
    expect(text).toContain('npx nx run bench:proxy-bench -- --runs 3');
    expect(text).toContain('2 CPUs, AMD EPYC; Node v20.20.2; nginx 1.22.1, wrk 4.1.0');
    expect(text).toContain('2026-11-22T12:00:00.000Z');
    expect(text).toContain('- other helpers shared the CPUs');
    expect(text).toContain('![requests per second by variant](proxy.svg)');
  });

  it('shows medians with their range, the ratio to direct and the added latency', () => {
    expect(text).toContain('| direct | 90,000 (80,000–100,000) | 1.00× |');
    expect(text).toContain('| trellis-outbound | 8,000 | 0.80× | 0.160 | +0.060 | 0.600 | +0.400 | 180 | 0 |');
    expect(text).toContain('| direct | 90,000 (80,000–100,000) | 1.00× | 0.500 (0.500–0.500) | +0.000 | 1.000 (1.000–1.000) | +0.000 | – | 0 |');
  });

  it('keeps every table row to its columns when a skip reason contains a pipe', () => {
    const rows = text.split('\n').filter((line) => line.startsWith('| trellis-inbound |'));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toContain('skipped (see below)');
    expect(text).toContain('- trellis-inbound: did not start: bundle | missing');
    expect(text).toContain('- undici, h2: HTTP/1.1 only');
    expect(text).toContain('- undici, failed round 2, h1-c1: wrk failed');
  });
});

describe('renderReport with HTTP/2 scenarios only', () => {
  const h2Variants: VariantResult[] = [
    variant('direct', 'baseline', { 'h2-c1': [h2(4_000, 0.25)], h2: [h2(40_000, 2)] }),
    variant('trellis-inbound', 'trellis', { 'h2-c1': [h2(1_000, 1)], h2: [{ ...h2(4_000, 20), cpuMicrosPerRequest: 240 }, { ...h2(5_000, 18), cpuMicrosPerRequest: 200 }] }),
    variant('nginx', 'peer', { 'h2-c1': [h2(2_000, 0.5)], h2: [h2(20_000, 4)] }),
    variant('node-h2', 'peer', { 'h2-c1': [h2(1_250, 0.8)], h2: [h2(5_000, 16)] }),
  ];
  const text = renderReport({ ...meta, scenarios: ['h2-c1', 'h2'] }, h2Variants);

  it('has a table and a ratio matrix for each HTTP/2 load and none for HTTP/1.1', () => {
    expect(text).toContain('### HTTP/2 h2c, gRPC-style POST, 1 connection × 1 stream (latency)');
    expect(text).toContain('### HTTP/2 h2c, gRPC-style POST, 10 connections × 10 streams');
    expect(text).not.toContain('### HTTP/1.1');
    expect(text).toContain('### HTTP/2, 1 connection × 1 stream\n\n| row ÷ column | direct | nginx | node-h2 |');
    expect(text).toContain('| trellis-inbound | 0.25× | 0.50× | 0.80× |');
    expect(text).toContain('| trellis-inbound | 0.11× | 0.23× | 0.90× |');
    expect(text).toContain('| trellis-inbound | 4,500 (4,000–5,000) | 0.11× | 19.000 (18.000–20.000) | +17.000 | 220 (200–240) | 0 |');
    expect(rawSamples(h2Variants)).toContain('| trellis-inbound | h2 | 4,000 (mean 20.000, 240 µs CPU); 5,000 (mean 18.000, 200 µs CPU) |');
  });
});

describe('baselineTable', () => {
  const twin = variant(
    'trellis-outbound-baseline',
    'trellis',
    { 'h1-c1': [h1(10_000, 0.14, 0.5)], 'h1-c50': [h1(24_000, 1.2, 2.5)], h2: [h2(12_500, 4)] },
    { baselineOf: 'trellis-outbound', peakRssBytes: 48 * MB, fixedRatePeakRssBytes: 40 * MB, fixedRateSamples: [h2(5_000, 0.1)] },
  );
  const withTwin = [...variants, twin];

  it('puts each measure of the current build next to the baseline with current ÷ baseline', () => {
    const table = baselineTable(withTwin);
    expect(table.split('\n')[0]).toBe('| Variant | measure | current build | baseline | current ÷ baseline |');
    expect(table).toContain('| trellis-outbound | HTTP/1.1 c=50 req/s | 30,000 | 24,000 | 1.25× |');
    expect(table).toContain('| trellis-outbound | HTTP/1.1 c=1 req/s | 8,000 | 10,000 | 0.80× |');
    expect(table).toContain('| trellis-outbound | added p50 at c=1, ms | +0.060 | +0.040 | 1.50× |');
    expect(table).toContain('| trellis-outbound | added p99 at c=1, ms | +0.400 | +0.300 | 1.33× |');
    expect(table).toContain('| trellis-outbound | HTTP/2 req/s | 10,000 | 12,500 | 0.80× |');
    expect(table).not.toContain('HTTP/2 1×1 req/s');
    expect(table).toContain('| trellis-outbound | peak RSS MB at 5,000 req/s | 50.0 | 40.0 | 1.25× |');
    expect(table).toContain('| trellis-outbound | peak RSS MB after full-speed runs | 60.0 | 48.0 | 1.25× |');
  });

  it('is left out of the report when no baseline ran, and shown under its heading when one did', () => {
    expect(baselineTable(variants)).toBe('');
    expect(renderReport(meta, variants)).not.toContain('## Current build against the baseline bundle');
    expect(renderReport(meta, withTwin)).toContain('## Current build against the baseline bundle');
  });

  it('skips a pair whose baseline did not start', () => {
    expect(baselineTable([...variants, { ...twin, skipped: 'did not start' }])).toBe('');
  });
});

describe('rawSamples', () => {
  it('lists every round of every measured scenario', () => {
    const table = rawSamples(variants);
    expect(table).toContain('| direct | h1-c50 | 90,000 (p50 0.500 / p99 1.000); 100,000 (p50 0.500 / p99 1.000); 80,000 (p50 0.500 / p99 1.000) |');
    expect(table).toContain('| nginx | h2 | 25,000 (mean 3.000) |');
    expect(table).not.toContain('trellis-inbound');
  });
});

describe('timeInProxyTable', () => {
  const p = (p50: number, p99: number, p999: number) => ({ p50, p90: p50, p99, p999 });
  const timed = (clientP99: number, inP99: number, ownP99: number): Sample => ({
    ...h1(3_000, 0.25, clientP99),
    timeInProxy: [
      { process: 'trellis-outbound', requests: 15_000, inProxy: p(0.15, inP99, 2), upstream: p(0.09, inP99 - ownP99, 2), own: p(0.06, ownP99, 0.5) },
      { process: 'destination-less', requests: 0 },
    ],
  });
  const measured = [variant('trellis-outbound', 'trellis', { 'h1-c1': [timed(4, 0.4, 0.2), timed(3, 0.5, 0.1), timed(5, 0.6, 0.3)] })];

  it('puts the client p99 next to the medians and ranges the process timed, one row per timed process', () => {
    const table = timeInProxyTable(measured);
    expect(table.split('\n')[0]).toBe('| Variant | scenario | process | client p99 | in proxy p50 | in proxy p99 | backend wait p99 | own p50 | own p99 | own p99.9 |');
    expect(table).toContain('| trellis-outbound | h1-c1 | trellis-outbound | 4.000 (3.000–5.000) | 0.150 (0.150–0.150) | 0.500 (0.400–0.600) | 0.300 (0.200–0.400) | 0.060 (0.060–0.060) | 0.200 (0.100–0.300) | 0.500 (0.500–0.500) |');
    expect(table).not.toContain('destination-less');
  });

  it('is left out of the report when nothing was timed', () => {
    expect(timeInProxyTable(variants)).toBe('');
    expect(renderReport(meta, variants)).not.toContain('## Time in the proxy');
    expect(renderReport(meta, [...variants, ...measured])).toContain('## Time in the proxy (--time-in-proxy)');
  });
});
