import { KubeConfig } from '@kubernetes/client-node';
import type { FakeKubeApiServer, TempDir } from '@trellis/testing';
import { createTempDir, startFakeKubeApi, waitFor, writeFakeKubeconfig } from '@trellis/testing';
import { filter, firstValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSource } from '../create-source';
import type { KubeObject } from '../model';
import { RESOURCE_KINDS } from '../model';
import type { Informer, Source, SourceError, WatchEvent } from '../source';
import { createKubernetesSource } from './kubernetes-source';

const TOKEN = 'kube-source-token';
const FAST_BACKOFF = { initialMs: 20, maxMs: 200 };
// One watch per kind: Service, EndpointSlice, Pod, ServiceProfile, Deployment, HTTPRoute, GRPCRoute, and the five
// policy.linkerd.io kinds.
const ALL_WATCHES = 12;

const service = (name: string, port = 80, namespace = 'default') => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace },
  spec: { ports: [{ port, targetPort: 'http' }] },
});
const slice = (name: string, ip: string) => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
  addressType: 'IPv4',
  endpoints: [{ addresses: [ip], conditions: { ready: true } }],
});
const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, status: { podIP: '10.0.0.1' } });
const deployment = (name: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default', annotations: { 'autoscaling.knative.dev/target': '10' } },
  spec: { replicas: 2, selector: { matchLabels: { app: name } } },
});
const profile = (name: string) => ({
  apiVersion: 'linkerd.io/v1alpha2',
  kind: 'ServiceProfile',
  metadata: { name, namespace: 'default' },
  spec: { routes: [{ name: 'GET /', condition: { method: 'GET', pathRegex: '/' }, isRetryable: true }] },
});
const gatewayRoute = (kind: 'HTTPRoute' | 'GRPCRoute', name: string, backend: string) => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind,
  metadata: { name, namespace: 'default' },
  spec: { parentRefs: [{ group: '', kind: 'Service', name: 'web', port: 80 }], rules: [{ backendRefs: [{ name: backend, port: 80 }] }] },
});

