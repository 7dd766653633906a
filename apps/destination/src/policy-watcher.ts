import type { GRPCRoute, HTTPRoute, RouteStatusWriter, Service, Source, WatchEvent } from '@trellis/kube';
import { namespaceOf } from '@trellis/kube';
import type { OutboundPolicy } from '@trellis/proto';
import { Subscription } from 'rxjs';
import type { AnnotationProblem } from './backend-policy-translation';
import { BatchScheduler } from './batch-scheduler';
import { ACCRUAL_ANNOTATIONS, ROUTE_ANNOTATIONS, parseFailureAccrual, parseRouteAnnotations } from './linkerd-route-annotations';
import type { PolicyTarget } from './outbound-policy';
import { buildOutboundPolicy } from './outbound-policy';
import type { ProfileWatcher } from './profile-watcher';
import type { ParentOutcome } from './route-status';
import { routeStatus } from './route-status';
import type { RouteInvalidReason, RouteKind, TranslatedRoute } from './route-translation';
import { serviceParents, translateRoute } from './route-translation';

export type PolicyListener = (policy: OutboundPolicy) => void;

/** What a policy is asked for: a Service port (the Service may not exist yet) and the client's namespace. */
export interface PolicyRequest {
  namespace: string;
  service: string;
  port: number;
  clientNamespace: string | undefined;
}

export interface PolicyWatcherHooks {
  /** A route (or one of its parents) is not accepted: the route, or that parent, gets no traffic from it. */
  invalidRoute?(kind: RouteKind, namespace: string, name: string, reason: RouteInvalidReason, message: string): void;
  /** A Linkerd annotation on a Service or route was ignored; once per change of the object's annotations. */
  invalidAnnotation?(kind: 'Service' | RouteKind, namespace: string, name: string, problem: AnnotationProblem): void;
  /** Writing a route's status failed (the kubernetes source); it is written again at the route's next change. */
  statusWriteFailed?(kind: RouteKind, namespace: string, name: string, reason: string): void;
}

type Rejection = { reason: RouteInvalidReason; message: string };

/** JSON with object keys sorted, so a status read back from the API server compares equal to the one written. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

interface PolicyView {
  request: PolicyRequest;
  policy: OutboundPolicy;
  fingerprint: string;
  listeners: Set<PolicyListener>;
}

const LINKERD_ANNOTATIONS = new Set<string>([...Object.values(ROUTE_ANNOTATIONS), ...Object.values(ACCRUAL_ANNOTATIONS)]);

function linkerdAnnotations(annotations: Readonly<Record<string, unknown>> | undefined): string {
  const present = Object.entries(annotations ?? {}).filter(([name]) => LINKERD_ANNOTATIONS.has(name));
  return present.length === 0 ? '' : JSON.stringify(present.sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Keeps every accepted HTTPRoute and GRPCRoute (translated once per change; a rejected one is reported and
 * no longer applies, as Gateway API's Accepted=False means), and one current OutboundPolicy per distinct
 * request (Service port + client namespace), shared by the streams that asked for it. Any change of a route,
 * Service or ServiceProfile recomputes the open views in one batch; a policy is re-sent only when it changed.
 */
export class PolicyWatcher {
  private readonly routes = new Map<string, TranslatedRoute>();
  /** Per route: the spec and annotations last translated, and the rejection if it was not accepted. */
  private readonly seen = new Map<string, { input: string; rejection?: Rejection }>();
  /** Per route: the status last written (canonical JSON), so an echo of one's own write is not written again. */
  private readonly written = new Map<string, string>();
  private readonly missingParents = new Map<string, string>();
  private readonly serviceAnnotations = new Map<string, string>();
  private readonly views = new Map<string, PolicyView>();
  private readonly scheduler = new BatchScheduler<string>((keys) => this.recompute(keys));
  private readonly subscription = new Subscription();

  constructor(
    private readonly source: Source,
    private readonly profiles: ProfileWatcher,
    private readonly clusterDomain: string,
    private readonly hooks: PolicyWatcherHooks = {},
    private readonly status: { writer?: RouteStatusWriter; now: () => Date } = { now: () => new Date() },
  ) {
    this.subscription.add(source.httpRoutes.events$.subscribe((e) => this.onRoute('HTTPRoute', e)));
    this.subscription.add(source.grpcRoutes.events$.subscribe((e) => this.onRoute('GRPCRoute', e)));
    this.subscription.add(source.services.events$.subscribe((e) => this.onService(e)));
    this.subscription.add(source.serviceProfiles.events$.subscribe(() => this.markAll()));
  }

