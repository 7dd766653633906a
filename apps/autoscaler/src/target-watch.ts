import type { Source } from '@trellis/kube';
import { type Observable, auditTime, filter, map, merge } from 'rxjs';
import { discoverTargets, type TargetView } from './targets';

/** Bursts of watch events are coalesced: the targets are recomputed at most this often. */
export const TARGET_RECOMPUTE_MS = 100;

/**
 * The autoscaled targets, recomputed from the source's caches after its initial sync and after every change to
 * Deployments, Services, EndpointSlices or Pods (coalesced, latest wins).
 */
export function watchTargets(source: Source, scrapePort: number, recomputeMs: number = TARGET_RECOMPUTE_MS): Observable<TargetView[]> {
  return merge(
    source.synced$.pipe(filter((synced) => synced)),
    source.deployments.events$,
    source.services.events$,
    source.endpointSlices.events$,
    source.pods.events$,
  ).pipe(
    auditTime(recomputeMs),
    map(() =>
      discoverTargets(
        {
          deployments: source.deployments.list(),
          services: source.services.list(),
          endpointSlices: source.endpointSlices.list(),
          pods: source.pods.list(),
        },
        scrapePort,
      ),
    ),
  );
}
