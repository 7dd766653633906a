import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  KubeConfig,
  ListWatch,
  Watch,
} from '@kubernetes/client-node';
import { BehaviorSubject, Subject, distinctUntilChanged } from 'rxjs';
import type { Deployment, EndpointSlice, GRPCRoute, HTTPRoute, KubeObject, Pod, ResourceKind, Service, ServiceProfile } from '../model';
import { API_VERSIONS, OPTIONAL_KINDS, RESOURCE_KINDS, namespaceOf } from '../model';
import { ObjectStore, linkerdPolicyInformers } from '../object-store';
import type { InformerStats, RouteStatusWriter, Source, SourceError, SourceLogger } from '../source';
import type { BackoffOptions } from './backoff';
import { backoffDelayMs } from './backoff';

export interface KubernetesSourceOptions {
  logger?: SourceLogger;
  /** Defaults to KubeConfig.loadFromDefault(): in-cluster service account, or KUBECONFIG / ~/.kube/config. */
  kubeConfig?: KubeConfig;
  backoff?: BackoffOptions;
}

type ListFn = () => Promise<KubernetesListObject<KubernetesObject>>;

interface KindSpec {
  path: string;
  list: (kc: KubeConfig) => ListFn;
}

const KINDS: Record<ResourceKind, KindSpec> = {
  Service: {
    path: '/api/v1/services',
    list: (kc) => {
      const api = kc.makeApiClient(CoreV1Api);
      return () => api.listServiceForAllNamespaces() as Promise<KubernetesListObject<KubernetesObject>>;
    },
  },
  Pod: {
    path: '/api/v1/pods',
    list: (kc) => {
      const api = kc.makeApiClient(CoreV1Api);
      return () => api.listPodForAllNamespaces() as Promise<KubernetesListObject<KubernetesObject>>;
    },
  },
  EndpointSlice: {
    path: '/apis/discovery.k8s.io/v1/endpointslices',
    list: (kc) => {
      const api = kc.makeApiClient(DiscoveryV1Api);
      return () => api.listEndpointSliceForAllNamespaces() as Promise<KubernetesListObject<KubernetesObject>>;
    },
  },
  Deployment: {
    path: '/apis/apps/v1/deployments',
    list: (kc) => {
      const api = kc.makeApiClient(AppsV1Api);
      return () => api.listDeploymentForAllNamespaces() as Promise<KubernetesListObject<KubernetesObject>>;
    },
  },
  ServiceProfile: {
    path: '/apis/linkerd.io/v1alpha2/serviceprofiles',
    list: (kc) => {
      const api = kc.makeApiClient(CustomObjectsApi);
      return () =>
        api.listClusterCustomObject({ group: 'linkerd.io', version: 'v1alpha2', plural: 'serviceprofiles' }) as Promise<
          KubernetesListObject<KubernetesObject>
        >;
    },
  },
  HTTPRoute: gatewayRoutes('httproutes'),
  GRPCRoute: gatewayRoutes('grpcroutes'),
  Server: customObjects('policy.linkerd.io', 'v1beta3', 'servers'),
  AuthorizationPolicy: customObjects('policy.linkerd.io', 'v1alpha1', 'authorizationpolicies'),
  MeshTLSAuthentication: customObjects('policy.linkerd.io', 'v1alpha1', 'meshtlsauthentications'),
  NetworkAuthentication: customObjects('policy.linkerd.io', 'v1alpha1', 'networkauthentications'),
  HTTPLocalRateLimitPolicy: customObjects('policy.linkerd.io', 'v1alpha1', 'httplocalratelimitpolicies'),
};

function gatewayRoutes(plural: string): KindSpec {
  return customObjects('gateway.networking.k8s.io', 'v1', plural);
}

function customObjects(group: string, version: string, plural: string): KindSpec {
  return {
    path: `/apis/${group}/${version}/${plural}`,
    list: (kc) => {
      const api = kc.makeApiClient(CustomObjectsApi);
      return () => api.listClusterCustomObject({ group, version, plural }) as Promise<KubernetesListObject<KubernetesObject>>;
    },
  };
}

