import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { admit, type MutatingWebhook } from './admission';
import type { FakeObject, StoreResult, StoredEvent } from './object-store';
import { FakeObjectStore } from './object-store';
import { PatchError, jsonPatch, mergePatch } from './patch';
import type { ResourcePath, ResourceType } from './resources';
import { DEFAULT_RESOURCES, apiVersionOf, parseResourcePath } from './resources';
import type { FakeServiceAccountToken, TokenReviewBody } from './token-review';
import { TOKEN_REVIEW_PATH, reviewToken } from './token-review';

// Bound on a request body the fake reads (objects, patches); real objects are far smaller.
export const FAKE_MAX_BODY_BYTES = 1024 * 1024;
// Requests kept for inspection; older ones are dropped first.
export const FAKE_MAX_RECORDED_REQUESTS = 10_000;

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** The raw request body, for requests that have one. */
  body?: string;
}

export interface FakeKubeApiOptions {
  /** Bearer token every request must carry; undefined accepts anything. */
  token?: string;
  /** Extra resource types (e.g. another CRD) on top of DEFAULT_RESOURCES. */
  resources?: ResourceType[];
  /** Kinds of DEFAULT_RESOURCES to leave out, as a cluster without their CRDs (answered 404). */
  withoutKinds?: string[];
}

/** What the test controls accept: any object with apiVersion, kind and metadata (typed models included). */
export interface FakeObjectInput {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
}

interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

interface WatchConnection {
  resource: ResourceType;
  namespace?: string;
  bookmarks: boolean;
  response: ServerResponse;
  request: IncomingMessage;
}

interface InjectedFailure {
  method?: string;
  path?: RegExp;
  status: number;
  remaining: number;
}

export interface FakeKubeApiServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** The token the server expects (or any, when none was configured). */
  readonly token: string | undefined;
  /** Current cluster-wide resourceVersion. */
  readonly resourceVersion: number;

  create<T extends FakeObjectInput>(obj: T): T;
  update<T extends FakeObjectInput>(obj: T): T;
  /** Creates or replaces. */
  apply<T extends FakeObjectInput>(obj: T): T;
  remove(ref: ObjectRef): void;
  get<T extends FakeObject>(ref: ObjectRef): T | undefined;
  list<T extends FakeObject>(apiVersion: string, kind: string, namespace?: string): T[];

  /** Destroys every open watch connection mid-stream (as a network failure would); returns how many. */
  dropWatches(): number;
  /** Ends every open watch cleanly (as the server's watch timeout would); returns how many. */
  endWatches(): number;
  /** The next `count` watch requests get an ERROR event with a 410 Gone Status, then the stream ends. */
  expireNextWatches(count?: number): void;
  /** Forgets the event history: resuming a watch from an earlier resourceVersion gets 410 Gone. */
  compact(): void;
  /** Sends a BOOKMARK with the current resourceVersion on every watch that allowed bookmarks; returns how many. */
  bookmark(): number;
  /** The next `count` requests matching method/path are answered with `status` (a Status body). */
  failNext(options: { method?: string; path?: RegExp; status: number; count?: number }): void;
  /** Simulates an outage: stops listening (connections refused) and drops every connection; objects are kept. */
  goOffline(): Promise<void>;
  /** Listens again on the same port. */
  goOnline(): Promise<void>;
  /** Open watch connections, optionally only those on a path containing `pathPart`. */
  openWatches(pathPart?: string): number;
  /** Requests received so far (oldest first, bounded). */
  requests(filter?: { method?: string; path?: RegExp }): RecordedRequest[];
  clearRequests(): void;
  /** Makes `token` a valid ServiceAccount token for TokenReview (POST authentication.k8s.io/v1 tokenreviews). */
  addServiceAccountToken(token: string, account: FakeServiceAccountToken): void;
  /** Forgets a token: later reviews answer `authenticated: false` (as for an expired or deleted token). */
  revokeServiceAccountToken(token: string): void;
  /** Idempotent. */
  close(): Promise<void>;
}

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendStatus(res: ServerResponse, code: number, message: string, reason = REASONS[code] ?? 'Unknown'): void {
  sendJson(res, code, status(code, reason, message));
}

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

const recordedByRequest = new WeakMap<IncomingMessage, RecordedRequest>();

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > FAKE_MAX_BODY_BYTES) throw new HttpError(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const entry = recordedByRequest.get(req);
  if (entry) entry.body = text;
  return text;
}