  /** Translates every route and checks every Service already listed (call once the source has synced). */
  load(): void {
    for (const route of this.source.httpRoutes.list()) this.accept('HTTPRoute', route);
    for (const route of this.source.grpcRoutes.list()) this.accept('GRPCRoute', route);
    for (const service of this.source.services.list()) this.checkServiceAnnotations(service);
    this.checkParents();
    for (const route of this.source.httpRoutes.list()) this.writeStatus('HTTPRoute', route);
    for (const route of this.source.grpcRoutes.list()) this.writeStatus('GRPCRoute', route);
  }

  /** The Service whose cluster IP passes `sameIp`, for TrafficSpecs that name an address. */
  serviceByClusterIp(sameIp: (clusterIp: string) => boolean): Service | undefined {
    return this.source.services.list().find((s) => s.spec?.clusterIP !== undefined && sameIp(s.spec.clusterIP));
  }

  subscribe(request: PolicyRequest, listener: PolicyListener): { initial: OutboundPolicy; unsubscribe(): void } {
    const key = JSON.stringify([request.namespace, request.service, request.port, request.clientNamespace ?? '']);
    let view = this.views.get(key);
    if (!view) {
      const policy = this.compute(request);
      view = { request, policy, fingerprint: JSON.stringify(policy), listeners: new Set() };
      this.views.set(key, view);
    }
    view.listeners.add(listener);
    const current = view;
    return {
      initial: view.policy,
      unsubscribe: () => {
        current.listeners.delete(listener);
        if (current.listeners.size === 0 && this.views.get(key) === current) this.views.delete(key);
      },
    };
  }

  /** The policy for one request, without keeping a view (OutboundPolicies.Get). */
  current(request: PolicyRequest): OutboundPolicy {
    return this.compute(request);
  }

  close(): void {
    this.subscription.unsubscribe();
    this.scheduler.close();
    this.views.clear();
  }

  private onRoute(kind: RouteKind, event: WatchEvent<HTTPRoute | GRPCRoute>): void {
    const route = event.object;
    const id = `${kind}/${namespaceOf(route)}/${route.metadata.name}`;
    if (event.type === 'DELETED') {
      this.routes.delete(id);
      this.missingParents.delete(id);
      this.seen.delete(id);
      this.written.delete(id);
    } else {
      this.accept(kind, route);
    }
    this.checkParents();
    if (event.type !== 'DELETED') this.writeStatus(kind, route);
    this.markAll();
  }

  private accept(kind: RouteKind, route: HTTPRoute | GRPCRoute): void {
    const namespace = namespaceOf(route);
    const id = `${kind}/${namespace}/${route.metadata.name}`;
    // A change of status or resourceVersion only (e.g. the echo of a status write) is not a new version.
    const input = JSON.stringify([route.spec, route.metadata.annotations ?? {}, route.metadata.creationTimestamp ?? '']);
    if (this.seen.get(id)?.input === input) return;
    const result = translateRoute(kind, route);
    if (!result.ok) {
      this.seen.set(id, { input, rejection: { reason: result.reason, message: result.message } });
      this.routes.delete(id);
      this.missingParents.delete(id);
      this.hooks.invalidRoute?.(kind, namespace, route.metadata.name, result.reason, result.message);
      return;
    }
    this.seen.set(id, { input });
    const previous = this.routes.get(id);
    this.routes.set(id, result.route);
    if (JSON.stringify(previous?.annotations.problems) !== JSON.stringify(result.route.annotations.problems)) {
      for (const problem of result.route.annotations.problems) this.hooks.invalidAnnotation?.(kind, namespace, route.metadata.name, problem);
    }
  }

  /** Reports each route parent naming a Service that does not exist, once per change of that set. */
  private checkParents(): void {
    for (const [id, route] of this.routes) {
      const missing = route.parents.filter((p) => !this.source.services.get(p.namespace, p.name)).map((p) => `${p.namespace}/${p.name}`);
      const text = missing.join(',');
      if (text === (this.missingParents.get(id) ?? '')) continue;
      if (text === '') this.missingParents.delete(id);
      else this.missingParents.set(id, text);
      for (const parent of missing) {
        this.hooks.invalidRoute?.(route.kind, route.namespace, route.name, 'NoMatchingParent', `parentRef names Service ${parent}, which does not exist`);
      }
    }
  }

