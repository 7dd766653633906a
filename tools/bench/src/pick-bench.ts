// pick() micro-benchmark: ns per pick for every balancer at 10, 100 and 10,000 endpoints,
// and the time to publish a picker (update) for each. Usage: pick-bench [--iterations N]
import os from 'node:os';
import { parseArgs } from 'node:util';
import { BALANCER_KINDS, createBalancer, type Balancer, type BalancerKind } from '@trellis/balance';

const SIZES = [10, 100, 10_000];
const REPEATS = 5;
const KEYS = Array.from({ length: 4096 }, (_, i) => `/api/users/${i * 7919}`);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

function build(kind: BalancerKind, size: number, weighted: boolean): { balancer: Balancer<number>; updateMs: number } {
  const balancer = createBalancer<number>(kind, { clock: { now: () => performance.now() }, random: Math.random });
  const endpoints = Array.from({ length: size }, (_, i) => ({ id: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:8080`, weight: weighted ? 1 + (i % 4) : 1, value: i }));
  const start = process.hrtime.bigint();
  balancer.update({ type: 'reset', endpoints });
  const updateMs = Number(process.hrtime.bigint() - start) / 1e6;
  // Give peak-ewma and least-request some load to compare.
  for (let i = 0; i < size; i += 3) {
    const h = balancer.start(endpoints[i]!.id);
    if (i % 2 === 0) h.firstByte();
  }
  return { balancer, updateMs };
}

interface Timing {
  wallNs: number;
  cpuNs: number;
  checksum: number;
}

/**
 * ns per pick: `iterations` picks timed as one block, median of REPEATS blocks after a warm-up
 * block. Wall time from process.hrtime.bigint(); CPU time of this process from
 * process.cpuUsage(), which is the steadier figure on a machine shared with other work.
 */
function measure(balancer: Balancer<number>, iterations: number): Timing {
  let checksum = 0;
  const block = () => {
    const picker = balancer.picker;
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) {
      const r = picker.pick(KEYS[i & 4095]);
      if (r.kind === 'picked') checksum += r.endpoint.value;
    }
    const wallNs = Number(process.hrtime.bigint() - start) / iterations;
    const used = process.cpuUsage(cpu);
    return { wallNs, cpuNs: ((used.user + used.system) * 1000) / iterations };
  };
  block();
  const samples = Array.from({ length: REPEATS }, block);
  return { wallNs: median(samples.map((s) => s.wallNs)), cpuNs: median(samples.map((s) => s.cpuNs)), checksum };
}

function main(): void {
  let values: { iterations?: string };
  try {
    values = parseArgs({ options: { iterations: { type: 'string' } } }).values;
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\nusage: pick-bench [--iterations N]`);
    process.exitCode = 2;
    return;
  }
  const iterations = Number(values.iterations ?? 500_000);
  if (!Number.isInteger(iterations) || iterations <= 0 || iterations > 100_000_000) {
    console.error(`--iterations must be an integer within 1..100000000, got ${values.iterations}`);
    process.exitCode = 2;
    return;
  }
  console.log(`node ${process.version}, ${iterations} picks per block, median of ${REPEATS} blocks after one warm-up block`);
  console.log(`load average at start: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.availableParallelism()} CPUs`);
  console.log('hash balancers pick with a key from a cycle of 4,096; weighted = weights 1..4\n');
  const header = [
    'algorithm',
    'weights',
    ...SIZES.map((s) => `cpu ns @${s}`),
    ...SIZES.map((s) => `wall ns @${s}`),
    ...SIZES.map((s) => `update ms @${s}`),
  ];
  const rows: string[][] = [];
  let checksum = 0;
  for (const kind of BALANCER_KINDS) {
    for (const weighted of [false, true]) {
      const cpu: string[] = [];
      const wall: string[] = [];
      const update: string[] = [];
      for (const size of SIZES) {
        const { balancer, updateMs } = build(kind, size, weighted);
        const m = measure(balancer, iterations);
        checksum += m.checksum;
        cpu.push(m.cpuNs.toFixed(0));
        wall.push(m.wallNs.toFixed(0));
        update.push(updateMs.toFixed(2));
        balancer.close();
      }
      rows.push([kind, weighted ? 'weighted' : 'equal', ...cpu, ...wall, ...update]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i >= 2 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`);
  rows.forEach((r) => console.log(line(r)));
  console.log(`\n(checksum ${checksum})`);
}

main();
