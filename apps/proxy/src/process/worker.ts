import type { Registry } from 'prom-client';
import type { WorkerSnapshot } from '../admin/introspection';
import type { Inbound } from '../inbound/index';
import type { Logger } from '../logger';
import type { Outbound } from '../outbound/index';
import { REPORTING_PERIOD_MS } from '../stats/stats-reporter';
import { isSupervisorMessage, type MetricsSnapshot, type Question, type WorkerMessage } from './ipc';

/**
 * Ours: how often a worker sends its metrics to the supervisor unasked. A worker that crashes loses at most this
 * long of its counts (the supervisor keeps the newest snapshot it has, from this or from a scrape); each send
 * serialises the worker's registry once, so this stays well above the Stat's 1 s.
 */
export const COUNTERS_INTERVAL_MS = 5_000;

export interface WorkerRoles {
  readonly inbound: Inbound;
  readonly outbound: Outbound;
  readonly registry: Registry;
  readonly logger: Logger;
  snapshot(): WorkerSnapshot;
  /** Hot restart: hand the connections off and close everything (the process exits afterwards). */
  handOff(): Promise<void>;
  /** Drain as on SIGTERM; the caller exits when done. */
  terminate(): void;
}

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) resolve();
    else process.send(message, undefined, undefined, () => resolve());
  });
}

/**
 * A supervised worker's side of the IPC channel (TRELLIS_PROXY_WORKERS): says when it serves, sends its Stat
 * every reporting period and its metrics every COUNTERS_INTERVAL_MS, answers the supervisor's questions (metrics, snapshot, wait-for-drain), and on
 * `retire` hands its connections off, sends its last metrics and exits.
 */
export function serveAsWorker(roles: WorkerRoles): void {
  const { inbound, outbound, registry, logger } = roles;
  const statTimer = setInterval(() => void send({ trellis: 'stat', stat: inbound.reporter.latest }), REPORTING_PERIOD_MS);
  statTimer.unref();
  let seq = 0;
  // The number is taken before the read starts: counters are read synchronously when it does.
  const metricsSnapshot = async (): Promise<MetricsSnapshot> => {
    const n = ++seq;
    return { seq: n, metrics: await registry.getMetricsAsJSON() };
  };
  const sendCounters = () =>
    metricsSnapshot().then(
      (snapshot) => send({ trellis: 'counters', snapshot }),
      (err: unknown) => logger.error({ err }, 'cannot read the metrics for the supervisor'),
    );
  const countersTimer = setInterval(() => void sendCounters(), COUNTERS_INTERVAL_MS);
  countersTimer.unref();
  const answer = (question: Question): Promise<unknown> => {
    switch (question) {
      case 'metrics':
        return metricsSnapshot();
      case 'snapshot':
        return Promise.resolve(roles.snapshot());
      case 'wait-for-drain':
        return inbound.drain.waitForDrain().then(() => true);
    }
  };
  let retiring = false;
  const retire = async () => {
    if (retiring) return;
    retiring = true;
    clearInterval(statTimer);
    clearInterval(countersTimer);
    logger.info('retiring: the next generation serves; handing connections off');
    await roles.handOff();
    await send({ trellis: 'retired', snapshot: await metricsSnapshot() });
    logger.info('handed off; exiting');
    process.exit(0);
  };
  process.on('message', (message: unknown) => {
    if (!isSupervisorMessage(message)) return;
    if (message.trellis === 'retire') void retire();
    else if (message.trellis === 'terminate') roles.terminate();
    else
      answer(message.question).then(
        (value) => send({ trellis: 'answer', id: message.id, value }),
        (err: unknown) => {
          logger.error({ err, question: message.question }, 'cannot answer the supervisor');
          return send({ trellis: 'answer', id: message.id, value: undefined });
        },
      );
  });
  void send({ trellis: 'ready', ports: { http: inbound.ports.http, h2c: inbound.ports.h2c, outbound: outbound.address?.port }, filters: inbound.filters });
}
