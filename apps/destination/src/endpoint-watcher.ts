import type { EndpointSlice, Source } from '@trellis/kube';
import { SERVICE_NAME_LABEL, namespaceOf } from '@trellis/kube';
import type { Update } from '@trellis/proto';
import { Subscription } from 'rxjs';
import { BatchScheduler } from './batch-scheduler';
import { diffUpdates, initialUpdate } from './endpoint-diff';
import type { EndpointSnapshot } from './endpoint-translation';
import { translateEndpoints } from './endpoint-translation';
import type { PodIndex } from './pod-index';

export type EndpointListener = (updates: readonly Update[]) => void;

export interface EndpointSubscription {
  /** The message a new stream starts with (shared by every subscriber of the view). */
  initial: Update;
  unsubscribe(): void;
}

export interface EndpointWatcherHooks {
  /** Subscribers of a service changed (for the per-service gauge). */
  subscribersChanged?(namespace: string, service: string, count: number): void;
  /** A view produced messages for its listeners (once per change, whatever the listener count). */
  published?(updates: readonly Update[], listeners: number): void;
}

/** One service port as seen by every stream that asked for it. */
interface View {
  namespace: string;
  service: string;
  port: number;
  snapshot: EndpointSnapshot;
  initial: Update | undefined;
  listeners: Set<EndpointListener>;
}

const serviceKey = (namespace: string, service: string) => `${namespace}/${service}`;

/**
 * Watches Services, EndpointSlices and Pods and keeps one snapshot per subscribed service port.
 * Subscribers of the same service port share its snapshot, its first message and every diff; a diff
 * is computed once per change and handed to each listener, which must not block (streams queue it).
 * Like Linkerd's watchers, fan-out is a plain listener set: RxJS carries the source events in, but a
 * per-subscriber pipeline would cost memory on every stream.
 */
export class EndpointWatcher {
  private readonly views = new Map<string, View>();
  private readonly viewsByService = new Map<string, Set<string>>();
  private readonly scheduler = new BatchScheduler<string>((keys) => this.recompute(keys));
  private readonly subscription = new Subscription();

  constructor(
    private readonly source: Source,
    private readonly pods: PodIndex,
    private readonly hooks: EndpointWatcherHooks = {},
    /** The identity trust domain: endpoints of meshed pods carry their identity; undefined: identity is off. */
    private readonly trustDomain?: string,
  ) {
    this.subscription.add(source.services.events$.subscribe((e) => this.markService(namespaceOf(e.object), e.object.metadata.name)));
    this.subscription.add(source.endpointSlices.events$.subscribe((e) => this.markSlice(e.object)));
    this.subscription.add(
      source.pods.events$.subscribe((e) => {
        const pod = e.object;
        const deps = [`${namespaceOf(pod)}/${pod.metadata.name}`, ...(pod.status?.podIPs ?? []).map((p) => `ip:${p.ip}`)];
        if (pod.status?.podIP) deps.push(`ip:${pod.status.podIP}`);
        for (const [key, view] of this.views) {
          if (deps.some((d) => view.snapshot.dependencies.has(d))) this.scheduler.mark(key);
        }
      }),
    );
  }

  subscribe(namespace: string, service: string, port: number, listener: EndpointListener): EndpointSubscription {
    const key = `${namespace}/${service}:${port}`;
    let view = this.views.get(key);
    if (!view) {
      view = { namespace, service, port, snapshot: this.translate(namespace, service, port), initial: undefined, listeners: new Set() };
      this.views.set(key, view);
      const sKey = serviceKey(namespace, service);
      const keys = this.viewsByService.get(sKey) ?? new Set<string>();
      keys.add(key);
      this.viewsByService.set(sKey, keys);
    }
    view.initial ??= initialUpdate(view.snapshot);
    view.listeners.add(listener);
    this.countChanged(namespace, service);
    const current = view;
    let done = false;
    return {
      initial: view.initial,
      unsubscribe: () => {
        if (done) return;
        done = true;
        current.listeners.delete(listener);
        if (current.listeners.size === 0 && this.views.get(key) === current) this.dropView(key, current);
        this.countChanged(namespace, service);
      },
    };
  }

  /** Subscribers per service, for metrics. */
  subscriberCount(namespace: string, service: string): number {
    let n = 0;
    for (const key of this.viewsByService.get(serviceKey(namespace, service)) ?? []) n += this.views.get(key)?.listeners.size ?? 0;
    return n;
  }

  close(): void {
    this.subscription.unsubscribe();
    this.scheduler.close();
    this.views.clear();
    this.viewsByService.clear();
  }

  private translate(namespace: string, service: string, port: number): EndpointSnapshot {
    const slices = this.source.endpointSlices.list(namespace).filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === service);
    return translateEndpoints(namespace, service, port, this.source.services.get(namespace, service), slices, this.pods, this.trustDomain);
  }

  private markService(namespace: string, service: string): void {
    for (const key of this.viewsByService.get(serviceKey(namespace, service)) ?? []) this.scheduler.mark(key);
  }

  private markSlice(slice: EndpointSlice): void {
    const service = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (service) this.markService(namespaceOf(slice), service);
  }

  private recompute(keys: ReadonlySet<string>): void {
    for (const key of keys) {
      const view = this.views.get(key);
      if (!view) continue;
      const next = this.translate(view.namespace, view.service, view.port);
      const updates = diffUpdates(view.snapshot, next);
      view.snapshot = next;
      view.initial = undefined;
      if (updates.length === 0) continue;
      this.hooks.published?.(updates, view.listeners.size);
      for (const listener of [...view.listeners]) listener(updates);
    }
  }

  private dropView(key: string, view: View): void {
    this.views.delete(key);
    const sKey = serviceKey(view.namespace, view.service);
    const keys = this.viewsByService.get(sKey);
    keys?.delete(key);
    if (keys?.size === 0) this.viewsByService.delete(sKey);
  }

  private countChanged(namespace: string, service: string): void {
    this.hooks.subscribersChanged?.(namespace, service, this.subscriberCount(namespace, service));
  }
}
