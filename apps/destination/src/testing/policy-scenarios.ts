import { status } from '@grpc/grpc-js';
import type { GrpcRoute, HttpRoute, HttpRoute_Distribution, OutboundPolicy } from '@trellis/proto';
import { TrafficSpec } from '@trellis/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from './destination-harness';
import { metricValue, stalledCall, startHarness, trafficSpec } from './destination-harness';
import { profileObject, routeObject, serviceObject, withAnnotations } from './manifests';
import type { World } from './scenarios';

const authority = (svc: string, ns: string, port = 80) => `${svc}.${ns}.svc.cluster.local:${port}`;
// Queue limit for the overflow scenario: small, so a Watch that stops reading overflows after a few changes.
const TINY_QUEUE_LIMIT = 4;
// About 10 KiB per policy (a profile of 80 routes): the HTTP/2 window fills in a few versions.
const PROFILE_ROUTES = 80;
const MAX_OVERFLOW_VERSIONS = 120;

export function httpRoutesOf(policy: OutboundPolicy | undefined): HttpRoute[] {
  const kind = policy?.protocol?.kind;
  if (kind?.$case === 'detect') return kind.value.http1?.routes ?? [];
  if (kind?.$case === 'http1' || kind?.$case === 'http2') return kind.value.routes;
  return [];
}

export function grpcRoutesOf(policy: OutboundPolicy | undefined): GrpcRoute[] {
  const kind = policy?.protocol?.kind;
  return kind?.$case === 'grpc' ? kind.value.routes : [];
}

/** `path weight` of each backend of a distribution, for readable assertions. */
export function backendsOf(distribution: HttpRoute_Distribution | undefined): string[] {
  const kind = distribution?.kind;
  const dst = (backend: { backend?: { kind?: { $case: string; value: unknown } } } | undefined) => {
    const k = backend?.backend?.kind;
    if (k?.$case !== 'balancer') return 'no-balancer';
    const discovery = (k.value as { discovery?: { kind?: { value: { path: string } } } }).discovery;
    return discovery?.kind?.value.path ?? '?';
  };
  if (kind?.$case === 'firstAvailable') return kind.value.backends.map((b) => dst(b));
  if (kind?.$case === 'randomAvailable') return kind.value.backends.map((b) => `${dst(b.backend)} ${b.weight}`);
  return [];
}

const routeName = (route: HttpRoute | GrpcRoute | undefined) => {
  const kind = route?.metadata?.kind;
  return kind?.$case === 'resource' ? `${kind.value.kind}/${kind.value.namespace}/${kind.value.name}` : `default:${kind?.value ?? ''}`;
};

const consumed = new WeakMap<object, number>();

/** Waits on a Watch stream for the next policy (after those already returned) for which `done` holds. */
async function until(stream: ReturnType<Harness['watchPolicy']>, done: (p: OutboundPolicy) => boolean): Promise<OutboundPolicy> {
  for (let n = (consumed.get(stream) ?? 0) + 1; ; n += 1) {
    const policy = await stream.nth(n);
    consumed.set(stream, n);
    if (done(policy)) return policy;
  }
}

