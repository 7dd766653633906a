import { createBalancer, ManualClock, seededRandom, type BalancerKind, type RequestHandle } from '@trellis/balance';
import { EventQueue } from './event-queue';
import type { Latency } from './distributions';

export interface EndpointModel {
  id: string;
  /** Requests served at once; the rest wait in FIFO order. Infinity for no limit. */
  concurrency: number;
  /** Service time of a request that starts at the given simulated time. */
  latency: Latency;
  /** Probability that a served request ends in a 5xx. */
  failureRate: number;
}

export interface Scenario {
  name: string;
  description: string;
  /** Poisson arrival rate, requests per second. */
  rps: number;
  durationMs: number;
  /** The client gives up after this long; the server does not notice and keeps working. */
  timeoutMs: number;
  endpoints: EndpointModel[];
}

export interface SimResult {
  scenario: string;
  algorithm: BalancerKind;
  requests: number;
  succeeded: number;
  successRate: number;
  /** Client-observed latency of every request (a timeout counts as the timeout), in ms. */
  p50: number;
  p99: number;
  p999: number;
}

interface Request {
  sentAt: number;
  handle: RequestHandle;
  done: boolean;
}

interface Server {
  model: EndpointModel;
  busy: number;
  queue: Request[];
  queueHead: number;
}

interface Outcome {
  latencies: number[];
  succeeded: number;
}

type Event =
  | { type: 'arrival' }
  | { type: 'served'; server: Server; request: Request; failed: boolean }
  | { type: 'timeout'; request: Request };

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[index]!;
}

/**
 * Replays Poisson arrivals against the scenario's endpoints through one balancer. The
 * balancer sees a simulated clock and its own seeded random source; the world (arrivals,
 * service times, failures) has another, so each run is deterministic for a seed.
 */
function run(scenario: Scenario, algorithm: BalancerKind, seed: number): Outcome {
  const clock = new ManualClock(0);
  const world = seededRandom(seed);
  const balancer = createBalancer<Server>(algorithm, { clock, random: seededRandom(seed ^ 0x5bd1e995) });
  const servers: Server[] = scenario.endpoints.map((model) => ({ model, busy: 0, queue: [], queueHead: 0 }));
  balancer.update({ type: 'reset', endpoints: servers.map((s) => ({ id: s.model.id, weight: 1, value: s })) });

  const events = new EventQueue<Event>();
  const latencies: number[] = [];
  let succeeded = 0;
  const meanGapMs = 1000 / scenario.rps;
  const nextGap = () => -meanGapMs * Math.log(1 - world());

  const finish = (request: Request, ok: boolean) => {
    request.done = true;
    request.handle.firstByte();
    request.handle.end();
    latencies.push(clock.now() - request.sentAt);
    if (ok) succeeded += 1;
  };

  const serve = (server: Server, request: Request) => {
    server.busy += 1;
    const now = clock.now();
    const failed = world() < server.model.failureRate;
    events.push(now + server.model.latency(now, world), { type: 'served', server, request, failed });
  };

  const arrive = () => {
    const now = clock.now();
    const next = now + nextGap();
    if (next < scenario.durationMs) events.push(next, { type: 'arrival' });
    const picked = balancer.picker.pick();
    if (picked.kind !== 'picked') {
      latencies.push(0);
      return;
    }
    const server = picked.endpoint.value;
    const request: Request = { sentAt: now, handle: balancer.start(picked.endpoint.id), done: false };
    events.push(now + scenario.timeoutMs, { type: 'timeout', request });
    if (server.busy < server.model.concurrency) serve(server, request);
    else server.queue.push(request);
  };

  const served = (server: Server, request: Request, failed: boolean) => {
    server.busy -= 1;
    if (!request.done) finish(request, !failed);
    const waiting = server.queue[server.queueHead];
    if (waiting === undefined) return;
    server.queueHead += 1;
    if (server.queueHead > 1024 && server.queueHead * 2 > server.queue.length) {
      server.queue.splice(0, server.queueHead);
      server.queueHead = 0;
    }
    serve(server, waiting);
  };

  events.push(nextGap(), { type: 'arrival' });
  for (let e = events.pop(); e !== undefined; e = events.pop()) {
    clock.set(e.time);
    const event = e.event;
    if (event.type === 'arrival') arrive();
    else if (event.type === 'served') served(event.server, event.request, event.failed);
    else if (!event.request.done) finish(event.request, false);
  }
  balancer.close();
  return { latencies, succeeded };
}

/**
 * Simulates `runs` seeds (seed, seed + 1, ...) and pools their requests into one result.
 * Each run is deterministic for its seed.
 */
export function simulate(scenario: Scenario, algorithm: BalancerKind, seed: number, runs = 1): SimResult {
  const outcomes = Array.from({ length: runs }, (_, i) => run(scenario, algorithm, seed + i));
  const sorted = Float64Array.from(outcomes.flatMap((o) => o.latencies)).sort();
  const succeeded = outcomes.reduce((a, o) => a + o.succeeded, 0);
  return {
    scenario: scenario.name,
    algorithm,
    requests: sorted.length,
    succeeded,
    successRate: sorted.length === 0 ? NaN : succeeded / sorted.length,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    p999: percentile(sorted, 0.999),
  };
}
