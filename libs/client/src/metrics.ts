import { Counter, Gauge, Histogram, register as globalRegistry, type Registry } from 'prom-client';
import type { Classification } from '@trellis/routes';

/**
 * The outbound metric names and labels of the proxy (apps/proxy/src/outbound/metrics.ts), so that a
 * dashboard or `trellis stat` reads a proxyless app as it reads a proxy. Every agent and gRPC
 * resolver that shares a registry shares one set of families; the gauges sum their sources.
 */

/** linkerd2-proxy's latency histogram buckets, in milliseconds. */
export const LATENCY_BUCKETS_MS = [
  1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1_000, 2_000, 3_000, 4_000, 5_000, 10_000, 20_000,
  30_000, 40_000, 50_000,
];

const DIRECTION = 'outbound';
/** Ours: route series kept for reuse (services x routes); beyond, a request's series is made for it. */
const MAX_ROUTE_SERIES = 10_000;
const ENDPOINT_LABELS = ['direction', 'authority', 'dst_namespace', 'dst_service', 'dst_deployment'] as const;
const RESPONSE_LABELS = [...ENDPOINT_LABELS, 'status_code', 'classification', 'grpc_status'] as const;
const ROUTE_LABELS = ['direction', 'dst', 'rt_route'] as const;
const ROUTE_RESPONSE_LABELS = [...ROUTE_LABELS, 'status_code', 'classification'] as const;

export interface GaugeSource {
  backends(): Iterable<{ authority: string; ready: number }>;
  discoveryStreams(): Iterable<{ kind: string; state: string; count: number }>;
  reconnects(kind: 'resolve' | 'profile'): number;
}

export interface EndpointSeries {
  request(): void;
  response(status: number, grpcStatus: number | undefined, classification: Classification, latencyMs: number): void;
}

export interface RouteSeries {
  request(): void;
  response(status: number, classification: Classification, latencyMs: number): void;
  actualRequest(): void;
  actualResponse(status: number, classification: Classification, latencyMs: number): void;
  retryable(skipped: '' | 'no_budget' | 'body_too_large'): void;
}

function families(registry: Registry, sources: Set<GaugeSource>) {
  const registers = [registry];
  const counter = (name: string, help: string, labelNames: readonly string[]) => new Counter({ name, help, labelNames, registers });
  const histogram = (name: string, help: string, labelNames: readonly string[]) =>
    new Histogram({ name, help, labelNames, buckets: LATENCY_BUCKETS_MS, registers });
  const all = <T>(read: (s: GaugeSource) => Iterable<T>): T[] => [...sources].flatMap((s) => [...read(s)]);
  new Gauge({
    name: 'outbound_http_balancer_endpoints',
    help: 'Endpoints of each backend, by state',
    labelNames: ['backend', 'endpoint_state'],
    registers,
    collect() {
      this.reset();
      for (const b of all((s) => s.backends())) this.inc({ backend: b.authority, endpoint_state: 'ready' }, b.ready);
    },
  });
  new Gauge({
    name: 'outbound_discovery_streams',
    help: 'Discovery streams to the destination service, by kind and state',
    labelNames: ['kind', 'state'],
    registers,
    collect() {
      this.reset();
      for (const s of all((x) => x.discoveryStreams())) this.inc({ kind: s.kind, state: s.state }, s.count);
    },
  });
  new Gauge({
    name: 'outbound_discovery_reconnects',
    help: 'Discovery stream reconnect attempts since start',
    labelNames: ['kind'],
    registers,
    collect() {
      for (const kind of ['resolve', 'profile'] as const) this.set({ kind }, [...sources].reduce((n, s) => n + s.reconnects(kind), 0));
    },
  });
  return {
    requestTotal: counter('request_total', 'Requests sent to endpoints, retries included', ENDPOINT_LABELS),
    responseTotal: counter('response_total', 'Responses received from endpoints', RESPONSE_LABELS),
    responseLatency: histogram('response_latency_ms', 'Time from sending a request to the end of its response', RESPONSE_LABELS),
    routeRequestTotal: counter('route_request_total', 'Requests per route', ROUTE_LABELS),
    routeResponseTotal: counter('route_response_total', 'Responses per route', ROUTE_RESPONSE_LABELS),
    routeResponseLatency: histogram('route_response_latency_ms', 'Route latency, retries included', ROUTE_RESPONSE_LABELS),
    routeActualRequestTotal: counter('route_actual_request_total', 'Requests per route, each retry counted', ROUTE_LABELS),
    routeActualResponseTotal: counter('route_actual_response_total', 'Responses per route, each retry counted', ROUTE_RESPONSE_LABELS),
    routeActualResponseLatency: histogram('route_actual_response_latency_ms', 'Latency of each attempt', ROUTE_RESPONSE_LABELS),
    outlierEjections: counter('outbound_http_outlier_ejections_total', "Endpoints ejected by a backend's outlier detector", ['backend', 'reason']),
    routeRetryableTotal: counter('route_retryable_total', 'Retryable failures; skipped says why one was not retried', [...ROUTE_LABELS, 'skipped']),
  };
}

