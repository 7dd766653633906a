import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_DURATION_S, DEFAULT_OUT, DEFAULT_RUNS, parseArgs, QUICK_DURATION_S, QUICK_RUNS, shellQuote, svgPathFor } from './args';

describe('parseArgs', () => {
  it('uses the defaults without flags, ignoring the -- nx passes through', () => {
    expect(parseArgs(['--'])).toMatchObject({ runs: DEFAULT_RUNS, durationSeconds: DEFAULT_DURATION_S, out: DEFAULT_OUT, only: [], build: true, notes: [], proxyNodeOptions: [] });
    expect(parseArgs(['--']).baselineProxy).toBeUndefined();
  });

  it('makes --quick short unless --runs or --duration say otherwise', () => {
    expect(parseArgs(['--quick'])).toMatchObject({ runs: QUICK_RUNS, durationSeconds: QUICK_DURATION_S });
    expect(parseArgs(['--quick', '--runs', '2', '--duration', '5'])).toMatchObject({ runs: 2, durationSeconds: 5 });
  });

  it('reads --out, --only, --no-build and repeated --note', () => {
    const args = parseArgs(['--out', 'x/y.md', '--only', 'nginx, haproxy', '--no-build', '--note', 'a', '--note', 'b']);
    expect(args).toMatchObject({ out: 'x/y.md', only: ['nginx', 'haproxy'], build: false, notes: ['a', 'b'] });
  });

  it('measures every scenario by default and the named ones, in measurement order, with --scenarios', () => {
    expect(parseArgs([]).scenarios).toEqual(['h1-c1', 'h1-c50', 'h2-c1', 'h2']);
    expect(parseArgs(['--scenarios', 'h2, h2-c1']).scenarios).toEqual(['h2-c1', 'h2']);
  });

  it('times requests inside the proxies only with --time-in-proxy', () => {
    expect(parseArgs([]).timeInProxy).toBe(false);
    expect(parseArgs(['--time-in-proxy', '--quick']).timeInProxy).toBe(true);
  });

  it('collects repeated --proxy-node-option values in order', () => {
    expect(parseArgs(['--proxy-node-option', '--optimize-for-size', '--proxy-node-option', '--max-semi-space-size=1']).proxyNodeOptions).toEqual([
      '--optimize-for-size',
      '--max-semi-space-size=1',
    ]);
  });

  describe('--baseline-proxy', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'proxy-bench-args-'));
    const bundle = path.join(dir, 'main.js');
    writeFileSync(bundle, '');
    mkdirSync(path.join(dir, 'dir.js'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('takes an existing bundle and keeps its absolute path', () => {
      expect(parseArgs(['--baseline-proxy', bundle]).baselineProxy).toBe(bundle);
      const relative = path.relative(process.cwd(), bundle);
      expect(parseArgs(['--baseline-proxy', relative]).baselineProxy).toBe(bundle);
    });

    it.each([
      ['no path', [], /needs the path of a proxy bundle ending in \.js, got ""/],
      ['a path that is not a .js bundle', [path.join(dir, 'main.ts')], /ending in \.js, got ".*main\.ts"/],
      ['a missing file', [path.join(dir, 'missing.js')], /cannot read .*missing\.js \(ENOENT\)/],
      ['a directory', [path.join(dir, 'dir.js')], /dir\.js is not a file/],
    ])('rejects %s with BENCH_ARGS and says why', (_, rest, message) => {
      expect(() => parseArgs(['--baseline-proxy', ...rest])).toThrow(expect.objectContaining({ code: 'BENCH_ARGS', message: expect.stringMatching(message) }));
    });
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
    [['--scenarios']],
    [['--scenarios', 'h2,h3']],
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
