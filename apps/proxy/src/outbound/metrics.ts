import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Classification } from './classify';

/** linkerd2-proxy's latency histogram buckets, in milliseconds. */
export const LATENCY_BUCKETS_MS = [
  1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1_000, 2_000, 3_000, 4_000, 5_000, 10_000, 20_000,
  30_000, 40_000, 50_000,
];
/** Ours: distinct `authority`/`dst` label values; later ones are reported as OVERFLOW_LABEL. */
export const MAX_AUTHORITY_LABELS = 1_000;
export const OVERFLOW_LABEL = 'overflow';

const DIRECTION = 'outbound';
const ENDPOINT_LABELS = ['direction', 'authority', 'dst_namespace', 'dst_service', 'dst_deployment'] as const;
const RESPONSE_LABELS = [...ENDPOINT_LABELS, 'status_code', 'classification', 'grpc_status'] as const;
const ROUTE_LABELS = ['direction', 'dst', 'rt_route'] as const;
const ROUTE_RESPONSE_LABELS = [...ROUTE_LABELS, 'status_code', 'classification'] as const;

type Labels = Record<string, string>;

interface CounterChild {
  inc(): void;
}
interface HistogramChild {
  observe(v: number): void;
}

/** Metric series of one endpoint (or one direct authority); children are cached so the hot path only increments. */
export interface EndpointSeries {
  request(): void;
  response(status: number, grpcStatus: number | undefined, classification: Classification, latencyMs: number): void;
}

export interface RouteSeries {
  request(): void;
  response(status: number, classification: Classification, latencyMs: number): void;
  actualRequest(): void;
  actualResponse(status: number, classification: Classification, latencyMs: number): void;
  /** A retryable failure: retried (skipped '') or not (a reason). */
  retryable(skipped: '' | 'no_budget' | 'body_too_large'): void;
}

export interface GaugeSources {
  backends(): Iterable<{ authority: string; ready: number; pending: number }>;
  discoveryStreams(): Iterable<{ kind: string; state: string; count: number }>;
  reconnects(kind: 'resolve' | 'profile'): number;
}

function cachedCounter(counter: Counter<string>, base: Labels): (key: string, extra: Labels) => CounterChild {
  const children = new Map<string, CounterChild>();
  return (key, extra) => {
    let child = children.get(key);
    if (child === undefined) {
      child = counter.labels({ ...base, ...extra });
      children.set(key, child);
    }
    return child;
  };
}

/** Linkerd's outbound metric names on the proxy's :9091 registry. */
export class OutboundMetrics {
  private readonly authorities = new Set<string>();
  private readonly requestTotal: Counter<string>;
  private readonly responseTotal: Counter<string>;
  private readonly responseLatency: Histogram<string>;
  private readonly routeRequestTotal: Counter<string>;
  private readonly routeResponseTotal: Counter<string>;
  private readonly routeResponseLatency: Histogram<string>;
  private readonly routeActualRequestTotal: Counter<string>;
  private readonly routeActualResponseTotal: Counter<string>;
  private readonly routeActualResponseLatency: Histogram<string>;
  private readonly routeRetryableTotal: Counter<string>;