type Families = ReturnType<typeof families>;

/** Ours: label sets whose children are kept per series (a few statuses x classifications); more are looked up each time. */
const MAX_CACHED_CHILDREN = 64;

/**
 * A counter and a histogram child per response label set, looked up once: prom-client hashes a label
 * object on every inc(labels), which costs more than the rest of the request's accounting.
 */
function responseChildren(total: Counter<string>, latency: Histogram<string>, base: Record<string, string>) {
  const cache = new Map<string, { total: Counter.Internal; latency: Histogram.Internal<string> }>();
  return (key: string, extra: () => Record<string, string>) => {
    let pair = cache.get(key);
    if (pair === undefined) {
      const labels = { ...base, ...extra() };
      pair = { total: total.labels(labels), latency: latency.labels(labels) };
      if (cache.size < MAX_CACHED_CHILDREN) cache.set(key, pair);
    }
    return pair;
  };
}
const shared = new WeakMap<Registry, { families: Families; sources: Set<GaugeSource> }>();

/** The client's metrics on one registry; `close()` removes this source from the gauges. */
export class ClientMetrics {
  private readonly families: Families;
  private readonly sources: Set<GaugeSource>;
  private readonly routes = new Map<string, RouteSeries>();

  constructor(
    private readonly source: GaugeSource,
    registry: Registry = globalRegistry,
  ) {
    let entry = shared.get(registry);
    if (entry === undefined) {
      const sources = new Set<GaugeSource>();
      entry = { families: families(registry, sources), sources };
      shared.set(registry, entry);
    }
    this.families = entry.families;
    this.sources = entry.sources;
    this.sources.add(source);
  }

  endpoint(authority: string, labels: Readonly<Record<string, string>>): EndpointSeries {
    const base = {
      direction: DIRECTION,
      authority,
      dst_namespace: labels['namespace'] ?? '',
      dst_service: labels['service'] ?? '',
      dst_deployment: labels['deployment'] ?? '',
    };
    const request = this.families.requestTotal.labels(base);
    const responses = responseChildren(this.families.responseTotal, this.families.responseLatency, base);
    return {
      request: () => request.inc(),
      response: (status, grpcStatus, classification, latencyMs) => {
        const grpc = grpcStatus === undefined ? '' : String(grpcStatus);
        const pair = responses(`${status} ${classification} ${grpc}`, () => ({ status_code: String(status), classification, grpc_status: grpc }));
        pair.total.inc();
        pair.latency.observe(latencyMs);
      },
    };
  }

  /** The series of one route of one service, made once and reused by every request on it. */
  route(dst: string, route: string): RouteSeries {
    const key = `${dst} ${route}`;
    let series = this.routes.get(key);
    if (series === undefined) {
      series = this.newRoute(dst, route);
      if (this.routes.size < MAX_ROUTE_SERIES) this.routes.set(key, series);
    }
    return series;
  }

  private newRoute(dst: string, route: string): RouteSeries {
    const base = { direction: DIRECTION, dst, rt_route: route };
    const f = this.families;
    const request = f.routeRequestTotal.labels(base);
    const actualRequest = f.routeActualRequestTotal.labels(base);
    const responses = responseChildren(f.routeResponseTotal, f.routeResponseLatency, base);
    const actualResponses = responseChildren(f.routeActualResponseTotal, f.routeActualResponseLatency, base);
    const extra = (status: number, classification: Classification) => () => ({ status_code: String(status), classification });
    return {
      request: () => request.inc(),
      response: (status, classification, latencyMs) => {
        const pair = responses(`${status} ${classification}`, extra(status, classification));
        pair.total.inc();
        pair.latency.observe(latencyMs);
      },
      actualRequest: () => actualRequest.inc(),
      actualResponse: (status, classification, latencyMs) => {
        const pair = actualResponses(`${status} ${classification}`, extra(status, classification));
        pair.total.inc();
        pair.latency.observe(latencyMs);
      },
      retryable: (skipped) => f.routeRetryableTotal.inc({ ...base, skipped }),
    };
  }

  ejection(backend: string, reason: string): void {
    this.families.outlierEjections.inc({ backend, reason });
  }

  /** Idempotent. */
  close(): void {
    this.sources.delete(this.source);
  }
}
