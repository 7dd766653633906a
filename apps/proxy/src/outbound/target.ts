import { TargetCache, type AuthorityOptions } from './authority';
import { OutboundError } from './errors';
import type { Layer, LogicalTarget, Service } from './layer';

export interface TargetDeps {
  authority: AuthorityOptions;
  /** `host:port` of the outbound listener itself, to refuse requests that would loop. */
  selfAuthorities: ReadonlySet<string>;
  logical(authority: string): LogicalTarget;
  /** Where requests for authorities outside the mesh go (no discovery, no route). */
  forward: Service;
}

/**
 * target: the request's authority names a mesh service (on down the stack, through its logical
 * service) or something outside the mesh, an IP literal or a name outside the cluster domain
 * (forwarded as is). No authority, a malformed one, or the proxy's own address: 400.
 */
export function targetLayer(deps: TargetDeps): Layer {
  const targets = new TargetCache(deps.authority);
  return (next) => (call) => {
    const authority = call.ex.authority;
    const resolved = authority === undefined ? null : targets.resolve(authority);
    if (resolved === null) {
      return Promise.reject(new OutboundError('BAD_REQUEST', `missing or malformed authority ${JSON.stringify(authority ?? '')}`));
    }
    if (deps.selfAuthorities.has(resolved.hostPort)) {
      return Promise.reject(new OutboundError('BAD_REQUEST', 'the request is addressed to the proxy itself'));
    }
    call.target = resolved.target;
    if (resolved.target.kind === 'direct') return deps.forward(call);
    call.logical = deps.logical(resolved.target.authority);
    return next(call);
  };
}
