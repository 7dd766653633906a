import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './command-line';

describe('parseCommandLine', () => {
  const rows: [string[], unknown][] = [
    [[], { kind: 'serve' }],
    [['--help'], { kind: 'help' }],
    [['--probe-period', '10s'], { kind: 'probe-ready', periodMs: 10_000 }],
    [['-probe-period', '500ms'], { kind: 'probe-ready', periodMs: 500 }],
    [['-probe-period=1m'], { kind: 'probe-ready', periodMs: 60_000 }],
    [['--probe-file', '/tmp/alive'], { kind: 'probe-file', path: '/tmp/alive', maxAgeMs: 30_000 }],
    [['--probe-file', '/tmp/alive', '-max-age', '2m'], { kind: 'probe-file', path: '/tmp/alive', maxAgeMs: 120_000 }],
    [['--port', '8080'], { kind: 'error', message: 'unexpected argument --port (the proxy is configured by environment; see --help)' }],
    [['--probe-period', 'ten'], { kind: 'error', message: '--probe-period: "ten" is not a duration (e.g. 10s, 500ms, 1m)' }],
    [['--probe-period', '0s'], { kind: 'error', message: '--probe-period: 0s is out of range (above 0, at most 1h)' }],
    [['--probe-period'], { kind: 'error', message: '--probe-period needs a value (see --help)' }],
    [['--max-age', '5s'], { kind: 'error', message: '--max-age needs --probe-file (see --help)' }],
    [['--probe-period', '1s', '--probe-file', 'x'], { kind: 'error', message: '--probe-period cannot be combined with --probe-file or --max-age' }],
    [['--probe-period', '1s', '--probe-period', '2s'], { kind: 'error', message: '--probe-period is given twice' }],
  ];
  it.each(rows)('%j', (args, expected) => {
    expect(parseCommandLine(args)).toEqual(expected);
  });
});
