import type { CircuitBreakers } from '@trellis/balance';
import { Counter, Gauge, type Registry } from 'prom-client';
import { CounterFamily, HistogramFamily, type CounterSeries, type HistogramSeries } from '../metrics/families';
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
const BREAKER_RESOURCES = ['connections', 'pending', 'requests', 'retries'] as const;
const ENDPOINT_LABELS = ['direction', 'authority', 'dst_namespace', 'dst_service', 'dst_deployment'] as const;
const RESPONSE_LABELS = [...ENDPOINT_LABELS, 'status_code', 'classification', 'grpc_status'] as const;
const ROUTE_LABELS = ['direction', 'dst', 'rt_route'] as const;
const ROUTE_RESPONSE_LABELS = [...ROUTE_LABELS, 'status_code', 'classification'] as const;

type Labels = Record<string, string>;

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
  retryable(skipped: '' | 'no_budget' | 'body_too_large' | 'overflow'): void;
}

/** What the collect-time metrics read of one backend. */
export interface BackendState {
  authority: string;
  /** Endpoints in the balancer, and discovered ones out of it (ejected, or in connect backoff). */
  endpoints: { ready: number; pending: number };
  /** Requests waiting at the fail-fast gate or held for a scale from zero. */
  waiting: number;
  breakers: CircuitBreakers;
}

export interface GaugeSources {
  backends(): Iterable<BackendState>;
  discoveryStreams(): Iterable<{ kind: string; state: string; count: number }>;
  reconnects(kind: 'resolve' | 'profile'): number;
}

/** A response counter and latency histogram pair of one label set, looked up once per distinct status. */
interface ResponsePair {
  total: CounterSeries;
  latency: HistogramSeries;
}

/**
 * The response pairs of one base label set, by status, classification and (for endpoints) gRPC
 * status. The last outcome is remembered: a run of equal outcomes, the usual case, builds no key.
 */
function responsePairs(total: CounterFamily, latency: HistogramFamily, base: Labels, grpcLabel: boolean) {
  const prefix = JSON.stringify(base);
  const pairs = new Map<string, ResponsePair>();
  let last: { status: number; grpc: string; classification: Classification; pair: ResponsePair } | undefined;
  return (status: number, grpcStatus: number | undefined, classification: Classification): ResponsePair => {
    const grpc = grpcStatus === undefined ? '' : String(grpcStatus);
    if (last !== undefined && last.status === status && last.grpc === grpc && last.classification === classification) return last.pair;
    const key = grpcLabel ? `${status}/${grpc}/${classification}` : `${status}/${classification}`;
    let pair = pairs.get(key);
    if (pair === undefined) {
      const full = `${prefix}/${key}`;
      const extra: Labels = grpcLabel ? { status_code: String(status), classification, grpc_status: grpc } : { status_code: String(status), classification };
      const labels = () => ({ ...base, ...extra });
      pair = { total: total.child(full, labels), latency: latency.child(full, labels) };
      pairs.set(key, pair);
    }
    last = { status, grpc, classification, pair };
    return pair;
  };
}

/** Linkerd's outbound metric names on the proxy's :9091 registry. */
export class OutboundMetrics {
  private readonly authorities = new Set<string>();
  private readonly requestTotal: CounterFamily;
  private readonly responseTotal: CounterFamily;
  private readonly responseLatency: HistogramFamily;
  private readonly routeRequestTotal: CounterFamily;
  private readonly routeResponseTotal: CounterFamily;
  private readonly routeResponseLatency: HistogramFamily;
  private readonly routeActualRequestTotal: CounterFamily;
  private readonly routeActualResponseTotal: CounterFamily;
  private readonly routeActualResponseLatency: HistogramFamily;
  private readonly routeRetryableTotal: CounterFamily;
  private readonly outlierEjections: CounterFamily;
  private readonly policyInvalid: CounterFamily;

