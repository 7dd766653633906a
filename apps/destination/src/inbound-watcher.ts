import type { HTTPRoute, Informer, LinkerdPolicyKind, LinkerdPolicyResource, Pod, Source, WatchEvent } from '@trellis/kube';
import { namespaceOf } from '@trellis/kube';
import type { inbound } from '@trellis/proto';
import { Subscription } from 'rxjs';
import { BatchScheduler } from './batch-scheduler';
import type { InboundIndex, InboundOptions } from './inbound-policy';
import { buildInboundServer } from './inbound-policy';
import type { PodIndex } from './pod-index';
import type {
  AuthorizationPolicyT,
  InboundRouteT,
  MeshTLSAuthenticationT,
  NetworkAuthenticationT,
  ObjectRef,
  PolicyInvalidReason,
  PolicyT,
  RateLimitT,
  ServerPolicy,
  Translation,
} from './policy-translation';
import { translateInboundRoute, translatePolicy } from './policy-translation';

export type InboundListener = (server: inbound.Server) => void;

/** A WatchPort/GetPort request: one port of one pod (the pod may not exist yet). */
export interface InboundRequest {
  namespace: string;
  pod: string;
  port: number;
}

export interface InboundWatcherHooks {
  /** A resource version was rejected (once per change of the reason); the last valid version stays in force. */
  invalidPolicy?(kind: LinkerdPolicyKind | 'HTTPRoute', namespace: string, name: string, reason: PolicyInvalidReason, message: string): void;
}

type Entry = PolicyT | InboundRouteT;
type EntryKind = Entry['kind'];

interface View {
  request: InboundRequest;
  server: inbound.Server;
  fingerprint: string;
  listeners: Set<InboundListener>;
}

const idOf = (kind: EntryKind, namespace: string, name: string) => `${kind}/${namespace}/${name}`;

/**
 * Keeps the accepted version of every policy.linkerd.io resource and of every HTTPRoute attached to a Server,
 * and one current Server message per distinct (pod, port), shared by the streams that asked for it.
 *
 * A new version of a resource is first translated on its own; a malformed one is reported and the last valid
 * version stays in force. A well-formed one is a candidate until what it references exists (its target Server
 * or HTTPRoute, its MeshTLSAuthentication or NetworkAuthentication): a candidate naming something missing is
 * reported, the last valid version stays, and it is accepted as soon as the reference appears. Any accepted
 * change, or a change of a pod with open views, recomputes the open views in one batch; a Server message is
 * re-sent only when it changed.
 */
export class InboundWatcher {
  private readonly accepted = new Map<string, Entry>();
  private readonly candidates = new Map<string, Entry>();
  /** Per resource: the spec last translated, so an echo (status, resourceVersion) is not a new version. */
  private readonly inputs = new Map<string, string>();
  /** Per resource: the rejection last reported, so a standing rejection is reported once. */
  private readonly reported = new Map<string, string>();
  private readonly views = new Map<string, View>();
  private readonly scheduler = new BatchScheduler<string>((keys) => this.recompute(keys));
  private readonly subscription = new Subscription();
  private readonly index: InboundIndex;

  constructor(
    private readonly source: Source,
    private readonly pods: PodIndex,
    private readonly options: InboundOptions,
    private readonly hooks: InboundWatcherHooks = {},
  ) {
    for (const [kind, informer] of this.policyInformers()) {
      this.subscription.add(informer.events$.subscribe((e) => this.onPolicy(kind, e)));
    }
    this.subscription.add(source.httpRoutes.events$.subscribe((e) => this.onRoute(e)));
    this.subscription.add(source.pods.events$.subscribe((e) => this.onPod(e)));
    const ofKind = <T extends Entry>(kind: T['kind']) => [...this.accepted.values()].filter((e): e is T => e.kind === kind);
    this.index = {
      get servers() {
        return ofKind<ServerPolicy>('Server');
      },
      get authorizations() {
        return ofKind<AuthorizationPolicyT>('AuthorizationPolicy');
      },
      get routes() {
        return ofKind<InboundRouteT>('HTTPRoute');
      },
      get rateLimits() {
        return ofKind<RateLimitT>('HTTPLocalRateLimitPolicy');
      },
      meshTLS: (ref) => this.accepted.get(idOf('MeshTLSAuthentication', ref.namespace, ref.name)) as MeshTLSAuthenticationT | undefined,
      networks: (ref) => this.accepted.get(idOf('NetworkAuthentication', ref.namespace, ref.name)) as NetworkAuthenticationT | undefined,
    };
  }

