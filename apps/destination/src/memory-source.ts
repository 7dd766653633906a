import type {
  Deployment,
  EndpointSlice,
  GRPCRoute,
  HTTPRoute,
  Informer,
  KubeObject,
  LinkerdPolicyResource,
  Pod,
  ResourceKind,
  Service,
  ServiceProfile,
  Source,
  WatchEvent,
} from '@trellis/kube';
import { namespaceOf } from '@trellis/kube';
import { BehaviorSubject, NEVER, Subject } from 'rxjs';

class MemoryInformer<T extends KubeObject> implements Informer<T> {
  private readonly objects = new Map<string, T>();
  private readonly events = new Subject<WatchEvent<T>>();
  readonly events$ = this.events.asObservable();

  get(namespace: string, name: string): T | undefined {
    return this.objects.get(`${namespace}/${name}`);
  }

  list(namespace?: string): T[] {
    return [...this.objects.values()].filter((o) => namespace === undefined || namespaceOf(o) === namespace);
  }

  put(obj: T): void {
    const key = `${namespaceOf(obj)}/${obj.metadata.name}`;
    const type = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    this.objects.set(key, obj);
    this.events.next({ type, object: obj });
  }

  remove(obj: T): void {
    const key = `${namespaceOf(obj)}/${obj.metadata.name}`;
    const previous = this.objects.get(key);
    if (!previous) return;
    this.objects.delete(key);
    this.events.next({ type: 'DELETED', object: previous });
  }

  close(): void {
    this.events.complete();
  }
}

/**
 * A Source held in memory (synced from the start unless told otherwise); put/remove emit events synchronously. For the
 * benchmark's server (bench/memory-server.ts) and for unit tests of the watchers.
 */
export function createMemorySource(options: { synced?: boolean } = {}) {
  const synced = new BehaviorSubject(options.synced ?? true);
  const informers = {
    Service: new MemoryInformer<Service>(),
    EndpointSlice: new MemoryInformer<EndpointSlice>(),
    Pod: new MemoryInformer<Pod>(),
    ServiceProfile: new MemoryInformer<ServiceProfile>(),
    Deployment: new MemoryInformer<Deployment>(),
    HTTPRoute: new MemoryInformer<HTTPRoute>(),
    GRPCRoute: new MemoryInformer<GRPCRoute>(),
    Server: new MemoryInformer<LinkerdPolicyResource>(),
    AuthorizationPolicy: new MemoryInformer<LinkerdPolicyResource>(),
    MeshTLSAuthentication: new MemoryInformer<LinkerdPolicyResource>(),
    NetworkAuthentication: new MemoryInformer<LinkerdPolicyResource>(),
    HTTPLocalRateLimitPolicy: new MemoryInformer<LinkerdPolicyResource>(),
  };
  const informerOf = (obj: KubeObject) => informers[obj.kind as ResourceKind] as unknown as MemoryInformer<KubeObject> | undefined;
  const stats = { lists: 1, restarts: 0, events: 0, lastLagMs: 0 };
  const source: Source = {
    services: informers.Service,
    endpointSlices: informers.EndpointSlice,
    pods: informers.Pod,
    serviceProfiles: informers.ServiceProfile,
    deployments: informers.Deployment,
    httpRoutes: informers.HTTPRoute,
    grpcRoutes: informers.GRPCRoute,
    linkerdPolicy: {
      servers: informers.Server,
      authorizationPolicies: informers.AuthorizationPolicy,
      meshTLSAuthentications: informers.MeshTLSAuthentication,
      networkAuthentications: informers.NetworkAuthentication,
      httpLocalRateLimitPolicies: informers.HTTPLocalRateLimitPolicy,
    },
    synced$: synced.asObservable(),
    errors$: NEVER,
    stats: () => Object.fromEntries(Object.keys(informers).map((kind) => [kind, stats])) as Record<ResourceKind, typeof stats>,
    close: async () => {
      for (const informer of Object.values(informers)) informer.close();
    },
  };
  return {
    source,
    put: (obj: KubeObject) => informerOf(obj)?.put(obj),
    remove: (obj: KubeObject) => informerOf(obj)?.remove(obj),
    setSynced: (value: boolean) => synced.next(value),
  };
}
