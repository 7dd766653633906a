import type { Service, ServiceProfile, Source, WatchEvent } from '@trellis/kube';
import { namespaceOf } from '@trellis/kube';
import type { BackendPolicy, DestinationProfile } from '@trellis/proto';
import { Subscription } from 'rxjs';
import type { Authority } from './authority';
import { serviceFqdn } from './authority';
import type { AnnotationProblem } from './backend-policy-translation';
import { backendPolicyAnnotations, translateBackendPolicy } from './backend-policy-translation';
import { BatchScheduler } from './batch-scheduler';
import { toWeightedAddr } from './endpoint-translation';
import { toTcpAddress } from './ip-address';
import { ENDPOINT_WEIGHT } from './defaults';
import type { PodIndex } from './pod-index';
import type { ProfileParts } from './profile-translation';
import { buildProfile, translateProfileSpec } from './profile-translation';

export type ProfileListener = (profile: DestinationProfile) => void;

export interface ProfileWatcherHooks {
  /** A ServiceProfile was rejected; the last valid version of it (if any) stays in force. */
  invalid?(namespace: string, name: string, reason: string): void;
  /** A Service's backend-policy annotation was ignored (its default applies); once per change of those annotations. */
  invalidAnnotation?(namespace: string, service: string, problem: AnnotationProblem): void;
}

/** A Service's backend policy and the annotations it was translated from (JSON, sorted by name). */
interface ServicePolicy {
  annotations: string;
  policy: BackendPolicy | undefined;
}

interface ProfileView {
  authority: Authority;
  clientNamespace: string | undefined;
  profile: DestinationProfile;
  fingerprint: string;
  listeners: Set<ProfileListener>;
}

/**
 * Keeps the last valid translation of every ServiceProfile, the backend policy of every Service that has
 * backend-policy annotations, and one current DestinationProfile per distinct request (authority + client
 * namespace), shared by the streams that asked for it. A profile is re-sent only when its translation changed.
 */
export class ProfileWatcher {
  private readonly valid = new Map<string, ProfileParts>();
  private readonly policies = new Map<string, ServicePolicy>();
  private readonly views = new Map<string, ProfileView>();
  private readonly scheduler = new BatchScheduler<string>((keys) => this.recompute(keys));
  private readonly subscription = new Subscription();

  constructor(
    private readonly source: Source,
    private readonly pods: PodIndex,
    private readonly clusterDomain: string,
    private readonly hooks: ProfileWatcherHooks = {},
    /** With identity on: a pod IP's profile endpoint carries the pod's identity, as its Get endpoint does. */
    private readonly trustDomain?: string,
  ) {
    this.subscription.add(source.serviceProfiles.events$.subscribe((e) => this.onProfile(e)));
    this.subscription.add(source.pods.events$.subscribe(() => this.markIpViews()));
    this.subscription.add(source.services.events$.subscribe((e) => this.onService(e)));
  }

  /** Validates every ServiceProfile and Service annotation already listed (call once the source has synced). */
  load(): void {
    for (const profile of this.source.serviceProfiles.list()) this.accept(profile);
    for (const service of this.source.services.list()) this.acceptService(service);
  }

  subscribe(authority: Authority, clientNamespace: string | undefined, listener: ProfileListener): { initial: DestinationProfile; unsubscribe(): void } {
    const key = JSON.stringify([authority, clientNamespace ?? '']);
    let view = this.views.get(key);
    if (!view) {
      const profile = this.compute(authority, clientNamespace);
      view = { authority, clientNamespace, profile, fingerprint: JSON.stringify(profile), listeners: new Set() };
      this.views.set(key, view);
    }
    view.listeners.add(listener);
    const current = view;
    return {
      initial: view.profile,
      unsubscribe: () => {
        current.listeners.delete(listener);
        if (current.listeners.size === 0 && this.views.get(key) === current) this.views.delete(key);
      },
    };
  }

  close(): void {
    this.subscription.unsubscribe();
    this.scheduler.close();
    this.views.clear();
  }

  private onProfile(event: WatchEvent<ServiceProfile>): void {
    const sp = event.object;
    const id = `${namespaceOf(sp)}/${sp.metadata.name}`;
    if (event.type === 'DELETED') this.valid.delete(id);
    else if (!this.accept(sp)) return;
    for (const [key, view] of this.views) {
      if (view.authority.kind === 'ip' || this.profileName(view.authority.service, view.authority.namespace) === sp.metadata.name) {
        this.scheduler.mark(key);
      }
    }
  }

