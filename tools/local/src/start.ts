// `npm start`: the whole Trellis mesh on this machine (see docs/local-mode.md and `npm start -- --help`).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalError } from './errors';
import { DEMO_LOAD } from './start/demo-load';
import type { LocalMesh } from './start/local-mesh';
import { startLocalMesh } from './start/local-mesh';
import { parsePrometheusText } from '@trellis/viz';
import type { TrafficCounters, TrafficRates } from './start/service-traffic';
import { TRAFFIC_METRICS, countTraffic, trafficRates } from './start/service-traffic';
import type { StartOptions } from './start/start-options';
import { START_USAGE, parseStartArgs } from './start/start-options';
import { statusLines } from './start/status-lines';

// How often `npm start` checks that the process that launched it (npm, nx, a shell) is still there.
const PARENT_CHECK_INTERVAL_MS = 1_000;
// A metrics scrape that takes longer than this is skipped for one status round.
const SCRAPE_TIMEOUT_MS = 1_000;
// This file is dist/tools/local/start.js: the repository root is three folders up.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

async function scrape(port: number): Promise<Map<string, TrafficCounters> | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
    if (!res.ok) return undefined;
    return countTraffic(parsePrometheusText(await res.text(), TRAFFIC_METRICS));
  } catch {
    return undefined;
  }
}

function tryLines(options: StartOptions, mesh: LocalMesh): string[] {
  const proxy = `http://127.0.0.1:${options.outboundPort}`;
  // The examples' HTTP service when it is there, else any Service of the folder.
  const services = mesh.runner.serviceNames();
  const pick = services.includes('demo/hello') ? 'demo/hello' : (mesh.runner.serviceStatus()[0]?.service ?? services[0] ?? 'default/my-service');
  const [namespace, name] = pick.split('/');
  const http = `${name}.${namespace}.svc.cluster.local`;
  const load = `npm run load -- 'http://${http}${DEMO_LOAD.path}' --proxy ${proxy} --rps ${DEMO_LOAD.rps} --duration ${DEMO_LOAD.durationS}`;
  return [
    '',
    `Trellis local mesh is up. Manifests: ${mesh.manifestDir}  Logs: ${mesh.logDir}`,
    `Dashboard: http://127.0.0.1:${options.destinationAdminPort}/dashboard/   (served by the destination's admin port)`,
    'Try:',
    `  curl -x ${proxy} http://${http}/hello`,
    `  curl -x ${proxy} 'http://${http}/fail?rate=0.3'     # failures the proxy retries`,
    options.autoscaler
      ? `  ${load}   # ~22 requests in flight at hello-v1 (target 10 per replica): the autoscaler adds replicas`
      : `  ${load}   # the autoscaler is off (--no-autoscaler): replicas stay as written`,
    options.autoscaler
      ? `  edit spec.replicas in ${mesh.manifestDir} to scale by hand: start with --no-autoscaler, or the autoscaler puts its own count back`
      : `  edit spec.replicas in ${mesh.manifestDir} to scale by hand`,
    `  npx trellis stat --dir ${mesh.manifestDir}    # golden metrics per Deployment`,
    'Ctrl-C stops everything.',
    '',
  ];
}

/**
 * Prints messages and the status block. On a terminal the block is redrawn in place (unless a message was
 * printed since); otherwise it is printed again only when it changed, so logs stay readable.
 */
function statusBoard() {
  let drawn = 0;
  let last = '';
  return {
    print(line: string) {
      console.log(line);
      drawn = 0;
    },
    show(lines: string[]) {
      const text = lines.join('\n');
      if (process.stdout.isTTY) {
        if (drawn > 0) process.stdout.write(`\x1b[${drawn}A\x1b[J`);
        console.log(`status ${new Date().toISOString().slice(11, 19)}\n${text}`);
        drawn = lines.length + 1;
      } else if (text !== last) {
        console.log(`status ${new Date().toISOString().slice(11, 19)}\n${text}`);
      }
      last = text;
    },
  };
}

async function main(): Promise<void> {
  let options: StartOptions | 'help';
  try {
    options = parseStartArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof LocalError)) throw err;
    console.error(`start: ${err.message}\n\n${START_USAGE}`);
    process.exit(2);
  }
  if (options === 'help') {
    console.log(START_USAGE);
    return;
  }
  const opts = options;
  const board = statusBoard();
  // Signals are handled from the first moment: a Ctrl-C while starting stops what has started so far.
  const abort = new AbortController();
  let onSignal: (signal: string) => void = () => abort.abort();
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  // When npm or nx is killed without passing the signal on, this process is re-parented: stop rather than leave
  // the mesh running with nobody to stop it. Likewise when the output pipe closes.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) onSignal('the launching process exited');
  }, PARENT_CHECK_INTERVAL_MS).unref();
  process.stdout.on('error', () => onSignal('output closed'));
  let mesh: LocalMesh;
  try {
    mesh = await startLocalMesh(opts, { root: ROOT, print: (line) => board.print(line), signal: abort.signal });
  } catch (err) {
    const aborted = err instanceof LocalError && err.code === 'LOCAL_ABORTED';
    console.error(aborted ? 'trellis: stopped while starting' : `start: ${(err as Error).message}`);
    process.exit(aborted ? 0 : 1);
  }
  for (const line of tryLines(opts, mesh)) board.print(line);
  board.print(`trellis: local mesh ready (pids ${mesh.pids().join(' ')})`);

  let previous: Map<string, TrafficCounters> | undefined;
  let previousAt = performance.now();
  const status = async () => {
    const now = await scrape(opts.metricsPort);
    const at = performance.now();
    const rates = new Map<string, TrafficRates>();
    for (const [service, counters] of now ?? []) rates.set(service, trafficRates(previous?.get(service), counters, (at - previousAt) / 1000));
    if (now) previous = now;
    previousAt = at;
    board.show(statusLines(mesh.runner.serviceStatus(), rates));
  };
  const ticker = opts.statusIntervalS > 0 ? setInterval(() => void status(), opts.statusIntervalS * 1000) : undefined;

  let stopping = false;
  const shutdown = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    if (ticker) clearInterval(ticker);
    board.print(`trellis: stopping (${why})`);
    await mesh.stop(code !== 0);
    console.log(code === 0 ? 'trellis: stopped' : `trellis: stopped; logs kept in ${mesh.logDir}`);
    process.exit(code);
  };
  onSignal = (signal) => void shutdown(signal, 0);
  void mesh.failure.then((reason) => shutdown(reason, 1));

}

void main();
