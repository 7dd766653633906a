import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard } from './dashboard-server';

// Debian's chromium (.ci/run installs it), launched the way that works in a container without a display, with a
// fresh profile folder per run.
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const DST = 'dst="hello.demo.svc.cluster.local:80",direction="outbound"';

/** A proxy whose request counter grows by `step()` at every scrape: 0 while idle, more under load. */
async function countingProxy(step: () => number) {
  let total = 0;
  const server = createServer((req, res) => {
    total += step();
    const lines = [
      `route_response_total{${DST},rt_route="GET /hello",status_code="200",classification="success"} ${total}`,
      `route_response_latency_ms_bucket{${DST},rt_route="GET /hello",status_code="200",classification="success",le="5"} ${total}`,
      `route_response_latency_ms_bucket{${DST},rt_route="GET /hello",status_code="200",classification="success",le="+Inf"} ${total}`,
      `response_total{direction="outbound",authority="hello.demo.svc.cluster.local:80",dst_namespace="demo",dst_service="hello",dst_deployment="hello-v1",status_code="200",classification="success",grpc_status=""} ${total}`,
      `autoscaler_desired_pods{namespace_name="demo",deployment_name="hello-v1"} ${total > 0 ? 3 : 1}`,
      `autoscaler_actual_pods{namespace_name="demo",deployment_name="hello-v1"} 1`,
      `autoscaler_panic_mode{namespace_name="demo",deployment_name="hello-v1"} 0`,
    ];
    res.writeHead(200, { 'content-type': 'text/plain' }).end(lines.join('\n'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('the dashboard in headless Chromium', () => {
  let browser: BrowserContext;
  let profile: string;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    profile = await mkdtemp(path.join(tmpdir(), 'trellis-chromium-'));
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });
  afterAll(async () => {
    await browser?.close();
    await rm(profile, { recursive: true, force: true });
  });

  it('loads, shows the service, its edge and the autoscaler decision, and the rate changes when load runs', async () => {
    let load = 0;
    const proxy = await countingProxy(() => load);
    closers.push(proxy.close);
    const dashboard: Dashboard = await startDashboard({
      host: '127.0.0.1',
      port: 0,
      intervalMs: 200,
      sources: async () => ({ sources: [{ address: proxy.address }] }),
      autoscaler: proxy.address,
      now: Date.now,
      onErrors: () => undefined,
    });
    closers.push(() => dashboard.close());
    await dashboard.nextRound();
    await dashboard.nextRound();

    const page = await browser.newPage();
    await page.goto(dashboard.url);
    const rps = page.locator('[data-service="demo/hello"] td.rps');
    await expect.poll(() => rps.textContent()).toBe('0.0');
    expect(await page.locator('[data-node="client"]').count()).toBe(1);
    expect(await page.locator('[data-edge="client -> demo/hello"]').count()).toBe(1);
    expect(await page.locator('[data-deployment="demo/hello-v1"] td').nth(2).textContent()).toBe('1');

    load = 50;
    await expect.poll(() => rps.textContent(), { timeout: 20_000 }).not.toBe('0.0');
    expect(Number(await rps.textContent())).toBeGreaterThan(0);
    await expect.poll(() => page.locator('[data-deployment="demo/hello-v1"] td').nth(2).textContent(), { timeout: 20_000 }).toBe('3');
    await page.close();
  });

  it('answers 503 before the first reading and 404 elsewhere', async () => {
    const dashboard = await startDashboard({
      host: '127.0.0.1',
      port: 0,
      intervalMs: 60_000,
      sources: () => new Promise(() => undefined),
      autoscaler: undefined,
      now: Date.now,
      onErrors: () => undefined,
    });
    closers.push(() => dashboard.close());
    expect((await fetch(new URL('api/state', dashboard.url))).status).toBe(503);
    expect((await fetch(new URL('nope', dashboard.url))).status).toBe(404);
    expect(await (await fetch(dashboard.url)).text()).toContain('<title>Trellis dashboard</title>');
  });
});
