import { createFsStore, type FsStore } from '@trellis/kube';
import type { Actuator } from './actuator';
import { AutoscalerError } from './errors';

/** Local mode: writes spec.replicas into the Deployment's manifest in the folder (atomically, comments kept). */
export function createFsActuator(dir: string, store: FsStore = createFsStore(dir)): Actuator {
  return {
    kind: 'fs',
    async scale(namespace, name, replicas) {
      try {
        await store.setDeploymentReplicas(namespace, name, replicas);
      } catch (err) {
        throw new AutoscalerError('ACTUATE_FAILED', `cannot set replicas of ${namespace}/${name} in ${dir}`, { cause: err });
      }
    },
  };
}