  constructor(registry: Registry, sources: GaugeSources) {
    const registers = [registry];
    this.requestTotal = new Counter({ name: 'request_total', help: 'Requests sent to endpoints, retries included', labelNames: ENDPOINT_LABELS, registers });
    this.responseTotal = new Counter({ name: 'response_total', help: 'Responses received from endpoints', labelNames: RESPONSE_LABELS, registers });
    this.responseLatency = new Histogram({ name: 'response_latency_ms', help: 'Time from sending a request to the end of its response', labelNames: RESPONSE_LABELS, buckets: LATENCY_BUCKETS_MS, registers });
    this.routeRequestTotal = new Counter({ name: 'route_request_total', help: 'Requests per route', labelNames: ROUTE_LABELS, registers });
    this.routeResponseTotal = new Counter({ name: 'route_response_total', help: 'Responses per route', labelNames: ROUTE_RESPONSE_LABELS, registers });
    this.routeResponseLatency = new Histogram({ name: 'route_response_latency_ms', help: 'Route latency, retries included', labelNames: ROUTE_RESPONSE_LABELS, buckets: LATENCY_BUCKETS_MS, registers });
    this.routeActualRequestTotal = new Counter({ name: 'route_actual_request_total', help: 'Requests per route, each retry counted', labelNames: ROUTE_LABELS, registers });
    this.routeActualResponseTotal = new Counter({ name: 'route_actual_response_total', help: 'Responses per route, each retry counted', labelNames: ROUTE_RESPONSE_LABELS, registers });
    this.routeActualResponseLatency = new Histogram({ name: 'route_actual_response_latency_ms', help: 'Latency of each attempt', labelNames: ROUTE_RESPONSE_LABELS, buckets: LATENCY_BUCKETS_MS, registers });
    this.routeRetryableTotal = new Counter({ name: 'route_retryable_total', help: 'Retryable failures; skipped says why one was not retried', labelNames: [...ROUTE_LABELS, 'skipped'], registers });
    new Gauge({
      name: 'outbound_http_balancer_endpoints',
      help: 'Endpoints of each backend, by state',
      labelNames: ['backend', 'endpoint_state'],
      registers,
      collect() {
        this.reset();
        for (const b of sources.backends()) {
          this.set({ backend: b.authority, endpoint_state: 'ready' }, b.ready);
        }
      },
    });
    new Gauge({
      name: 'outbound_http_balancer_pending_requests',
      help: 'Requests waiting for an endpoint of each backend',
      labelNames: ['backend'],
      registers,
      collect() {
        this.reset();
        for (const b of sources.backends()) this.set({ backend: b.authority }, b.pending);
      },
    });
    new Gauge({
      name: 'outbound_discovery_streams',
      help: 'Discovery streams to the destination service, by kind and state',
      labelNames: ['kind', 'state'],
      registers,
      collect() {
        this.reset();
        for (const s of sources.discoveryStreams()) this.set({ kind: s.kind, state: s.state }, s.count);
      },
    });
    new Gauge({
      name: 'outbound_discovery_reconnects',
      help: 'Discovery stream reconnect attempts since start',
      labelNames: ['kind'],
      registers,
      collect() {
        this.set({ kind: 'resolve' }, sources.reconnects('resolve'));
        this.set({ kind: 'profile' }, sources.reconnects('profile'));
      },
    });
  }

  /** The authority as a label value, capped in cardinality. */
  authorityLabel(authority: string): string {
    if (this.authorities.has(authority)) return authority;
    if (this.authorities.size >= MAX_AUTHORITY_LABELS) return OVERFLOW_LABEL;
    this.authorities.add(authority);
    return authority;
  }

  endpoint(authority: string, labels: Readonly<Record<string, string>>): EndpointSeries {
    const base: Labels = {
      direction: DIRECTION,
      authority: this.authorityLabel(authority),
      dst_namespace: labels['namespace'] ?? '',
      dst_service: labels['service'] ?? '',
      dst_deployment: labels['deployment'] ?? '',
    };
    const request = this.requestTotal.labels(base);
    const responses = cachedCounter(this.responseTotal, base);
    const latencies = new Map<string, HistogramChild>();
    return {
      request: () => request.inc(),
      response: (status, grpcStatus, classification, latencyMs) => {
        const grpc = grpcStatus === undefined ? '' : String(grpcStatus);
        const key = `${status}/${grpc}/${classification}`;
        const extra = { status_code: String(status), classification, grpc_status: grpc };
        responses(key, extra).inc();
        let latency = latencies.get(key);
        if (latency === undefined) {
          latency = this.responseLatency.labels({ ...base, ...extra });
          latencies.set(key, latency);
        }
        latency.observe(latencyMs);
      },
    };
  }

  route(dst: string, route: string): RouteSeries {
    const base: Labels = { direction: DIRECTION, dst: this.authorityLabel(dst), rt_route: route };
    const request = this.routeRequestTotal.labels(base);
    const actualRequest = this.routeActualRequestTotal.labels(base);
    const responses = cachedCounter(this.routeResponseTotal, base);
    const actualResponses = cachedCounter(this.routeActualResponseTotal, base);
    const latency = new Map<string, HistogramChild>();
    const actualLatency = new Map<string, HistogramChild>();
    const observe = (h: Histogram<string>, cache: Map<string, HistogramChild>, key: string, extra: Labels, ms: number) => {
      let child = cache.get(key);
      if (child === undefined) {
        child = h.labels({ ...base, ...extra });
        cache.set(key, child);
      }
      child.observe(ms);
    };
    return {
      request: () => request.inc(),
      actualRequest: () => actualRequest.inc(),
      response: (status, classification, ms) => {
        const key = `${status}/${classification}`;
        const extra = { status_code: String(status), classification };
        responses(key, extra).inc();
        observe(this.routeResponseLatency, latency, key, extra, ms);
      },
      actualResponse: (status, classification, ms) => {
        const key = `${status}/${classification}`;
        const extra = { status_code: String(status), classification };
        actualResponses(key, extra).inc();
        observe(this.routeActualResponseLatency, actualLatency, key, extra, ms);
      },
      retryable: (skipped) => this.routeRetryableTotal.inc({ ...base, skipped }),
    };
  }
}
