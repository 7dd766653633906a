import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BehaviorSubject, Subject, distinctUntilChanged } from 'rxjs';
import type { Deployment, EndpointSlice, GRPCRoute, HTTPRoute, KubeObject, Pod, ResourceKind, Service, ServiceProfile } from '../model';
import { RESOURCE_KINDS, namespaceOf } from '../model';
import { ObjectStore, linkerdPolicyInformers } from '../object-store';
import type { InformerStats, Source, SourceError, SourceLogger } from '../source';
import { createDirWatchers } from './dir-watchers';
import { MAX_MANIFEST_FILES, isHiddenPath, isManifestPath, listManifestTree } from './list-manifest-files';
import { MAX_FILE_BYTES, parseManifest } from './parse-manifest';

// Delay from the first change event to the scan: coalesces the events of one save (an editor's
// truncate+write, or write+rename, land within a millisecond or two) while leaving most of the 50 ms
// propagation aim of the destination benchmark (issue 2) to the rest of the pipeline. Later events do
// not push the scan back, so a folder that changes continuously is still applied every few ms.
export const FS_DEBOUNCE_MS = 10;
// fs.watch misses events (network filesystems, inotify limits, folders beyond MAX_WATCHED_DIRS), so the
// folder is also rescanned on this period; unchanged files (same size, mtime, inode) are not re-read.
export const FS_RESCAN_INTERVAL_MS = 1000;

export interface FsSourceOptions {
  logger?: SourceLogger;
  debounceMs?: number;
  rescanIntervalMs?: number;
  /** Set false to rely on periodic rescans only (filesystems where fs.watch is unreliable). Default true. */
  watch?: boolean;
}

/** The fs source, with two extras for tools and tests. */
export interface FsSource extends Source {
  /** Files that are currently broken (their last good objects stay in force), with the reason. */
  problems(): SourceError[];
  /** Scans now (does not wait for a watch event or the period); resolves when the result is applied. */
  rescan(): Promise<void>;
}

interface FileState {
  signature: string;
  objects: KubeObject[];
  broken?: string;
}

type Stores = { [K in ResourceKind]: ObjectStore<KubeObject> };

function signatureOf(s: Stats): string {
  return `${s.size}:${s.mtimeMs}:${s.ino}:${s.ctimeMs}`;
}

function contentKey(obj: KubeObject, cache: WeakMap<KubeObject, string>): string {
  let key = cache.get(obj);
  if (key === undefined) {
    key = JSON.stringify(obj);
    cache.set(obj, key);
  }
  return key;
}

function objectKey(obj: KubeObject): string {
  return `${obj.kind}/${namespaceOf(obj)}/${obj.metadata.name}`;
}

