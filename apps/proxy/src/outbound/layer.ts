import type { CircuitBreakers, RequestHandle, RetryBudget } from '@trellis/balance';
import { DEFAULT_RULE, type HeaderModifier, type RequestMatch, type RouteTable, type Rule } from '@trellis/routes';
import type { Target } from './authority';
import type { EndpointConnections } from './endpoint-connections';
import type { Exchange } from './exchange';
import type { EndpointSeries, RouteSeries } from './metrics';
import type { RequestAbort } from './request-abort';
import type { RequestBody } from './request-body';
import type { UpstreamResponse } from './upstream';

/**
 * A stage of the outbound stack: takes a call, answers with the upstream response at its headers.
 * It fails by rejecting, never by throwing.
 */
export type Service = (call: OutboundCall) => Promise<UpstreamResponse>;
/**
 * Wraps the rest of the stack; one layer per file, composed in stack.ts. Every request runs through
 * every layer, so a layer's per-request part allocates as little as it can: no async function on the
 * common path (each costs a promise, a generator and two closures per await), and `.then` handlers
 * built once per layer where they need no per-request state.
 */
export type Layer = (next: Service) => Service;

/** A service as the application named it: its route table in force, retry budget and per-route metric series (service-cache.ts). */
export interface LogicalTarget {
  readonly authority: string;
  table: RouteTable | undefined;
  readonly budget: RetryBudget;
  ready(): Promise<RouteTable>;
  series(routeName: string): RouteSeries;
}

/** What route and backend filters change in the request sent upstream (applied by endpoint-pool.ts). */
export interface RequestEdits {
  headers: HeaderModifier[];
  /** Replaces `:authority`/`Host`. */
  authority: string | undefined;
  /** Replaces the path (the query is kept). */
  path: string | undefined;
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

/**
 * Calls the rest of the stack, turning a synchronous throw (a bug below) into a rejection, as an
 * async function would: the layers that take a resource (breaker units, load handles) then still
 * give it back in their rejection handler.
 */
export function callNext(next: Service, call: OutboundCall): Promise<UpstreamResponse> {
  try {
    return next(call);
  } catch (err) {
    return Promise.reject(err);
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
  /** route: the service's retry budget, the rule the request took and the match that chose it. */
  budget!: RetryBudget;
  /** The default rule (no classes, no timeout, no retry) until the route layer picks one; calls outside the mesh keep it. */
  rule: Rule = DEFAULT_RULE;
  match: RequestMatch | undefined = undefined;
  routeSeries!: RouteSeries;
  /** route, split: filter edits to the request; undefined when none. */
  edits: RequestEdits | undefined = undefined;
  /** retry: the body as it will be sent (buffered when the route is retryable). */
  body: RequestBody = { kind: 'empty' };
  /** split: the backend of this attempt. */
  backend!: BackendTarget;
  /** balance: the endpoint of this attempt. */
  endpoint!: EndpointChoice;

  /** The request's abort signal; retry: a child of it per attempt when attempts have their own timeout. */
  abort: RequestAbort;

  constructor(readonly ex: Exchange) {
    this.abort = ex.abort;
  }
}
