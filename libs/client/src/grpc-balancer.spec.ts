import { connectivityState as ConnectivityState, experimental } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { TrellisBalancer } from './grpc-balancer';

type Listener = experimental.ConnectivityStateListener;

/** A subchannel whose state the test sets; it counts refs. */
function fakeSubchannel(address: string) {
  const listeners = new Set<Listener>();
  const sub = {
    state: ConnectivityState.IDLE,
    refs: 0,
    getAddress: () => address,
    getConnectivityState: () => sub.state,
    addConnectivityStateListener: (l: Listener) => listeners.add(l),
    removeConnectivityStateListener: (l: Listener) => listeners.delete(l),
    startConnecting: () => sub.set(ConnectivityState.CONNECTING),
    ref: () => (sub.refs += 1),
    unref: () => (sub.refs -= 1),
    set(next: ConnectivityState) {
      const previous = sub.state;
      sub.state = next;
      for (const l of listeners) l(sub as never, previous, next, 0);
    },
  };
  return sub;
}

function setup() {
  const subchannels = new Map<string, ReturnType<typeof fakeSubchannel>>();
  const states: { state: ConnectivityState; picker: experimental.Picker }[] = [];
  const helper = {
    createSubchannel: (a: experimental.SubchannelAddress) => {
      const s = fakeSubchannel(experimental.subchannelAddressToString(a));
      subchannels.set(s.getAddress(), s);
      return s as never;
    },
    updateState: (state: ConnectivityState, picker: experimental.Picker) => states.push({ state, picker }),
    requestReresolution: () => undefined,
    addChannelzChild: () => undefined,
    removeChannelzChild: () => undefined,
  };
  return { lb: new TrellisBalancer(helper), subchannels, states, last: () => states[states.length - 1]! };
}

const endpoints = (...ports: number[]) => experimental.statusOrFromValue(ports.map((port) => ({ addresses: [{ host: '127.0.0.1', port }] })));
const config = { getLoadBalancerName: () => 'trellis_p2c_peak_ewma', toJsonObject: () => ({}) };
const pickArgs = { metadata: undefined as never, extraPickInfo: {} };

describe('TrellisBalancer (grpc-js LB policy)', () => {
  it('queues while connecting, then picks only READY subchannels; a removed address is let go', () => {
    const { lb, subchannels, last } = setup();
    lb.updateAddressList(endpoints(1, 2), config, {});
    expect(last().state).toBe(ConnectivityState.CONNECTING);
    expect(last().picker.pick(pickArgs).pickResultType).toBe(experimental.PickResultType.QUEUE);

    subchannels.get('127.0.0.1:2')!.set(ConnectivityState.READY);
    expect(last().state).toBe(ConnectivityState.READY);
    for (let i = 0; i < 20; i++) {
      const result = last().picker.pick(pickArgs);
      expect(result.subchannel?.getAddress()).toBe('127.0.0.1:2');
    }

    lb.updateAddressList(endpoints(1), config, {});
    expect(subchannels.get('127.0.0.1:2')!.refs).toBe(0);
    expect(last().state).toBe(ConnectivityState.CONNECTING);
    subchannels.get('127.0.0.1:1')!.set(ConnectivityState.TRANSIENT_FAILURE);
    expect(last().state).toBe(ConnectivityState.TRANSIENT_FAILURE);
    expect(last().picker.pick(pickArgs).pickResultType).toBe(experimental.PickResultType.TRANSIENT_FAILURE);
    lb.destroy();
    expect(subchannels.get('127.0.0.1:1')!.refs).toBe(0);
  });

  it('prefers the endpoint with fewer calls in flight', () => {
    const { lb, subchannels, last } = setup();
    lb.updateAddressList(endpoints(1, 2), config, {});
    for (const s of subchannels.values()) s.set(ConnectivityState.READY);
    const busy = last().picker.pick(pickArgs);
    for (let i = 0; i < 5; i++) busy.onCallStarted?.();
    const busyAddress = busy.subchannel?.getAddress();
    for (let i = 0; i < 20; i++) expect(last().picker.pick(pickArgs).subchannel?.getAddress()).not.toBe(busyAddress);
  });
});
