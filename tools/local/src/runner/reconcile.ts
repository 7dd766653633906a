// Pure reconciliation: what the runner should do to bring the replicas it runs in line with the
// Deployments it was asked to run. No I/O; the runner applies the actions.
//
// Replica lifecycle (owned by the runner):
//   starting ──probe passes──▶ ready ──process exits──▶ backoff ──delay──▶ starting
//       │                        │
//       └──────── stop ──────────┴──▶ stopping ──both processes gone──▶ (removed)

export type ReplicaPhase = 'starting' | 'ready' | 'backoff' | 'stopping';

export interface ReplicaView {
  id: string;
  /** namespace/name of the Deployment */
  workload: string;
  signature: string;
  phase: ReplicaPhase;
  /** Increases with every replica created for a workload: higher is newer. */
  ordinal: number;
}

export interface DesiredWorkload {
  key: string;
  signature: string;
  replicas: number;
}

export type Action = { type: 'start'; workload: string; count: number } | { type: 'stop'; id: string; reason: string };

// When there are too many replicas, the ones doing the least useful work go first.
const STOP_ORDER: Record<ReplicaPhase, number> = { backoff: 0, starting: 1, ready: 2, stopping: 3 };

function byStopPreference(a: ReplicaView, b: ReplicaView): number {
  return STOP_ORDER[a.phase] - STOP_ORDER[b.phase] || b.ordinal - a.ordinal;
}

/**
 * The actions that move `actual` towards `desired`:
 * - a workload no longer desired: stop all its replicas;
 * - fewer current replicas (same signature) than wanted: start the difference;
 * - more: stop the surplus, crashed ones first, then starting ones, newest first;
 * - replicas of an older signature (the Deployment changed): replaced like a rolling update with surge,
 *   stopped once as many current replicas are ready as are wanted (those not serving are stopped at once).
 */
export function planActions(desired: readonly DesiredWorkload[], actual: readonly ReplicaView[]): Action[] {
  const actions: Action[] = [];
  const wanted = new Map(desired.map((d) => [d.key, d]));
  const live = actual.filter((r) => r.phase !== 'stopping');

  for (const r of live) {
    if (!wanted.has(r.workload)) actions.push({ type: 'stop', id: r.id, reason: 'deployment removed from local mode' });
  }
  for (const d of desired) {
    const mine = live.filter((r) => r.workload === d.key);
    const current = mine.filter((r) => r.signature === d.signature);
    const stale = mine.filter((r) => r.signature !== d.signature);
    if (current.length < d.replicas) actions.push({ type: 'start', workload: d.key, count: d.replicas - current.length });
    if (current.length > d.replicas) {
      for (const r of [...current].sort(byStopPreference).slice(0, current.length - d.replicas)) {
        actions.push({ type: 'stop', id: r.id, reason: `scaled to ${d.replicas}` });
      }
    }
    const readyCurrent = current.filter((r) => r.phase === 'ready').length;
    const replaced = readyCurrent >= d.replicas;
    for (const r of stale) {
      if (replaced || r.phase !== 'ready') actions.push({ type: 'stop', id: r.id, reason: 'deployment changed' });
    }
  }
  return actions;
}
