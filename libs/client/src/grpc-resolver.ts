import { lookup } from 'node:dns/promises';
import { experimental, status as Status, type ChannelOptions } from '@grpc/grpc-js';
import type { Resolution } from '@trellis/discovery';
import type { Subscription } from 'rxjs';
import { parseMeshAuthority } from './authority';
import type { DestinationConnection } from './destination';
import { GRPC_LB_POLICY_NAME, GRPC_SCHEME } from './defaults';


/** What the resolver needs from the client; set by registerTrellisGrpc. */
export interface ResolverContext {
  destination: DestinationConnection;
  clusterDomain: string;
  /** The resolver reports an address of an authority, with the labels the destination gave it. */
  onAddress(address: string, authority: string, labels: Readonly<Record<string, string>>): void;
}

let context: ResolverContext | undefined;

export function setResolverContext(next: ResolverContext | undefined): void {
  context = next;
}

const SERVICE_CONFIG = { loadBalancingConfig: [{ [GRPC_LB_POLICY_NAME]: {} }], methodConfig: [] };

function unavailable(details: string) {
  return experimental.statusOrFromError<experimental.Endpoint[]>({ code: Status.UNAVAILABLE, details });
}

/**
 * grpc-js name resolution for `trellis:///svc.ns.svc.<domain>:port`: the destination's `Get` stream
 * of the authority, every change reported with a service config naming the P2C peak-EWMA policy.
 * While the destination was unreachable at start, the host is looked up through DNS instead (at
 * each re-resolution grpc-js asks for). A service the destination does not know is UNAVAILABLE.
 */
export class TrellisResolver implements experimental.Resolver {
  private subscription: Subscription | undefined;
  private destroyed = false;
  private readonly authority: string | null;

  constructor(
    private readonly target: experimental.GrpcUri,
    private readonly listener: experimental.ResolverListener,
    _options: ChannelOptions,
  ) {
    this.authority = context === undefined ? null : parseMeshAuthority(target.path, context.clusterDomain);
  }

  static getDefaultAuthority(target: experimental.GrpcUri): string {
    return target.path;
  }

  updateResolution(): void {
    this.destroyed = false;
    const ctx = context;
    const authority = this.authority;
    if (ctx === undefined || ctx.destination.mode === 'closed') return this.report(unavailable('the trellis resolver is not registered (registerTrellisGrpc) or is closed'));
    if (authority === null) return this.report(unavailable(`${this.target.path} is not svc.ns.svc.${ctx.clusterDomain}:port`));
    if (this.subscription !== undefined) return;
    void ctx.destination.started.then(() => {
      if (this.destroyed || this.subscription !== undefined) return;
      if (ctx.destination.mode === 'dns') return void this.resolveByDns(authority);
      this.subscription = ctx.destination.discovery.resolve(authority).subscribe((r) => this.onResolution(ctx, authority, r));
    });
  }

  destroy(): void {
    this.destroyed = true;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  private onResolution(ctx: ResolverContext, authority: string, r: Resolution): void {
    if (r.kind === 'not-found') return this.report(unavailable(`${authority} is not a known service`));
    const endpoints: experimental.Endpoint[] = [];
    for (const e of r.endpoints.values()) {
      ctx.onAddress(e.id, authority, e.labels);
      endpoints.push({ addresses: [{ host: e.host, port: e.port }] });
    }
    this.report(experimental.statusOrFromValue(endpoints));
  }

  private async resolveByDns(authority: string): Promise<void> {
    const colon = authority.lastIndexOf(':');
    const port = Number(authority.slice(colon + 1));
    try {
      const addresses = await lookup(authority.slice(0, colon), { all: true });
      this.report(experimental.statusOrFromValue(addresses.map((a) => ({ addresses: [{ host: a.address, port }] }))));
    } catch (err) {
      this.report(unavailable(`DNS: ${(err as Error).message}`));
    }
  }

  private report(endpoints: experimental.StatusOr<experimental.Endpoint[]>): void {
    if (this.destroyed) return;
    // grpc-js expects listener calls after the constructor or updateResolution has returned.
    queueMicrotask(() => {
      if (!this.destroyed) this.listener(endpoints, {}, experimental.statusOrFromValue(SERVICE_CONFIG), '');
    });
  }
}

export function registerTrellisResolver(): void {
  experimental.registerResolver(GRPC_SCHEME, TrellisResolver);
}
