import { describe, expect, it } from 'vitest';
import { DEFAULT_DURATION_S, DEFAULT_OUT, DEFAULT_RUNS, parseArgs, QUICK_DURATION_S, QUICK_RUNS, shellQuote, svgPathFor } from './args';

describe('parseArgs', () => {
  it('uses the defaults without flags, ignoring the -- nx passes through', () => {
    expect(parseArgs(['--'])).toMatchObject({ runs: DEFAULT_RUNS, durationSeconds: DEFAULT_DURATION_S, out: DEFAULT_OUT, only: [], build: true, notes: [], proxyNodeOptions: [] });
  });

  it('makes --quick short unless --runs or --duration say otherwise', () => {
    expect(parseArgs(['--quick'])).toMatchObject({ runs: QUICK_RUNS, durationSeconds: QUICK_DURATION_S });
    expect(parseArgs(['--quick', '--runs', '2', '--duration', '5'])).toMatchObject({ runs: 2, durationSeconds: 5 });
  });

  it('reads --out, --only, --no-build and repeated --note', () => {
    const args = parseArgs(['--out', 'x/y.md', '--only', 'nginx, haproxy', '--no-build', '--note', 'a', '--note', 'b']);
    expect(args).toMatchObject({ out: 'x/y.md', only: ['nginx', 'haproxy'], build: false, notes: ['a', 'b'] });
  });

  it('collects repeated --proxy-node-option values in order', () => {
    expect(parseArgs(['--proxy-node-option', '--optimize-for-size', '--proxy-node-option', '--max-semi-space-size=1']).proxyNodeOptions).toEqual([
      '--optimize-for-size',
      '--max-semi-space-size=1',
    ]);
  });

  it.each([
    [['--proxy-node-option']],
    [['--proxy-node-option', 'optimize-for-size']],
    [['--runs', '0']],
    [['--runs', '21']],
    [['--duration', 'ten']],
    [['--duration']],
    [['--out', 'report.txt']],
    [['--only']],
    [['--fast']],
  ])('rejects %j with BENCH_ARGS', (argv) => {
    expect(() => parseArgs(argv)).toThrow(expect.objectContaining({ code: 'BENCH_ARGS' }));
  });
});

describe('svgPathFor', () => {
  it('puts the chart next to the report', () => {
    expect(svgPathFor('docs/benchmarks/proxy.md')).toBe('docs/benchmarks/proxy.svg');
  });
});

describe('shellQuote', () => {
  it('leaves plain words alone and single-quotes the rest', () => {
    expect(shellQuote('--runs')).toBe('--runs');
    expect(shellQuote('docs/benchmarks/proxy.md')).toBe('docs/benchmarks/proxy.md');
    expect(shellQuote('two words')).toBe("'two words'");
    expect(shellQuote("proxy's CPU")).toBe(`'proxy'\\''s CPU'`);
  });
});
