import type { AdminRoute } from './admin-server';

/**
 * `GET /filters` on the admin port: the inbound filters in the order they run, the forward to the app last, as
 * `{"inbound": [...]}`. `filters` reads them from the inbound role (single process) or from a serving worker (the
 * supervisor); undefined, while no worker serves, is a 503.
 */
export function filtersRoute(filters: () => readonly string[] | undefined): AdminRoute {
  return {
    methods: ['GET', 'HEAD'],
    handle: (_req, res) => {
      const inbound = filters();
      if (inbound === undefined) {
        res.writeHead(503, { 'content-type': 'application/json' }).end(`${JSON.stringify({ error: 'no worker serves yet' })}\n`);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify({ inbound })}\n`);
    },
  };
}
