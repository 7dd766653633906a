import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFsSource } from '@trellis/kube';
import { createTempDir } from '@trellis/testing';
import { yamlDocs } from './testing/manifests';
import { defineInboundScenarios } from './testing/inbound-scenarios';
import { definePolicyScenarios } from './testing/policy-scenarios';
import type { KubeObjectLike, World } from './testing/scenarios';

// Short fs periods keep the suite quick; the source's own defaults are tested in libs/kube.
const FS_OPTIONS = { debounceMs: 5, rescanIntervalMs: 200 };

async function fsWorld(): Promise<World> {
  const dir = await createTempDir('trellis-policy-');
  const source = createFsSource(dir.path, FS_OPTIONS);
  const fileOf = (obj: KubeObjectLike) => `${obj.kind}-${obj.metadata.namespace}-${obj.metadata.name}.yaml`;
  return {
    source,
    apply: async (obj) => {
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

definePolicyScenarios('OutboundPolicies on the fs source', fsWorld);
defineInboundScenarios('InboundServerPolicies on the fs source', fsWorld);
