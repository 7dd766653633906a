import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processAlive } from '@trellis/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { cpuTimeMs, freePort, killAllSync, parseCpuTicks, parseVmHwmBytes, peakRssBytes, PROXY_CPU, removeOnExit, startProcess, stopProcess, waitForPort } from './processes';

const LISTENER = "require('node:net').createServer(() => undefined).listen(Number(process.argv[1]), '127.0.0.1')";

describe('parseVmHwmBytes', () => {
  it('reads the peak resident set in bytes', () => {
    expect(parseVmHwmBytes('Name:\tnode\nVmPeak:\t  999 kB\nVmHWM:\t   51200 kB\nVmRSS:\t 40000 kB\n')).toBe(51200 * 1024);
    expect(parseVmHwmBytes('Name:\tkthread\n')).toBeUndefined();
  });
});

describe('parseCpuTicks', () => {
  it('adds utime and stime, past a command name with spaces and parentheses', () => {
    const stat = '4242 (node (worker) 1) S 1 4242 4242 0 -1 4194560 900 0 0 0 1234 56 0 0 20 0 11 0 100 1000 200';
    expect(parseCpuTicks(stat)).toBe(1234 + 56);
    expect(parseCpuTicks('4242 (short) S 1')).toBeUndefined();
  });

  it('reads the CPU time this process has used, and 0 for a process that is gone', () => {
    const end = Date.now() + 50;
    while (Date.now() < end);
    expect(cpuTimeMs(process.pid)).toBeGreaterThan(0);
    expect(cpuTimeMs(2 ** 22 + 1)).toBe(0);
  });
});

describe('child processes', () => {
  afterEach(() => killAllSync());

  it('starts a pinned child, waits for its port, reads its peak RSS and stops its whole group', async () => {
    const port = await freePort();
    const child = startProcess('listener', PROXY_CPU, process.execPath, ['-e', LISTENER, String(port)]);
    await waitForPort(child, port);
    expect(peakRssBytes(child.pid)).toBeGreaterThan(1024 * 1024);
    await stopProcess(child);
    expect(child.exited).toBe(true);
    expect(processAlive(child.pid)).toBe(false);
  });

  it('reports the output of a child that exits before listening', async () => {
    const port = await freePort();
    const child = startProcess('crasher', PROXY_CPU, process.execPath, ['-e', "console.error('boom at start'); process.exit(3)"]);
    await expect(waitForPort(child, port)).rejects.toThrow(/crasher exited before listening.*boom at start/);
  });
});

describe('removeOnExit', () => {
  it('removes the registered scratch directory when everything is killed', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'proxy-bench-scratch-'));
    removeOnExit(dir);
    killAllSync();
    expect(existsSync(dir)).toBe(false);
  });
});
