import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@trellis/testing';
import type { ProxyAgent } from 'undici';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_FILES } from './local-mesh';
import { CHILD_GRACE_MS, E2eMesh, START_TIMEOUT_MS, STOP_TIMEOUT_MS } from './testing/e2e-mesh';

// Issue 12 end to end: replicas come and go under a steady load through the outbound proxy, and nobody notices.
// The built destination (on a manifest folder of its own), the local runner and the outbound proxy run as real
// processes; the autoscaler is not started, so spec.replicas is the test's alone. Every address is on
// 127.74.0.0/24, which no other test uses: the control plane on .1, replicas from .2. As in `npm start`, the logs
// are outside the manifest folder: a log line there would make the destination rescan the folder, and so pick up a
// slice change sooner than it otherwise would.
const HOST = '127.74.0.1';
const ADDRESSES = '127.74.0.2-127.74.0.40';
const PORTS = { destination: 8086, destinationAdmin: 9996, outbound: 4140 };
const NAMESPACE = 'drain';
const SERVICE = 'web';
const AUTHORITY = `${SERVICE}.${NAMESPACE}.svc.cluster.local`;
// The load: an open loop at RATE_PER_S, at most MAX_IN_FLIGHT outstanding (beyond that a tick sends nothing and
// counts it as shed), and never more than MAX_LOAD_MS or MAX_REQUESTS in all.
const RATE_PER_S = 300;
const TICK_MS = 10;
const MAX_IN_FLIGHT = 64;
const MAX_LOAD_MS = 30_000;
const MAX_REQUESTS = RATE_PER_S * (MAX_LOAD_MS / 1_000);
const REQUEST_TIMEOUT_MS = 10_000;
// Each request takes this long at the app, so about RATE_PER_S × 25 ms ≈ 8 are in flight at any time: a scale-down
// has requests to finish, and a SIGKILL has some to break.
const LOAD_PATH = '/slow?ms=25';
// Load runs this long before the first change and after the last one, so each change happens under load and
// the mesh is seen serving afterwards.
const STEADY_MS = 2_000;
// After a change has taken effect (processes started or gone), traffic flows this long before the next one.
const SETTLE_MS = 2_500;
const STEP_TIMEOUT_MS = 20_000;
const SCALE_STEPS = [2, 1, 2, 3];

const manifest = (replicas: number) => `
apiVersion: v1
kind: Service
metadata: {name: ${SERVICE}, namespace: ${NAMESPACE}}
spec:
  selector: {app: ${SERVICE}}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${SERVICE}
  namespace: ${NAMESPACE}
  annotations:
    local.trellis.io/command: node ${BUILT_FILES.demo}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${SERVICE}}}
  template:
    metadata: {labels: {app: ${SERVICE}}}
    spec:
      containers:
        - {name: app, image: trellis/demo}
        - {name: trellis-proxy, image: trellis/proxy}
`;

/** One request of the load, as the client saw it; times are performance.now() in ms. */
interface Outcome {
  startMs: number;
  endMs: number;
  status: number | undefined;
  /** The l5d-proxy-error header, when a proxy produced the answer. */
  proxyError: string | undefined;
  replica: string | undefined;
  /** The client error code (UND_ERR_SOCKET, ...), when there was no answer. */
  error: string | undefined;
}

const failed = (o: Outcome) => o.status !== 200 || o.proxyError !== undefined || o.error !== undefined;

function describeOutcome(o: Outcome, originMs: number): string {
  const what = o.error ?? `${o.status} ${o.proxyError ?? ''}`.trim();
  return `${what} (sent at +${Math.round(o.startMs - originMs)} ms, answered after ${Math.round(o.endMs - o.startMs)} ms)`;
}

/** Open-loop load through the outbound proxy, bounded in rate, concurrency, count and time. */
class Load {
  readonly outcomes: Outcome[] = [];
  readonly startedMs = performance.now();
  inFlight = 0;
  shed = 0;
  /** Set when MAX_LOAD_MS ended the load before the test did: the last changes then happened without load. */
  cutShort = false;
  private issued = 0;
  private stopped = false;
  private readonly pending = new Set<Promise<void>>();
  private readonly timer: NodeJS.Timeout;
  private readonly deadline: NodeJS.Timeout;

