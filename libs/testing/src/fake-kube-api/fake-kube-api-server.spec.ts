import { request } from 'node:http';
import { AppsV1Api, AuthenticationV1Api, CoordinationV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TempDir } from '../temp-dir';
import { createTempDir } from '../temp-dir';
import { waitFor } from '../wait-for';
import type { FakeKubeApiServer } from './fake-kube-api-server';
import { startFakeKubeApi } from './fake-kube-api-server';
import { writeFakeKubeconfig } from './kubeconfig';

const TOKEN = 'test-token';

interface WatchLine {
  type: string;
  object: { kind?: string; code?: number; metadata: { name?: string; resourceVersion?: string } };
}

/** A raw watch client: collects newline-delimited events; `ended`/`failed` tell how the stream finished. */
function openWatch(server: FakeKubeApiServer, path: string) {
  const events: WatchLine[] = [];
  const state = { ended: false, failed: false };
  let buffer = '';
  const req = request(`${server.url}${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        events.push(JSON.parse(buffer.slice(0, newline)) as WatchLine);
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
      }
    });
    res.on('end', () => (state.ended = true));
    res.on('error', () => (state.failed = true));
    res.on('aborted', () => (state.failed = true));
  });
  req.on('error', () => (state.failed = true));
  req.end();
  return { events, state, close: () => req.destroy() };
}

const service = (name: string, namespace = 'default') => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace },
  spec: { ports: [{ port: 80 }] },
});

const deployment = (name: string, replicas: number) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'shop' },
  spec: { replicas, selector: { matchLabels: { app: name } } },
});

describe('fake Kubernetes API server', () => {
  let server: FakeKubeApiServer;
  let dir: TempDir;
  let kc: KubeConfig;
  const watchers: { close(): void }[] = [];

  const get = async (path: string, token = TOKEN) => {
    const res = await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { items?: Record<string, unknown>[] } };
  };
  const watch = (path: string) => {
    const w = openWatch(server, path);
    watchers.push(w);
    return w;
  };

  beforeEach(async () => {
    server = await startFakeKubeApi({ token: TOKEN });
    dir = await createTempDir('trellis-fake-kube-');
    kc = new KubeConfig();
    kc.loadFromFile(await writeFakeKubeconfig(dir.path, server.url, TOKEN));
  });

  afterEach(async () => {
    for (const w of watchers.splice(0)) w.close();
    await server.close();
    await dir.remove();
  });

  it('lists with the list resourceVersion; built-in items omit kind, CRD items keep it; namespaced paths filter', async () => {
    server.create(service('web'));
    server.create(service('api', 'shop'));
    server.create({ apiVersion: 'linkerd.io/v1alpha2', kind: 'ServiceProfile', metadata: { name: 'sp', namespace: 'shop' }, spec: {} });
    const all = await get('/api/v1/services');
    expect(all.status).toBe(200);
    expect(all.body.metadata).toEqual({ resourceVersion: String(server.resourceVersion) });
    expect(all.body.items?.map((i) => [(i.metadata as { name: string }).name, i.kind])).toEqual([
      ['web', undefined],
      ['api', undefined],
    ]);
    const shop = await get('/api/v1/namespaces/shop/services');
    expect(shop.body.items?.map((i) => (i.metadata as { name: string }).name)).toEqual(['api']);
    const profiles = await get('/apis/linkerd.io/v1alpha2/serviceprofiles');
    expect(profiles.body.items?.[0]).toMatchObject({ kind: 'ServiceProfile', apiVersion: 'linkerd.io/v1alpha2' });
    expect((await get('/api/v1/namespaces/default/services/web')).body).toMatchObject({ kind: 'Service', metadata: { name: 'web' } });
    expect((await get('/api/v1/namespaces/default/services/nope')).status).toBe(404);
    expect((await get('/api/v1/services', 'wrong')).status).toBe(401);
    expect((await get('/apis/unknown.io/v1/things')).status).toBe(404);
  });

  it('streams ADDED, MODIFIED and DELETED with increasing resourceVersions from the list resourceVersion', async () => {
    server.create(service('before'));
    const listed = await get('/api/v1/services');
    const rv = (listed.body.metadata as { resourceVersion: string }).resourceVersion;
    const w = watch(`/api/v1/services?watch=true&resourceVersion=${rv}`);
    await waitFor(() => server.openWatches() === 1, { what: 'watch open' });
    const created = server.create(service('web'));
    server.update({ ...created, spec: { ports: [{ port: 81 }] } });
    server.remove({ apiVersion: 'v1', kind: 'Service', namespace: 'default', name: 'web' });
    await waitFor(() => w.events.length === 3, { what: 'three events' });
    expect(w.events.map((e) => [e.type, e.object.kind, e.object.metadata.name])).toEqual([
      ['ADDED', 'Service', 'web'],
      ['MODIFIED', 'Service', 'web'],
      ['DELETED', 'Service', 'web'],
    ]);
    const versions = w.events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(3);
    expect(Number(rv)).toBeLessThan(versions[0] ?? 0);
  });

  it('replays missed events when resuming from an older resourceVersion, and sends current objects without one', async () => {
    server.create(service('a'));
    const rv = server.resourceVersion;
    server.create(service('b'));
    server.remove({ apiVersion: 'v1', kind: 'Service', name: 'a' });
    const resumed = watch(`/api/v1/services?watch=1&resourceVersion=${rv}`);
    const fresh = watch('/api/v1/namespaces/default/services?watch=true');
    await waitFor(() => resumed.events.length === 2 && fresh.events.length === 1, { what: 'replay' });
    expect(resumed.events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'b'],
      ['DELETED', 'a'],
    ]);
    expect(fresh.events.map((e) => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'b']]);
  });

  it('sends BOOKMARKs only to watches that allow them', async () => {
    const withBookmarks = watch(`/api/v1/pods?watch=true&allowWatchBookmarks=true&resourceVersion=${server.resourceVersion}`);
    const without = watch(`/api/v1/pods?watch=true&resourceVersion=${server.resourceVersion}`);
    await waitFor(() => server.openWatches('/pods') === 2, { what: 'watches open' });
    server.create(service('x'));
    expect(server.bookmark()).toBe(1);
    await waitFor(() => withBookmarks.events.length === 1, { what: 'bookmark' });
    expect(withBookmarks.events[0]).toEqual({
      type: 'BOOKMARK',
      object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: String(server.resourceVersion) } },
    });
    expect(without.events).toEqual([]);
  });

  it('answers a too-old resourceVersion (after compaction, or injected) with an ERROR 410 event and ends the stream', async () => {
    server.create(service('a'));
    const old = server.resourceVersion;
    server.create(service('b'));
    server.compact();
    const expired = watch(`/api/v1/services?watch=true&resourceVersion=${old}`);
    await waitFor(() => expired.state.ended, { what: 'stream ended' });
    expect(expired.events).toEqual([{ type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }) }]);

    const current = watch(`/api/v1/services?watch=true&resourceVersion=${server.resourceVersion}`);
    await waitFor(() => server.openWatches() === 1, { what: 'current watch accepted' });
    expect(current.events).toEqual([]);

    server.expireNextWatches();
    const injected = watch(`/api/v1/services?watch=true&resourceVersion=${server.resourceVersion}`);
    await waitFor(() => injected.state.ended, { what: 'injected 410' });
    expect(injected.events[0]?.object.code).toBe(410);
  });

  it('drops watch connections mid-stream or ends them cleanly on request', async () => {
    const a = watch('/api/v1/services?watch=true');
    const b = watch('/apis/apps/v1/deployments?watch=true');
    await waitFor(() => server.openWatches() === 2, { what: 'two watches' });
    expect(server.dropWatches()).toBe(2);
    await waitFor(() => a.state.failed && b.state.failed, { what: 'both failed' });
    const c = watch('/api/v1/services?watch=true');
    await waitFor(() => server.openWatches() === 1, { what: 'third watch' });
    expect(server.endWatches()).toBe(1);
    await waitFor(() => c.state.ended, { what: 'clean end' });
    expect(c.state.failed).toBe(false);
  });

  it('serves the Deployment scale subresource to the real client: read, JSON patch, merge patch, replace', async () => {
    server.create(deployment('web', 1));
    const watchDeployments = watch(`/apis/apps/v1/deployments?watch=true&resourceVersion=${server.resourceVersion}`);
    const apps = kc.makeApiClient(AppsV1Api);
    const scale = await apps.readNamespacedDeploymentScale({ name: 'web', namespace: 'shop' });
    expect(scale.spec?.replicas).toBe(1);
    expect(scale.status?.selector).toBe('app=web');

    await apps.patchNamespacedDeploymentScale({ name: 'web', namespace: 'shop', body: [{ op: 'replace', path: '/spec/replicas', value: 3 }] });
    expect(server.get<ReturnType<typeof deployment>>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' })?.spec.replicas).toBe(3);

    await apps.patchNamespacedDeploymentScale(
      { name: 'web', namespace: 'shop', body: { spec: { replicas: 0 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const replaced = await apps.replaceNamespacedDeploymentScale({
      name: 'web',
      namespace: 'shop',
      body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'shop' }, spec: { replicas: 5 } },
    });
    expect(replaced.spec?.replicas).toBe(5);
    await waitFor(() => watchDeployments.events.length === 3, { what: 'three MODIFIED events' });
    expect(watchDeployments.events.map((e) => e.type)).toEqual(['MODIFIED', 'MODIFIED', 'MODIFIED']);
    const patches = server.requests({ method: 'PATCH', path: /\/scale$/ });
    expect(patches.map((r) => r.headers['content-type'])).toEqual(['application/json-patch+json', 'application/merge-patch+json']);
    expect(JSON.parse(patches[1]?.body ?? 'null')).toEqual({ spec: { replicas: 0 } });

    await expect(
      apps.patchNamespacedDeploymentScale({ name: 'web', namespace: 'shop', body: [{ op: 'replace', path: '/spec/replicas', value: -1 }] }),
    ).rejects.toMatchObject({ code: 422 });
    await expect(apps.readNamespacedDeploymentScale({ name: 'nope', namespace: 'shop' })).rejects.toMatchObject({ code: 404 });
  });

  it('serves Leases with create conflicts and resourceVersion-checked updates', async () => {
    const leases = kc.makeApiClient(CoordinationV1Api);
    const body = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'autoscaler', namespace: 'trellis-system' },
      spec: { holderIdentity: 'a', leaseDurationSeconds: 15 },
    };
    const created = await leases.createNamespacedLease({ namespace: 'trellis-system', body });
    expect(created.metadata?.resourceVersion).toBeDefined();
    await expect(leases.createNamespacedLease({ namespace: 'trellis-system', body })).rejects.toMatchObject({ code: 409 });

    const takenByB = await leases.replaceNamespacedLease({
      name: 'autoscaler',
      namespace: 'trellis-system',
      body: { ...body, metadata: { ...body.metadata, resourceVersion: created.metadata?.resourceVersion }, spec: { ...body.spec, holderIdentity: 'b' } },
    });
    expect(takenByB.spec?.holderIdentity).toBe('b');
    // A writer holding the older resourceVersion loses.
    await expect(
      leases.replaceNamespacedLease({
        name: 'autoscaler',
        namespace: 'trellis-system',
        body: { ...body, metadata: { ...body.metadata, resourceVersion: created.metadata?.resourceVersion } },
      }),
    ).rejects.toMatchObject({ code: 409 });
    const read = await leases.readNamespacedLease({ name: 'autoscaler', namespace: 'trellis-system' });
    expect(read.spec?.holderIdentity).toBe('b');
  });

  it('goes offline (connections refused, objects kept) and back online on the same port', async () => {
    server.create(service('web'));
    await server.goOffline();
    await expect(fetch(`${server.url}/api/v1/services`)).rejects.toThrow();
    server.create(service('api'));
    await server.goOnline();
    const listed = await get('/api/v1/services');
    expect(listed.body.items?.map((i) => (i.metadata as { name: string }).name)).toEqual(['api', 'web']);
  });

  it('injects failures and records requests', async () => {
    server.failNext({ method: 'GET', path: /\/services$/, status: 503, count: 2 });
    expect((await get('/api/v1/services')).status).toBe(503);
    expect((await get('/api/v1/services')).status).toBe(503);
    expect((await get('/api/v1/services')).status).toBe(200);
    const recorded = server.requests({ path: /services/ });
    expect(recorded).toHaveLength(3);
    expect(recorded[0]).toMatchObject({ method: 'GET', path: '/api/v1/services', headers: { authorization: `Bearer ${TOKEN}` } });
    server.clearRequests();
    expect(server.requests()).toEqual([]);
  });

  it('answers TokenReviews through the real client: authenticated, unknown, revoked, wrong audience', async () => {
    const auth = kc.makeApiClient(AuthenticationV1Api);
    server.addServiceAccountToken('sa-token', { namespace: 'shop', serviceAccount: 'web', audiences: ['identity.l5d.io'] });
    const review = (token: string, audiences?: string[]) =>
      auth.createTokenReview({
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) } },
      });
    const ok = await review('sa-token', ['identity.l5d.io']);
    expect(ok.status).toMatchObject({
      authenticated: true,
      user: { username: 'system:serviceaccount:shop:web' },
      audiences: ['identity.l5d.io'],
    });
    expect((await review('sa-token')).status?.authenticated).toBe(true);
    const wrongAudience = await review('sa-token', ['vault']);
    expect(wrongAudience.status?.authenticated).toBe(false);
    expect(wrongAudience.status?.error).toContain('is invalid for the target audiences');
    expect((await review('unknown', ['identity.l5d.io'])).status?.authenticated).toBe(false);
    server.revokeServiceAccountToken('sa-token');
    expect((await review('sa-token', ['identity.l5d.io'])).status?.authenticated).toBe(false);
    expect(server.requests({ method: 'POST', path: /tokenreviews$/ })).toHaveLength(5);
  });
});
