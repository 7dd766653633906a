import type { VariantAdapter } from './variant';

/** No proxy: the load generator talks to the backends themselves; every ratio and added latency is against this. */
export const direct: VariantAdapter = {
  id: 'direct',
  label: 'direct (no proxy)',
  description: 'wrk and h2load talk to the backends themselves.',
  kind: 'baseline',
  start: async (ctx) => ({
    h1: { url: `http://127.0.0.1:${ctx.backendH1Port}/`, headers: [] },
    h2: { url: `http://127.0.0.1:${ctx.backendH2Port}/`, headers: [] },
    processes: [],
    stop: async () => undefined,
  }),
};
