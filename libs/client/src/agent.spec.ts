import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir, sharedPort, waitFor, type TempDir } from '@trellis/testing';
import { Registry } from 'prom-client';
import { fetch, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TrellisAgent } from './agent';
import { serviceYaml, startBackend, type Backend } from './testing/backends';
import { buildDestination, spawnDestination, type DestinationProcess } from './testing/destination-process';

const HOSTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const WEB = 'http://web.demo.svc.cluster.local';
/** Bounds of the restart test: the wait for the streams to come back, and the whole test (a spawn included). */
const RECONNECT_WAIT_MS = 45_000;
const RESTART_TEST_TIMEOUT_MS = 150_000;

/** A profile for the `retry` service: `/` retryable, `/slow` with a 200 ms timeout. */
function retryProfileYaml(): string {
  return `apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: { name: retry.demo.svc.cluster.local, namespace: demo }
spec:
  routes:
    - name: slow
      condition: { method: GET, pathRegex: /slow }
      timeout: 200ms
    - name: root
      condition: { method: GET, pathRegex: / }
      isRetryable: true
`;
}

function profileYaml(): string {
  return `apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: { name: split.demo.svc.cluster.local, namespace: demo }
spec:
  dstOverrides:
    - authority: web.demo.svc.cluster.local:80
      weight: 800m
    - authority: other.demo.svc.cluster.local:80
      weight: 200m
`;
}

async function getName(agent: TrellisAgent, url: string): Promise<string> {
  const res = await request(url, { dispatcher: agent });
  const body = (await res.body.json()) as { name: string };
  if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
  return body.name;
}

/** Sends `count` requests, `concurrency` at a time; returns how many each backend answered. */
async function spread(agent: TrellisAgent, url: string, count: number, concurrency: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let left = count;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left > 0) {
        left -= 1;
        const name = await getName(agent, url);
        counts.set(name, (counts.get(name) ?? 0) + 1);
      }
    }),
  );
  return counts;
}

