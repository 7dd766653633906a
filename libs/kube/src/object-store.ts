import { Subject } from 'rxjs';
import type { KubeObject, LinkerdServer, ResourceKind } from './model';
import { namespaceOf } from './model';
import type { Informer, InformerStats, LinkerdPolicyInformers, WatchEvent } from './source';

/**
 * The cache behind one Informer. Writers (the sources) call upsert/remove/replaceAll; readers see
 * get/list and events$. Events are emitted only after the initial sync (markSynced), so a subscriber
 * reads list() once and then follows events$.
 */
export class ObjectStore<T extends KubeObject> implements Informer<T> {
  private readonly byNamespace = new Map<string, Map<string, T>>();
  private readonly subject = new Subject<WatchEvent<T>>();
  private synced = false;
  readonly events$ = this.subject.asObservable();
  readonly stats: InformerStats = { lists: 0, restarts: 0, events: 0, lastLagMs: 0 };

  constructor(private readonly sameVersion: (a: T, b: T) => boolean) {}

  get(namespace: string, name: string): T | undefined {
    return this.byNamespace.get(namespace)?.get(name);
  }

  list(namespace?: string): T[] {
    if (namespace !== undefined) return [...(this.byNamespace.get(namespace)?.values() ?? [])];
    const all: T[] = [];
    for (const objects of this.byNamespace.values()) all.push(...objects.values());
    return all;
  }

  /** Stores obj; returns the event to emit, or undefined when nothing changed. */
  upsert(obj: T): WatchEvent<T> | undefined {
    const ns = namespaceOf(obj);
    let objects = this.byNamespace.get(ns);
    if (!objects) {
      objects = new Map();
      this.byNamespace.set(ns, objects);
    }
    const previous = objects.get(obj.metadata.name);
    if (previous && this.sameVersion(previous, obj)) return undefined;
    objects.set(obj.metadata.name, obj);
    return { type: previous ? 'MODIFIED' : 'ADDED', object: obj };
  }

  remove(namespace: string, name: string): WatchEvent<T> | undefined {
    const objects = this.byNamespace.get(namespace);
    const previous = objects?.get(name);
    if (!objects || !previous) return undefined;
    objects.delete(name);
    if (objects.size === 0) this.byNamespace.delete(namespace);
    return { type: 'DELETED', object: previous };
  }

  /** Makes the cache hold exactly `objects`; returns the events that turn the old state into the new one. */
  replaceAll(objects: Iterable<T>): WatchEvent<T>[] {
    const events: WatchEvent<T>[] = [];
    const keep = new Set<string>();
    for (const obj of objects) {
      keep.add(`${namespaceOf(obj)}/${obj.metadata.name}`);
      const event = this.upsert(obj);
      if (event) events.push(event);
    }
    for (const obj of this.list()) {
      const ns = namespaceOf(obj);
      if (keep.has(`${ns}/${obj.metadata.name}`)) continue;
      const event = this.remove(ns, obj.metadata.name);
      if (event) events.push(event);
    }
    return events;
  }

  emit(event: WatchEvent<T> | undefined): void {
    if (!event || !this.synced) return;
    this.stats.events += 1;
    this.subject.next(event);
  }

  markSynced(): void {
    this.synced = true;
  }

  close(): void {
    this.subject.complete();
  }
}

/** The policy.linkerd.io informers of a source whose stores are keyed by kind. */
export function linkerdPolicyInformers(stores: Record<ResourceKind, ObjectStore<KubeObject>>): LinkerdPolicyInformers {
  return {
    servers: stores.Server as unknown as ObjectStore<LinkerdServer>,
    authorizationPolicies: stores.AuthorizationPolicy,
    meshTLSAuthentications: stores.MeshTLSAuthentication,
    networkAuthentications: stores.NetworkAuthentication,
    httpLocalRateLimitPolicies: stores.HTTPLocalRateLimitPolicy,
  };
}