  constructor(registry: Registry, sources: GaugeSources) {
    const registers = [registry];
    const counter = (name: string, help: string, labels: readonly string[]) => new CounterFamily(name, help, labels).register(registry);
    const histogram = (name: string, help: string, labels: readonly string[]) =>
      new HistogramFamily(name, help, labels, LATENCY_BUCKETS_MS).register(registry);
    this.requestTotal = counter('request_total', 'Requests sent to endpoints, retries included', ENDPOINT_LABELS);
    this.responseTotal = counter('response_total', 'Responses received from endpoints', RESPONSE_LABELS);
    this.responseLatency = histogram('response_latency_ms', 'Time from sending a request to the end of its response', RESPONSE_LABELS);
    this.routeRequestTotal = counter('route_request_total', 'Requests per route', ROUTE_LABELS);
    this.routeResponseTotal = counter('route_response_total', 'Responses per route', ROUTE_RESPONSE_LABELS);
    this.routeResponseLatency = histogram('route_response_latency_ms', 'Route latency, retries included', ROUTE_RESPONSE_LABELS);
    this.routeActualRequestTotal = counter('route_actual_request_total', 'Requests per route, each retry counted', ROUTE_LABELS);
    this.routeActualResponseTotal = counter('route_actual_response_total', 'Responses per route, each retry counted', ROUTE_RESPONSE_LABELS);
    this.routeActualResponseLatency = histogram('route_actual_response_latency_ms', 'Latency of each attempt', ROUTE_RESPONSE_LABELS);
    this.outlierEjections = counter('outbound_http_outlier_ejections_total', "Endpoints ejected by a backend's outlier detector", ['backend', 'reason']);
    this.policyInvalid = counter('outbound_backend_policy_invalid_total', 'Backend policy settings the proxy ignored (the default applied)', ['backend']);
    this.routeRetryableTotal = counter('route_retryable_total', 'Retryable failures; skipped says why one was not retried', [...ROUTE_LABELS, 'skipped']);
    new Gauge({
      name: 'outbound_http_balancer_endpoints',
      help: 'Endpoints of each backend, by state',
      labelNames: ['backend', 'endpoint_state'],
      registers,
      collect() {
        this.reset();
        for (const b of sources.backends()) {
          this.set({ backend: b.authority, endpoint_state: 'ready' }, b.endpoints.ready);
          this.set({ backend: b.authority, endpoint_state: 'pending' }, b.endpoints.pending);
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
        for (const b of sources.backends()) this.set({ backend: b.authority }, b.waiting);
      },
    });
    new Counter({
      name: 'outbound_http_breaker_overflow_total',
      help: "Requests refused by a backend's circuit breaker, by exhausted resource",
      labelNames: ['backend', 'resource'],
      registers,
      collect() {
        this.reset();
        for (const b of sources.backends()) {
          for (const resource of BREAKER_RESOURCES) this.inc({ backend: b.authority, resource }, b.breakers.overflows(resource));
        }
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

  /** An endpoint ejected by a backend's outlier detector. */
  ejection(backend: string, reason: string): void {
    this.outlierEjections.inc({ backend: this.authorityLabel(backend), reason });
  }

  /** A backend policy setting the proxy could not use (the default applies). */
  policyProblem(backend: string): void {
    this.policyInvalid.inc({ backend: this.authorityLabel(backend) });
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
    const request = this.requestTotal.child(JSON.stringify(base), () => base);
    const responses = responsePairs(this.responseTotal, this.responseLatency, base, true);
    return {
      request: () => request.inc(),
      response: (status, grpcStatus, classification, latencyMs) => {
        const pair = responses(status, grpcStatus, classification);
        pair.total.inc();
        pair.latency.observe(latencyMs);
      },
    };
  }

  route(dst: string, route: string): RouteSeries {
    const base: Labels = { direction: DIRECTION, dst: this.authorityLabel(dst), rt_route: route };
    const key = JSON.stringify(base);
    const request = this.routeRequestTotal.child(key, () => base);
    const actualRequest = this.routeActualRequestTotal.child(key, () => base);
    const responses = responsePairs(this.routeResponseTotal, this.routeResponseLatency, base, false);
    const actualResponses = responsePairs(this.routeActualResponseTotal, this.routeActualResponseLatency, base, false);
    const record = (pairs: typeof responses, status: number, classification: Classification, ms: number) => {
      const pair = pairs(status, undefined, classification);
      pair.total.inc();
      pair.latency.observe(ms);
    };
    return {
      request: () => request.inc(),
      actualRequest: () => actualRequest.inc(),
      response: (status, classification, ms) => record(responses, status, classification, ms),
      actualResponse: (status, classification, ms) => record(actualResponses, status, classification, ms),
      retryable: (skipped) => this.routeRetryableTotal.inc({ ...base, skipped }),
    };
  }
}