/** The OutboundPolicies scenarios of issue 16, against the real server and a real grpc-js client. */
export function definePolicyScenarios(name: string, makeWorld: () => Promise<World>): void {
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

    it('HTTPRoute: header match, 80/20 split, timeouts and retry on 503 (Get and Watch agree)', async () => {
      await world.apply(withAnnotations(serviceObject('cart', 'split'), { 'retry.linkerd.io/http': '503', 'retry.linkerd.io/limit': '2' }));
      await world.apply(serviceObject('cart-v1', 'split'));
      await world.apply(serviceObject('cart-v2', 'split'));
      await world.apply(
        routeObject('HTTPRoute', 'cart-canary', 'split', { name: 'cart', port: 80 }, [
          { matches: [{ headers: [{ name: 'x-canary', value: 'yes' }] }], backendRefs: [{ name: 'cart-v2', port: 80 }] },
          {
            matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
            backendRefs: [
              { name: 'cart-v1', port: 80, weight: 80 },
              { name: 'cart-v2', port: 80, weight: 20 },
            ],
            timeouts: { request: '2s', backendRequest: '500ms' },
          },
        ]),
      );
      const policy = await h.watchPolicy(authority('cart', 'split')).nth(1);
      expect(policy.protocol?.kind?.$case).toBe('detect');
      const [route, ...others] = httpRoutesOf(policy);
      expect(others).toEqual([]);
      expect(routeName(route)).toBe('HTTPRoute/split/cart-canary');
      const [canary, split] = route?.rules ?? [];
      expect(canary?.matches[0]?.headers).toEqual([{ name: 'x-canary', value: { $case: 'exact', value: 'yes' } }]);
      expect(backendsOf(canary?.backends)).toEqual(['cart-v2.split.svc.cluster.local:80 1']);
      expect(split?.matches[0]?.path).toEqual({ kind: { $case: 'prefix', value: '/api' } });
      expect(backendsOf(split?.backends)).toEqual(['cart-v1.split.svc.cluster.local:80 80', 'cart-v2.split.svc.cluster.local:80 20']);
      expect(split?.timeouts).toEqual({ stream: { seconds: '2', nanos: 0 }, response: { seconds: '0', nanos: 500_000_000 } });
      expect(split?.requestTimeout).toEqual({ seconds: '2', nanos: 0 });
      expect(split?.retry).toMatchObject({ maxRetries: 2, maxRequestBytes: 65536, conditions: { statusRanges: [{ start: 503, end: 503 }] } });
      const randomAvailable = split?.backends?.kind;
      if (randomAvailable?.$case !== 'randomAvailable') throw new Error('expected a weighted split');
      expect(randomAvailable.value.backends[0]?.backend?.backend).toMatchObject({
        kind: { $case: 'balancer', value: { load: { $case: 'peakEwma', value: { defaultRtt: { seconds: '0', nanos: 30_000_000 }, decay: { seconds: '10', nanos: 0 } } } } },
        queue: { capacity: 100, failfastTimeout: { seconds: '3', nanos: 0 } },
      });
      expect(await h.getPolicy({ sourceWorkload: '', target: { $case: 'authority', value: authority('cart', 'split') } })).toEqual(policy);
    });

    it('GRPCRoute: a method match makes the protocol gRPC', async () => {
      await world.apply(withAnnotations(serviceObject('users', 'rpc'), { 'retry.linkerd.io/grpc': 'unavailable,deadline-exceeded' }));
      await world.apply(
        routeObject('GRPCRoute', 'users-get', 'rpc', { name: 'users' }, [{ matches: [{ method: { service: 'shop.Users', method: 'Get' } }] }]),
      );
      const policy = await h.watchPolicy(authority('users', 'rpc')).nth(1);
      expect(policy.protocol?.kind?.$case).toBe('grpc');
      const [rule] = grpcRoutesOf(policy)[0]?.rules ?? [];
      expect(rule?.matches).toEqual([{ rpc: { service: 'shop.Users', method: 'Get' }, headers: [] }]);
      expect(rule?.retry?.conditions).toEqual({ cancelled: false, deadineExceeded: true, resourceExhausted: false, internal: false, unavailable: true });
    });

    it('producer and consumer routes: a route in the client namespace overrides the producer route for that client only', async () => {
      await world.apply(serviceObject('api', 'prod'));
      await world.apply(serviceObject('api-v1', 'prod'));
      await world.apply(serviceObject('api-v2', 'prod'));
      await world.apply(routeObject('HTTPRoute', 'producer', 'prod', { name: 'api' }, [{ backendRefs: [{ name: 'api-v1', port: 80 }] }]));
      await world.apply(routeObject('HTTPRoute', 'consumer', 'client', { name: 'api', namespace: 'prod' }, [{ backendRefs: [{ name: 'api-v2', namespace: 'prod', port: 80 }] }]));
      const seenBy = async (ns?: string) => httpRoutesOf(await h.watchPolicy(authority('api', 'prod'), ns).nth(1)).map(routeName);
      expect(await seenBy('client')).toEqual(['HTTPRoute/client/consumer']);
      expect(await seenBy('elsewhere')).toEqual(['HTTPRoute/prod/producer']);
      expect(await seenBy('prod')).toEqual(['HTTPRoute/prod/producer']);
      expect(await seenBy(undefined)).toEqual(['HTTPRoute/prod/producer']);
    });

    it('a Service with no route gets its ServiceProfile as routes, and one with neither gets the default route', async () => {
      await world.apply(serviceObject('books', 'legacy'));
      await world.apply(
        profileObject('books', 'legacy', 'legacy', {
          routes: [{ name: 'GET /books', condition: { method: 'GET', pathRegex: '/books/[0-9]+' }, isRetryable: true, timeout: '300ms' }],
          dstOverrides: [
            { authority: 'books-v1.legacy.svc.cluster.local:80', weight: '900m' },
            { authority: 'books-v2.legacy.svc.cluster.local:80', weight: '100m' },
          ],
        }),
      );
      await world.apply(serviceObject('plain', 'legacy'));
      const profiled = httpRoutesOf(await h.watchPolicy(authority('books', 'legacy')).nth(1));
      expect(profiled.map(routeName)).toEqual(['ServiceProfile/legacy/books.legacy.svc.cluster.local', 'default:http']);
      const [rule] = profiled[0]?.rules ?? [];
      expect(rule?.matches).toEqual([
        { path: { kind: { $case: 'regex', value: '^(?:/books/[0-9]+)$' } }, headers: [], queryParams: [], method: { type: { $case: 'registered', value: 0 } } },
      ]);
      expect(rule?.timeouts).toEqual({ stream: { seconds: '0', nanos: 300_000_000 } });
      expect(rule?.retry?.conditions).toEqual({ statusRanges: [{ start: 500, end: 599 }] });
      expect(backendsOf(rule?.backends)).toEqual(['books-v1.legacy.svc.cluster.local:80 9000', 'books-v2.legacy.svc.cluster.local:80 1000']);
      expect(backendsOf(profiled[1]?.rules[0]?.backends)).toEqual(backendsOf(rule?.backends));

      const plain = httpRoutesOf(await h.watchPolicy(authority('plain', 'legacy')).nth(1));
      expect(plain.map(routeName)).toEqual(['default:http']);
      expect(plain[0]?.rules[0]?.matches).toEqual([{ path: { kind: { $case: 'prefix', value: '/' } }, headers: [], queryParams: [] }]);
      expect(backendsOf(plain[0]?.rules[0]?.backends)).toEqual(['plain.legacy.svc.cluster.local:80']);
    });

    it('rejects a bad regex, zero weights and a missing parent Service, counts each, and keeps the good route', async () => {
      await world.apply(serviceObject('shop', 'bad'));
      await world.apply(routeObject('HTTPRoute', 'good', 'bad', { name: 'shop' }, [{ matches: [{ path: { type: 'Exact', value: '/ok' } }] }]));
      await world.apply(routeObject('HTTPRoute', 'regex', 'bad', { name: 'shop' }, [{ matches: [{ path: { type: 'RegularExpression', value: '/(unclosed' } }] }]));
      await world.apply(routeObject('HTTPRoute', 'zero', 'bad', { name: 'shop' }, [{ backendRefs: [{ name: 'shop', port: 80, weight: 0 }] }]));
      await world.apply(routeObject('HTTPRoute', 'orphan', 'bad', { name: 'missing' }, [{}]));
      const policy = await until(h.watchPolicy(authority('shop', 'bad')), (p) => httpRoutesOf(p).length === 1);
      expect(httpRoutesOf(policy).map(routeName)).toEqual(['HTTPRoute/bad/good']);
      const metrics = await h.metrics();
      expect(metricValue(metrics, 'destination_route_invalid_total{kind="HTTPRoute",reason="InvalidRegex"}')).toBeGreaterThanOrEqual(1);
      expect(metricValue(metrics, 'destination_route_invalid_total{kind="HTTPRoute",reason="ZeroWeights"}')).toBeGreaterThanOrEqual(1);
      expect(metricValue(metrics, 'destination_route_invalid_total{kind="HTTPRoute",reason="NoMatchingParent"}')).toBeGreaterThanOrEqual(1);
    });

    it('streams live updates on route, Service and route deletion changes', async () => {
      await world.apply(serviceObject('live', 'updates'));
      await world.apply(serviceObject('live-v2', 'updates'));
      const stream = h.watchPolicy(authority('live', 'updates'));
      expect(httpRoutesOf(await until(stream, () => true)).map(routeName)).toEqual(['default:http']);

      const route = routeObject('HTTPRoute', 'shift', 'updates', { name: 'live' }, [{ backendRefs: [{ name: 'live', port: 80, weight: 50 }, { name: 'live-v2', port: 80, weight: 50 }] }]);
      await world.apply(route);
      const shifted = await until(stream, (p) => httpRoutesOf(p).map(routeName).join() === 'HTTPRoute/updates/shift');
      expect(backendsOf(httpRoutesOf(shifted)[0]?.rules[0]?.backends)).toEqual(['live.updates.svc.cluster.local:80 50', 'live-v2.updates.svc.cluster.local:80 50']);

      await world.apply(withAnnotations(serviceObject('live', 'updates'), { 'timeout.linkerd.io/request': '750ms' }));
      const timed = await until(stream, (p) => httpRoutesOf(p)[0]?.rules[0]?.timeouts !== undefined);
      expect(httpRoutesOf(timed)[0]?.rules[0]?.timeouts).toEqual({ stream: { seconds: '0', nanos: 750_000_000 } });

      await world.remove(route);
      const back = await until(stream, (p) => httpRoutesOf(p).map(routeName).join() === 'default:http');
      expect(httpRoutesOf(back)[0]?.rules[0]?.timeouts).toEqual({ stream: { seconds: '0', nanos: 750_000_000 } });
    });

    it('closes a Watch that stops reading with RESOURCE_EXHAUSTED and counts it', async () => {
      await world.apply(serviceObject('big', 'slow'));
      const routes = Array.from({ length: PROFILE_ROUTES }, (_, i) => ({ name: `route-${i}-${'r'.repeat(100)}`, condition: { pathRegex: `/r${i}/${'x'.repeat(50)}.*` } }));
      const version = (v: number) => profileObject('big', 'slow', 'slow', { routes: routes.map((r) => ({ ...r, timeout: `${v}s` })) });
      await world.apply(version(1));
      const request = TrafficSpec.encode(trafficSpec(authority('big', 'slow'))).finish();
      const stalled = stalledCall(h.destination.policyPort, 'Watch', request, 'io.linkerd.proxy.outbound.OutboundPolicies');
      const series = 'destination_stream_overflows_total{method="outbound_watch"}';
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
      expect(httpRoutesOf(await h.watchPolicy(authority('big', 'slow')).nth(1))).toHaveLength(2);
    });

    it('answers INVALID_ARGUMENT for a TrafficSpec without a usable target and NOT_FOUND for an unknown address', async () => {
      await expect(h.getPolicy({ sourceWorkload: '', target: { $case: 'authority', value: 'not-a-service:80' } })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
      await expect(h.getPolicy({ sourceWorkload: '' })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
      const addr = { ip: { ip: { $case: 'ipv4' as const, value: 0x0a_63_00_01 } }, port: 80 };
      await expect(h.getPolicy({ sourceWorkload: '', target: { $case: 'addr', value: addr } })).rejects.toMatchObject({ code: status.NOT_FOUND });
    });
  });
}
