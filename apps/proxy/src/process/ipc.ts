import type { Worker } from 'node:cluster';
import type { Stat } from '@trellis/proto';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

/** What the supervisor asks a worker; the answer comes back with the same id ('metrics': a MetricsSnapshot). */
export type Question = 'metrics' | 'snapshot' | 'wait-for-drain';

export type SupervisorMessage =
  | { readonly trellis: 'ask'; readonly id: number; readonly question: Question }
  /** Hot restart: the next generation is serving; hand the connections off and exit. */
  | { readonly trellis: 'retire' }
  /** Drain as on SIGTERM (the supervisor got the signal). */
  | { readonly trellis: 'terminate' };

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/**
 * A worker's metrics at one moment, numbered in the order the worker read them (`seq` grows by one per read),
 * so the supervisor keeps the newest whatever order the messages are handled in.
 */
export interface MetricsSnapshot {
  readonly seq: number;
  readonly metrics: MetricsJson;
}

export type WorkerMessage =
  | {
      readonly trellis: 'ready';
      readonly ports: { readonly http: number; readonly h2c: number; readonly outbound: number | undefined };
      /** The inbound filters in the order they run (admin `GET /filters`). */
      readonly filters: readonly string[];
    }
  | { readonly trellis: 'answer'; readonly id: number; readonly value: unknown }
  /** The worker's latest Knative Stat, sent every reporting period. */
  | { readonly trellis: 'stat'; readonly stat: Stat }
  /** The worker's metrics, sent every COUNTERS_INTERVAL_MS, so a crash loses at most that long of its counts. */
  | { readonly trellis: 'counters'; readonly snapshot: MetricsSnapshot }
  /** The worker's last metrics before it exits after a retire, so its counters outlive it. */
  | { readonly trellis: 'retired'; readonly snapshot: MetricsSnapshot };

function tagged(message: unknown): message is { trellis: string } {
  return typeof message === 'object' && message !== null && typeof (message as { trellis?: unknown }).trellis === 'string';
}

export function isWorkerMessage(message: unknown): message is WorkerMessage {
  return tagged(message) && ['ready', 'answer', 'stat', 'counters', 'retired'].includes(message.trellis);
}

export function isSupervisorMessage(message: unknown): message is SupervisorMessage {
  return tagged(message) && ['ask', 'retire', 'terminate'].includes(message.trellis);
}

/**
 * The supervisor's side of the questions: one pending entry per question, settled by the answer, by the
 * worker's exit (undefined), or after `timeoutMs` (undefined), so a stuck worker never stalls a scrape.
 */
export class Questions {
  private nextId = 0;
  private readonly pending = new Map<number, { worker: Worker; settle: (value: unknown) => void }>();

  ask(worker: Worker, question: Question, timeoutMs: number): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => settle(undefined), timeoutMs) : undefined;
      const settle = (value: unknown) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(value);
      };
      this.pending.set(id, { worker, settle });
      const message: SupervisorMessage = { trellis: 'ask', id, question };
      if (!worker.isConnected()) settle(undefined);
      else worker.send(message, (err: Error | null) => err && settle(undefined));
    });
  }

  answered(id: number, value: unknown): void {
    this.pending.get(id)?.settle(value);
  }

  /** The worker is gone: its questions resolve with undefined. */
  forget(worker: Worker): void {
    for (const entry of [...this.pending.values()]) if (entry.worker === worker) entry.settle(undefined);
  }
}