describe('kubernetes source against the fake API server', () => {
  let server: FakeKubeApiServer;
  let dir: TempDir;
  let kc: KubeConfig;
  let kubeconfigPath: string;
  let source: Source | undefined;
  let events: WatchEvent<KubeObject>[];
  let errors: SourceError[];

  const start = async () => {
    const s = createKubernetesSource({ kubeConfig: kc, backoff: FAST_BACKOFF });
    source = s;
    events = [];
    errors = [];
    s.errors$.subscribe((e) => errors.push(e));
    const informers: Informer<KubeObject>[] = [s.services, s.endpointSlices, s.pods, s.serviceProfiles, s.deployments, s.httpRoutes, s.grpcRoutes];
    for (const informer of informers) informer.events$.subscribe((e) => events.push(e));
    await firstValueFrom(s.synced$.pipe(filter(Boolean)));
    await waitFor(() => server.openWatches() === ALL_WATCHES, { what: 'a watch per kind open' });
    return s;
  };

  const names = (informer: Informer<KubeObject>) => informer.list().map((o) => o.metadata.name).sort();

  beforeEach(async () => {
    server = await startFakeKubeApi({ token: TOKEN });
    dir = await createTempDir('trellis-kube-source-');
    kubeconfigPath = await writeFakeKubeconfig(dir.path, server.url, TOKEN);
    kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
  });

  afterEach(async () => {
    await source?.close();
    source = undefined;
    await server.close();
    await dir.remove();
  });

  it('syncs every kind across namespaces, as plain objects with kind and apiVersion', async () => {
    server.create(service('web'));
    server.create(service('api', 8080, 'shop'));
    server.create(slice('web-1', '10.0.0.1'));
    server.create(pod('web-1'));
    server.create(deployment('web'));
    server.create(profile('web.default.svc.cluster.local'));
    const s = await start();

    expect(names(s.services)).toEqual(['api', 'web']);
    const web = s.services.get('default', 'web');
    expect(web).toMatchObject({ apiVersion: 'v1', kind: 'Service', spec: { ports: [{ port: 80, targetPort: 'http' }] } });
    expect(typeof web?.metadata.creationTimestamp).toBe('string');
    expect(s.services.get('shop', 'api')?.spec?.ports?.[0]?.port).toBe(8080);
    expect(s.endpointSlices.get('default', 'web-1')).toMatchObject({ kind: 'EndpointSlice', addressType: 'IPv4' });
    expect(s.pods.get('default', 'web-1')?.status?.podIP).toBe('10.0.0.1');
    expect(s.deployments.get('default', 'web')?.metadata.annotations?.['autoscaling.knative.dev/target']).toBe('10');
    expect(s.serviceProfiles.get('default', 'web.default.svc.cluster.local')?.spec.routes?.[0]).toEqual({
      name: 'GET /',
      condition: { method: 'GET', pathRegex: '/' },
      isRetryable: true,
    });
    expect(events).toEqual([]);
    expect(errors).toEqual([]);
    expect(s.stats().Service).toMatchObject({ lists: 1, restarts: 0 });
    const watchRequests = server.requests({ method: 'GET' }).filter((r) => r.query.watch === 'true');
    expect(watchRequests).toHaveLength(ALL_WATCHES);
    for (const r of watchRequests) expect(r.query.allowWatchBookmarks).toBe('true');
  });

  it('turns watch events into ADDED, MODIFIED and DELETED, ServiceProfiles (CRD) included', async () => {
    const s = await start();
    const created = server.create(service('web'));
    await waitFor(() => s.services.get('default', 'web'), { what: 'added' });
    server.update({ ...created, spec: { ports: [{ port: 9090 }] } });
    await waitFor(() => s.services.get('default', 'web')?.spec?.ports?.[0]?.port === 9090, { what: 'modified' });
    server.remove({ apiVersion: 'v1', kind: 'Service', name: 'web' });
    await waitFor(() => s.services.get('default', 'web') === undefined, { what: 'deleted' });
    server.create(profile('web.default.svc.cluster.local'));
    await waitFor(() => s.serviceProfiles.list().length === 1, { what: 'profile added' });

    expect(events.map((e) => [e.type, e.object.kind, e.object.metadata.name])).toEqual([
      ['ADDED', 'Service', 'web'],
      ['MODIFIED', 'Service', 'web'],
      ['DELETED', 'Service', 'web'],
      ['ADDED', 'ServiceProfile', 'web.default.svc.cluster.local'],
    ]);
    expect(s.stats().Service.events).toBe(3);
  });

  it('lists and watches HTTPRoutes and GRPCRoutes (Gateway API v1) as it does the other kinds', async () => {
    server.create(gatewayRoute('HTTPRoute', 'web-split', 'web-v1'));
    const s = await start();
    expect(s.httpRoutes.get('default', 'web-split')?.spec.parentRefs?.[0]?.name).toBe('web');
    expect(s.httpRoutes.get('default', 'web-split')?.apiVersion).toBe('gateway.networking.k8s.io/v1');

    server.apply(gatewayRoute('HTTPRoute', 'web-split', 'web-v2'));
    server.create(gatewayRoute('GRPCRoute', 'web-rpc', 'web-v1'));
    await waitFor(() => s.grpcRoutes.get('default', 'web-rpc') !== undefined, { what: 'GRPCRoute watched' });
    await waitFor(() => JSON.stringify(s.httpRoutes.get('default', 'web-split')?.spec.rules).includes('web-v2'), { what: 'HTTPRoute change watched' });
    // Two informers, two watch streams: the order between kinds is not defined.
    expect(events.map((e) => `${e.type} ${e.object.kind}`).sort()).toEqual(['ADDED GRPCRoute', 'MODIFIED HTTPRoute']);
    expect(errors).toEqual([]);
  });

  it('syncs without the Gateway API CRDs: routes are empty, the absence is reported once, other kinds work', async () => {
    await server.close();
    server = await startFakeKubeApi({ token: TOKEN, withoutKinds: ['HTTPRoute', 'GRPCRoute'] });
    kubeconfigPath = await writeFakeKubeconfig(dir.path, server.url, TOKEN);
    kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    server.create(service('web'));
    const s = createKubernetesSource({ kubeConfig: kc, backoff: FAST_BACKOFF });
    source = s;
    const seen: SourceError[] = [];
    s.errors$.subscribe((e) => seen.push(e));
    await firstValueFrom(s.synced$.pipe(filter(Boolean)));
    expect(s.services.get('default', 'web')).toBeDefined();
    expect(s.httpRoutes.list()).toEqual([]);
    // The list/watch keeps being retried with backoff (so a CRD installed later is picked up) without new reports.
    await waitFor(() => server.requests({ method: 'GET', path: /httproutes$/ }).length >= 3, { what: 'HTTPRoute list retried' });
    expect(seen.map((e) => e.kind).sort()).toEqual(['GRPCRoute', 'HTTPRoute']);
    expect(seen[0]?.reason).toMatch(/not served \(404: is its CRD installed\?\)/);
  });

  it('syncs when it may not list the route kinds (403), as a component without that RBAC', async () => {
    server.failNext({ method: 'GET', path: /routes$/, status: 403, count: 1000 });
    server.create(service('web'));
    const s = createKubernetesSource({ kubeConfig: kc, backoff: FAST_BACKOFF });
    source = s;
    const seen: SourceError[] = [];
    s.errors$.subscribe((e) => seen.push(e));
    await firstValueFrom(s.synced$.pipe(filter(Boolean)));
    expect(s.services.get('default', 'web')).toBeDefined();
    expect(s.grpcRoutes.list()).toEqual([]);
    expect(seen.map((e) => e.reason).sort()).toEqual([
      'GRPCRoute is not served (403: may this service account list it?); treated as empty until it is',
      'HTTPRoute is not served (403: may this service account list it?); treated as empty until it is',
    ]);
  });

  it('resumes from the BOOKMARK resourceVersion when a watch ends', async () => {
    const s = await start();
    server.create(deployment('other'));
    await waitFor(() => s.deployments.list().length === 1, { what: 'deployment' });
    const bookmarkVersion = String(server.resourceVersion);
    expect(server.bookmark()).toBe(ALL_WATCHES);
    server.clearRequests();
    // The bookmark line precedes the end of the stream, so the client has read it when it re-watches.
    server.endWatches();
    await waitFor(() => server.openWatches() === ALL_WATCHES, { what: 'watches back' });
    const serviceWatch = server.requests().find((r) => r.path === '/api/v1/services' && r.query.watch === 'true');
    expect(serviceWatch?.query.resourceVersion).toBe(bookmarkVersion);
    expect(s.stats().Service).toMatchObject({ lists: 1, restarts: 0 });
    expect(errors).toEqual([]);
  });

  it('survives watches dropped mid-stream: reports, restarts with backoff, replays what it missed', async () => {
    server.create(service('a'));
    const s = await start();
    expect(server.dropWatches()).toBe(ALL_WATCHES);
    server.create(service('b'));
    server.remove({ apiVersion: 'v1', kind: 'Service', name: 'a' });
    await waitFor(() => names(s.services).join() === 'b', { what: 'caught up after drop' });
    await waitFor(() => server.openWatches() === ALL_WATCHES, { what: 'watches restarted' });
    expect(errors.length).toBeGreaterThanOrEqual(ALL_WATCHES);
    expect(errors[0]).toMatchObject({ source: 'kubernetes', reason: expect.stringMatching(/list\/watch failed.*restarting in \d+ ms/) });
    expect(new Set(errors.map((e) => e.kind))).toEqual(new Set(RESOURCE_KINDS));
    expect(s.stats().Service).toMatchObject({ lists: 1, restarts: 1 });
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'b'],
      ['DELETED', 'a'],
    ]);

    server.endWatches();
    server.create(service('c'));
    await waitFor(() => s.services.get('default', 'c'), { what: 'clean end resumes without error' });
    expect(s.stats().Service).toMatchObject({ lists: 1, restarts: 1 });
  });

  it('relists after 410 Gone and converges to the server state, with the diff as events', async () => {
    server.create(service('keep'));
    const gone = server.create(service('gone'));
    server.create(service('changed'));
    const s = await start();
    server.dropWatches();
    server.remove({ apiVersion: 'v1', kind: 'Service', name: gone.metadata.name });
    server.update({ ...service('changed', 1234) });
    server.create(service('new'));
    server.compact();
    await waitFor(() => names(s.services).join() === 'changed,keep,new', { what: 'converged' });
    expect(s.services.get('default', 'changed')?.spec?.ports?.[0]?.port).toBe(1234);
    expect(s.stats().Service.lists).toBe(2);
    const serviceEvents = events.filter((e) => e.object.kind === 'Service').map((e) => [e.type, e.object.metadata.name]);
    expect(serviceEvents.sort()).toEqual([
      ['ADDED', 'new'],
      ['DELETED', 'gone'],
      ['MODIFIED', 'changed'],
    ]);
    const lists = server.requests().filter((r) => r.path === '/api/v1/services' && r.query.watch === undefined);
    expect(lists).toHaveLength(2);

    // The ERROR event form: the next watches are answered with a 410 Status, which also forces a relist.
    server.expireNextWatches(ALL_WATCHES);
    server.endWatches();
    await waitFor(() => s.stats().Service.lists === 3 && s.stats().ServiceProfile.lists === 3, { what: 'relist after ERROR 410' });
    expect(names(s.services)).toEqual(['changed', 'keep', 'new']);
    await waitFor(() => server.openWatches() === ALL_WATCHES, { what: 'watching again' });
  });

  it('keeps retrying a failing list and syncs once the server answers', async () => {
    server.failNext({ method: 'GET', path: /^\/api\/v1\/services$/, status: 500, count: 3 });
    server.create(service('web'));
    const s = await start();
    expect(s.services.get('default', 'web')).toBeDefined();
    expect(errors.filter((e) => e.kind === 'Service')).toHaveLength(3);
    expect(s.stats().Service.restarts).toBe(3);
  });

  it('rides out an API server outage: connection refused is reported and retried, then it converges', async () => {
    server.create(service('a'));
    const s = await start();
    await server.goOffline();
    server.create(service('b'));
    await waitFor(() => s.stats().Service.restarts >= 3, { what: 'several refused restarts' });
    expect(errors.find((e) => e.kind === 'Service')?.reason).toMatch(/ECONNREFUSED|Premature close|socket hang up/);
    expect(names(s.services)).toEqual(['a']);
    await server.goOnline();
    await waitFor(() => names(s.services).join() === 'a,b', { what: 'converged after outage' });
    await waitFor(() => server.openWatches() === ALL_WATCHES, { what: 'watching again' });
  });

  it('is created by createSource("kubernetes") from KUBECONFIG, and close is idempotent and final', async () => {
    const previous = process.env.KUBECONFIG;
    process.env.KUBECONFIG = kubeconfigPath;
    let s: Source;
    try {
      s = createSource('kubernetes', { backoff: FAST_BACKOFF });
    } finally {
      if (previous === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = previous;
    }
    source = s;
    await firstValueFrom(s.synced$.pipe(filter(Boolean)));
    await waitFor(() => server.openWatches() === ALL_WATCHES, { what: 'watches' });
    const completed = firstValueFrom(s.services.events$.pipe(toArray()));
    await s.close();
    await s.close();
    await expect(completed).resolves.toEqual([]);
    await waitFor(() => server.openWatches() === 0, { what: 'watches closed' });
    server.clearRequests();
    server.create(service('late'));
    server.dropWatches();
    await new Promise((r) => setTimeout(r, FAST_BACKOFF.maxMs * 2));
    expect(server.requests()).toEqual([]);
  });
});
