import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { getThrough } from '@trellis/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BenchError } from './errors';
import { freePort, killAllSync, PROXY_CPU, startProcess, waitForPort } from './processes';
import { closeWindow, parseTimeInProxy, timedLaunch, TIME_IN_PROXY_DIR_ENV } from './time-in-proxy-window';

const PRELOAD = path.join(import.meta.dirname, 'children', 'time-in-proxy-preload.ts');
const REQUESTS = 5;

// A stand-in proxy: a node:http server answering every request itself, so only the accepted side is timed.
const SERVER = `require('node:http').createServer((q, r) => r.end('ok')).listen(Number(process.argv[1]), '127.0.0.1')`;


describe('parseTimeInProxy', () => {
  it('keeps a summary and names the process', () => {
    const p = { p50: 0.1, p90: 0.2, p99: 0.3, p999: 0.4 };
    expect(parseTimeInProxy('proxy', JSON.stringify({ requests: 3, inProxy: p }))).toEqual({ process: 'proxy', requests: 3, inProxy: p });
  });

  it('refuses a file that is not a summary, with the process in the message', () => {
    expect(() => parseTimeInProxy('proxy', '{')).toThrow(BenchError);
    expect(() => parseTimeInProxy('proxy', JSON.stringify({ requests: 'many' }))).toThrow(/proxy: the time-in-proxy file does not hold a summary/);
    expect(() => parseTimeInProxy('proxy', JSON.stringify({ requests: 1, own: { p50: 1 } }))).toThrow(BenchError);
  });
});

describe('closeWindow', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'time-in-proxy-'));
  afterEach(() => killAllSync());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads what a process with the preload timed since the last window, and starts a new one', async () => {
    const port = await freePort();
    const launch = timedLaunch({ preload: PRELOAD, dir });
    expect(launch.env).toEqual({ [TIME_IN_PROXY_DIR_ENV]: dir });
    const managed = startProcess('timed', PROXY_CPU, process.execPath, ['--import', 'tsx', ...launch.nodeOptions, '-e', SERVER, String(port)], {
      env: { ...process.env, ...launch.env },
    });
    await waitForPort(managed, port);
    await closeWindow([managed], dir);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < REQUESTS; i++) await getThrough(port, agent);
    agent.destroy();
    const [window] = await closeWindow([managed], dir);
    expect(window?.process).toBe('timed');
    expect(window?.requests).toBe(REQUESTS);
    expect(window?.inProxy?.p99).toBeGreaterThan(0);
    const [next] = await closeWindow([managed], dir);
    expect(next?.requests).toBe(0);
  });
});
