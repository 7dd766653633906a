import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboardRefresher } from './dashboard-refresher';
import { dashboardAnswer } from './dashboard-routes';

const DST = 'dst="hello.demo.svc.cluster.local:80",direction="outbound"';

describe('startDashboardRefresher', () => {
  let total = 0;
  let address = '';
  const server = createServer((_req, res) => {
    total += 10;
    res.writeHead(200).end(`route_response_total{${DST},rt_route="GET /",classification="success"} ${total}\nautoscaler_desired_pods{namespace_name="demo",deployment_name="hello-v1"} 3\n`);
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('reads the proxies and the autoscaler every round, and serves the page and the state through dashboardAnswer', async () => {
    let now = 0;
    const refresher = startDashboardRefresher({ intervalMs: 10, sources: async () => ({ sources: [{ address }] }), autoscaler: address, now: () => (now += 1000), onErrors: () => undefined });
    try {
      expect(dashboardAnswer('GET', 'api/state', refresher, 'page')?.status).toBe(503);
      await refresher.nextRound();
      await refresher.nextRound();
      const answer = dashboardAnswer('GET', 'api/state', refresher, 'page');
      expect(answer?.status).toBe(200);
      const state = JSON.parse(answer?.body ?? '{}') as { services: { name: string; rps: number }[]; deployments: { name: string; decided: number }[] };
      expect(state.services.find((s) => s.name === 'demo/hello')?.rps).toBeGreaterThan(0);
      expect(state.deployments).toContainEqual(expect.objectContaining({ name: 'demo/hello-v1', decided: 3 }));
      expect(dashboardAnswer('GET', '', refresher, 'page')).toMatchObject({ status: 200, body: 'page' });
      expect(dashboardAnswer('POST', '', refresher, 'page')?.status).toBe(405);
      expect(dashboardAnswer('GET', 'other', refresher, 'page')).toBeUndefined();
    } finally {
      refresher.close();
    }
  });

  it('with idleStopMs, runs only while asked, and starts a fresh history after a pause', async () => {
    let now = 0;
    let rounds = 0;
    const refresher = startDashboardRefresher({
      intervalMs: 10,
      idleStopMs: 5_000,
      sources: async () => {
        rounds += 1;
        return { sources: [{ address }] };
      },
      autoscaler: undefined,
      now: () => now,
      onErrors: () => undefined,
    });
    try {
      await new Promise((r) => setTimeout(r, 50));
      expect(rounds).toBe(0);
      // A page asks: rounds start.
      expect(refresher.snapshot()).toBeUndefined();
      await refresher.nextRound();
      expect(refresher.snapshot()).toBeDefined();
      now = 10_000;
      // Idle from now on: the round in flight is the last one.
      const pause = () => new Promise((r) => setTimeout(r, 100));
      await pause();
      const stoppedAt = rounds;
      await pause();
      expect(rounds).toBe(stoppedAt);
      expect(refresher.snapshot()).toBeUndefined();
      await refresher.nextRound();
      expect(refresher.snapshot()?.windowSeconds).toBe(0);
    } finally {
      refresher.close();
    }
  });
});
