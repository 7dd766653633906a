import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { BalancerKind } from '@trellis/balance';
import { table, svg } from './report';
import { allHealthy, slowEndpoint, stuckBackend } from './scenarios';
import { simulate, type SimResult } from './simulate';

const ALGORITHMS: readonly BalancerKind[] = ['peak-ewma', 'least-request', 'round-robin', 'random'];
const USAGE = 'usage: sim [--seed N] [--runs N] [--scale F] [--svg PATH]';

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a number > 0, got ${raw}\n${USAGE}`);
  return value;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      runs: { type: 'string' },
      scale: { type: 'string' },
      svg: { type: 'string' },
    },
  });
  const seed = Math.floor(positive('seed', values.seed, 1));
  const runs = Math.floor(positive('runs', values.runs, 3));
  const scale = positive('scale', values.scale, 1);
  const scenarios = [stuckBackend(scale), slowEndpoint(scale), allHealthy(scale)];
  const results: SimResult[] = [];
  for (const scenario of scenarios) {
    console.log(`${scenario.name}: ${scenario.description}`);
    for (const algorithm of ALGORITHMS) results.push(simulate(scenario, algorithm, seed, runs));
  }
  console.log(`\nseed ${seed}, ${runs} run(s) per cell, pooled\n`);
  console.log(table(results));

  const find = (scenario: string, algorithm: BalancerKind) => results.find((r) => r.scenario === scenario && r.algorithm === algorithm);
  const stuck = find('stuck-backend', 'peak-ewma');
  const slow = find('slow-endpoint', 'peak-ewma');
  const healthy = find('all-healthy', 'peak-ewma');
  if (stuck && slow && healthy) {
    console.log(`\npeak-ewma success, stuck backend: ${(stuck.successRate * 100).toFixed(3)} % (aim >= 99.9 %)`);
    console.log(`peak-ewma p99 slow endpoint / all healthy: ${(slow.p99 / healthy.p99).toFixed(2)}x (aim <= 1.5x)`);
  }
  if (values.svg !== undefined) {
    writeFileSync(values.svg, svg(results, 'Trellis balancers: client latency percentiles (simulated)'));
    console.log(`\nwrote ${values.svg}`);
  }
}

try {
  main();
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 2;
}
