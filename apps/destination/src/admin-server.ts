import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { dashboardAnswer } from '@trellis/viz';
import type { Registry } from 'prom-client';
import type { MeshDashboard } from './dashboard';

export interface AdminDeps {
  registry: Registry;
  isReady(): boolean;
  /** Served under /dashboard/ when present. */
  dashboard?: MeshDashboard;
}

const DASHBOARD_PREFIX = '/dashboard/';

/**
 * /metrics (Prometheus text), /ready (200 once the source has synced, else 503), /live (200), and the live
 * dashboard: /dashboard/ (the page) and /dashboard/api/state (JSON).
 */
export function createAdminServer(deps: AdminDeps): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (deps.dashboard && path.startsWith(DASHBOARD_PREFIX)) {
      const answer = dashboardAnswer(req.method, path.slice(DASHBOARD_PREFIX.length), deps.dashboard.refresher, deps.dashboard.page);
      if (answer) {
        res.writeHead(answer.status, answer.headers).end(answer.body);
        return;
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (deps.dashboard && path === '/dashboard') {
      // The page asks for api/state relative to itself, so it must be read from /dashboard/.
      res.writeHead(301, { location: DASHBOARD_PREFIX }).end();
    } else if (path === '/live') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('live\n');
    } else if (path === '/ready') {
      const ready = deps.isReady();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'source not synced\n');
    } else if (path === '/metrics') {
      deps.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': deps.registry.contentType }).end(text),
        () => res.writeHead(500).end('metrics unavailable\n'),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: try /metrics, /ready, /live${deps.dashboard ? ' or /dashboard/' : ''}\n`);
    }
  });
}
