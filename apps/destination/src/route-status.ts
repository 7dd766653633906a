import type { RouteParent } from './route-translation';

// The controller name Trellis writes in status.parents[] (Gateway API: a domain-prefixed path, one per
// implementation; Linkerd writes linkerd.io/policy-controller).
export const ROUTE_STATUS_CONTROLLER = 'trellis.io/destination';

/** Whether one Service parent of a route is accepted, and why not. */
export interface ParentOutcome {
  parent: RouteParent;
  accepted: boolean;
  reason: string;
  message: string;
}

interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

interface ParentStatus {
  parentRef: Record<string, unknown>;
  controllerName: string;
  conditions: Condition[];
}

function parentRef(parent: RouteParent): Record<string, unknown> {
  return {
    group: '',
    kind: 'Service',
    namespace: parent.namespace,
    name: parent.name,
    ...(parent.port === undefined ? {} : { port: parent.port }),
    ...(parent.sectionName === undefined ? {} : { sectionName: parent.sectionName }),
  };
}

function existingParents(current: unknown): ParentStatus[] {
  const parents = (current as { parents?: unknown } | undefined)?.parents;
  return Array.isArray(parents) ? (parents.filter((p) => typeof p === 'object' && p !== null) as ParentStatus[]) : [];
}

/**
 * The route's status with Trellis's entries (one per Service parent, an `Accepted` condition each) replacing
 * the ones Trellis wrote before; entries of other controllers are kept. A condition keeps its
 * lastTransitionTime while its status does not change, so recomputing an unchanged outcome yields the same
 * status (no write, no loop through the watch).
 */
export function routeStatus(current: unknown, outcomes: ParentOutcome[], generation: number | undefined, now: string): { parents: ParentStatus[] } {
  const existing = existingParents(current);
  const others = existing.filter((p) => p.controllerName !== ROUTE_STATUS_CONTROLLER);
  const ours = outcomes.map((outcome): ParentStatus => {
    const ref = parentRef(outcome.parent);
    const previous = existing.find((p) => p.controllerName === ROUTE_STATUS_CONTROLLER && JSON.stringify(p.parentRef) === JSON.stringify(ref));
    const status = outcome.accepted ? 'True' : 'False';
    const before = previous?.conditions?.find((c) => c.type === 'Accepted');
    return {
      parentRef: ref,
      controllerName: ROUTE_STATUS_CONTROLLER,
      conditions: [
        {
          type: 'Accepted',
          status,
          reason: outcome.accepted ? 'Accepted' : outcome.reason,
          message: outcome.accepted ? 'Route accepted' : outcome.message,
          lastTransitionTime: before?.status === status && typeof before.lastTransitionTime === 'string' ? before.lastTransitionTime : now,
          ...(generation === undefined ? {} : { observedGeneration: generation }),
        },
      ],
    };
  });
  return { parents: [...others, ...ours] };
}
