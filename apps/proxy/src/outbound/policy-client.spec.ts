import { EventEmitter } from 'node:events';
import { status, type ClientReadableStream } from '@grpc/grpc-js';
import type { OutboundPolicy, TrafficSpec } from '@trellis/proto';
import { waitFor } from '@trellis/testing';
import { pino } from 'pino';
import type { Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { PolicyDiscovery, type OutboundPoliciesApi } from './policy-client';

/** A policy server double: each watch() is a stream the test drives. */
class FakePolicies implements OutboundPoliciesApi {
  readonly calls: { request: TrafficSpec; stream: EventEmitter & { cancel(): void } }[] = [];

  watch(request: TrafficSpec): ClientReadableStream<OutboundPolicy> {
    const stream = Object.assign(new EventEmitter(), { cancel: () => undefined });
    this.calls.push({ request, stream });
    return stream as unknown as ClientReadableStream<OutboundPolicy>;
  }

  last(): EventEmitter {
    const call = this.calls.at(-1);
    if (call === undefined) throw new Error('no watch yet');
    return call.stream;
  }
}

const policy = (name: string): OutboundPolicy => ({ metadata: { kind: { $case: 'default', value: name } } });
const grpcError = (code: number) => Object.assign(new Error(`code ${code}`), { code });
const logger = pino({ level: 'silent' });

describe('PolicyDiscovery', () => {
  const subscriptions: Subscription[] = [];
  afterEach(() => subscriptions.splice(0).forEach((s) => s.unsubscribe()));

  function watch(d: PolicyDiscovery): (OutboundPolicy | null)[] {
    const seen: (OutboundPolicy | null)[] = [];
    subscriptions.push(d.watch('web.demo.svc.cluster.local:80').subscribe((p) => seen.push(p)));
    return seen;
  }

  it('says "no policy" at once when no policy API is configured', () => {
    expect(watch(new PolicyDiscovery({ api: undefined, sourceWorkload: '', random: Math.random, logger }))).toEqual([null]);
  });

  it('asks for the authority with the workload token, and says "no policy" on UNIMPLEMENTED without reconnecting', async () => {
    const api = new FakePolicies();
    const seen = watch(new PolicyDiscovery({ api, sourceWorkload: '{"ns":"web","pod":"web-0"}', random: () => 0, logger }));
    expect(api.calls[0]?.request).toEqual({ sourceWorkload: '{"ns":"web","pod":"web-0"}', target: { $case: 'authority', value: 'web.demo.svc.cluster.local:80' } });
    api.last().emit('error', grpcError(status.UNIMPLEMENTED));
    expect(seen).toEqual([null]);
    await new Promise((r) => setTimeout(r, 250));
    expect(api.calls).toHaveLength(1);
  });

  it('keeps the last policy when the stream breaks, and takes the next one after reconnecting', async () => {
    const api = new FakePolicies();
    const seen = watch(new PolicyDiscovery({ api, sourceWorkload: '', random: () => 0, logger }));
    api.last().emit('data', policy('a'));
    api.last().emit('error', grpcError(status.UNAVAILABLE));
    await waitFor(() => api.calls.length === 2, { what: 'a reconnect' });
    api.last().emit('data', policy('b'));
    expect(seen).toEqual([policy('a'), policy('b')]);
  });

  it('says "no policy" while a stream that never answered reconnects, then the policy once it comes', async () => {
    const api = new FakePolicies();
    const seen = watch(new PolicyDiscovery({ api, sourceWorkload: '', random: () => 0, logger }));
    api.last().emit('error', grpcError(status.UNAVAILABLE));
    await waitFor(() => api.calls.length === 2, { what: 'a reconnect' });
    api.last().emit('end');
    await waitFor(() => api.calls.length === 3, { what: 'a second reconnect' });
    api.last().emit('data', policy('a'));
    expect(seen).toEqual([null, policy('a')]);
  });

  it('shares one stream per authority, and reconnects no more once closed', async () => {
    const api = new FakePolicies();
    const d = new PolicyDiscovery({ api, sourceWorkload: '', random: () => 0, logger });
    const first = watch(d);
    api.last().emit('data', policy('a'));
    const second = watch(d);
    expect(api.calls).toHaveLength(1);
    expect(second).toEqual([policy('a')]);
    d.close();
    api.last().emit('error', grpcError(status.UNAVAILABLE));
    await new Promise((r) => setTimeout(r, 250));
    expect(api.calls).toHaveLength(1);
    expect(first).toEqual([policy('a')]);
  });
});
