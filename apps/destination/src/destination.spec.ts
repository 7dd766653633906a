import { afterEach, describe, expect, it } from 'vitest';
import { createMemorySource } from './memory-source';
import type { Harness } from './testing/destination-harness';
import { addrsOf, startHarness } from './testing/destination-harness';
import { serviceObject, sliceObject } from './testing/manifests';

describe('destination before its source has synced', () => {
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.close();
  });

  it('answers /ready with 503, holds streams, then serves them once synced', async () => {
    const memory = createMemorySource({ synced: false });
    memory.put(serviceObject('web', 'ns'));
    memory.put(sliceObject('web-1', 'ns', 'web', [{ ip: '10.8.0.1' }]));
    h = await startHarness(memory.source);
    expect((await h.admin('/ready')).status).toBe(503);
    expect((await h.admin('/live')).status).toBe(200);
    const stream = h.get('web.ns.svc.cluster.local:80');
    const bad = h.get('10.8.0.1:80');
    // A bad authority is refused at once, without waiting for the sync.
    expect((await bad.closed())?.details).toMatch(/IP addresses are not resolved by Get/);
    expect(stream.messages).toEqual([]);

    memory.setSynced(true);
    expect(addrsOf(await stream.nth(1))).toEqual(['10.8.0.1:8080']);
    expect((await h.admin('/ready')).status).toBe(200);
    memory.setSynced(false);
    expect((await h.admin('/ready')).status).toBe(503);
  });
});
