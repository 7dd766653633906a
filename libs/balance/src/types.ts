/** Milliseconds from an arbitrary origin; must never go backwards. */
export interface Clock {
  now(): number;
}

/** A uniform random number in [0, 1), like Math.random. */
export type Random = () => number;

export interface Endpoint<T> {
  readonly id: string;
  /** Relative share of traffic; finite and > 0. */
  readonly weight: number;
  readonly value: T;
}

export type EndpointUpdate<T> =
  | { type: 'reset'; endpoints: readonly Endpoint<T>[] }
  /** Adds endpoints, or replaces those whose id is already known. */
  | { type: 'add'; endpoints: readonly Endpoint<T>[] }
  | { type: 'remove'; ids: readonly string[] };

export type PickResult<T> = { kind: 'picked'; endpoint: Endpoint<T> } | { kind: 'no-endpoint' };

/** An immutable snapshot of a balancer's endpoints. pick() is synchronous and never throws. */
export interface Picker<T> {
  /** `key` is used by the hash balancers (ring-hash, maglev) and ignored by the others. */
  pick(key?: string): PickResult<T>;
}

/**
 * Tracks one request sent to an endpoint. Both methods are idempotent, and end() after
 * firstByte() or on its own is fine. RTT is measured from start to the first response byte,
 * or to end() if no byte ever came (a timeout or reset counts as a slow response).
 */
export interface RequestHandle {
  /**
   * The request's connection is up (connect and TLS handshake done): RTT is measured from here, since
   * setting a connection up is not the endpoint's latency (linkerd2-proxy balances only over connected
   * endpoints). Optional; without it RTT counts from start.
   */
  connected(): void;
  firstByte(): void;
  end(): void;
}

export interface Balancer<T> {
  /** Applies the update and publishes a new picker. Throws BalanceError on an invalid weight. */
  update(u: EndpointUpdate<T>): void;
  /** The current picker snapshot; replaced by every update. */
  readonly picker: Picker<T>;
  /** Call when a request is sent to the endpoint that pick() returned. */
  start(endpointId: string): RequestHandle;
  /** Endpoints available for new picks. */
  size(): number;
  /** Read-only view of an endpoint's load for introspection; undefined when it is not in the balancer. */
  loadOf(endpointId: string): EndpointLoadView | undefined;
  /** Idempotent. Afterwards the picker returns no-endpoint and updates are ignored. */
  close(): void;
}

/** What introspection shows of an endpoint's load: the peak-EWMA cost and the requests in flight. */
export interface EndpointLoadView {
  /** Peak-EWMA RTT estimate at the time of reading, ms. */
  readonly rttMs: number;
  /** RTT estimate x (in flight + 1): what P2C compares. */
  readonly cost: number;
  /** Requests sent and not yet answered (the peak-EWMA pending count). */
  readonly pending: number;
  /** Requests not yet ended (the least-request active count). */
  readonly active: number;
}

export type BalancerKind = 'peak-ewma' | 'least-request' | 'round-robin' | 'random' | 'ring-hash' | 'maglev';