export function createFsSource(directory: string, options: FsSourceOptions = {}): FsSource {
  const dir = resolve(directory);
  const log = options.logger;
  const debounceMs = options.debounceMs ?? FS_DEBOUNCE_MS;
  const rescanIntervalMs = options.rescanIntervalMs ?? FS_RESCAN_INTERVAL_MS;
  const keys = new WeakMap<KubeObject, string>();
  const same = (a: KubeObject, b: KubeObject) => a === b || contentKey(a, keys) === contentKey(b, keys);
  const stores = Object.fromEntries(RESOURCE_KINDS.map((k) => [k, new ObjectStore<KubeObject>(same)])) as Stores;
  const files = new Map<string, FileState>();
  const duplicatesReported = new Set<string>();
  const errors = new Subject<SourceError>();
  const synced = new BehaviorSubject(false);
  const dirty = new Set<string>();
  let dirProblem: string | undefined;
  let debounceTimer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;
  // A full scan lists the folder; otherwise only the files named by watch events are looked at.
  let needFull = true;
  let firstChangeAt: number | undefined;

  const report = (error: Omit<SourceError, 'source'>) => {
    log?.warn({ ...error }, 'fs source problem');
    errors.next({ source: 'fs', ...error });
  };

  const noteChange = (file: string | undefined) => {
    const path = file?.split('\\').join('/');
    if (path !== undefined && isHiddenPath(path)) return;
    firstChangeAt ??= performance.now();
    // A name that is not a manifest may be a folder (renamed, removed, created): only a full scan sees inside.
    if (path !== undefined && isManifestPath(path)) dirty.add(path);
    else needFull = true;
    if (debounceTimer) return;
    debounceTimer = setTimeout(() => {
      debounceTimer = undefined;
      void scheduleScan();
    }, debounceMs);
  };

  const watchers = createDirWatchers(dir, noteChange, { ...(log ? { logger: log } : {}) });
  const armWatcher = options.watch === false ? undefined : watchers.arm;

  /** A file unreadable for any reason but absence keeps its last good objects, like a broken one. */
  const unreadable = (path: string, err: unknown, signature: string, kept: KubeObject[]): FileState => {
    const reason = `unreadable: ${(err as Error).message}`;
    report({ file: path, reason });
    return { signature, objects: kept, broken: reason };
  };

  const readOne = async (file: string, previous: FileState | undefined, dirtyNow: Set<string>): Promise<FileState | undefined> => {
    const path = join(dir, file);
    const kept = previous?.objects ?? [];
    let info: Stats;
    try {
      info = await stat(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return previous?.broken ? previous : unreadable(path, err, '', kept);
    }
    if (!info.isFile()) return undefined;
    const signature = signatureOf(info);
    if (previous && previous.signature === signature && !dirtyNow.has(file)) return previous;
    if (info.size > MAX_FILE_BYTES) {
      const reason = `file larger than ${MAX_FILE_BYTES} bytes (${info.size}); skipped`;
      report({ file: path, reason });
      return { signature, objects: kept, broken: reason };
    }
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return unreadable(path, err, signature, kept);
    }
    const result = parseManifest(text);
    if (!result.ok) {
      const reason = kept.length > 0 ? `${result.reason}; keeping its last good objects` : result.reason;
      report({ file: path, reason });
      return { signature, objects: kept, broken: result.reason };
    }
    for (const skip of result.skipped) report({ file: path, ...(skip.kind ? { kind: skip.kind } : {}), reason: skip.reason });
    if (previous?.broken) log?.info({ file: path }, 'fs source file repaired');
    return { signature, objects: result.objects };
  };

  const refreshOne = async (file: string, dirtyNow: Set<string>): Promise<boolean> => {
    const previous = files.get(file);
    const next = await readOne(file, previous, dirtyNow);
    if (next === previous) return false;
    if (next) files.set(file, next);
    else files.delete(file);
    return true;
  };

  /** Re-reads only the files named by watch events; returns true when objects may have changed. */
  const refreshNamed = async (dirtyNow: Set<string>): Promise<boolean> => {
    let changed = false;
    for (const file of dirtyNow) changed = (await refreshOne(file, dirtyNow)) || changed;
    return changed;
  };

  /** Lists the folder and re-reads changed files; returns true when objects may have changed. */
  const refreshAll = async (dirtyNow: Set<string>): Promise<boolean> => {
    let names: string[];
    try {
      const tree = await listManifestTree(dir, armWatcher);
      watchers.keepOnly(new Set(tree.dirs));
      names = tree.files;
      if (dirProblem) log?.info({ dir }, 'fs source directory readable again');
      dirProblem = undefined;
    } catch (err) {
      const reason = `cannot read directory: ${(err as Error).message}`;
      if (dirProblem !== reason) report({ file: dir, reason });
      dirProblem = reason;
      // A watcher on a removed folder never fires again; new ones are armed when the folder is back.
      watchers.keepOnly(new Set());
      return false;
    }
    if (names.length > MAX_MANIFEST_FILES) {
      report({ file: dir, reason: `more than ${MAX_MANIFEST_FILES} manifest files; the rest are ignored` });
      names = names.slice(0, MAX_MANIFEST_FILES);
    }
    let changed = false;
    const present = new Set(names);
    for (const file of [...files.keys()]) {
      if (!present.has(file)) {
        files.delete(file);
        changed = true;
      }
    }
    for (const file of names) changed = (await refreshOne(file, dirtyNow)) || changed;
    return changed;
  };

  /** The objects in force: every file's last good objects, the first file (in path order) winning a name clash. */
  const desiredObjects = (): Map<ResourceKind, KubeObject[]> => {
    const owner = new Map<string, string>();
    const byKind = new Map<ResourceKind, KubeObject[]>(RESOURCE_KINDS.map((k) => [k, []]));
    const duplicatesNow = new Set<string>();
    for (const file of [...files.keys()].sort()) {
      for (const obj of files.get(file)?.objects ?? []) {
        const key = objectKey(obj);
        const first = owner.get(key);
        if (first !== undefined) {
          const message = `${key} is also defined in ${join(dir, first)}; this copy is ignored`;
          duplicatesNow.add(`${file}\n${message}`);
          if (!duplicatesReported.has(`${file}\n${message}`)) report({ file: join(dir, file), kind: obj.kind, reason: message });
          continue;
        }
        owner.set(key, file);
        byKind.get(obj.kind as ResourceKind)?.push(obj);
      }
    }
    duplicatesReported.clear();
    for (const d of duplicatesNow) duplicatesReported.add(d);
    return byKind;
  };

  // All stores are updated before any event is emitted, so a subscriber reacting to one event reads
  // a consistent state across kinds (a new Service's slices are already listed).
  const apply = (noticedAt: number) => {
    const desired = desiredObjects();
    const pending = RESOURCE_KINDS.map((kind) => [kind, stores[kind].replaceAll(desired.get(kind) ?? [])] as const);
    const lag = performance.now() - noticedAt;
    for (const [kind, events] of pending) {
      if (events.length > 0) stores[kind].stats.lastLagMs = lag;
      for (const event of events) stores[kind].emit(event);
    }
  };

  const scanOnce = async () => {
    const noticedAt = firstChangeAt ?? performance.now();
    firstChangeAt = undefined;
    // Without a watch on the root, only listing the folder finds changes.
    const full = needFull || !watchers.has('');
    needFull = false;
    // Changes noticed from here on are seen by the next scan (scheduleScan runs one more).
    const dirtyNow = new Set(dirty);
    dirty.clear();
    const changed = full ? await refreshAll(dirtyNow) : await refreshNamed(dirtyNow);
    if (closed) return;
    if (changed || !synced.value) apply(noticedAt);
    if (!synced.value) {
      for (const kind of RESOURCE_KINDS) {
        stores[kind].stats.lists += 1;
        stores[kind].markSynced();
      }
      synced.next(true);
    }
  };

  // Scans never overlap: a request during a scan runs one more scan right after it.
  const scheduleScan = (full = false): Promise<void> => {
    if (closed) return Promise.resolve();
    if (full) needFull = true;
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await scanOnce();
        } while (again && !closed);
      } catch (err) {
        report({ file: dir, reason: `scan failed: ${(err as Error).message}` });
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  const timer = setInterval(() => void scheduleScan(true), rescanIntervalMs);
  timer.unref();
  void scheduleScan();

  const allStats = () =>
    Object.fromEntries(RESOURCE_KINDS.map((k) => [k, { ...stores[k].stats }])) as Record<ResourceKind, InformerStats>;

  return {
    services: stores.Service as unknown as ObjectStore<Service>,
    endpointSlices: stores.EndpointSlice as unknown as ObjectStore<EndpointSlice>,
    pods: stores.Pod as unknown as ObjectStore<Pod>,
    serviceProfiles: stores.ServiceProfile as unknown as ObjectStore<ServiceProfile>,
    deployments: stores.Deployment as unknown as ObjectStore<Deployment>,
    httpRoutes: stores.HTTPRoute as unknown as ObjectStore<HTTPRoute>,
    grpcRoutes: stores.GRPCRoute as unknown as ObjectStore<GRPCRoute>,
    linkerdPolicy: linkerdPolicyInformers(stores),
    synced$: synced.pipe(distinctUntilChanged()),
    errors$: errors.asObservable(),
    stats: allStats,
    problems: () =>
      [...files.entries()]
        .filter(([, state]) => state.broken !== undefined)
        .map(([file, state]) => ({ source: 'fs' as const, file: join(dir, file), reason: state.broken ?? '' })),
    rescan: () => scheduleScan(true),
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      if (debounceTimer) clearTimeout(debounceTimer);
      watchers.close();
      if (running) await running;
      for (const kind of RESOURCE_KINDS) stores[kind].close();
      errors.complete();
      synced.complete();
    },
  };
}
