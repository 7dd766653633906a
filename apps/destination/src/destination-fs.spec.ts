import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFsSource } from '@trellis/kube';
import { createTempDir } from '@trellis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addrsOf, metricValue, startHarness } from './testing/destination-harness';
import type { Harness } from './testing/destination-harness';
import { serviceObject, sliceObject, yamlDocs } from './testing/manifests';
import type { KubeObjectLike, World } from './testing/scenarios';
import { defineDestinationScenarios } from './testing/scenarios';

// Short fs periods keep the suite quick; the source's own defaults are tested in libs/kube.
const FS_OPTIONS = { debounceMs: 5, rescanIntervalMs: 200 };

async function fsWorld(): Promise<World> {
  const dir = await createTempDir('trellis-destination-');
  const source = createFsSource(dir.path, FS_OPTIONS);
  const fileOf = (obj: KubeObjectLike) => `${obj.kind}-${obj.metadata.namespace}-${obj.metadata.name}.yaml`;
  return {
    source,
    apply: async (obj) => {
      // Atomic (write aside, rename), so a rescan never reads a half-written file.
      const aside = join(dir.path, `.${fileOf(obj)}.tmp`);
      await writeFile(aside, yamlDocs(obj));
      await rename(aside, join(dir.path, fileOf(obj)));
      await source.rescan();
    },
    remove: async (obj) => {
      await rm(join(dir.path, fileOf(obj)), { force: true });
      await source.rescan();
    },
    close: async () => {
      await source.close();
      await dir.remove();
    },
  };
}

defineDestinationScenarios('destination on the fs source', fsWorld);

describe('destination on the fs source with broken files', () => {
  let dir: Awaited<ReturnType<typeof createTempDir>>;
  let source: ReturnType<typeof createFsSource>;
  let h: Harness;

  beforeAll(async () => {
    dir = await createTempDir('trellis-destination-bad-');
    await dir.write('good.yaml', yamlDocs(serviceObject('ok', 'bad'), sliceObject('ok-1', 'bad', 'ok', [{ ip: '10.9.0.1' }])));
    source = createFsSource(dir.path, FS_OPTIONS);
    h = await startHarness(source);
  });

  afterAll(async () => {
    await h?.close();
    await source?.close();
    await dir?.remove();
  });

  it('reports malformed YAML and unknown kinds, keeps serving, and applies a repair', async () => {
    const stream = h.get('ok.bad.svc.cluster.local:80');
    expect(addrsOf(await stream.nth(1))).toEqual(['10.9.0.1:8080']);
    const errorsBefore = metricValue(await h.metrics(), 'destination_source_errors_total{source="fs"}');
    await writeFile(join(dir.path, 'broken.yaml'), 'kind: Service\nmetadata: [unclosed\n  - :\n');
    await writeFile(join(dir.path, 'odd.yaml'), yamlDocs({ apiVersion: 'v9', kind: 'Gizmo', metadata: { name: 'x' } }));
    await source.rescan();
    expect(metricValue(await h.metrics(), 'destination_source_errors_total{source="fs"}')).toBeGreaterThanOrEqual(errorsBefore + 2);

    await dir.write('good.yaml', yamlDocs(serviceObject('ok', 'bad'), sliceObject('ok-1', 'bad', 'ok', [{ ip: '10.9.0.1' }, { ip: '10.9.0.2' }])));
    await source.rescan();
    expect(addrsOf(await stream.nth(2))).toEqual(['10.9.0.2:8080']);
    expect((await h.admin('/ready')).status).toBe(200);
  });
});
