import { connectivityState as ConnectivityState, experimental, status as Status, type ChannelOptions } from '@grpc/grpc-js';
import { createBalancer, type Balancer, type Clock, type Random } from '@trellis/balance';
import { GRPC_LB_POLICY_NAME } from './defaults';
import type { EndpointSeries } from './metrics';


type SubchannelInterface = experimental.SubchannelInterface;
type Endpoint = experimental.Endpoint;

/** What the policy needs from the client; set by registerTrellisGrpc. */
export interface BalancerContext {
  clock: Clock;
  random: Random;
  /** The metric series of an address the resolver reported (`ip:port`). */
  series(address: string): EndpointSeries;
}

let context: BalancerContext | undefined;

export function setBalancerContext(next: BalancerContext | undefined): void {
  context = next;
}

class TrellisLbConfig implements experimental.TypedLoadBalancingConfig {
  getLoadBalancerName(): string {
    return GRPC_LB_POLICY_NAME;
  }

  toJsonObject(): object {
    return { [GRPC_LB_POLICY_NAME]: {} };
  }

  static createFromJson(): TrellisLbConfig {
    return new TrellisLbConfig();
  }
}

interface Entry {
  subchannel: SubchannelInterface;
  series: EndpointSeries;
}

/**
 * A grpc-js load-balancing policy: one subchannel per resolved address, kept connecting, and P2C
 * over peak-EWMA among the READY ones for every call (RTT from the call's start to its end, since
 * grpc-js tells a policy nothing in between). The channel's state: READY with a picker while one
 * subchannel is ready, CONNECTING (calls queue) while one is on its way, else TRANSIENT_FAILURE.
 */
export class TrellisBalancer implements experimental.LoadBalancer {
  private readonly entries = new Map<string, Entry>();
  private readonly ready = new Set<string>();
  private readonly balancer: Balancer<Entry>;
  private lastError = 'no address resolved yet';

  constructor(private readonly helper: experimental.ChannelControlHelper) {
    const ctx = context;
    this.balancer = createBalancer<Entry>('peak-ewma', { clock: ctx?.clock ?? { now: () => performance.now() }, random: ctx?.random ?? Math.random });
  }

  private readonly onState: experimental.ConnectivityStateListener = (subchannel, _previous, next, _keepalive, errorMessage) => {
    const address = subchannel.getAddress();
    if (!this.entries.has(address)) return;
    if (next === ConnectivityState.IDLE) subchannel.startConnecting();
    if (errorMessage !== undefined) this.lastError = errorMessage;
    this.setReady(address, next === ConnectivityState.READY);
    this.publish();
  };

  updateAddressList(endpointList: experimental.StatusOr<Endpoint[]>, _config: experimental.TypedLoadBalancingConfig, _options: ChannelOptions): boolean {
    if (!endpointList.ok) {
      this.lastError = endpointList.error.details;
      if (this.entries.size === 0) this.publish();
      return true;
    }
    const next = new Set<string>();
    for (const endpoint of endpointList.value) {
      for (const address of endpoint.addresses) next.add(experimental.subchannelAddressToString(address));
    }
    for (const [address, entry] of this.entries) {
      if (next.has(address)) continue;
      this.entries.delete(address);
      this.setReady(address, false);
      entry.subchannel.removeConnectivityStateListener(this.onState);
      entry.subchannel.unref();
    }
    for (const endpoint of endpointList.value) {
      for (const address of endpoint.addresses) {
        const id = experimental.subchannelAddressToString(address);
        if (this.entries.has(id)) continue;
        const subchannel = this.helper.createSubchannel(address, {});
        const series = context?.series(id) ?? { request: () => undefined, response: () => undefined };
        this.entries.set(id, { subchannel, series });
        subchannel.ref();
        subchannel.addConnectivityStateListener(this.onState);
        if (subchannel.getConnectivityState() === ConnectivityState.READY) this.setReady(id, true);
        subchannel.startConnecting();
      }
    }
    this.lastError = next.size === 0 ? 'the service has no endpoints' : this.lastError;
    this.publish();
    return true;
  }

  exitIdle(): void {
    for (const entry of this.entries.values()) entry.subchannel.startConnecting();
  }

  resetBackoff(): void {
    // Subchannels own their reconnect backoff; the policy keeps none.
  }

  destroy(): void {
    for (const entry of this.entries.values()) {
      entry.subchannel.removeConnectivityStateListener(this.onState);
      entry.subchannel.unref();
    }
    this.entries.clear();
    this.ready.clear();
    this.balancer.close();
  }

  getTypeName(): string {
    return GRPC_LB_POLICY_NAME;
  }

  private setReady(address: string, ready: boolean): void {
    const entry = this.entries.get(address);
    if (ready && entry !== undefined && !this.ready.has(address)) {
      this.ready.add(address);
      this.balancer.update({ type: 'add', endpoints: [{ id: address, weight: 1, value: entry }] });
    } else if (!ready && this.ready.delete(address)) {
      this.balancer.update({ type: 'remove', ids: [address] });
    }
  }

  private publish(): void {
    if (this.ready.size > 0) {
      this.helper.updateState(ConnectivityState.READY, this.picker(), null);
      return;
    }
    const connecting = [...this.entries.values()].some((e) => {
      const s = e.subchannel.getConnectivityState();
      return s === ConnectivityState.CONNECTING || s === ConnectivityState.IDLE;
    });
    if (connecting) this.helper.updateState(ConnectivityState.CONNECTING, new experimental.QueuePicker(this), null);
    else this.helper.updateState(ConnectivityState.TRANSIENT_FAILURE, new experimental.UnavailablePicker({ code: Status.UNAVAILABLE, details: this.lastError }), this.lastError);
  }

  /** A snapshot over the balancer's current picker; each completed pick tracks its call for peak-EWMA and the metrics. */
  private picker(): experimental.Picker {
    const snapshot = this.balancer.picker;
    const balancer = this.balancer;
    return {
      pick: (): experimental.PickResult => {
        const picked = snapshot.pick();
        if (picked.kind !== 'picked') {
          return { pickResultType: experimental.PickResultType.QUEUE, subchannel: null, status: null, onCallStarted: null, onCallEnded: null };
        }
        const { id, value } = picked.endpoint;
        let handle: ReturnType<Balancer<Entry>['start']> | undefined;
        let started = 0;
        return {
          pickResultType: experimental.PickResultType.COMPLETE,
          subchannel: value.subchannel,
          status: null,
          onCallStarted: () => {
            handle = balancer.start(id);
            started = performance.now();
            value.series.request();
          },
          onCallEnded: (code) => {
            handle?.end();
            value.series.response(200, code, code === Status.OK ? 'success' : 'failure', performance.now() - started);
          },
        };
      },
    };
  }
}

export function registerTrellisBalancer(): void {
  if (!experimental.isLoadBalancerNameRegistered(GRPC_LB_POLICY_NAME)) {
    experimental.registerLoadBalancerType(GRPC_LB_POLICY_NAME, TrellisBalancer, TrellisLbConfig);
  }
}
