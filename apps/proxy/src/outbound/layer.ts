import type { CircuitBreakers, RequestHandle } from '@trellis/balance';
import type { Target } from './authority';
import type { EndpointConnections } from './endpoint-connections';
import type { Exchange } from './exchange';
import type { EndpointSeries, RouteSeries } from './metrics';
import { DEFAULT_ROUTE, type Profile, type Route } from './profile';
import type { RequestAbort } from './request-abort';
import type { RequestBody } from './request-body';
import type { UpstreamResponse } from './upstream';

/** A stage of the outbound stack: takes a call, answers with the upstream response at its headers. */
export type Service = (call: OutboundCall) => Promise<UpstreamResponse>;
/** Wraps the rest of the stack; one layer per file, composed in stack.ts. */
export type Layer = (next: Service) => Service;

/** A service as the application named it: its profile in force and its per-route metric series (service-cache.ts). */
export interface LogicalTarget {
  readonly authority: string;
  profile: Profile | undefined;
  ready(): Promise<Profile>;
  series(route: Route): RouteSeries;
}

/** Where a call goes once the split has chosen: one backend's own stack (stack.ts builds it). */
export interface BackendTarget {
  readonly authority: string;
  readonly serve: Service;
  /** Envoy's circuit-breaker counters of the backend (the retry layer takes its `retries` units there). */
  readonly breakers: CircuitBreakers;
}

/**
 * Readiness of the per-backend part of the stack, which the fail-fast gate on top waits on
 * (linkerd2-proxy's poll_ready). Layers that change it call `ReadySignal.notify()`.
 */
export interface Readiness {
  isReady(): boolean;
  /** Requests are waiting (`waiting` of them in the gate's queue), or failing fast, because the backend is not ready. */
  demand(waiting: number): void;
}

/** Tells the layers of one backend that readiness below them may have changed. */
export class ReadySignal {
  private readonly listeners: (() => void)[] = [];

  subscribe(listener: () => void): void {
    this.listeners.push(listener);
  }

  notify(): void {
    for (const l of this.listeners) l();
  }
}

/** Folds layers around the innermost service; the first layer is the outermost. */
export function compose(layers: readonly Layer[], last: Service): Service {
  return layers.reduceRight<Service>((next, layer) => layer(next), last);
}

/** One endpoint an attempt is sent to, chosen by the balance layer. */
export interface EndpointChoice {
  /** `host:port` of the endpoint, or of the authority itself when forwarded outside the mesh. */
  readonly id: string;
  readonly series: EndpointSeries;
  /** Connections to the endpoint (endpoint-pool.ts). */
  readonly connections: EndpointConnections;
  /** The balancer's load handle; undefined when forwarded outside the mesh. */
  readonly handle: RequestHandle | undefined;
}

/**
 * One request as it goes down the stack. Each field below `ex` is set by the layer named in its
 * comment before any layer under it reads it; stack.ts fixes that order, so a lower layer may rely
 * on the fields of the layers above it.
 */
export class OutboundCall {
  /** target: the service (or outside authority) the request is for. */
  target!: Target;
  /** target: the logical service of a mesh target. */
  logical!: LogicalTarget;
  /** route: the profile in force and the route the request matched. */
  profile!: Profile;
  /** The default route (no classes, no timeout) until the route layer picks one; calls outside the mesh keep it. */
  route: Route = DEFAULT_ROUTE;
  routeSeries!: RouteSeries;
  /** retry: the body as it will be sent (buffered when the route is retryable). */
  body: RequestBody = { kind: 'empty' };
  /** split: the backend of this attempt. */
  backend!: BackendTarget;
  /** balance: the endpoint of this attempt. */
  endpoint!: EndpointChoice;

  constructor(readonly ex: Exchange) {}

  get abort(): RequestAbort {
    return this.ex.abort;
  }
}