const EMPTY_LIST: KubernetesListObject<KubernetesObject> = { apiVersion: 'v1', kind: 'List', metadata: {}, items: [] };

/**
 * The client's Watch, plus two things: it asks for BOOKMARK events (they keep the resume
 * resourceVersion fresh between changes), and it can abort every watch it started. ListWatch.stop()
 * only aborts a watch whose request has already been answered; one still connecting, or started by
 * a list that completes after stop(), would otherwise stay open, so close() aborts them all here.
 */
class SourceWatch extends Watch {
  private readonly open = new Set<AbortController>();
  private closed = false;

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    // done may run before super.watch returns (a failed connect), so the controller is held by reference.
    const state: { controller?: AbortController; finished: boolean } = { finished: false };
    const onDone = (err: unknown) => {
      state.finished = true;
      if (state.controller) this.open.delete(state.controller);
      done(err);
    };
    const controller = await super.watch(path, { ...queryParams, allowWatchBookmarks: true }, callback, onDone);
    state.controller = controller;
    if (this.closed) controller.abort();
    else if (!state.finished) this.open.add(controller);
    return controller;
  }

  abortAll(): void {
    this.closed = true;
    for (const controller of this.open) controller.abort();
    this.open.clear();
  }
}

/**
 * The typed list APIs return model classes (dates as Date, fields the model lacks dropped) and omit
 * kind/apiVersion on items, while watch events carry raw JSON; this brings both to the same plain shape.
 */
function toPlain(obj: KubernetesObject, kind: ResourceKind, typed: boolean): KubeObject {
  const plain = (typed ? JSON.parse(JSON.stringify(obj)) : obj) as KubeObject;
  plain.kind ??= kind;
  plain.apiVersion ??= API_VERSIONS[kind];
  return plain;
}

function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, statusCode } = err as { code?: unknown; statusCode?: unknown };
  const status = code ?? statusCode;
  return typeof status === 'number' ? status : undefined;
}

function reasonOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null) {
    const { statusCode, code, message } = err as { statusCode?: number; code?: number; message?: string };
    return [statusCode ?? code, message].filter((x) => x !== undefined).join(' ') || JSON.stringify(err);
  }
  return String(err);
}

const sameResourceVersion = (a: KubeObject, b: KubeObject) =>
  a.metadata.resourceVersion !== undefined && a.metadata.resourceVersion === b.metadata.resourceVersion;

/**
 * One ListWatch per kind, all namespaces. The client's ListWatch relists on its own after a 410 Gone
 * and resumes a watch that ends cleanly; any other failure stops it, and this source restarts it
 * after a backoff (resuming from the last resourceVersion when it has one). Failures never reach
 * events$; they are reported on errors$.
 */