function matchesLabels(obj: FakeObject, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=').map((s) => s.trim());
    return key !== undefined && obj.metadata.labels?.[key] === value;
  });
}

/** Starts a fake Kubernetes API server on 127.0.0.1 (ephemeral port) speaking list/watch, CRUD, patch and scale. */
export async function startFakeKubeApi(options: FakeKubeApiOptions = {}): Promise<FakeKubeApiServer> {
  const omitted = new Set(options.withoutKinds ?? []);
  const resources = [...DEFAULT_RESOURCES.filter((r) => !omitted.has(r.kind)), ...(options.resources ?? [])];
  const watches = new Set<WatchConnection>();
  const serviceAccountTokens = new Map<string, FakeServiceAccountToken>();
  const recorded: RecordedRequest[] = [];
  const failures: InjectedFailure[] = [];
  let expireWatches = 0;
  let closed = false;

  const writeEvent = (watch: WatchConnection, type: string, object: unknown) => {
    watch.response.write(`${JSON.stringify({ type, object })}\n`);
  };

  const wire = (resource: ResourceType, obj: FakeObject): FakeObject => ({
    ...obj,
    apiVersion: apiVersionOf(resource),
    kind: resource.kind,
  });

  const store = new FakeObjectStore((event: StoredEvent) => {
    for (const watch of watches) {
      if (watch.resource !== event.resource) continue;
      if (watch.namespace !== undefined && watch.namespace !== event.object.metadata.namespace) continue;
      writeEvent(watch, event.type, wire(event.resource, event.object));
    }
  });

  const resourceFor = (apiVersion: string, kind: string): ResourceType => {
    const resource = resources.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
    if (!resource) throw new Error(`fake kube api: no resource for ${apiVersion} ${kind}`);
    return resource;
  };

  const unwrap = (result: StoreResult): FakeObject => {
    if (!result.ok) throw new HttpError(result.code, result.message);
    return result.object;
  };

  const namespaceFor = (resource: ResourceType, namespace: string | undefined) =>
    resource.namespaced ? (namespace ?? 'default') : undefined;

  const handleList = (res: ServerResponse, path: ResourcePath, query: URLSearchParams) => {
    const items = store
      .list(path.resource, path.namespace)
      .filter((o) => matchesLabels(o, query.get('labelSelector')))
      .map((o) => {
        if (!path.resource.builtin) return wire(path.resource, o);
        const { apiVersion: _a, kind: _k, ...rest } = o;
        return rest;
      });
    sendJson(res, 200, {
      kind: `${path.resource.kind}List`,
      apiVersion: apiVersionOf(path.resource),
      metadata: { resourceVersion: String(store.resourceVersion) },
      items,
    });
  };

  const handleWatch = (req: IncomingMessage, res: ServerResponse, path: ResourcePath, query: URLSearchParams) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
    res.flushHeaders();
    const watch: WatchConnection = {
      resource: path.resource,
      ...(path.namespace === undefined ? {} : { namespace: path.namespace }),
      bookmarks: query.get('allowWatchBookmarks') === 'true',
      response: res,
      request: req,
    };
    const since = query.get('resourceVersion');
    const expire = (message: string) => {
      writeEvent(watch, 'ERROR', status(410, 'Expired', message));
      res.end();
    };
    if (expireWatches > 0) {
      expireWatches -= 1;
      expire(`too old resource version: ${since ?? ''} (${store.resourceVersion})`);
      return;
    }
    if (since && since !== '0') {
      const events = store.eventsSince(path.resource, Number(since), path.namespace);
      if (events === 'expired' || Number.isNaN(Number(since))) {
        expire(`too old resource version: ${since} (${store.resourceVersion})`);
        return;
      }
      for (const e of events) writeEvent(watch, e.type, wire(e.resource, e.object));
    } else {
      for (const o of store.list(path.resource, path.namespace)) writeEvent(watch, 'ADDED', wire(path.resource, o));
    }
    watches.add(watch);
    const forget = () => watches.delete(watch);
    res.on('close', forget);
    req.on('close', forget);
    const timeoutSeconds = Number(query.get('timeoutSeconds'));
    if (timeoutSeconds > 0) {
      const timer = setTimeout(() => res.end(), timeoutSeconds * 1000);
      res.on('close', () => clearTimeout(timer));
    }
  };

  const parseJsonBody = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      throw new HttpError(400, 'request body is not JSON');
    }
  };

  const patched = (current: unknown, body: unknown, contentType: string): unknown => {
    try {
      if (contentType.startsWith('application/json-patch+json')) return jsonPatch(current, body);
      if (contentType.startsWith('application/merge-patch+json') || contentType.startsWith('application/strategic-merge-patch+json')) {
        return mergePatch(current, body);
      }
    } catch (err) {
      if (err instanceof PatchError) throw new HttpError(422, err.message);
      throw err;
    }
    throw new HttpError(415, `unsupported patch content type ${contentType}`);
  };

  const scaleOf = (deployment: FakeObject) => {
    const spec = (deployment.spec ?? {}) as { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
    const statusField = (deployment.status ?? {}) as { replicas?: number };
    const selector = Object.entries(spec.selector?.matchLabels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: deployment.metadata.name,
        namespace: deployment.metadata.namespace,
        uid: deployment.metadata.uid,
        resourceVersion: deployment.metadata.resourceVersion,
        creationTimestamp: deployment.metadata.creationTimestamp,
      },
      spec: { replicas: spec.replicas ?? 1 },
      status: { replicas: statusField.replicas ?? 0, selector },
    };
  };

  const handleScale = async (req: IncomingMessage, res: ServerResponse, path: ResourcePath) => {
    const name = path.name ?? '';
    const namespace = namespaceFor(path.resource, path.namespace);
    const deployment = store.get(path.resource, namespace, name);
    if (!deployment) throw new HttpError(404, `${path.resource.plural} "${name}" not found`);
    const current = scaleOf(deployment);
    if (req.method === 'GET') return sendJson(res, 200, current);
    const body = parseJsonBody(await readBody(req));
    let next: { metadata?: { resourceVersion?: string }; spec?: { replicas?: unknown } };
    let expectedVersion: string | undefined;
    if (req.method === 'PUT') {
      next = body as typeof next;
      expectedVersion = next.metadata?.resourceVersion || undefined;
    } else if (req.method === 'PATCH') {
      next = patched(current, body, String(req.headers['content-type'] ?? '')) as typeof next;
    } else {
      throw new HttpError(405, `${req.method} is not supported on scale`);
    }
    const replicas = next.spec?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw new HttpError(422, `Scale.spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be a non-negative integer`);
    }
    const updated = structuredClone(deployment);
    updated.spec = { ...((updated.spec ?? {}) as object), replicas };
    sendJson(res, 200, scaleOf(unwrap(store.update(path.resource, updated, expectedVersion))));
  };

  /** The status subresource of a custom resource: reads and writes `.status` only (the spec is kept). */
  const handleStatus = async (req: IncomingMessage, res: ServerResponse, path: ResourcePath) => {
    const name = path.name ?? '';
    const namespace = namespaceFor(path.resource, path.namespace);
    const current = store.get(path.resource, namespace, name);
    if (!current) throw new HttpError(404, `${path.resource.plural} "${name}" not found`);
    if (req.method === 'GET') return sendJson(res, 200, wire(path.resource, current));
    const body = parseJsonBody(await readBody(req));
    let next: FakeObject;
    if (req.method === 'PUT') next = body as FakeObject;
    else if (req.method === 'PATCH') next = patched(wire(path.resource, current), body, String(req.headers['content-type'] ?? '')) as FakeObject;
    else throw new HttpError(405, `${req.method} is not supported on status`);
    const updated = structuredClone(current);
    const status = (next as { status?: unknown }).status;
    if (status === undefined) delete (updated as { status?: unknown }).status;
    else (updated as { status?: unknown }).status = status;
    sendJson(res, 200, wire(path.resource, unwrap(store.update(path.resource, updated))));
  };

  const handleObject = async (req: IncomingMessage, res: ServerResponse, path: ResourcePath) => {
    const name = path.name ?? '';
    const namespace = namespaceFor(path.resource, path.namespace);
    const current = store.get(path.resource, namespace, name);
    switch (req.method) {
      case 'GET':
        if (!current) throw new HttpError(404, `${path.resource.plural} "${name}" not found`);
        return sendJson(res, 200, wire(path.resource, current));
      case 'DELETE':
        return sendJson(res, 200, wire(path.resource, unwrap(store.remove(path.resource, namespace, name))));
      case 'PUT': {
        const body = parseJsonBody(await readBody(req)) as FakeObject;
        if (body?.metadata?.name !== name) throw new HttpError(400, 'metadata.name must match the URL');
        body.metadata.namespace = namespace;
        const expected = body.metadata.resourceVersion || undefined;
        return sendJson(res, 200, wire(path.resource, unwrap(store.update(path.resource, body, expected))));
      }
      case 'PATCH': {
        if (!current) throw new HttpError(404, `${path.resource.plural} "${name}" not found`);
        const next = patched(wire(path.resource, current), parseJsonBody(await readBody(req)), String(req.headers['content-type'] ?? '')) as FakeObject;
        next.metadata = { ...next.metadata, name, ...(namespace === undefined ? {} : { namespace }) };
        return sendJson(res, 200, wire(path.resource, unwrap(store.update(path.resource, next))));
      }
      default:
        throw new HttpError(405, `${req.method} is not supported`);
    }
  };

  /** The mutating webhooks registered in the store, called on a create as the API server would (admission.ts). */
  const mutatingAdmission = async (resource: ResourceType, namespace: string | undefined, object: FakeObject): Promise<FakeObject> => {
    const configs = resources.find((r) => r.kind === 'MutatingWebhookConfiguration');
    const webhooks = configs ? store.list(configs).flatMap((c) => (c as unknown as { webhooks?: MutatingWebhook[] }).webhooks ?? []) : [];
    if (webhooks.length === 0) return object;
    const namespaces = resources.find((r) => r.kind === 'Namespace');
    const nsObject = namespace === undefined || !namespaces ? undefined : store.get(namespaces, undefined, namespace);
    const namespaceLabels = { ...nsObject?.metadata.labels, ...(namespace === undefined ? {} : { 'kubernetes.io/metadata.name': namespace }) };
    const outcome = await admit(webhooks, { resource, namespace, namespaceLabels, object });
    if (!outcome.allowed) throw new HttpError(outcome.code, outcome.message);
    return outcome.object as FakeObject;
  };

  const handleCollection = async (req: IncomingMessage, res: ServerResponse, path: ResourcePath, query: URLSearchParams) => {
    if (req.method === 'GET') {
      const watch = query.get('watch');
      if (watch === 'true' || watch === '1') return handleWatch(req, res, path, query);
      return handleList(res, path, query);
    }
    if (req.method !== 'POST') throw new HttpError(405, `${req.method} is not supported on a collection`);
    const body = parseJsonBody(await readBody(req)) as FakeObject;
    if (typeof body?.metadata?.name !== 'string' || body.metadata.name === '') throw new HttpError(422, 'metadata.name is required');
    if (path.namespace !== undefined && body.metadata.namespace !== undefined && body.metadata.namespace !== path.namespace) {
      throw new HttpError(400, 'the namespace of the object does not match the namespace on the request');
    }
    const namespace = namespaceFor(path.resource, path.namespace ?? body.metadata.namespace);
    body.metadata = { ...body.metadata, ...(namespace === undefined ? {} : { namespace }) };
    delete body.metadata.resourceVersion;
    const admitted = await mutatingAdmission(path.resource, namespace, body);
    sendJson(res, 201, wire(path.resource, unwrap(store.create(path.resource, admitted))));
  };

  const record = (req: IncomingMessage, url: URL): RecordedRequest => {
    const entry: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers },
    };
    recorded.push(entry);
    recordedByRequest.set(req, entry);
    if (recorded.length > FAKE_MAX_RECORDED_REQUESTS) recorded.splice(0, recorded.length - FAKE_MAX_RECORDED_REQUESTS);
    return entry;
  };

  const injected = (method: string, path: string): InjectedFailure | undefined => {
    const failure = failures.find((f) => f.remaining > 0 && (!f.method || f.method === method) && (!f.path || f.path.test(path)));
    if (failure) failure.remaining -= 1;
    return failure;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const entry = record(req, url);
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      return sendStatus(res, 401, 'Unauthorized');
    }
    const failure = injected(entry.method, url.pathname);
    if (failure) return sendStatus(res, failure.status, `injected failure ${failure.status}`);
    if (url.pathname === TOKEN_REVIEW_PATH) {
      if (req.method !== 'POST') throw new HttpError(405, `${req.method} is not supported on tokenreviews`);
      return sendJson(res, 201, reviewToken(serviceAccountTokens, parseJsonBody(await readBody(req)) as TokenReviewBody));
    }
    const path = parseResourcePath(url.pathname, resources);
    if (!path) return sendStatus(res, 404, `the server could not find the requested resource (${url.pathname})`);
    if (path.subresource === 'scale' && path.resource.kind === 'Deployment') return handleScale(req, res, path);
    if (path.subresource === 'status' && !path.resource.builtin) return handleStatus(req, res, path);
    if (path.subresource !== undefined) throw new HttpError(404, `subresource ${path.subresource} is not served`);
    if (path.name !== undefined) return handleObject(req, res, path);
    return handleCollection(req, res, path, url.searchParams);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) sendStatus(res, err.statusCode, err.message);
      else sendStatus(res, 500, err instanceof Error ? err.message : String(err));
    });
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stopListening = () => {
    for (const watch of watches) watch.request.socket.destroy();
    watches.clear();
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  await listen(0);
  const { port } = server.address() as AddressInfo;
  let online = true;

  const fromControl = (obj: FakeObjectInput): { resource: ResourceType; object: FakeObject } => {
    const resource = resourceFor(obj.apiVersion ?? '', obj.kind ?? '');
    const object = structuredClone(obj) as FakeObject;
    const namespace = namespaceFor(resource, object.metadata.namespace);
    object.metadata = { ...object.metadata, ...(namespace === undefined ? {} : { namespace }) };
    return { resource, object };
  };

  const controlResult = <T>(resource: ResourceType, result: StoreResult): T => {
    if (!result.ok) throw new Error(`fake kube api: ${result.message}`);
    return structuredClone(wire(resource, result.object)) as unknown as T;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    token: options.token,
    get resourceVersion() {
      return store.resourceVersion;
    },
    create: <T extends FakeObjectInput>(obj: T) => {
      const { resource, object } = fromControl(obj);
      delete object.metadata.resourceVersion;
      return controlResult<T>(resource, store.create(resource, object));
    },
    update: <T extends FakeObjectInput>(obj: T) => {
      const { resource, object } = fromControl(obj);
      return controlResult<T>(resource, store.update(resource, object));
    },
    apply: <T extends FakeObjectInput>(obj: T) => {
      const { resource, object } = fromControl(obj);
      const exists = store.get(resource, object.metadata.namespace, object.metadata.name);
      if (!exists) delete object.metadata.resourceVersion;
      return controlResult<T>(resource, exists ? store.update(resource, object) : store.create(resource, object));
    },
    remove: (ref) => {
      const resource = resourceFor(ref.apiVersion, ref.kind);
      controlResult(resource, store.remove(resource, namespaceFor(resource, ref.namespace), ref.name));
    },
    get: <T extends FakeObject>(ref: ObjectRef) => {
      const resource = resourceFor(ref.apiVersion, ref.kind);
      const found = store.get(resource, namespaceFor(resource, ref.namespace), ref.name);
      return found ? (structuredClone(wire(resource, found)) as unknown as T) : undefined;
    },
    list: <T extends FakeObject>(apiVersion: string, kind: string, namespace?: string) => {
      const resource = resourceFor(apiVersion, kind);
      return store.list(resource, namespace).map((o) => structuredClone(wire(resource, o)) as unknown as T);
    },
    dropWatches: () => {
      const n = watches.size;
      for (const watch of [...watches]) {
        watches.delete(watch);
        watch.request.socket.destroy();
      }
      return n;
    },
    endWatches: () => {
      const n = watches.size;
      for (const watch of [...watches]) {
        watches.delete(watch);
        watch.response.end();
      }
      return n;
    },
    expireNextWatches: (count = 1) => {
      expireWatches += count;
    },
    compact: () => store.compact(),
    bookmark: () => {
      let n = 0;
      for (const watch of watches) {
        if (!watch.bookmarks) continue;
        writeEvent(watch, 'BOOKMARK', {
          kind: watch.resource.kind,
          apiVersion: apiVersionOf(watch.resource),
          metadata: { resourceVersion: String(store.resourceVersion) },
        });
        n += 1;
      }
      return n;
    },
    failNext: ({ method, path, status: code, count = 1 }) => {
      failures.push({ ...(method ? { method } : {}), ...(path ? { path } : {}), status: code, remaining: count });
    },
    openWatches: (pathPart) =>
      [...watches].filter((w) => pathPart === undefined || (w.request.url ?? '').includes(pathPart)).length,
    requests: (filter) =>
      recorded.filter((r) => (!filter?.method || r.method === filter.method) && (!filter?.path || filter.path.test(r.path))),
    clearRequests: () => {
      recorded.length = 0;
    },
    goOffline: async () => {
      if (!online || closed) return;
      online = false;
      await stopListening();
    },
    goOnline: async () => {
      if (online || closed) return;
      online = true;
      await listen(port);
    },
    addServiceAccountToken: (token, account) => {
      serviceAccountTokens.set(token, structuredClone(account));
    },
    revokeServiceAccountToken: (token) => {
      serviceAccountTokens.delete(token);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      if (online) await stopListening();
    },
  };
}
