import type { Random } from '@trellis/balance';
import { pickWeighted, type HeaderModifier, type RouteBackend } from '@trellis/routes';
import { OutboundError } from './errors';
import type { BackendTarget, Layer, OutboundCall, Service } from './layer';
import { applyFilters, withResponseModifiers } from './route-filters';
import type { UpstreamResponse } from './upstream';

function weightsOf(backends: readonly RouteBackend[]): { weights: number[]; total: number } {
  const weights = backends.map((b) => b.weight);
  return { weights, total: weights.reduce((sum, w) => sum + w, 0) };
}

/**
 * split (a rule's weighted backends: an HTTPRoute's backendRefs, a profile's dstOverrides): picks the
 * backend of each attempt by weight, or the logical service's own backend when the rule names none,
 * and applies that backend's filters (a backend without an authority never dispatches: its failure
 * filter answers). Every backend has its own resolution, balancer and pools, shared with requests
 * that name that service directly.
 */
export function splitLayer(deps: { backend(authority: string): BackendTarget; random: Random }): Layer {
  const weightCache = new WeakMap<readonly RouteBackend[], { weights: number[]; total: number }>();
  return (next) => (call) => {
    const backends = call.rule.backends;
    if (backends.length === 0) {
      call.backend = deps.backend(call.logical.authority);
      return next(call);
    }
    let w = weightCache.get(backends);
    if (w === undefined) {
      w = weightsOf(backends);
      weightCache.set(backends, w);
    }
    const chosen = backends[backends.length === 1 ? 0 : pickWeighted(w.weights, w.total, deps.random())] as RouteBackend;
    if (chosen.filters.length === 0) return send(chosen, call, next);
    return sendFiltered(chosen, call, next);
  };
  /** The backend's filters apply to this attempt only: a retry may pick another backend. */
  async function sendFiltered(chosen: RouteBackend, call: OutboundCall, next: Service): Promise<UpstreamResponse> {
    const saved = call.edits;
    call.edits = saved === undefined ? undefined : { ...saved, headers: [...saved.headers] };
    try {
      const responseModifiers: HeaderModifier[] = [];
      const answer = applyFilters(chosen.filters, call, deps.random, responseModifiers);
      return answer ?? withResponseModifiers(await send(chosen, call, next), responseModifiers);
    } finally {
      call.edits = saved;
    }
  }
  function send(chosen: RouteBackend, call: OutboundCall, next: Service): Promise<UpstreamResponse> {
    if (chosen.authority === undefined) {
      return Promise.reject(new OutboundError('UPSTREAM_FAILED', 'the route backend has no service to send to'));
    }
    call.backend = deps.backend(chosen.authority);
    return next(call);
  }
}