  /** Translates every resource already listed (call once the source has synced). */
  load(): void {
    for (const [kind, informer] of this.policyInformers()) for (const resource of informer.list()) this.consider(kind, resource);
    for (const route of this.source.httpRoutes.list()) this.considerRoute(route);
    this.settle();
  }

  subscribe(request: InboundRequest, listener: InboundListener): { initial: inbound.Server; unsubscribe(): void } {
    const key = JSON.stringify([request.namespace, request.pod, request.port]);
    let view = this.views.get(key);
    if (!view) {
      const server = this.current(request);
      view = { request, server, fingerprint: JSON.stringify(server), listeners: new Set() };
      this.views.set(key, view);
    }
    view.listeners.add(listener);
    const current = view;
    return {
      initial: view.server,
      unsubscribe: () => {
        current.listeners.delete(listener);
        if (current.listeners.size === 0 && this.views.get(key) === current) this.views.delete(key);
      },
    };
  }

  /** The Server message for one request, without keeping a view (GetPort). */
  current(request: InboundRequest): inbound.Server {
    return buildInboundServer(this.pods.byName(request.namespace, request.pod), request.port, this.index, this.options);
  }

  close(): void {
    this.subscription.unsubscribe();
    this.scheduler.close();
    this.views.clear();
  }

  private policyInformers(): [LinkerdPolicyKind, Informer<LinkerdPolicyResource>][] {
    const policy = this.source.linkerdPolicy;
    if (!policy) return [];
    return [
      ['Server', policy.servers],
      ['AuthorizationPolicy', policy.authorizationPolicies],
      ['MeshTLSAuthentication', policy.meshTLSAuthentications],
      ['NetworkAuthentication', policy.networkAuthentications],
      ['HTTPLocalRateLimitPolicy', policy.httpLocalRateLimitPolicies],
    ];
  }

  private onPolicy(kind: LinkerdPolicyKind, event: WatchEvent<LinkerdPolicyResource>): void {
    if (event.type === 'DELETED') this.forget(idOf(kind, namespaceOf(event.object), event.object.metadata.name));
    else this.consider(kind, event.object);
    this.settle();
    this.markAll();
  }

  private onRoute(event: WatchEvent<HTTPRoute>): void {
    if (event.type === 'DELETED') this.forget(idOf('HTTPRoute', namespaceOf(event.object), event.object.metadata.name));
    else this.considerRoute(event.object);
    this.settle();
    this.markAll();
  }

  private onPod(event: WatchEvent<Pod>): void {
    const namespace = namespaceOf(event.object);
    for (const [key, view] of this.views) {
      if (view.request.namespace === namespace && view.request.pod === event.object.metadata.name) this.scheduler.mark(key);
    }
  }

  private forget(id: string): void {
    this.accepted.delete(id);
    this.candidates.delete(id);
    this.inputs.delete(id);
    this.reported.delete(id);
  }

  private consider(kind: LinkerdPolicyKind, resource: LinkerdPolicyResource): void {
    this.take(kind, resource.metadata.name, namespaceOf(resource), JSON.stringify([resource.spec, resource.metadata.creationTimestamp ?? '']), () =>
      translatePolicy(kind, resource),
    );
  }

  private considerRoute(route: HTTPRoute): void {
    const namespace = namespaceOf(route);
    const input = JSON.stringify([route.apiVersion, route.spec, route.metadata.creationTimestamp ?? '']);
    const id = idOf('HTTPRoute', namespace, route.metadata.name);
    if (this.inputs.get(id) === input) return;
    const result = translateInboundRoute(route);
    if (result === undefined) {
      // Not (or no longer) attached to a Server: not an inbound route.
      this.forget(id);
      this.inputs.set(id, input);
      return;
    }
    this.take('HTTPRoute', route.metadata.name, namespace, input, () => result, result.ok || result.reason !== 'Malformed');
  }