export function createKubernetesSource(options: KubernetesSourceOptions = {}): Source {
  const log = options.logger;
  const kc = options.kubeConfig ?? loadDefaultConfig();
  const stores = Object.fromEntries(
    RESOURCE_KINDS.map((k) => [k, new ObjectStore<KubeObject>(sameResourceVersion)]),
  ) as Record<ResourceKind, ObjectStore<KubeObject>>;
  const errors = new Subject<SourceError>();
  const synced = new BehaviorSubject(false);
  const syncedKinds = new Set<ResourceKind>();
  const timers = new Set<NodeJS.Timeout>();
  const informers: ListWatch<KubernetesObject>[] = [];
  const watch = new SourceWatch(kc);
  let closed = false;

  const startKind = (kind: ResourceKind) => {
    const store = stores[kind];
    const list = KINDS[kind].list(kc);
    let failures = 0;
    // An optional kind whose CRD is not installed (404), or that this identity may not list (403: a component
    // that has no use for it), lists as empty and synced; its list/watch keeps being retried with backoff, so
    // installing the CRD (or granting access) later brings its objects in without a restart.
    let crdMissing = false;

    const listOrEmpty = async () => {
      try {
        const result = await list();
        crdMissing = false;
        return result;
      } catch (err) {
        const status = httpStatusOf(err);
        if (!OPTIONAL_KINDS.has(kind) || (status !== 404 && status !== 403)) throw err;
        if (!crdMissing) {
          const why = status === 404 ? 'is its CRD installed?' : 'may this service account list it?';
          const reason = `${kind} is not served (${status}: ${why}); treated as empty until it is`;
          log?.warn({ kind }, reason);
          errors.next({ source: 'kubernetes', kind, reason });
        }
        crdMissing = true;
        return EMPTY_LIST;
      }
    };

    const listFn: ListFn = async () => {
      const started = performance.now();
      const result = await listOrEmpty();
      const events = store.replaceAll((result.items ?? []).map((item) => toPlain(item, kind, true)));
      store.stats.lists += 1;
      store.stats.lastLagMs = performance.now() - started;
      if (!crdMissing) failures = 0;
      for (const event of events) store.emit(event);
      if (!syncedKinds.has(kind)) {
        syncedKinds.add(kind);
        store.markSynced();
        if (syncedKinds.size === RESOURCE_KINDS.length) synced.next(true);
      }
      return result;
    };

    const informer = new ListWatch<KubernetesObject>(KINDS[kind].path, watch, listFn, false);
    const upsert = (obj: KubernetesObject) => {
      failures = 0;
      store.emit(store.upsert(toPlain(obj, kind, false)));
    };
    informer.on('add', upsert);
    informer.on('update', upsert);
    informer.on('delete', (obj) => {
      const plain = toPlain(obj, kind, false);
      store.emit(store.remove(namespaceOf(plain), plain.metadata.name));
    });
    informer.on('error', (err: unknown) => {
      if (closed) return;
      failures += 1;
      store.stats.restarts += 1;
      const delay = backoffDelayMs(failures, options.backoff);
      const reason = `${kind} list/watch failed: ${reasonOf(err)}; restarting in ${delay} ms`;
      if (crdMissing) {
        log?.debug({ kind, failures, delayMs: delay }, reason);
      } else {
        log?.warn({ kind, failures, delayMs: delay }, reason);
        errors.next({ source: 'kubernetes', kind, reason });
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!closed) void informer.start().catch((e: unknown) => log?.warn({ kind, err: reasonOf(e) }, 'restart failed'));
      }, delay);
      timers.add(timer);
    });
    informers.push(informer);
    void informer.start().catch((e: unknown) => log?.warn({ kind, err: reasonOf(e) }, 'start failed'));
  };

  for (const kind of RESOURCE_KINDS) startKind(kind);
  const customObjects = kc.makeApiClient(CustomObjectsApi);
  const routeStatus: RouteStatusWriter = {
    writeRouteStatus: async (kind, namespace, name, status) => {
      const plural = kind === 'HTTPRoute' ? 'httproutes' : 'grpcroutes';
      // A JSON patch `add` of /status replaces it whether or not it exists (the client sends json-patch+json).
      await customObjects.patchNamespacedCustomObjectStatus({
        group: 'gateway.networking.k8s.io',
        version: 'v1',
        namespace,
        plural,
        name,
        body: [{ op: 'add', path: '/status', value: status }],
      });
    },
  };

  return {
    services: stores.Service as unknown as ObjectStore<Service>,
    endpointSlices: stores.EndpointSlice as unknown as ObjectStore<EndpointSlice>,
    pods: stores.Pod as unknown as ObjectStore<Pod>,
    serviceProfiles: stores.ServiceProfile as unknown as ObjectStore<ServiceProfile>,
    deployments: stores.Deployment as unknown as ObjectStore<Deployment>,
    httpRoutes: stores.HTTPRoute as unknown as ObjectStore<HTTPRoute>,
    grpcRoutes: stores.GRPCRoute as unknown as ObjectStore<GRPCRoute>,
    linkerdPolicy: linkerdPolicyInformers(stores),
    routeStatus,
    synced$: synced.pipe(distinctUntilChanged()),
    errors$: errors.asObservable(),
    stats: () =>
      Object.fromEntries(RESOURCE_KINDS.map((k) => [k, { ...stores[k].stats }])) as Record<ResourceKind, InformerStats>,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.all(informers.map((informer) => informer.stop()));
      watch.abortAll();
      for (const kind of RESOURCE_KINDS) stores[kind].close();
      errors.complete();
      synced.complete();
    },
  };
}

function loadDefaultConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}
