import { Server, ServerCredentials, type ServerWritableStream } from '@grpc/grpc-js';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DestinationService, type GetDestination, type Update } from '@trellis/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { COMMANDS, runCli } from './cli';
import type { Io } from './command';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function run(argv: string[], stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), stdin: async () => stdin, sleep: async () => undefined };
  return runCli(argv, io).then((code) => ({ code, stdout: out.join(''), stderr: err.join('') }));
}

/** An HTTP server on 127.0.0.1 whose nth GET /metrics answers pages[min(n, last)]; /ready answers `ready`. */
async function fakeProxy(pages: string[], ready = 200): Promise<string> {
  let n = 0;
  const server: HttpServer = createServer((req, res) => {
    if (req.url === '/ready') res.writeHead(ready).end();
    else if (req.url === '/metrics') res.writeHead(200, { 'content-type': 'text/plain' }).end(pages[Math.min(n++, pages.length - 1)]);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(() => r())));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const DST = 'dst="hello.demo.svc.cluster.local:80",direction="outbound"';
function clientPage(ok: number, failed: number, attempts: number): string {
  return [
    `route_response_total{${DST},rt_route="GET /hello",status_code="200",classification="success"} ${ok}`,
    `route_response_total{${DST},rt_route="GET /fail",status_code="500",classification="failure"} ${failed}`,
    `route_response_latency_ms_bucket{${DST},rt_route="GET /hello",status_code="200",classification="success",le="5"} ${ok}`,
    `route_response_latency_ms_bucket{${DST},rt_route="GET /hello",status_code="200",classification="success",le="+Inf"} ${ok}`,
    `route_response_latency_ms_bucket{${DST},rt_route="GET /fail",status_code="500",classification="failure",le="5"} ${failed}`,
    `route_response_latency_ms_bucket{${DST},rt_route="GET /fail",status_code="500",classification="failure",le="+Inf"} ${failed}`,
    `response_total{direction="outbound",authority="hello.demo.svc.cluster.local:80",dst_namespace="demo",dst_service="hello",dst_deployment="hello-v1",status_code="200",classification="success",grpc_status=""} ${attempts}`,
  ].join('\n');
}
function replicaPage(ok: number, failed: number): string {
  const l = 'namespace_name="demo",configuration_name="hello-v1",revision_name="hello-v1",pod_name="hello-v1-0"';
  return [
    `revision_request_total{${l},response_code="200",response_code_class="2xx"} ${ok}`,
    `revision_request_total{${l},response_code="500",response_code_class="5xx"} ${failed}`,
    `revision_request_duration_seconds_bucket{${l},response_code="200",response_code_class="2xx",le="0.005"} ${ok}`,
    `revision_request_duration_seconds_bucket{${l},response_code="200",response_code_class="2xx",le="+Inf"} ${ok}`,
  ].join('\n');
}

describe('trellis stat, routes and top (against proxies serving Prometheus text)', () => {
  it('stat svc counts requests as clients saw them and attempts beside them, over the window', async () => {
    const client = await fakeProxy([clientPage(100, 10, 120), clientPage(190, 20, 260)]);
    const r = await run(['stat', 'svc', '--metrics', client, '--window', '1s', '-o', 'json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout).rows as { name: string; requests: number; successRate: number; attempts: number }[];
    expect(rows).toEqual([expect.objectContaining({ name: 'demo/hello', requests: 100, successRate: 0.9, attempts: 140 })]);
  });

  it('stat deploy reads each replica and names its Deployment from its metrics; table output', async () => {
    const replica = await fakeProxy([replicaPage(10, 0), replicaPage(58, 2)]);
    const r = await run(['stat', '--metrics', replica, '--window', '1s']);
    expect(r.code).toBe(0);
    const [header, row] = r.stdout.trim().split('\n');
    expect(header).toMatch(/^NAME\s+MESHED\s+SUCCESS\s+RPS\s+LATENCY_P50\s+LATENCY_P95\s+LATENCY_P99$/);
    expect(row).toMatch(/^demo\/hello-v1\s+-\s+96\.00%/);
  });

  it('routes lists each route of a Service; top orders routes by rate; an unreachable proxy is reported, not fatal', async () => {
    const client = await fakeProxy([clientPage(0, 0, 0), clientPage(50, 5, 0)]);
    const routes = await run(['routes', 'demo/hello', '--metrics', client, '--metrics', '127.0.0.1:1', '-o', 'json']);
    expect(routes.code).toBe(0);
    expect(routes.stderr).toContain('not read: 127.0.0.1:1');
    const rows = JSON.parse(routes.stdout).rows as { route: string; requests: number; successRate: number }[];
    expect(rows.map((x) => [x.route, x.requests, x.successRate])).toEqual([['GET /fail', 5, 0], ['GET /hello', 50, 1]]);
    const top = await run(['top', '--metrics', await fakeProxy([clientPage(0, 0, 0), clientPage(50, 5, 0)]), '--limit', '1']);
    expect(top.stdout.trim().split('\n')).toHaveLength(2);
    expect(top.stdout).toContain('GET /hello');
  });
});

describe('trellis check', () => {
  async function fakeDestination(): Promise<string> {
    const server = new Server();
    server.addService(DestinationService, {
      get(call: ServerWritableStream<GetDestination, Update>) {
        call.write({ update: { $case: 'noEndpoints', value: { exists: false } } });
      },
      getProfile(call: ServerWritableStream<GetDestination, unknown>) {
        call.end();
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    closers.push(() => new Promise((r) => server.tryShutdown(() => r())));
    return `127.0.0.1:${port}`;
  }

  it('passes when the destination answers Get and the admin ports are ready, and fails naming what is down', async () => {
    const destination = await fakeDestination();
    const admin = await fakeProxy(['nodejs_version_info{version="v20.20.2",major="20",minor="20",patch="2"} 1']);
    const ok = await run(['check', '--destination', destination, '--destination-admin', admin, '--autoscaler', admin, '-o', 'json']);
    expect(ok.code).toBe(0);
    const checks = JSON.parse(ok.stdout).checks as { name: string; ok: boolean; detail: string }[];
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(checks.find((c) => c.name.startsWith('destination gRPC'))?.detail).toContain('noEndpoints');
    expect(checks.find((c) => c.name.startsWith('destination admin'))?.detail).toBe('ready, node v20.20.2');

    const notReady = await fakeProxy([''], 503);
    const bad = await run(['check', '--destination', destination, '--destination-admin', notReady, '--no-autoscaler']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/destination admin .*FAIL\s+\/ready answered 503/);
    expect(bad.stdout).toContain('1 of 3 checks failed');
  });
});

describe('trellis inject and replay', () => {
  it('injects what it reads on stdin and reports each workload on stderr', async () => {
    const hello = parseAllDocuments(readFileSync(path.join(repoRoot, 'deploy/example/hello.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; spec: { template: { metadata: { annotations?: object }; spec: { containers: { name: string }[] } } } });
    const deployment = hello.find((o) => o.kind === 'Deployment')!;
    deployment.spec.template.spec.containers = deployment.spec.template.spec.containers.filter((c) => c.name !== 'trellis-proxy');
    delete deployment.spec.template.metadata.annotations;
    const input = hello.map((o) => JSON.stringify(o)).join('\n---\n');
    const r = await run(['inject', '--sidecar', 'container'], input);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('deployment/hello injected\n');
    const out = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string; spec: { template: { spec: { containers: { name: string }[] } } } });
    expect(out.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers.map((c) => c.name)).toEqual(['app', 'trellis-proxy']);
    expect(out.find((o) => o.kind === 'Service')).toEqual(hello.find((o) => o.kind === 'Service'));

    const json = await run(['inject', '-o', 'json'], JSON.stringify(deployment));
    expect(parse(json.stdout).spec.template.spec.initContainers[0].restartPolicy).toBe('Always');
    const bad = await run(['inject'], 'kind: [');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^trellis inject: document 1: /);
  });

  it("replays Knative's KPA cases, and exits 1 when a step differs", async () => {
    const cases = path.join(repoRoot, 'libs/kpa/src/fixtures/kpa-cases.json');
    const ok = await run(['replay', cases]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ok: \d+ passed, 0 failed/m);
    const dir = await mkdtemp(path.join(tmpdir(), 'trellis-cli-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const altered = JSON.parse(readFileSync(cases, 'utf8'));
    altered.cases[0].steps[0].expect.desiredPodCount += 1;
    await writeFile(path.join(dir, 'cases.json'), JSON.stringify(altered));
    const failed = await run(['replay', path.join(dir, 'cases.json'), '-o', 'json']);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout).failed).toBeGreaterThan(0);
    expect((await run(['replay', path.join(dir, 'missing.json')])).stderr).toBe(`trellis replay: cannot use ${path.join(dir, 'missing.json')}: no such file\n`);
  });
});

describe('every command', () => {
  it.each(COMMANDS.map((c) => c.name))('%s: --help prints its usage and exits 0; an unknown flag is one line and exit 2', async (name) => {
    const help = await run([name, '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^usage: trellis ${name}`));
    const bad = await run([name, '--frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`trellis ${name}: unknown flag --frobnicate (see trellis ${name} --help)\n`);
  });

  it('an unknown command and no command exit 2', async () => {
    expect((await run(['frob'])).code).toBe(2);
    expect((await run([])).code).toBe(2);
    expect((await run(['--help'])).code).toBe(0);
  });
});