  /** Translates a new version; a rejected one is reported (unless `report` is false) and changes nothing else. */
  private take(kind: EntryKind, name: string, namespace: string, input: string, translate: () => Translation<Entry>, report = true): void {
    const id = idOf(kind, namespace, name);
    if (this.inputs.get(id) === input) return;
    this.inputs.set(id, input);
    const result = translate();
    if (!result.ok) {
      this.candidates.delete(id);
      if (report) this.report(id, kind, namespace, name, result.reason, result.message);
      return;
    }
    this.candidates.set(id, result.value);
  }

  /** Accepts every candidate whose references exist, repeating while that accepts more (a Server, then its policies). */
  private settle(): void {
    let progress = true;
    while (progress) {
      progress = false;
      for (const [id, entry] of this.candidates) {
        const missing = this.missingReference(entry);
        if (missing) continue;
        this.candidates.delete(id);
        this.accepted.set(id, entry);
        this.reported.delete(id);
        progress = true;
      }
    }
    for (const [id, entry] of this.candidates) {
      const missing = this.missingReference(entry);
      if (missing) this.report(id, entry.kind, entry.namespace, entry.name, missing.reason, missing.message);
    }
  }

  private exists(kind: EntryKind, ref: ObjectRef): boolean {
    return this.accepted.has(idOf(kind, ref.namespace, ref.name));
  }

  private missingReference(entry: Entry): { reason: PolicyInvalidReason; message: string } | undefined {
    const { namespace } = entry;
    switch (entry.kind) {
      case 'AuthorizationPolicy': {
        const target = entry.target;
        if (target.kind !== 'Namespace' && !this.exists(target.kind, { namespace, name: target.name })) {
          return { reason: 'NoMatchingTarget', message: `targetRef names ${target.kind} ${namespace}/${target.name}, which does not exist` };
        }
        if (entry.network && !this.exists('NetworkAuthentication', entry.network)) {
          return { reason: 'MissingAuthentication', message: `requires NetworkAuthentication ${entry.network.namespace}/${entry.network.name}, which does not exist` };
        }
        if (entry.identity?.kind === 'MeshTLSAuthentication' && !this.exists('MeshTLSAuthentication', entry.identity.ref)) {
          const ref = entry.identity.ref;
          return { reason: 'MissingAuthentication', message: `requires MeshTLSAuthentication ${ref.namespace}/${ref.name}, which does not exist` };
        }
        return undefined;
      }
      case 'HTTPLocalRateLimitPolicy':
        return this.exists('Server', { namespace, name: entry.server })
          ? undefined
          : { reason: 'NoMatchingTarget', message: `targetRef names Server ${namespace}/${entry.server}, which does not exist` };
      case 'HTTPRoute':
        return entry.servers.some((name) => this.exists('Server', { namespace, name }))
          ? undefined
          : { reason: 'NoMatchingTarget', message: `parentRefs name Server ${entry.servers.map((s) => `${namespace}/${s}`).join(', ')}, which does not exist` };
      default:
        return undefined;
    }
  }

  private report(id: string, kind: EntryKind, namespace: string, name: string, reason: PolicyInvalidReason, message: string): void {
    const text = `${reason}: ${message}`;
    if (this.reported.get(id) === text) return;
    this.reported.set(id, text);
    this.hooks.invalidPolicy?.(kind, namespace, name, reason, message);
  }

  private markAll(): void {
    for (const key of this.views.keys()) this.scheduler.mark(key);
  }

  private recompute(keys: ReadonlySet<string>): void {
    for (const key of keys) {
      const view = this.views.get(key);
      if (!view) continue;
      const server = this.current(view.request);
      const fingerprint = JSON.stringify(server);
      if (fingerprint === view.fingerprint) continue;
      view.server = server;
      view.fingerprint = fingerprint;
      for (const listener of [...view.listeners]) listener(server);
    }
  }
}
