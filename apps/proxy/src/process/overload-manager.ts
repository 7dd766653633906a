import type { Server as NetServer, Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import {
  DEFAULT_OVERLOAD_RECOVERY_MS,
  DEFAULT_OVERLOAD_RECOVERY_RATIO,
  OVERLOAD_ACTIONS,
  OverloadState,
  type OverloadSample,
  type OverloadTrigger,
} from '@trellis/balance';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../logger';
import type { ProcessConfig } from './process-config';

/** Ours: the event-loop delay histogram's sampling resolution, ms. */
const LOOP_DELAY_RESOLUTION_MS = 10;
const NS_PER_MS = 1e6;

/** What the request paths ask before doing any work: false means answer 503 `overloaded` now (counted here). */
export interface OverloadGuard {
  admit(direction: 'inbound' | 'outbound'): boolean;
}

export interface OverloadManager extends OverloadGuard {
  /** New connections to these listeners are closed at once while stop_accepting_connections is active (and counted). */
  guard(servers: readonly NetServer[]): void;
  /** Connections the guarded listeners accepted, and those refused among them, since start. */
  connections(): { accepted: number; refused: number };
  /** The latest sample, for introspection. */
  readonly sample: OverloadSample;
  active(): Record<string, boolean>;
  close(): void;
}

/** A guard that admits everything (the overload manager is off, as in tests of single layers). */
export const NO_OVERLOAD: OverloadGuard = { admit: () => true };

/**
 * The app-edge half of Envoy's overload manager: samples heap use (v8 heap statistics) and event-loop
 * delay (perf_hooks) every interval, feeds them to the pure OverloadState, and carries out its actions:
 * new connections destroyed on accept, new requests answered 503 by the request paths through `admit`.
 */
export function startOverloadManager(options: { config: ProcessConfig['overload']; registry: Registry; logger: Logger }): OverloadManager {
  const { config, registry, logger } = options;
  // A loop-delay threshold of 0 is off: a delay never reaches infinity.
  const trigger = (t: OverloadTrigger): OverloadTrigger => ({ heapRatio: t.heapRatio, loopDelayMs: t.loopDelayMs === 0 ? Infinity : t.loopDelayMs });
  const state = new OverloadState({
    clock: { now: () => performance.now() },
    triggers: { stop_accepting_connections: trigger(config.stopAccepting), shed_requests: trigger(config.shed) },
    recoveryRatio: DEFAULT_OVERLOAD_RECOVERY_RATIO,
    recoveryMs: DEFAULT_OVERLOAD_RECOVERY_MS,
  });
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  loopDelay.enable();
  let sample: OverloadSample = { heapRatio: 0, loopDelayMs: 0 };
  new Gauge({
    name: 'overload_action_active',
    help: 'Whether an overload action is in force (1) or not (0)',
    labelNames: ['action'],
    registers: [registry],
    collect() {
      for (const action of OVERLOAD_ACTIONS) this.set({ action }, state.isActive(action) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'overload_heap_used_ratio',
    help: 'Heap used over the heap limit at the last overload sample',
    registers: [registry],
    collect() {
      this.set(sample.heapRatio);
    },
  });
  new Gauge({
    name: 'overload_event_loop_delay_seconds',
    help: 'Event-loop delay (p99 over the last overload interval)',
    registers: [registry],
    collect() {
      this.set(sample.loopDelayMs / 1000);
    },
  });
  const shedTotal = new Counter({
    name: 'overload_shed_requests_total',
    help: 'Requests answered 503 overloaded by the shed_requests action',
    labelNames: ['direction'],
    registers: [registry],
  });
  const refusedTotal = new Counter({
    name: 'overload_refused_connections_total',
    help: 'Connections closed on accept by the stop_accepting_connections action',
    registers: [registry],
  });
  const shedInbound = shedTotal.labels({ direction: 'inbound' });
  const shedOutbound = shedTotal.labels({ direction: 'outbound' });

  let shedding = false;
  let refusing = false;
  let accepted = 0;
  let refused = 0;
  const tick = () => {
    const heap = getHeapStatistics();
    sample = { heapRatio: heap.used_heap_size / heap.heap_size_limit, loopDelayMs: loopDelay.percentile(99) / NS_PER_MS };
    loopDelay.reset();
    for (const t of state.update(sample)) {
      if (t.active) logger.warn({ action: t.action, ...sample }, 'overload action in force');
      else logger.info({ action: t.action, ...sample }, 'overload action lifted');
    }
    shedding = state.isActive('shed_requests');
    refusing = state.isActive('stop_accepting_connections');
  };
  const timer = setInterval(tick, config.intervalMs);
  timer.unref();
  const refuse = (socket: Socket) => {
    accepted++;
    if (!refusing) return;
    refused++;
    refusedTotal.inc();
    socket.destroy();
  };
  return {
    get sample() {
      return sample;
    },
    admit(direction) {
      if (!shedding) return true;
      (direction === 'inbound' ? shedInbound : shedOutbound).inc();
      return false;
    },
    guard(servers) {
      // First in line: the listener's own handler then sees a destroyed socket and lets it go.
      for (const server of servers) server.prependListener('connection', refuse);
    },
    connections: () => ({ accepted, refused }),
    active: () => Object.fromEntries(OVERLOAD_ACTIONS.map((a) => [a, state.isActive(a)])),
    close() {
      clearInterval(timer);
      loopDelay.disable();
    },
  };
}
