import { AppsV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { Actuator } from './actuator';
import { AutoscalerError } from './errors';

/** Patches the Deployment's `scale` subresource (merge patch of spec.replicas), as Knative's KPA scaler does. */
export function createKubernetesActuator(kubeConfig: KubeConfig): Actuator {
  const api = kubeConfig.makeApiClient(AppsV1Api);
  const options = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  return {
    kind: 'kubernetes',
    async scale(namespace, name, replicas) {
      try {
        await api.patchNamespacedDeploymentScale({ name, namespace, body: { spec: { replicas } } }, options);
      } catch (err) {
        throw new AutoscalerError('ACTUATE_FAILED', `cannot scale deployment ${namespace}/${name} to ${replicas}`, { cause: err });
      }
    },
  };
}
