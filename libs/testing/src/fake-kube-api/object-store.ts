import { randomUUID } from 'node:crypto';
import type { ResourceType } from './resources';
import { resourceKey } from './resources';

export interface FakeObjectMeta {
  name: string;
  namespace?: string;
  resourceVersion?: string;
  uid?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  [field: string]: unknown;
}

export interface FakeObject {
  apiVersion?: string;
  kind?: string;
  metadata: FakeObjectMeta;
  [field: string]: unknown;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredEvent {
  resourceVersion: number;
  resource: ResourceType;
  type: EventType;
  object: FakeObject;
}

// Like etcd's compaction window: older events are forgotten and a watch from before them gets 410 Gone.
export const FAKE_HISTORY_LIMIT = 10_000;
// First resourceVersion handed out; any positive start works, a large one makes bugs that treat it as an index visible.
const FIRST_RESOURCE_VERSION = 1000;

export type StoreResult = { ok: true; object: FakeObject } | { ok: false; code: 404 | 409; reason: string; message: string };

const keyOf = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

/**
 * Objects by resource, one cluster-wide resourceVersion counter, and a bounded history of events that
 * watches replay from a resourceVersion. Every change calls the listener synchronously, so a watch
 * registered right after a replay misses nothing.
 */
export class FakeObjectStore {
  private readonly objects = new Map<string, Map<string, FakeObject>>();
  private history: StoredEvent[] = [];
  private counter = FIRST_RESOURCE_VERSION;
  /** Watches from a resourceVersion below this get 410 Gone. */
  private oldestValid = FIRST_RESOURCE_VERSION;

  constructor(private readonly onEvent: (event: StoredEvent) => void) {}

  get resourceVersion(): number {
    return this.counter;
  }

  list(resource: ResourceType, namespace?: string): FakeObject[] {
    const all = [...(this.objects.get(resourceKey(resource))?.values() ?? [])];
    const filtered = namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
    return filtered.sort((a, b) => keyOf(a.metadata.namespace, a.metadata.name).localeCompare(keyOf(b.metadata.namespace, b.metadata.name)));
  }

  get(resource: ResourceType, namespace: string | undefined, name: string): FakeObject | undefined {
    return this.objects.get(resourceKey(resource))?.get(keyOf(namespace, name));
  }

  create(resource: ResourceType, input: FakeObject): StoreResult {
    if (this.get(resource, input.metadata.namespace, input.metadata.name)) {
      return { ok: false, code: 409, reason: 'AlreadyExists', message: `${resource.plural} "${input.metadata.name}" already exists` };
    }
    const object = structuredClone(input);
    object.metadata.uid ??= randomUUID();
    object.metadata.creationTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    return { ok: true, object: this.commit(resource, 'ADDED', object) };
  }

  /** Replaces an object; when `expectedVersion` is given and differs from the stored one, fails with 409. */
  update(resource: ResourceType, input: FakeObject, expectedVersion?: string): StoreResult {
    const current = this.get(resource, input.metadata.namespace, input.metadata.name);
    if (!current) return { ok: false, code: 404, reason: 'NotFound', message: `${resource.plural} "${input.metadata.name}" not found` };
    if (expectedVersion !== undefined && expectedVersion !== current.metadata.resourceVersion) {
      return {
        ok: false,
        code: 409,
        reason: 'Conflict',
        message: `Operation cannot be fulfilled on ${resource.plural} "${input.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
      };
    }
    const object = structuredClone(input);
    object.metadata.uid = current.metadata.uid;
    object.metadata.creationTimestamp = current.metadata.creationTimestamp;
    return { ok: true, object: this.commit(resource, 'MODIFIED', object) };
  }

  remove(resource: ResourceType, namespace: string | undefined, name: string): StoreResult {
    const current = this.get(resource, namespace, name);
    if (!current) return { ok: false, code: 404, reason: 'NotFound', message: `${resource.plural} "${name}" not found` };
    return { ok: true, object: this.commit(resource, 'DELETED', structuredClone(current)) };
  }

  /** Events for `resource` after `since`, or 'expired' when the history no longer reaches back that far. */
  eventsSince(resource: ResourceType, since: number, namespace?: string): StoredEvent[] | 'expired' {
    if (since < this.oldestValid) return 'expired';
    return this.history.filter(
      (e) =>
        e.resourceVersion > since &&
        e.resource === resource &&
        (namespace === undefined || e.object.metadata.namespace === namespace),
    );
  }

  /** Forgets all history: a watch resuming from any earlier resourceVersion gets 410 Gone. */
  compact(): void {
    this.history = [];
    this.oldestValid = this.counter;
  }

  private commit(resource: ResourceType, type: EventType, object: FakeObject): FakeObject {
    this.counter += 1;
    object.metadata.resourceVersion = String(this.counter);
    const key = resourceKey(resource);
    let objects = this.objects.get(key);
    if (!objects) {
      objects = new Map();
      this.objects.set(key, objects);
    }
    const id = keyOf(object.metadata.namespace, object.metadata.name);
    if (type === 'DELETED') objects.delete(id);
    else objects.set(id, object);
    const event: StoredEvent = { resourceVersion: this.counter, resource, type, object };
    this.history.push(event);
    if (this.history.length > FAKE_HISTORY_LIMIT) {
      const dropped = this.history.splice(0, this.history.length - FAKE_HISTORY_LIMIT);
      this.oldestValid = dropped[dropped.length - 1]?.resourceVersion ?? this.oldestValid;
    }
    this.onEvent(event);
    return object;
  }
}