  private onService(event: WatchEvent<Service>): void {
    const service = event.object;
    const namespace = namespaceOf(service);
    const id = `${namespace}/${service.metadata.name}`;
    if (event.type === 'DELETED') this.serviceAnnotations.delete(id);
    else this.checkServiceAnnotations(service);
    if (event.type !== 'MODIFIED') {
      this.checkParents();
      this.writeStatusOfChildren(namespace, service.metadata.name);
    }
    this.markAll();
  }

  private writeStatusOfChildren(namespace: string, service: string): void {
    for (const [kind, informer] of [['HTTPRoute', this.source.httpRoutes], ['GRPCRoute', this.source.grpcRoutes]] as const) {
      for (const route of informer.list()) {
        if (serviceParents(route, namespaceOf(route)).some((p) => p.namespace === namespace && p.name === service)) this.writeStatus(kind, route);
      }
    }
  }

  /**
   * Writes `status.parents` (an Accepted condition per Service parent) when a writer was given (the kubernetes
   * source, with --write-route-status) and it differs from the route's current status. Writes are fire-and-forget: the watch brings the result back.
   */
  private writeStatus(kind: RouteKind, route: HTTPRoute | GRPCRoute): void {
    const writer = this.status.writer;
    if (!writer) return;
    const namespace = namespaceOf(route);
    const id = `${kind}/${namespace}/${route.metadata.name}`;
    const rejection = this.seen.get(id)?.rejection;
    const outcomes = serviceParents(route, namespace).map((parent): ParentOutcome => {
      if (rejection) return { parent, accepted: false, ...rejection };
      if (!this.source.services.get(parent.namespace, parent.name)) {
        return { parent, accepted: false, reason: 'NoMatchingParent', message: `Service ${parent.namespace}/${parent.name} does not exist` };
      }
      return { parent, accepted: true, reason: '', message: '' };
    });
    const current = route.status as { parents?: unknown } | undefined;
    const desired = routeStatus(current, outcomes, route.metadata.generation, this.status.now().toISOString());
    const text = canonical(desired.parents);
    if (text === canonical(current?.parents ?? []) || this.written.get(id) === text) return;
    this.written.set(id, text);
    writer.writeRouteStatus(kind, namespace, route.metadata.name, desired).catch((err: unknown) => {
      if (this.written.get(id) === text) this.written.delete(id);
      this.hooks.statusWriteFailed?.(kind, namespace, route.metadata.name, err instanceof Error ? err.message : String(err));
    });
  }

  private checkServiceAnnotations(service: Service): void {
    const namespace = namespaceOf(service);
    const id = `${namespace}/${service.metadata.name}`;
    const text = linkerdAnnotations(service.metadata.annotations);
    if (text === (this.serviceAnnotations.get(id) ?? '')) return;
    if (text === '') {
      this.serviceAnnotations.delete(id);
      return;
    }
    this.serviceAnnotations.set(id, text);
    const problems = [...parseRouteAnnotations(service.metadata.annotations).problems, ...parseFailureAccrual(service.metadata.annotations).problems];
    for (const problem of problems) this.hooks.invalidAnnotation?.('Service', namespace, service.metadata.name, problem);
  }

  private markAll(): void {
    for (const key of this.views.keys()) this.scheduler.mark(key);
  }

  /** A Service that does not exist (yet) gets the default policy; the view is recomputed when it appears. */
  private compute(request: PolicyRequest): OutboundPolicy {
    const service: Service = this.source.services.get(request.namespace, request.service) ?? {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: request.service, namespace: request.namespace },
    };
    const target: PolicyTarget = { service, port: request.port, clientNamespace: request.clientNamespace };
    const profile = this.profiles.profileFor(request.service, request.namespace, request.clientNamespace);
    return buildOutboundPolicy(target, {
      clusterDomain: this.clusterDomain,
      routes: this.routes.values(),
      serviceExists: (namespace, name) => this.source.services.get(namespace, name) !== undefined,
      ...(profile ? { profile } : {}),
    });
  }

  private recompute(keys: ReadonlySet<string>): void {
    for (const key of keys) {
      const view = this.views.get(key);
      if (!view) continue;
      const policy = this.compute(view.request);
      const fingerprint = JSON.stringify(policy);
      if (fingerprint === view.fingerprint) continue;
      view.policy = policy;
      view.fingerprint = fingerprint;
      for (const listener of [...view.listeners]) listener(policy);
    }
  }
}
