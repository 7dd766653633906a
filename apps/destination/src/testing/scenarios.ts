import { status } from '@grpc/grpc-js';
import type { Source } from '@trellis/kube';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from './destination-harness';
import { addrsOf, metricValue, stalledCall, startHarness } from './destination-harness';
import { GetDestination } from '@trellis/proto';
import { podObject, profileObject, serviceObject, sliceObject, withAnnotations } from './manifests';

export interface KubeObjectLike {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
}

/** A world the scenarios drive: the fs folder or the fake API server behind a real Source. */
export interface World {
  source: Source;
  apply(obj: KubeObjectLike): Promise<void>;
  remove(obj: KubeObjectLike): Promise<void>;
  close(): Promise<void>;
}

// Queue limit for the overflow scenario: small, so a paused client overflows after a few changes.
const TINY_QUEUE_LIMIT = 4;
// About 10 KiB per profile message: the window fills in a few versions while each version stays cheap.
const PROFILE_ROUTES = 80;
const MAX_OVERFLOW_VERSIONS = 120;

const authority = (svc: string, ns: string, port = 80) => `${svc}.${ns}.svc.cluster.local:${port}`;

/** The integration scenarios of issue 2, run against the real server and a real grpc-js client. */
export function defineDestinationScenarios(name: string, makeWorld: () => Promise<World>): void {
  describe(name, () => {
    let world: World;
    let h: Harness;

    beforeAll(async () => {
      world = await makeWorld();
      h = await startHarness(world.source, { streamQueueLimit: TINY_QUEUE_LIMIT });
    });

    afterAll(async () => {
      await h?.close();
      await world?.close();
    });

    it('starts with add / no_endpoints{exists:true} / no_endpoints{exists:false}', async () => {
      await world.apply(podObject('web-abc12-aaaaa', 'first', '10.1.0.1', true));
      await world.apply(serviceObject('web', 'first'));
      await world.apply(sliceObject('web-1', 'first', 'web', [{ ip: '10.1.0.1', pod: 'web-abc12-aaaaa' }, { ip: '10.1.0.2' }, { ip: '10.1.0.3', ready: false }]));
      await world.apply(serviceObject('empty', 'first'));

      const web = h.get(authority('web', 'first'));
      let first = await web.nth(1);
      // The source may still be applying the files: wait for the full view, then check it.
      for (let n = 2; addrsOf(first).length < 2 && n < 10; n += 1) first = await web.nth(n);
      expect(first.update?.$case).toBe('add');
      expect(addrsOf(first)).toEqual(['10.1.0.1:8080', '10.1.0.2:8080']);
      if (first.update?.$case !== 'add') throw new Error('expected add');
      expect(first.update.value.metricLabels).toEqual({ namespace: 'first', service: 'web' });
      const meshed = first.update.value.addrs.find((a) => a.metricLabels.pod === 'web-abc12-aaaaa');
      expect(meshed?.metricLabels).toEqual({ pod: 'web-abc12-aaaaa', deployment: 'web' });
      expect(meshed?.weight).toBe(10000);
      expect(meshed?.protocolHint?.protocol?.$case).toBe('h2');

      expect((await h.get(authority('empty', 'first')).nth(1)).update).toEqual({ $case: 'noEndpoints', value: { exists: true } });
      expect((await h.get(authority('nothing', 'first')).nth(1)).update).toEqual({ $case: 'noEndpoints', value: { exists: false } });
    });

    it('streams diffs: add, remove, last removed, service deleted', async () => {
      await world.apply(serviceObject('api', 'diffs'));
      await world.apply(sliceObject('api-1', 'diffs', 'api', [{ ip: '10.2.0.1' }]));
      const stream = h.get(authority('api', 'diffs'));
      let n = 1;
      while (addrsOf(await stream.nth(n)).length !== 1) n += 1;

      await world.apply(sliceObject('api-1', 'diffs', 'api', [{ ip: '10.2.0.1' }, { ip: '10.2.0.2' }]));
      const added = await stream.nth(++n);
      expect(added.update?.$case).toBe('add');
      expect(addrsOf(added)).toEqual(['10.2.0.2:8080']);

      await world.apply(sliceObject('api-1', 'diffs', 'api', [{ ip: '10.2.0.2' }]));
      const removed = await stream.nth(++n);
      expect(removed.update?.$case).toBe('remove');
      expect(addrsOf(removed)).toEqual(['10.2.0.1:8080']);

      await world.apply(sliceObject('api-1', 'diffs', 'api', [{ ip: '10.2.0.2', ready: false }]));
      expect((await stream.nth(++n)).update).toEqual({ $case: 'noEndpoints', value: { exists: true } });

      await world.remove(serviceObject('api', 'diffs'));
      expect((await stream.nth(++n)).update).toEqual({ $case: 'noEndpoints', value: { exists: false } });
    });

    it('keeps an unknown service open and sends add when it appears', async () => {
      const stream = h.get(authority('late', 'appear'));
      expect((await stream.nth(1)).update).toEqual({ $case: 'noEndpoints', value: { exists: false } });
      await world.apply(sliceObject('late-1', 'appear', 'late', [{ ip: '10.3.0.1' }]));
      await world.apply(serviceObject('late', 'appear'));
      let n = 2;
      let message = await stream.nth(n);
      while (message.update?.$case !== 'add') message = await stream.nth(++n);
      expect(addrsOf(message)).toEqual(['10.3.0.1:8080']);
    });

    it('shares one view between subscribers and counts them', async () => {
      await world.apply(serviceObject('shared', 'share'));
      await world.apply(sliceObject('shared-1', 'share', 'shared', [{ ip: '10.4.0.1' }]));
      const a = h.get(authority('shared', 'share'));
      const b = h.get(authority('shared', 'share'));
      for (const s of [a, b]) {
        let n = 1;
        while (addrsOf(await s.nth(n)).length !== 1) n += 1;
      }
      expect(metricValue(await h.metrics(), 'destination_subscribers{namespace="share",service="shared"}')).toBe(2);
      const before = [a.messages.length, b.messages.length];
      await world.apply(sliceObject('shared-1', 'share', 'shared', [{ ip: '10.4.0.1' }, { ip: '10.4.0.9' }]));
      const [ua, ub] = [await a.nth((before[0] ?? 0) + 1), await b.nth((before[1] ?? 0) + 1)];
      expect(addrsOf(ua)).toEqual(['10.4.0.9:8080']);
      expect(ub).toEqual(ua);
      a.cancel();
      b.cancel();
    });

    it('translates ServiceProfiles, follows updates and keeps invalid versions out', async () => {
      await world.apply(serviceObject('books', 'prof'));
      const spec = (timeout: string) => ({
        routes: [{ name: 'get-book', condition: { method: 'GET', pathRegex: '/books/\\d+' }, isRetryable: true, timeout }],
      });
      await world.apply(profileObject('books', 'prof', 'prof', spec('300ms')));
      const stream = h.profile(authority('books', 'prof'));
      let n = 1;
      let profile = await stream.nth(n);
      while (profile.routes.length === 0) profile = await stream.nth(++n);
      expect(profile.fullyQualifiedName).toBe('books.prof.svc.cluster.local');
      expect(profile.routes[0]?.timeout).toEqual({ seconds: '0', nanos: 300_000_000 });
      expect(profile.routes[0]?.isRetryable).toBe(true);
      expect(profile.parentRef?.kind).toEqual({ $case: 'resource', value: { group: 'core', kind: 'Service', name: 'books', namespace: 'prof', section: '', port: 80 } });
      expect(profile.profileRef?.kind?.$case).toBe('resource');

      await world.apply(profileObject('books', 'prof', 'prof', spec('1m30s')));
      profile = await stream.nth(++n);
      expect(profile.routes[0]?.timeout).toEqual({ seconds: '90', nanos: 0 });

      const invalidBefore = metricValue(await h.metrics(), 'destination_profile_invalid_total{namespace="prof"}');
      await world.apply(profileObject('books', 'prof', 'prof', spec('soon')));
      const invalidAfter = await waitForMetric(h, 'destination_profile_invalid_total{namespace="prof"}', invalidBefore + 1);
      expect(invalidAfter).toBe(invalidBefore + 1);
      expect(stream.messages).toHaveLength(n);

      await world.apply(profileObject('books', 'prof', 'prof', spec('2s')));
      profile = await stream.nth(++n);
      expect(profile.routes[0]?.timeout).toEqual({ seconds: '2', nanos: 0 });

      await world.remove(profileObject('books', 'prof', 'prof', {}));
      profile = await stream.nth(++n);
      expect(profile.routes).toEqual([]);
      expect(profile.retryBudget?.retryRatio).toBeCloseTo(0.2, 6);
      expect(profile.retryBudget?.minRetriesPerSecond).toBe(10);
      expect(profile.retryBudget?.ttl).toEqual({ seconds: '10', nanos: 0 });
      expect(profile.profileRef).toBeUndefined();
    });

    it("prefers the client namespace's ServiceProfile and resolves a pod IP to its endpoint", async () => {
      await world.apply(serviceObject('books', 'own'));
      await world.apply(profileObject('books', 'own', 'own', { routes: [{ name: 'server-side', condition: { pathRegex: '/.*' } }] }));
      await world.apply(profileObject('books', 'own', 'client', { routes: [{ name: 'client-side', condition: { pathRegex: '/.*' } }] }));
      await world.apply(podObject('pod-abc12-xyz', 'own', '10.5.0.7', true));
      const fromClient = h.profile(authority('books', 'own'), JSON.stringify({ ns: 'client', nodeName: 'n', pod: 'p' }));
      const fromElsewhere = h.profile(authority('books', 'own'), 'ns:elsewhere');
      const garbage = h.profile(authority('books', 'own'), '%%% not a token');
      const routeOf = async (s: typeof fromClient) => {
        let n = 1;
        while ((await s.nth(n)).routes.length === 0) n += 1;
        return s.messages[n - 1]?.routes[0]?.metricsLabels.route;
      };
      expect(await routeOf(fromClient)).toBe('client-side');
      expect(await routeOf(fromElsewhere)).toBe('server-side');
      expect(await routeOf(garbage)).toBe('server-side');

      const byIp = h.profile('10.5.0.7:8080');
      let n = 1;
      while (!(await byIp.nth(n)).endpoint?.metricLabels.pod) n += 1;
      const endpoint = byIp.messages[n - 1]?.endpoint;
      expect(endpoint?.metricLabels).toEqual({ pod: 'pod-abc12-xyz', deployment: 'pod' });
      expect(endpoint?.addr?.port).toBe(8080);
      expect(endpoint?.protocolHint?.protocol?.$case).toBe('h2');
    });

    it('carries the Service annotations as the backend policy, live, and ignores a bad value with a metric', async () => {
      const plain = serviceObject('cart', 'policy');
      const hashed = { 'balancer.trellis.io/algorithm': 'ring-hash', 'balancer.trellis.io/hash-key': 'header:X-User' };
      await world.apply(plain);
      const stream = h.profile(authority('cart', 'policy'));
      const first = await stream.nth(1);
      expect(first.backendPolicy).toBeUndefined();

      await world.apply(withAnnotations(plain, hashed));
      const policy = (await stream.nth(2)).backendPolicy;
      expect(policy).toEqual({
        balancer: 'ring-hash',
        hashKey: { source: { $case: 'header', value: 'x-user' } },
        outlierDetection: {
          consecutive5xx: 5,
          consecutiveGatewayErrors: 0,
          interval: { seconds: '10', nanos: 0 },
          baseEjectionTime: { seconds: '30', nanos: 0 },
          maxEjectionTime: { seconds: '300', nanos: 0 },
          maxEjectionPercent: 10,
        },
        circuitBreakers: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 },
      });
      expect((await h.profile(authority('cart', 'policy')).nth(1)).backendPolicy).toEqual(policy);

      const series = 'destination_service_annotation_invalid_total{namespace="policy",service="cart",annotation="outlier.trellis.io/max-ejection-percent"}';
      expect(metricValue(await h.metrics(), series)).toBe(0);
      await world.apply(withAnnotations(plain, { ...hashed, 'balancer.trellis.io/algorithm': 'maglev', 'outlier.trellis.io/max-ejection-percent': '150', 'outlier.trellis.io/interval': '2s' }));
      const changed = (await stream.nth(3)).backendPolicy;
      expect(changed?.balancer).toBe('maglev');
      expect(changed?.outlierDetection?.interval).toEqual({ seconds: '2', nanos: 0 });
      expect(changed?.outlierDetection?.maxEjectionPercent).toBe(10);
      expect(metricValue(await h.metrics(), series)).toBe(1);

      await world.apply(plain);
      const removed = await stream.nth(4);
      expect(removed.backendPolicy).toBeUndefined();
      expect(removed).toEqual(first);
      expect(metricValue(await h.metrics(), series)).toBe(1);
    });

    it.each([
      ['an IP', '10.0.0.1:80'],
      ['a bare name', 'web'],
      ['a bad port', 'web.ns.svc.cluster.local:99999'],
      ['extra labels', 'a.web.ns.svc.cluster.local:80'],
      ['an oversized path', `${'x'.repeat(100_000)}.ns.svc.cluster.local`],
    ])('rejects %s with INVALID_ARGUMENT and keeps serving', async (_title, path) => {
      const err = await h.get(path).closed();
      expect(err?.code).toBe(status.INVALID_ARGUMENT);
      expect(err?.details).toContain('expected <service>.<namespace>.svc.cluster.local[:<port>]');
      expect((await h.get(authority('nothing', 'first')).nth(1)).update?.$case).toBe('noEndpoints');
    });

    it('closes a stream that stops reading with RESOURCE_EXHAUSTED and counts it', async () => {
      await world.apply(serviceObject('big', 'slow'));
      const routes = Array.from({ length: PROFILE_ROUTES }, (_, i) => ({ name: `route-${i}-${'r'.repeat(100)}`, condition: { pathRegex: `/r${i}/.*` } }));
      const version = (v: number) => profileObject('big', 'slow', 'slow', { routes: routes.map((r) => ({ ...r, timeout: `${v}s` })) });
      await world.apply(version(1));
      const request = GetDestination.encode({ scheme: 'http', path: authority('big', 'slow'), contextToken: '' }).finish();
      const stalled = stalledCall(h.destination.grpcPort, 'GetProfile', request);
      const series = 'destination_stream_overflows_total{method="get_profile"}';
      const before = metricValue(await h.metrics(), series);
      try {
        // The client's HTTP/2 window, grpc-js's write buffer (16 messages) and then our queue fill up.
        for (let v = 2; v < MAX_OVERFLOW_VERSIONS && metricValue(await h.metrics(), series) === before; v += 1) {
          await world.apply(version(v));
        }
        expect(metricValue(await h.metrics(), series)).toBe(before + 1);
        const trailers = await stalled.resume();
        expect(Number(trailers['grpc-status'])).toBe(status.RESOURCE_EXHAUSTED);
        expect(decodeURIComponent(String(trailers['grpc-message']))).toMatch(/more than 4 messages behind/);
      } finally {
        stalled.close();
      }
      expect((await h.get(authority('nothing', 'first')).nth(1)).update?.$case).toBe('noEndpoints');
    });

    it('reports readiness and liveness', async () => {
      expect((await h.admin('/ready')).status).toBe(200);
      expect((await h.admin('/live')).status).toBe(200);
      expect((await h.admin('/nope')).status).toBe(404);
      const text = await h.metrics();
      expect(text).toContain('destination_updates_sent_total{type="add"}');
      expect(text).toContain('process_resident_memory_bytes');
    });
  });
}

async function waitForMetric(h: Harness, series: string, atLeast: number): Promise<number> {
  for (let i = 0; i < 200; i += 1) {
    const value = metricValue(await h.metrics(), series);
    if (value >= atLeast) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  return metricValue(await h.metrics(), series);
}
