import { credentials } from '@grpc/grpc-js';
import { DestinationClient } from '@trellis/proto';
import { waitFor } from '@trellis/testing';
import { pino } from 'pino';
import { firstValueFrom, filter, toArray, take, type Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { Discovery } from './discovery-client';
import type { Resolution } from './resolution';
import { startFakeDestination, type FakeDestination } from './testing/fake-destination';

const WEB = 'web.demo.svc.cluster.local:8080';

function ids(r: Resolution): string[] | 'not-found' {
  return r.kind === 'not-found' ? 'not-found' : [...r.endpoints.keys()];
}

describe('Discovery', () => {
  let fake: FakeDestination | undefined;
  let client: DestinationClient | undefined;
  const subs: Subscription[] = [];

  afterEach(async () => {
    subs.splice(0).forEach((s) => s.unsubscribe());
    client?.close();
    await fake?.close();
  });

  async function setup(opts: { firstMessageTimeoutMs?: number; idleTeardownMs?: number } = {}) {
    fake = await startFakeDestination();
    client = new DestinationClient(`127.0.0.1:${fake.port}`, credentials.createInsecure());
    const discovery = new Discovery({ api: client, contextToken: '', random: () => 0.5, logger: pino({ level: 'silent' }), ...opts });
    return { fake, discovery };
  }

  it('shares one Get stream between subscribers and replays the latest resolution', async () => {
    const { fake, discovery } = await setup();
    fake.setEndpoints(WEB, [{ host: '127.0.0.1', port: 1 }]);
    const first = await firstValueFrom(discovery.resolve(WEB).pipe(take(1)));
    subs.push(discovery.resolve(WEB).subscribe());
    const second = await firstValueFrom(discovery.resolve(WEB));
    expect(ids(first)).toEqual(['127.0.0.1:1']);
    expect(ids(second)).toEqual(['127.0.0.1:1']);
    expect(fake.getCalls()).toBe(1);
  });

  it('applies diffs as they come', async () => {
    const { fake, discovery } = await setup();
    fake.setEndpoints(WEB, [{ host: '127.0.0.1', port: 1 }]);
    const seen = firstValueFrom(discovery.resolve(WEB).pipe(take(3), toArray()));
    await waitFor(() => fake.openStreams() === 1);
    fake.setEndpoints(WEB, [{ host: '127.0.0.1', port: 1 }, { host: '127.0.0.2', port: 2 }]);
    fake.setEndpoints(WEB, [{ host: '127.0.0.2', port: 2 }]);
    expect((await seen).map(ids)).toEqual([['127.0.0.1:1'], ['127.0.0.1:1', '127.0.0.2:2'], ['127.0.0.2:2']]);
  });

  it('treats INVALID_ARGUMENT as final: not-found, and a null profile', async () => {
    const { fake, discovery } = await setup();
    fake.reject(WEB);
    const all = await firstValueFrom(discovery.resolve(WEB).pipe(toArray()));
    expect(all.map(ids)).toEqual(['not-found']);
    expect(await firstValueFrom(discovery.profile(WEB))).toBeNull();
    expect(fake.getCalls()).toBe(1);
  });

  it('retries a stream whose first message does not come in time, then recovers', async () => {
    const { fake, discovery } = await setup({ firstMessageTimeoutMs: 100 });
    fake.setEndpoints(WEB, [{ host: '127.0.0.1', port: 1 }]);
    fake.silence(true);
    const got = firstValueFrom(discovery.resolve(WEB));
    await waitFor(() => discovery.reconnectCount('resolve') >= 2);
    fake.silence(false);
    expect(ids(await got)).toEqual(['127.0.0.1:1']);
  });

  it('keeps the last endpoints while reconnecting and replaces them with the new stream first message', async () => {
    const { fake, discovery } = await setup();
    fake.setEndpoints(WEB, [{ host: '127.0.0.1', port: 1 }]);
    const values: Resolution[] = [];
    subs.push(discovery.resolve(WEB).subscribe((r) => values.push(r)));
    await waitFor(() => values.length === 1);
    await fake.kill();
    await waitFor(() => discovery.reconnectCount('resolve') >= 1);
    expect(values.map(ids)).toEqual([['127.0.0.1:1']]);
    fake.setEndpoints(WEB, [{ host: '127.0.0.3', port: 3 }]);
    await fake.restart();
    await waitFor(() => values.length === 2, { timeoutMs: 15_000 });
    expect(ids(values[1] as Resolution)).toEqual(['127.0.0.3:3']);
  });

  it('tears a stream down a while after its last subscriber leaves', async () => {
    const { fake, discovery } = await setup({ idleTeardownMs: 100 });
    fake.setEndpoints(WEB, [{ host: '127.0.0.1', port: 1 }]);
    const sub = discovery.resolve(WEB).pipe(filter((r) => r.kind === 'endpoints')).subscribe();
    await waitFor(() => fake.openStreams() === 1);
    sub.unsubscribe();
    expect(fake.openStreams()).toBe(1);
    await waitFor(() => fake.openStreams() === 0);
    expect(discovery.stateCounts()).toEqual([]);
  });
});
