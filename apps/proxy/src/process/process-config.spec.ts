import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/errors';
import { loadProcessConfig, PROCESS_ENV } from './process-config';

describe('loadProcessConfig', () => {
  it('defaults to one process, heap thresholds on and event-loop delay thresholds off', () => {
    expect(loadProcessConfig({})).toEqual({
      workers: undefined,
      overload: { intervalMs: 1_000, stopAccepting: { heapRatio: 0.9, loopDelayMs: 0 }, shed: { heapRatio: 0.95, loopDelayMs: 0 } },
    });
  });

  it('reads a worker count, or auto as the available cores', () => {
    expect(loadProcessConfig({ TRELLIS_PROXY_WORKERS: '2' }).workers).toBe(2);
    expect(loadProcessConfig({ TRELLIS_PROXY_WORKERS: 'auto' }).workers).toBe(Math.min(availableParallelism(), 64));
  });

  it.each([
    [{ TRELLIS_PROXY_WORKERS: '0' }, 'TRELLIS_PROXY_WORKERS: "0" is not an integer between 1 and 64'],
    [{ TRELLIS_PROXY_WORKERS: 'many' }, 'TRELLIS_PROXY_WORKERS: "many" is not an integer between 1 and 64'],
    [{ TRELLIS_OVERLOAD_SHED_HEAP: '1.5' }, 'TRELLIS_OVERLOAD_SHED_HEAP: "1.5" is not a number between 0 and 1'],
    [{ TRELLIS_OVERLOAD_SHED_HEAP: '0' }, 'TRELLIS_OVERLOAD_SHED_HEAP: a heap ratio of 0 would shed everything; use a value above 0'],
    [{ TRELLIS_OVERLOAD_INTERVAL_MS: '5' }, 'TRELLIS_OVERLOAD_INTERVAL_MS: "5" is not an integer between 20 and 60000'],
  ])('refuses %j with one message naming the variable', (env, message) => {
    expect(() => loadProcessConfig(env)).toThrow(ConfigError);
    expect(() => loadProcessConfig(env)).toThrow(message);
  });

  it('docs/proxy-process.md lists every variable', () => {
    const page = readFileSync(new URL('../../../../docs/proxy-process.md', import.meta.url), 'utf8');
    for (const v of PROCESS_ENV) expect(page).toContain(`| \`${v.name}\` |`);
  });
});