  constructor(private readonly agent: ProxyAgent) {
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.deadline = setTimeout(() => {
      this.cutShort = true;
      this.stop();
    }, MAX_LOAD_MS);
  }

  /** Stops sending and resolves once every request in flight has its outcome. */
  async finish(): Promise<Outcome[]> {
    this.stop();
    await Promise.all([...this.pending]);
    return this.outcomes;
  }

  private stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.deadline);
  }

  private tick(): void {
    const due = Math.min(MAX_REQUESTS, Math.floor(((performance.now() - this.startedMs) * RATE_PER_S) / 1_000));
    while (!this.stopped && this.issued < due) {
      this.issued += 1;
      if (this.inFlight >= MAX_IN_FLIGHT) {
        this.shed += 1;
        continue;
      }
      const sent = this.send();
      this.pending.add(sent);
      void sent.then(() => this.pending.delete(sent));
    }
  }

  private async send(): Promise<void> {
    this.inFlight += 1;
    const startMs = performance.now();
    const outcome: Outcome = { startMs, endMs: startMs, status: undefined, proxyError: undefined, replica: undefined, error: undefined };
    try {
      const res = await request(`http://${AUTHORITY}${LOAD_PATH}`, {
        dispatcher: this.agent,
        headersTimeout: REQUEST_TIMEOUT_MS,
        bodyTimeout: REQUEST_TIMEOUT_MS,
      });
      outcome.status = res.statusCode;
      const proxyError = res.headers['l5d-proxy-error'];
      const replica = res.headers['x-trellis-replica'];
      outcome.proxyError = typeof proxyError === 'string' ? proxyError : undefined;
      outcome.replica = typeof replica === 'string' ? replica : undefined;
      await res.body.dump();
    } catch (err) {
      outcome.error = (err as { code?: string }).code ?? (err as Error).message;
    } finally {
      outcome.endMs = performance.now();
      this.inFlight -= 1;
      this.outcomes.push(outcome);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('replicas removed and added under load, end to end', () => {
  const mesh = new E2eMesh({ name: 'scale-e2e', host: HOST, ports: PORTS, addressRange: ADDRESSES, agentConnections: MAX_IN_FLIGHT });
  const agent = mesh.agent;

  const status = () => mesh.runner?.status().find((s) => s.workload === `${NAMESPACE}/${SERVICE}`);
  const replicas = () => mesh.runner?.replicaInfo().filter((r) => r.workload === `${NAMESPACE}/${SERVICE}`) ?? [];
  /** True once exactly n replicas run, all ready, and every retired one has exited. */
  const settledAt = (n: number) => {
    const s = status();
    return s?.desired === n && s.ready === n && s.running === n && replicas().length === n;
  };
  const manifests = () => join(mesh.dir.path, 'manifests');
  // Written aside and renamed into place, as editors and the autoscaler do, so no half-written file is ever read.
  const scaleTo = (n: number) => {
    writeFileSync(join(manifests(), '.apps.yaml.tmp'), manifest(n));
    renameSync(join(manifests(), '.apps.yaml.tmp'), join(manifests(), 'apps.yaml'));
  };

  beforeAll(async () => {
    await mesh.open();
    await mesh.dir.write('manifests/apps.yaml', manifest(3));
    await mesh.startDestination(manifests());
    await mesh.startRunner(manifests(), { TRELLIS_DESTINATION_ADDR: mesh.destinationAddr });
    await mesh.startOutboundProxy({ TRELLIS_DESTINATION_ADDR: mesh.destinationAddr });
    await waitFor(() => settledAt(3), { what: 'three ready replicas', timeoutMs: START_TIMEOUT_MS, intervalMs: 100 });
    // The outbound proxy has learnt all three once each has answered through it.
    const seen = new Set<string>();
    await waitFor(
      async () => {
        const res = await request(`http://${AUTHORITY}/hello`, { dispatcher: agent, headersTimeout: REQUEST_TIMEOUT_MS });
        const replica = res.headers['x-trellis-replica'];
        if (res.statusCode === 200 && typeof replica === 'string') seen.add(replica);
        await res.body.dump();
        return seen.size === 3;
      },
      { what: 'answers from three replicas', timeoutMs: START_TIMEOUT_MS, intervalMs: 10 },
    );
  }, 3 * START_TIMEOUT_MS);

  afterAll(() => mesh.close(), STOP_TIMEOUT_MS + CHILD_GRACE_MS);

  it('loses no request at 300 req/s while spec.replicas goes 3 → 2 → 1 → 2 → 3', async () => {
    const initial = replicas().map((r) => r.podName);
    const load = new Load(agent);
    const steps: string[] = [];
    try {
      await sleep(STEADY_MS);
      for (const n of SCALE_STEPS) {
        steps.push(`${n} at +${Math.round(performance.now() - load.startedMs)} ms`);
        scaleTo(n);
        await waitFor(() => settledAt(n), { what: `${n} replicas`, timeoutMs: STEP_TIMEOUT_MS, intervalMs: 50 });
        await sleep(SETTLE_MS);
      }
    } finally {
      await load.finish();
    }
    const added = replicas().map((r) => r.podName).filter((name) => !initial.includes(name));
    const failures = load.outcomes.filter(failed).map((o) => describeOutcome(o, load.startedMs));
    const served = new Set(load.outcomes.map((o) => o.replica));

    expect(load.cutShort, `the load stopped at its ${MAX_LOAD_MS} ms bound before the last step`).toBe(false);
    expect({ failures, steps }).toEqual({ failures: [], steps });
    expect(added).toHaveLength(2);
    for (const name of [...initial, ...added]) expect(served, `${name} served traffic`).toContain(name);
  }, STEP_TIMEOUT_MS * SCALE_STEPS.length + 60_000);

  it('fails only requests already sent when a replica proxy is SIGKILLed at 300 req/s, then recovers', async () => {
    await waitFor(() => settledAt(3), { what: 'three ready replicas', timeoutMs: STEP_TIMEOUT_MS, intervalMs: 50 });
    const victim = replicas()[0];
    const proxyPid = victim?.pids[1];
    if (victim === undefined || proxyPid === undefined) throw new Error('no replica proxy to kill');
    const restartsBefore = status()?.restarts ?? 0;
    const load = new Load(agent);
    let killMs = 0;
    let inFlightAtKill = 0;
    let recoveredMs = 0;
    try {
      await sleep(STEADY_MS);
      killMs = performance.now();
      inFlightAtKill = load.inFlight;
      process.kill(proxyPid, 'SIGKILL');
      await waitFor(() => (status()?.restarts ?? 0) > restartsBefore && settledAt(3), {
        what: `${victim.podName} restarted and ready`,
        timeoutMs: STEP_TIMEOUT_MS,
        intervalMs: 50,
      });
      recoveredMs = performance.now();
      await sleep(SETTLE_MS);
    } finally {
      await load.finish();
    }
    const failures = load.outcomes.filter(failed);
    const show = (list: Outcome[]) => list.map((o) => describeOutcome(o, load.startedMs));
    const afterRecovery = load.outcomes.filter((o) => o.startMs >= recoveredMs);
    const killedAt = Math.round(killMs - load.startedMs);
    expect(load.cutShort, `the load stopped at its ${MAX_LOAD_MS} ms bound before the replica was back`).toBe(false);

    // Only requests already on their way can fail: at most those in flight at the kill (some went elsewhere).
    expect(failures.length, `killed at +${killedAt} ms with ${inFlightAtKill} in flight:\n${show(failures).join('\n')}`).toBeLessThanOrEqual(inFlightAtKill);
    expect(show(afterRecovery.filter(failed))).toEqual([]);
    expect(new Set(afterRecovery.map((o) => o.replica))).toContain(victim.podName);
  }, STEP_TIMEOUT_MS + 60_000);
});
