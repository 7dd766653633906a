import { goldenMetrics, windowCounts, type Counts, type GoldenMetrics, type Scrape } from './golden';
import type { Sample } from './prometheus-text';
import {
  ATTEMPTS_BY_SERVICE,
  autoscalerGauge,
  EDGE_KEY_SEPARATOR,
  INBOUND_BY_DEPLOYMENT,
  REQUESTS_BY_EDGE,
  REQUESTS_BY_ROUTE,
  REQUESTS_BY_SERVICE,
  ROUTE_KEY_SEPARATOR,
  splitKey,
} from './views';

/** Ours: points kept per chart (5 minutes at the 2 s refresh). */
export const HISTORY_POINTS = 150;

/** One refresh: every proxy scraped, the autoscaler's gauges, and what the mesh knows of replicas. */
export interface Round {
  /** Milliseconds since the epoch (the caller's clock). */
  at: number;
  scrapes: readonly Scrape[];
  autoscaler?: readonly Sample[];
  /** Ready replicas and desired count per `namespace/deployment`, and the Services each is behind. */
  replicas?: ReadonlyMap<string, { ready: number; desired: number; services: readonly string[] }>;
}

export interface DeploymentPoint {
  t: number;
  rps: number;
  ready: number | undefined;
  desired: number | undefined;
  /** The autoscaler's decision (autoscaler_desired_pods). */
  decided: number | undefined;
  panic: boolean;
}

export interface ServicePoint {
  t: number;
  rps: number;
  successRate: number | undefined;
  p99Ms: number | undefined;
}

export interface DashboardSnapshot {
  at: number;
  windowSeconds: number;
  services: ({ name: string; attempts: number } & GoldenMetrics)[];
  deployments: ({ name: string; ready?: number; desired?: number; decided?: number; panic: boolean } & GoldenMetrics)[];
  routes: ({ service: string; route: string } & GoldenMetrics)[];
  /** Requests from a workload (or `client`) to a Service. */
  edges: { from: string; to: string; rps: number; successRate: number | undefined }[];
  /** Which Deployments serve a Service. */
  backends: { service: string; deployment: string }[];
  deploymentHistory: Record<string, DeploymentPoint[]>;
  serviceHistory: Record<string, ServicePoint[]>;
}

const none: Counts = { success: 0, failure: 0, buckets: new Map() };

function pushBounded<T>(history: Map<string, T[]>, key: string, point: T): void {
  let points = history.get(key);
  if (points === undefined) {
    points = [];
    history.set(key, points);
  }
  points.push(point);
  if (points.length > HISTORY_POINTS) points.splice(0, points.length - HISTORY_POINTS);
}

/** Backends seen in the outbound endpoint metrics: dst_service is served by dst_deployment. */
function backendsOfScrapes(scrapes: readonly Scrape[]): Set<string> {
  const out = new Set<string>();
  for (const s of scrapes) {
    for (const sample of s.samples) {
      const l = sample.labels;
      if (sample.name === ATTEMPTS_BY_SERVICE.total && l['dst_service'] && l['dst_deployment']) {
        out.add(`${l['dst_namespace'] ?? ''}/${l['dst_service']}${EDGE_KEY_SEPARATOR}${l['dst_namespace'] ?? ''}/${l['dst_deployment']}`);
      }
    }
  }
  return out;
}

/**
 * The dashboard's model: golden metrics between the last two rounds, and bounded histories of replicas, the
 * autoscaler's decisions and traffic per Deployment and Service. Pure: rounds come with their own time.
 */
export class DashboardState {
  private previous: Round | undefined;
  private latest: DashboardSnapshot | undefined;
  private readonly deploymentHistory = new Map<string, DeploymentPoint[]>();
  private readonly serviceHistory = new Map<string, ServicePoint[]>();

  update(round: Round): DashboardSnapshot {
    const before = this.previous?.scrapes ?? [];
    const seconds = this.previous === undefined ? 0 : Math.max(0, (round.at - this.previous.at) / 1000);
    const first = this.previous === undefined;
    this.previous = round;
    const counts = (view: Parameters<typeof windowCounts>[2]) => (first ? new Map<string, Counts>() : windowCounts(before, round.scrapes, view));

    const requests = counts(REQUESTS_BY_SERVICE);
    const attempts = counts(ATTEMPTS_BY_SERVICE);
    const serviceNames = new Set([...requests.keys(), ...attempts.keys(), ...[...(round.replicas?.values() ?? [])].flatMap((r) => r.services)]);
    const services = [...serviceNames].sort().map((name) => {
      const a = attempts.get(name);
      return { name, attempts: a ? a.success + a.failure : 0, ...goldenMetrics(requests.get(name) ?? none, seconds) };
    });

    const inbound = counts(INBOUND_BY_DEPLOYMENT);
    const decided = autoscalerGauge(round.autoscaler ?? [], 'autoscaler_desired_pods');
    const panic = autoscalerGauge(round.autoscaler ?? [], 'autoscaler_panic_mode');
    const ready = autoscalerGauge(round.autoscaler ?? [], 'autoscaler_actual_pods');
    const deploymentNames = new Set([...inbound.keys(), ...decided.keys(), ...(round.replicas?.keys() ?? [])]);
    const deployments = [...deploymentNames].sort().map((name) => {
      const r = round.replicas?.get(name);
      const row = {
        name,
        ready: r?.ready ?? ready.get(name),
        desired: r?.desired,
        decided: decided.get(name),
        panic: panic.get(name) === 1,
        ...goldenMetrics(inbound.get(name) ?? none, seconds),
      };
      pushBounded(this.deploymentHistory, name, { t: round.at, rps: row.rps, ready: row.ready, desired: row.desired, decided: row.decided, panic: row.panic });
      return row;
    });
    for (const s of services) pushBounded(this.serviceHistory, s.name, { t: round.at, rps: s.rps, successRate: s.successRate, p99Ms: s.p99Ms });

    const routes = [...counts(REQUESTS_BY_ROUTE)].map(([key, c]) => {
      const [service, route] = splitKey(key, ROUTE_KEY_SEPARATOR);
      return { service, route, ...goldenMetrics(c, seconds) };
    });
    const edges = [...counts(REQUESTS_BY_EDGE)].map(([key, c]) => {
      const [from, to] = splitKey(key, EDGE_KEY_SEPARATOR);
      const g = goldenMetrics(c, seconds);
      return { from, to, rps: g.rps, successRate: g.successRate };
    });
    const backendKeys = backendsOfScrapes(round.scrapes);
    for (const [deployment, r] of round.replicas ?? []) for (const service of r.services) backendKeys.add(`${service}${EDGE_KEY_SEPARATOR}${deployment}`);
    const backends = [...backendKeys].sort().map((k) => {
      const [service, deployment] = splitKey(k, EDGE_KEY_SEPARATOR);
      return { service, deployment };
    });

    this.latest = {
      at: round.at,
      windowSeconds: seconds,
      services,
      deployments,
      routes,
      edges,
      backends,
      deploymentHistory: Object.fromEntries(this.deploymentHistory),
      serviceHistory: Object.fromEntries(this.serviceHistory),
    };
    return this.latest;
  }

  snapshot(): DashboardSnapshot | undefined {
    return this.latest;
  }
}
