import type { AdminRoute } from './admin-server';

export interface HotRestarter {
  /** False while draining: no new generation then. */
  accepting(): boolean;
  /** Resolves with the new generation once it serves (the previous one then drains). */
  hotRestart(): Promise<number>;
}

/**
 * `POST /hot-restart` on the admin port: 200 `{"generation":n}` once the next generation serves, 500 with the
 * reason when it could not start (the running one keeps serving), 503 while draining, and 409 for a proxy
 * without a supervisor (TRELLIS_PROXY_WORKERS unset), which has nothing to hand its sockets to.
 */
export function hotRestartRoute(restarter: HotRestarter | undefined): AdminRoute {
  return {
    methods: ['POST'],
    handle: (_req, res) => {
      const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(`${JSON.stringify(body)}\n`);
      if (restarter === undefined) {
        reply(409, { error: 'hot restart needs the supervisor: set TRELLIS_PROXY_WORKERS' });
        return;
      }
      if (!restarter.accepting()) {
        reply(503, { error: 'draining' });
        return;
      }
      restarter.hotRestart().then(
        (generation) => reply(200, { generation }),
        (err: unknown) => reply(500, { error: (err as Error).message }),
      );
    },
  };
}
