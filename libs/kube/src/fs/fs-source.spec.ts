import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TempDir } from '@trellis/testing';
import { createTempDir, waitFor } from '@trellis/testing';
import { firstValueFrom, filter, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EndpointSlice, KubeObject, Service } from '../model';
import type { Informer, SourceError, WatchEvent } from '../source';
import { writeFileAtomic } from './atomic-write';
import type { FsSource, FsSourceOptions } from './fs-source';
import { createFsSource } from './fs-source';
import { MAX_FILE_BYTES } from './parse-manifest';

const service = (name: string, port = 80, ns?: string) =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ''}spec:\n  ports:\n    - port: ${port}\n`;

const slice = (name: string, service: string, ip: string) => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${name}
  labels: { kubernetes.io/service-name: ${service} }
addressType: IPv4
endpoints:
  - addresses: ["${ip}"]
ports: [{ port: 8080 }]
`;

// Watch-driven tests set the periodic rescan far beyond their waits, so only a watch event can pass them.
const NO_RESCAN = { rescanIntervalMs: 600_000 };
const WATCH_WAIT = { timeoutMs: 5_000 };

const names = (s: FsSource) => s.services.list().map((x) => x.metadata.name).sort();

describe('fs source', () => {
  let dir: TempDir;
  let source: FsSource | undefined;
  let errors: SourceError[];
  let events: WatchEvent<unknown>[];

  const start = async (options: FsSourceOptions = {}) => {
    const s = createFsSource(dir.path, { rescanIntervalMs: 200, ...options });
    source = s;
    errors = [];
    events = [];
    s.errors$.subscribe((e) => errors.push(e));
    const informers: Informer<KubeObject>[] = [s.services, s.endpointSlices, s.pods, s.serviceProfiles, s.deployments, s.httpRoutes, s.grpcRoutes];
    for (const informer of informers) informer.events$.subscribe((e) => events.push(e));
    await firstValueFrom(s.synced$.pipe(filter(Boolean)));
    return s;
  };

  beforeEach(async () => {
    dir = await createTempDir('trellis-fs-source-');
  });

  afterEach(async () => {
    await source?.close();
    source = undefined;
    await dir.remove();
  });

  it('loads Gateway API HTTPRoutes and GRPCRoutes and applies their changes live', async () => {
    const route = (backend: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web-split, namespace: shop}
spec:
  parentRefs: [{group: "", kind: Service, name: web, port: 80}]
  rules: [{backendRefs: [{name: ${backend}, port: 80}]}]
`;
    await dir.write('routes.yaml', [route('web-v1'), 'apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {name: rpc}\nspec: {}\n'].join('---\n'));
    const s = await start();
    expect(s.httpRoutes.get('shop', 'web-split')?.spec.parentRefs?.[0]).toEqual({ group: '', kind: 'Service', name: 'web', port: 80 });
    expect(s.grpcRoutes.get('default', 'rpc')?.apiVersion).toBe('gateway.networking.k8s.io/v1');

    await dir.write('routes.yaml', route('web-v2'));
    await s.rescan();
    expect(JSON.stringify(s.httpRoutes.get('shop', 'web-split')?.spec.rules)).toContain('web-v2');
    expect(s.grpcRoutes.list()).toEqual([]);
    expect(events.map((e) => (e as WatchEvent<KubeObject>).type).sort()).toEqual(['DELETED', 'MODIFIED']);
    expect(errors).toEqual([]);
  });

  it('loads every kind from multi-document files, in subfolders too', async () => {
    await dir.write(
      'shop.yaml',
      [
        service('web'),
        slice('web-1', 'web', '10.0.0.1'),
        'apiVersion: linkerd.io/v1alpha2\nkind: ServiceProfile\nmetadata: {name: web.default.svc.cluster.local}\nspec:\n  routes: [{name: get, condition: {method: GET}}]\n',
        'kind: Deployment\nmetadata: {name: web}\nspec: {replicas: 2}\n',
      ].join('---\n'),
    );
    await dir.write('nested/pods.yml', 'kind: Pod\nmetadata: {name: web-1, namespace: shop}\nstatus: {podIP: 10.0.0.1}\n');
    await dir.write('other.json', JSON.stringify({ kind: 'Service', metadata: { name: 'api', namespace: 'shop' } }));
    await dir.write('notes.txt', 'kind: Service\nmetadata: {name: ignored}\n');
    const s = await start();

    expect(s.services.get('default', 'web')?.spec?.ports?.[0]?.port).toBe(80);
    expect(s.services.list().map((x) => x.metadata.name).sort()).toEqual(['api', 'web']);
    expect(s.services.list('shop').map((x) => x.metadata.name)).toEqual(['api']);
    expect(s.endpointSlices.get('default', 'web-1')?.endpoints?.[0]?.addresses).toEqual(['10.0.0.1']);
    expect(s.serviceProfiles.get('default', 'web.default.svc.cluster.local')?.spec.routes?.[0]?.name).toBe('get');
    expect(s.deployments.get('default', 'web')?.spec?.replicas).toBe(2);
    expect(s.pods.get('shop', 'web-1')?.status?.podIP).toBe('10.0.0.1');
    expect(errors).toEqual([]);
    expect(events).toEqual([]);
  });

  it('applies additions, modifications and deletions live as watch events', async () => {
    await dir.write('web.yaml', service('web'));
    const s = await start({ rescanIntervalMs: 60_000 });

    await dir.write('api.yaml', `${service('api')}---\n${slice('api-1', 'api', '10.0.0.9')}`);
    await waitFor(() => s.endpointSlices.get('default', 'api-1'), { what: 'api slice added' });
    expect(events).toEqual([
      { type: 'ADDED', object: expect.objectContaining({ kind: 'Service', metadata: expect.objectContaining({ name: 'api' }) }) },
      { type: 'ADDED', object: expect.objectContaining({ kind: 'EndpointSlice' }) },
    ]);
    // A service added in the same change sees its slices already listed when its event arrives.
    expect(s.endpointSlices.list().length).toBe(1);

    events.length = 0;
    await dir.write('web.yaml', service('web', 8080));
    await waitFor(() => s.services.get('default', 'web')?.spec?.ports?.[0]?.port === 8080, { what: 'web modified' });
    expect(events).toEqual([{ type: 'MODIFIED', object: expect.objectContaining({ kind: 'Service' }) }]);

    events.length = 0;
    await dir.write('api.yaml', service('api'));
    await waitFor(() => s.endpointSlices.get('default', 'api-1') === undefined, { what: 'slice removed' });
    expect(events).toEqual([{ type: 'DELETED', object: expect.objectContaining({ kind: 'EndpointSlice' }) }]);

    events.length = 0;
    await rm(join(dir.path, 'api.yaml'));
    await waitFor(() => s.services.get('default', 'api') === undefined, { what: 'file removed' });
    expect(events).toEqual([{ type: 'DELETED', object: expect.objectContaining({ metadata: expect.objectContaining({ name: 'api' }) }) }]);
    expect(s.services.list().map((x) => x.metadata.name)).toEqual(['web']);
    expect(s.stats().Service).toMatchObject({ lists: 1, restarts: 0, events: 3 });
    expect(s.stats().EndpointSlice).toMatchObject({ lists: 1, events: 2 });
    expect(s.stats().Service.lastLagMs).toBeGreaterThanOrEqual(0);
  });

  it('follows folders moved in and removed through watch events alone', async () => {
    const s = await start({ rescanIntervalMs: 60_000 });
    await dir.write('.staging/a.yaml', service('a'));
    await dir.write('.staging/deeper/b.yaml', service('b'));
    await dir.write('marker.yaml', service('marker'));
    await waitFor(() => s.services.get('default', 'marker'), { what: 'marker' });
    expect(s.services.get('default', 'a')).toBeUndefined();
    await rename(join(dir.path, '.staging'), join(dir.path, 'team'));
    await waitFor(() => names(s).join() === 'a,b,marker', { what: 'moved-in folder' });
    await rm(join(dir.path, 'team'), { recursive: true });
    await waitFor(() => names(s).join() === 'marker', { what: 'removed folder' });
    expect(events.filter((e) => e.type === 'DELETED').map((e) => (e.object as Service).metadata.name).sort()).toEqual(['a', 'b']);
  });

  it('emits nothing for a rewrite with the same content', async () => {
    await dir.write('web.yaml', service('web'));
    const s = await start();
    await dir.write('web.yaml', `# a comment only\n${service('web')}`);
    await dir.write('marker.yaml', service('marker'));
    await waitFor(() => s.services.get('default', 'marker'), { what: 'marker' });
    await s.rescan();
    expect(events.map((e) => e.type)).toEqual(['ADDED']);
  });

  it('reports a broken file with its name and reason, keeps its last good objects, and keeps serving the rest', async () => {
    await dir.write('web.yaml', `${service('web')}---\n${slice('web-1', 'web', '10.0.0.1')}`);
    await dir.write('api.yaml', service('api'));
    const s = await start();

    const broken = await dir.write('web.yaml', 'kind: Service\nmetadata: {name: web\n');
    await waitFor(() => errors.find((e) => e.file === broken), { what: 'syntax error reported' });
    expect(errors[0]).toEqual({ source: 'fs', file: broken, reason: expect.stringMatching(/YAML error.*keeping its last good objects/s) });
    expect(s.services.get('default', 'web')).toBeDefined();
    expect(s.endpointSlices.get('default', 'web-1')).toBeDefined();
    expect(s.problems()).toEqual([{ source: 'fs', file: broken, reason: expect.stringMatching(/YAML error/) }]);

    await dir.write('web.yaml', 'kind: Service\nspec: {}\n---\nkind: Service\nmetadata: {name: x}\n');
    await waitFor(() => errors.length >= 2, { what: 'missing metadata reported' });
    expect(errors[1]?.reason).toMatch(/^document 1: Service: missing metadata/);

    await dir.write('api.yaml', service('api', 9000));
    await waitFor(() => s.services.get('default', 'api')?.spec?.ports?.[0]?.port === 9000, { what: 'other file still served' });
    expect(s.services.get('default', 'web')).toBeDefined();
    expect(events.filter((e) => e.type === 'DELETED')).toEqual([]);

    await dir.write('web.yaml', service('web', 81));
    await waitFor(() => s.services.get('default', 'web')?.spec?.ports?.[0]?.port === 81, { what: 'repaired file applied' });
    await waitFor(() => s.endpointSlices.get('default', 'web-1') === undefined, { what: 'slice dropped by repaired file' });
    expect(s.problems()).toEqual([]);
  });

  it('reports and skips unknown kinds while applying the rest of the file', async () => {
    const file = await dir.write('mixed.yaml', `kind: ConfigMap\nmetadata: {name: cfg}\n---\n${service('web')}`);
    const s = await start();
    expect(s.services.get('default', 'web')).toBeDefined();
    expect(errors).toEqual([{ source: 'fs', file, kind: 'ConfigMap', reason: 'document 1: unknown kind ConfigMap (cfg) skipped' }]);
  });

  it('converts v1 Endpoints files into EndpointSlices', async () => {
    await dir.write(
      'legacy.yaml',
      `${service('old')}---\nkind: Endpoints\nmetadata: {name: old}\nsubsets: [{addresses: [{ip: 10.1.0.1}], ports: [{port: 8080}]}]\n`,
    );
    const s = await start();
    const slices: EndpointSlice[] = s.endpointSlices.list('default');
    expect(slices).toHaveLength(1);
    expect(slices[0]?.metadata.labels?.['kubernetes.io/service-name']).toBe('old');
    expect(slices[0]?.endpoints?.[0]).toEqual(expect.objectContaining({ addresses: ['10.1.0.1'], conditions: expect.objectContaining({ ready: true }) }));
  });

  it('reports an oversized file and skips it', async () => {
    const big = await dir.write('big.yaml', `${service('big')}# ${'x'.repeat(MAX_FILE_BYTES)}\n`);
    await dir.write('small.yaml', service('small'));
    const s = await start();
    expect(s.services.list().map((x) => x.metadata.name)).toEqual(['small']);
    expect(errors).toEqual([{ source: 'fs', file: big, reason: expect.stringContaining(`larger than ${MAX_FILE_BYTES} bytes`) }]);
  });

  it('reports an object defined in two files once and keeps the first (by path)', async () => {
    await dir.write('a.yaml', service('web', 80));
    const second = await dir.write('b.yaml', service('web', 81));
    const s = await start();
    expect(s.services.get('default', 'web')?.spec?.ports?.[0]?.port).toBe(80);
    expect(errors).toEqual([{ source: 'fs', file: second, kind: 'Service', reason: expect.stringContaining('also defined in') }]);
    await s.rescan();
    expect(errors).toHaveLength(1);
  });

  it('picks up files renamed into place (atomic writes by editors and tools)', async () => {
    const s = await start();
    await writeFile(join(dir.path, '.web.yaml.tmp'), service('web'));
    await rename(join(dir.path, '.web.yaml.tmp'), join(dir.path, 'web.yaml'));
    await waitFor(() => s.services.get('default', 'web'), { what: 'renamed file' });
    expect(errors).toEqual([]);
  });

  it('applies every version of a file replaced by rename, again and again, through watch events alone', async () => {
    await dir.write('web.yaml', service('web', 1000));
    await dir.write('nested/api.yaml', service('api', 2000));
    const s = await start(NO_RESCAN);
    for (let version = 1; version <= 5; version++) {
      // Our own writer (the local runner's EndpointSlices) and an editor-style save: temp file, then rename.
      await writeFileAtomic(join(dir.path, 'web.yaml'), service('web', 1000 + version));
      await writeFile(join(dir.path, 'nested', '.api.yaml.swp'), service('api', 2000 + version));
      await rename(join(dir.path, 'nested', '.api.yaml.swp'), join(dir.path, 'nested', 'api.yaml'));
      const port = (name: string) => s.services.get('default', name)?.spec?.ports?.[0]?.port;
      await waitFor(() => port('web') === 1000 + version && port('api') === 2000 + version, { ...WATCH_WAIT, what: `version ${version}` });
    }
    expect(errors).toEqual([]);
    // After the renames, a plain in-place write of the same files is still seen.
    await dir.write('web.yaml', service('web', 1100));
    await dir.write('nested/api.yaml', service('api', 2100));
    await waitFor(() => s.services.get('default', 'web')?.spec?.ports?.[0]?.port === 1100, { ...WATCH_WAIT, what: 'in-place write after renames' });
    await waitFor(() => s.services.get('default', 'api')?.spec?.ports?.[0]?.port === 2100, { ...WATCH_WAIT, what: 'nested in-place write after renames' });
    expect(events.map((e) => e.type)).toEqual(Array(12).fill('MODIFIED'));
  });

  it('follows new files, deletions and new subfolders through watch events alone', async () => {
    await dir.write('web.yaml', service('web'));
    const s = await start(NO_RESCAN);
    await dir.write('api.yaml', service('api'));
    await waitFor(() => names(s).join() === 'api,web', { ...WATCH_WAIT, what: 'new file' });
    await rm(join(dir.path, 'api.yaml'));
    await waitFor(() => names(s).join() === 'web', { ...WATCH_WAIT, what: 'deleted file' });
    // A file written right after its folder is created, before any watcher can be on that folder.
    await mkdir(join(dir.path, 'team'));
    await writeFile(join(dir.path, 'team', 'a.yaml'), service('a'));
    await waitFor(() => names(s).join() === 'a,web', { ...WATCH_WAIT, what: 'file in a new subfolder' });
    await dir.write('team/deeper/b.yaml', service('b'));
    await waitFor(() => names(s).join() === 'a,b,web', { ...WATCH_WAIT, what: 'file in a new nested subfolder' });
    await writeFileAtomic(join(dir.path, 'team', 'deeper', 'b.yaml'), service('b', 81));
    await waitFor(() => s.services.get('default', 'b')?.spec?.ports?.[0]?.port === 81, { ...WATCH_WAIT, what: 'rename in the new subfolder' });
    await writeFileAtomic(join(dir.path, 'team', 'deeper', 'b.yaml'), service('b', 82));
    await waitFor(() => s.services.get('default', 'b')?.spec?.ports?.[0]?.port === 82, { ...WATCH_WAIT, what: 'second rename in the new subfolder' });
    await rm(join(dir.path, 'team'), { recursive: true });
    await waitFor(() => names(s).join() === 'web', { ...WATCH_WAIT, what: 'removed subfolder' });
    // A folder of the same name made again is a new directory: it is watched afresh.
    await dir.write('team/c.yaml', service('c'));
    await waitFor(() => names(s).join() === 'c,web', { ...WATCH_WAIT, what: 'recreated subfolder' });
    await dir.write('team/c.yaml', service('c', 81));
    await waitFor(() => s.services.get('default', 'c')?.spec?.ports?.[0]?.port === 81, { ...WATCH_WAIT, what: 'change in the recreated subfolder' });
  });

  it('applies changes while the folder keeps changing (events do not postpone the scan)', async () => {
    const s = await start({ rescanIntervalMs: 60_000, debounceMs: 200 });
    await dir.write('b.yaml', service('b'));
    let writes = 0;
    for (; writes < 2000 && !s.services.get('default', 'b'); writes++) {
      await dir.write('churn.yaml', service('churn', 1000 + writes));
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(s.services.get('default', 'b')).toBeDefined();
    expect(writes).toBeLessThan(2000);
  });

  it('notices changes by periodic rescans alone when watching is off', async () => {
    await dir.write('web.yaml', service('web'));
    const s = await start({ watch: false, rescanIntervalMs: 50 });
    await dir.write('web.yaml', service('web', 8080));
    await waitFor(() => s.services.get('default', 'web')?.spec?.ports?.[0]?.port === 8080, { what: 'rescan' });
    expect(events.map((e) => e.type)).toEqual(['MODIFIED']);
  });

  it('reports a missing folder, stays up, and serves it once it appears', async () => {
    await dir.remove();
    const s = await start();
    expect(errors[0]).toEqual({ source: 'fs', file: dir.path, reason: expect.stringContaining('cannot read directory') });
    expect(s.services.list()).toEqual([]);
    await mkdir(dir.path);
    await writeFile(join(dir.path, 'web.yaml'), service('web'));
    await waitFor(() => s.services.get('default', 'web'), { what: 'folder created later' });
    expect(errors).toHaveLength(1);
  });

  it('keeps serving while its folder is gone, and follows it once it is back', async () => {
    await dir.write('web.yaml', service('web'));
    const s = await start({ rescanIntervalMs: 50 });
    await rm(dir.path, { recursive: true });
    await waitFor(() => errors.find((e) => e.reason.startsWith('cannot read directory')), { what: 'missing folder reported' });
    // An unreadable folder (unmounted, permissions) is not taken as an empty one.
    expect(names(s)).toEqual(['web']);
    await dir.write('api.yaml', service('api'));
    await waitFor(() => names(s).join() === 'api', { what: 'recreated folder served' });
    await dir.write('api.yaml', service('api', 81));
    await waitFor(() => s.services.get('default', 'api')?.spec?.ports?.[0]?.port === 81, { what: 'changes after recreation' });
  });

  it('close is idempotent and completes every stream', async () => {
    const s = await start();
    const completed = firstValueFrom(s.services.events$.pipe(toArray()));
    await s.close();
    await s.close();
    await expect(completed).resolves.toEqual([]);
    const service: Service | undefined = s.services.get('default', 'web');
    expect(service).toBeUndefined();
  });
});
