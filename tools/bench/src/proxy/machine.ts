import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Machine } from './report';

export function cpuModelFrom(cpuinfo: string): string {
  const match = /^model name\s*:\s*(.+)$/m.exec(cpuinfo);
  return match?.[1]?.trim() ?? 'unknown CPU';
}

/** The first line of a tool's version output that carries a version number. */
export function versionFrom(output: string): string {
  const line = output.split('\n').find((l) => /\d+\.\d+/.test(l)) ?? 'unknown';
  const match = /(\d+\.\d+(?:\.\d+)?[^\s]*)/.exec(line);
  return match?.[1] ?? line.trim();
}

function toolVersion(executable: string, flag: string): string {
  const run = spawnSync(executable, [flag], { encoding: 'utf8', timeout: 5_000 });
  return versionFrom(`${run.stdout ?? ''}\n${run.stderr ?? ''}`);
}

export function describeMachine(tools: Readonly<Record<string, string>>): Machine {
  let cpuinfo = '';
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // Not Linux; the model stays unknown.
  }
  const flags: Record<string, string> = { nginx: '-v', haproxy: '-v', wrk: '-v', h2load: '--version' };
  const versions: Record<string, string> = {};
  for (const [tool, flag] of Object.entries(flags)) {
    const executable = tools[tool];
    if (executable) versions[tool] = toolVersion(executable, flag);
  }
  return { nproc: os.availableParallelism(), cpuModel: cpuModelFrom(cpuinfo), node: process.version, tools: versions };
}

/** The 1-minute load average from the text of /proc/loadavg. */
export function loadAverageFrom(loadavg: string): number | undefined {
  const first = Number(loadavg.trim().split(/\s+/)[0]);
  return loadavg.trim() === '' || !Number.isFinite(first) ? undefined : first;
}

export function loadAverage(): number | undefined {
  try {
    return loadAverageFrom(readFileSync('/proc/loadavg', 'utf8'));
  } catch {
    return undefined;
  }
}
