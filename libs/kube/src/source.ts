import type { Observable } from 'rxjs';
import type {
  AuthorizationPolicy,
  Deployment,
  EndpointSlice,
  GRPCRoute,
  HTTPLocalRateLimitPolicy,
  HTTPRoute,
  KubeObject,
  LinkerdServer,
  MeshTLSAuthentication,
  NetworkAuthentication,
  Pod,
  ResourceKind,
  Service,
  ServiceProfile,
} from './model';

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: T;
}

/** A read-only, always-current cache of one kind, fed by a list+watch (kubernetes) or by files (fs). */
export interface Informer<T extends KubeObject> {
  get(namespace: string, name: string): T | undefined;
  list(namespace?: string): T[];
  /** Hot stream of changes AFTER the initial sync. Never errors (errors go to Source.errors$); completes on close. */
  readonly events$: Observable<WatchEvent<T>>;
}

export interface SourceError {
  source: 'fs' | 'kubernetes';
  file?: string;
  kind?: string;
  reason: string;
}

/** Counters a source keeps per kind, for metrics (informer health). */
export interface InformerStats {
  /** Full lists done (initial sync included); a relist after a 410 Gone or a restart adds one. */
  lists: number;
  /** Restarts after a failure (watch or list error), each after a backoff delay. */
  restarts: number;
  /** Change events emitted on events$. */
  events: number;
  /** Milliseconds between the last change being seen and it being applied to the cache (fs: file change to apply). */
  lastLagMs: number;
}

/** Writes the status of Gateway API routes back (the kubernetes source; the fs source has no status to write). */
export interface RouteStatusWriter {
  /** Replaces `.status` through the status subresource; rejects with the API server's error. */
  writeRouteStatus(kind: 'HTTPRoute' | 'GRPCRoute', namespace: string, name: string, status: object): Promise<void>;
}

/** Linkerd's policy.linkerd.io resources (docs/policy.md). */
export interface LinkerdPolicyInformers {
  readonly servers: Informer<LinkerdServer>;
  readonly authorizationPolicies: Informer<AuthorizationPolicy>;
  readonly meshTLSAuthentications: Informer<MeshTLSAuthentication>;
  readonly networkAuthentications: Informer<NetworkAuthentication>;
  readonly httpLocalRateLimitPolicies: Informer<HTTPLocalRateLimitPolicy>;
}

/** One interface, two implementations: createKubernetesSource(opts) and createFsSource(dir, opts). */
export interface Source {
  readonly services: Informer<Service>;
  readonly endpointSlices: Informer<EndpointSlice>;
  readonly pods: Informer<Pod>;
  readonly serviceProfiles: Informer<ServiceProfile>;
  readonly deployments: Informer<Deployment>;
  readonly httpRoutes: Informer<HTTPRoute>;
  readonly grpcRoutes: Informer<GRPCRoute>;
  /** Both real sources have it; a hand-built Source (a test's) may leave it out, meaning no policy resources. */
  readonly linkerdPolicy?: LinkerdPolicyInformers;
  /** Present when the source can write route status (kubernetes). */
  readonly routeStatus?: RouteStatusWriter;
  /** Emits false until every informer has done its initial list, then true (and again on relist state changes). */
  readonly synced$: Observable<boolean>;
  /** Problems that do not stop the source: a broken file (with file name and reason), an unknown kind, a watch failure. */
  readonly errors$: Observable<SourceError>;
  /** Counters per kind; cheap, read on each metrics scrape. */
  stats(): Record<ResourceKind, InformerStats>;
  /** Idempotent; completes every events$ stream. */
  close(): Promise<void>;
}

/** Minimal structured logger (pino's call shape), so libs need no logging dependency. */
export interface SourceLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}