  private accept(sp: ServiceProfile): boolean {
    const namespace = namespaceOf(sp);
    try {
      this.valid.set(`${namespace}/${sp.metadata.name}`, translateProfileSpec(sp.spec));
      return true;
    } catch (err) {
      this.hooks.invalid?.(namespace, sp.metadata.name, (err as Error).message);
      return false;
    }
  }

  private markIpViews(): void {
    for (const [key, view] of this.views) if (view.authority.kind === 'ip') this.scheduler.mark(key);
  }

  /** IP views may name the Service by its cluster IP; its own views only care when its policy changed. */
  private onService(event: WatchEvent<Service>): void {
    const service = event.object;
    const namespace = namespaceOf(service);
    const changed = event.type === 'DELETED' ? this.policies.delete(`${namespace}/${service.metadata.name}`) : this.acceptService(service);
    for (const [key, view] of this.views) {
      const own = view.authority.kind === 'service' && view.authority.service === service.metadata.name && view.authority.namespace === namespace;
      if (view.authority.kind === 'ip' || (changed && own)) this.scheduler.mark(key);
    }
  }

  /** Translates a Service's backend policy when its annotations changed, reporting each ignored one; true if they changed. */
  private acceptService(service: Service): boolean {
    const namespace = namespaceOf(service);
    const id = `${namespace}/${service.metadata.name}`;
    const present = backendPolicyAnnotations(service.metadata.annotations);
    const annotations = present.length === 0 ? '' : JSON.stringify(present);
    if (annotations === (this.policies.get(id)?.annotations ?? '')) return false;
    if (annotations === '') return this.policies.delete(id);
    const { policy, problems } = translateBackendPolicy(service.metadata.annotations);
    for (const problem of problems) this.hooks.invalidAnnotation?.(namespace, service.metadata.name, problem);
    this.policies.set(id, { annotations, policy });
    return true;
  }

  private profileName(service: string, namespace: string): string {
    return serviceFqdn(service, namespace, this.clusterDomain);
  }

  /** The ServiceProfile in force for a Service and client: the client namespace's own first, then the Service's. */
  profileFor(service: string, namespace: string, clientNamespace: string | undefined): { parts: ProfileParts; namespace: string; name: string } | undefined {
    const name = this.profileName(service, namespace);
    const lookups = clientNamespace && clientNamespace !== namespace ? [clientNamespace, namespace] : [namespace];
    for (const ns of lookups) {
      const parts = this.valid.get(`${ns}/${name}`);
      if (parts) return { parts, namespace: ns, name };
    }
    return undefined;
  }

  private serviceProfile(service: string, namespace: string, port: number, clientNamespace: string | undefined): DestinationProfile {
    const name = this.profileName(service, namespace);
    const found = this.profileFor(service, namespace, clientNamespace);
    const profile = buildProfile(found?.parts, {
      fullyQualifiedName: name,
      service: { namespace, name: service, port },
      ...(found ? { profile: { namespace: found.namespace, name } } : {}),
    });
    const policy = this.policies.get(`${namespace}/${service}`)?.policy;
    if (policy) profile.backendPolicy = policy;
    return profile;
  }

  /** A pod IP gets its endpoint; a Service's cluster IP gets that Service's profile; any other IP, a bare endpoint. */
  private compute(authority: Authority, clientNamespace: string | undefined): DestinationProfile {
    if (authority.kind === 'service') return this.serviceProfile(authority.service, authority.namespace, authority.port, clientNamespace);
    const pod = this.pods.byIp(authority.ip);
    if (pod) return buildProfile(undefined, { fullyQualifiedName: '', endpoint: toWeightedAddr(authority.ip, authority.port, pod, undefined, this.trustDomain)?.addr });
    const service = this.source.services.list().find((s) => s.spec?.clusterIP === authority.ip);
    if (service) return this.serviceProfile(service.metadata.name, namespaceOf(service), authority.port, clientNamespace);
    const addr = toTcpAddress(authority.ip, authority.port);
    return buildProfile(undefined, { fullyQualifiedName: '', endpoint: { addr, weight: ENDPOINT_WEIGHT, metricLabels: {} } });
  }

  private recompute(keys: ReadonlySet<string>): void {
    for (const key of keys) {
      const view = this.views.get(key);
      if (!view) continue;
      const profile = this.compute(view.authority, view.clientNamespace);
      const fingerprint = JSON.stringify(profile);
      if (fingerprint === view.fingerprint) continue;
      view.profile = profile;
      view.fingerprint = fingerprint;
      for (const listener of [...view.listeners]) listener(profile);
    }
  }
}
