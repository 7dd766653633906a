import type { WorkerSnapshot } from '../admin/introspection';
import type { Outbound } from '../outbound/index';
import type { OverloadManager } from './overload-manager';

/** Generation of this process: 1, or the one its supervisor forked it in. */
export const GENERATION = Number(process.env.TRELLIS_PROXY_GENERATION ?? '1');

/** What this process tells the introspection pages of itself. */
export function snapshotOf(outbound: Outbound, overload: OverloadManager): WorkerSnapshot {
  return {
    pid: process.pid,
    generation: GENERATION,
    overload: { sample: overload.sample, active: overload.active() },
    connections: overload.connections(),
    outbound: outbound.describe(),
  };
}
