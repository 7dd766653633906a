import { Counter, Gauge, type Registry } from 'prom-client';

export interface SupervisorMetrics {
  hotRestart(outcome: 'success' | 'failure'): void;
  workerRestart(): void;
}

/** The supervisor's own series (Envoy's server.hot_restart_generation and friends); the workers' are summed beside them. */
export function supervisorMetrics(registry: Registry, read: { generation(): number; workers(): Map<string, number> }): SupervisorMetrics {
  new Gauge({
    name: 'proxy_hot_restart_generation',
    help: 'Generation of the workers serving new connections (1 before the first hot restart)',
    registers: [registry],
    collect() {
      this.set(read.generation());
    },
  });
  new Gauge({
    name: 'proxy_workers',
    help: 'Worker processes by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [state, n] of read.workers()) this.set({ state }, n);
    },
  });
  const restarts = new Counter({ name: 'proxy_hot_restarts_total', help: 'Hot restarts by outcome', labelNames: ['outcome'], registers: [registry] });
  const crashes = new Counter({ name: 'proxy_worker_restarts_total', help: 'Workers started again after they exited unasked', registers: [registry] });
  return {
    hotRestart: (outcome) => restarts.inc({ outcome }),
    workerRestart: () => crashes.inc(),
  };
}