describe('TrellisAgent against the real destination service (fs source)', () => {
  let dir: TempDir;
  let destination: DestinationProcess;
  let port: number;
  let otherPort: number;
  const backends: Backend[] = [];
  let other: Backend;
  let agent: TrellisAgent | undefined;

  const write = async (file: string, yaml: string) => {
    const aside = join(dir.path, `.${file}.tmp`);
    await writeFile(aside, yaml);
    await rename(aside, join(dir.path, file));
  };

  beforeAll(async () => {
    await buildDestination();
    port = await sharedPort(HOSTS);
    for (const [i, host] of HOSTS.entries()) backends.push(await startBackend(`web-${i}`, host, port));
    otherPort = await sharedPort(['127.0.0.5']);
    other = await startBackend('other', '127.0.0.5', otherPort);
    dir = await createTempDir('trellis-client-');
    await write('web.yaml', serviceYaml('web', port, HOSTS));
    await write('other.yaml', serviceYaml('other', otherPort, ['127.0.0.5']));
    await write('split.yaml', `${serviceYaml('split', port, [])}\n---\n${profileYaml()}`);
    await write('retry.yaml', `${serviceYaml('retry', port, HOSTS.slice(0, 2))}\n---\n${retryProfileYaml()}`);
    destination = await spawnDestination(dir.path);
  });

  afterEach(async () => {
    await agent?.close();
    agent = undefined;
    for (const b of backends) {
      b.delayMs = 0;
      b.flaky = false;
    }
  });

  afterAll(async () => {
    await destination?.kill();
    await Promise.all([...backends, other].map((b) => b?.close()));
    await dir?.remove();
  });

  const newAgent = (registry = new Registry()) => {
    agent = new TrellisAgent({ destination: `127.0.0.1:${destination.grpcPort}`, registry });
    return agent;
  };

  it('spreads requests over every endpoint, through fetch and undici.request, with the service name as Host', async () => {
    const registry = new Registry();
    const a = newAgent(registry);
    const counts = await spread(a, `${WEB}/`, 150, 6);
    expect([...counts.keys()].sort()).toEqual(['web-0', 'web-1', 'web-2']);
    const res = await fetch(`${WEB}/`, { dispatcher: a });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { host: string }).host).toBe('web.demo.svc.cluster.local');
    // Node's own fetch (its bundled undici) hands the agent a handler of the older API, which the agent takes too.
    // @types/node types `dispatcher` with its own copy of undici's types (undici-types 6), not undici 7's.
    const builtIn = await globalThis.fetch(`${WEB}/`, { dispatcher: a as unknown as RequestInit['dispatcher'] });
    expect(builtIn.status).toBe(200);
    await builtIn.arrayBuffer();
    expect(a.mode).toBe('mesh');
    const text = await registry.metrics();
    expect(text).toMatch(/request_total\{direction="outbound",authority="web.demo.svc.cluster.local:80",dst_namespace="demo",dst_service="web"/);
    expect(text).toMatch(/route_response_total\{direction="outbound",dst="web.demo.svc.cluster.local:80",rt_route="\[DEFAULT\]",status_code="200",classification="success"\} 152/);
    expect(text).toMatch(/outbound_http_balancer_endpoints\{backend="web.demo.svc.cluster.local:80",endpoint_state="ready"\} 3/);
  });

  it('sends less traffic to a slow endpoint', async () => {
    const a = newAgent();
    backends[0]!.delayMs = 100;
    await spread(a, `${WEB}/`, 30, 3);
    const counts = await spread(a, `${WEB}/`, 300, 6);
    const slow = counts.get('web-0') ?? 0;
    const fastest = Math.min(counts.get('web-1') ?? 0, counts.get('web-2') ?? 0);
    expect(slow * 3).toBeLessThan(fastest);
  });

  it('retries failures of a retryable route under the budget, and times a route out', async () => {
    const registry = new Registry();
    const a = newAgent(registry);
    backends[0]!.flaky = true;
    backends[1]!.flaky = true;
    const counts = await spread(a, 'http://retry.demo.svc.cluster.local/', 40, 1);
    expect((counts.get('web-0') ?? 0) + (counts.get('web-1') ?? 0)).toBe(40);
    const text = await registry.metrics();
    expect(text).toMatch(/route_retryable_total\{direction="outbound",dst="retry.demo.svc.cluster.local:80",rt_route="root",skipped=""\} [1-9]/);
    expect(text).toMatch(/route_actual_response_total\{[^}]*rt_route="root",status_code="500",classification="failure"\} [1-9]/);
    await expect(request('http://retry.demo.svc.cluster.local/slow', { dispatcher: a })).rejects.toMatchObject({ code: 'ROUTE_TIMEOUT' });
  });

  it('holds a traffic split (dstOverrides 80/20) within a tolerance', async () => {
    const a = newAgent();
    const counts = await spread(a, 'http://split.demo.svc.cluster.local/', 500, 5);
    const share = (counts.get('other') ?? 0) / 500;
    expect(share).toBeGreaterThan(0.12);
    expect(share).toBeLessThan(0.28);
  });

  it('follows endpoint changes live, and rides out a destination restart without a failed request', async () => {
    const a = newAgent();
    await write('web.yaml', serviceYaml('web', port, ['127.0.0.2']));
    await waitFor(async () => (await spread(a, `${WEB}/`, 10, 1)).size === 1 || undefined, { what: 'one endpoint left' });
    const results: (string | Error)[] = [];
    let running = true;
    const load = (async () => {
      for (let i = 0; running && i < 20_000; i++) results.push(await getName(a, `${WEB}/`).catch((err: Error) => err));
    })();
    await write('web.yaml', serviceYaml('web', port, HOSTS));
    await waitFor(() => results.includes('web-2'), { what: 'traffic to the added endpoints' });
    const grpcPort = destination.grpcPort;
    await destination.kill();
    const before = results.length;
    await waitFor(() => results.length > before + 100, { what: 'traffic while the destination is down' });
    destination = await spawnDestination(dir.path, grpcPort);
    await write('web.yaml', serviceYaml('web', port, ['127.0.0.3']));
    // The streams come back once both backoffs (discovery's, from 100 ms doubling, and grpc-js's channel reconnect)
    // let them, which after a slow restart on a busy machine can take well over 10 s.
    await waitFor(() => results.slice(-20).every((r) => r === 'web-1'), { timeoutMs: RECONNECT_WAIT_MS, what: 'traffic to the one endpoint left' });
    running = false;
    await load;
    await write('web.yaml', serviceYaml('web', port, HOSTS));
    expect(results.filter((r) => r instanceof Error)).toEqual([]);
  }, RESTART_TEST_TIMEOUT_MS);

  it('falls back to DNS when the destination is unreachable at start, and closes idempotently', async () => {
    const closed = await sharedPort(['127.0.0.1']);
    const lookups: string[] = [];
    // A resolver standing in for the cluster's DNS: every name is 127.0.0.1.
    const lookup = (hostname: string, opts: { all?: boolean }, callback: (err: null, address: unknown, family?: number) => void) => {
      lookups.push(hostname);
      if (opts.all === true) callback(null, [{ address: '127.0.0.1', family: 4 }]);
      else callback(null, '127.0.0.1', 4);
    };
    agent = new TrellisAgent({
      destination: `127.0.0.1:${closed}`,
      registry: new Registry(),
      destinationConnectTimeoutMs: 200,
      connections: { connect: { lookup } as never },
    });
    const direct = await startBackend('direct', '127.0.0.1', await sharedPort(['127.0.0.1']));
    try {
      expect(await getName(agent, `http://web.demo.svc.cluster.local:${direct.port}/`)).toBe('direct');
      expect(agent.mode).toBe('dns');
      expect(lookups).toContain('web.demo.svc.cluster.local');
      expect(await getName(agent, `http://127.0.0.1:${direct.port}/`)).toBe('direct');
    } finally {
      await direct.close();
    }
    await Promise.all([agent.close(), agent.close()]);
    await expect(request(`${WEB}/`, { dispatcher: agent })).rejects.toThrow(/closed/);
  });
});
