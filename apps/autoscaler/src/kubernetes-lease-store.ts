import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { LeaseRecord, LeaseStore, StoredLease } from './leader-election';

const HTTP_NOT_FOUND = 404;
const HTTP_CONFLICT = 409;

/** The Lease `namespace/name` in coordination.k8s.io/v1 through @kubernetes/client-node. */
export function createKubernetesLeaseStore(kubeConfig: KubeConfig, namespace: string, name: string): LeaseStore {
  const api = kubeConfig.makeApiClient(CoordinationV1Api);
  const body = (record: LeaseRecord, resourceVersion?: string): V1Lease => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(resourceVersion === undefined ? {} : { resourceVersion }) },
    spec: {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      acquireTime: new V1MicroTime(record.acquireTimeMs),
      renewTime: new V1MicroTime(record.renewTimeMs),
      leaseTransitions: record.leaseTransitions,
    },
  });
  return {
    async get(): Promise<StoredLease | undefined> {
      let lease: V1Lease;
      try {
        lease = await api.readNamespacedLease({ name, namespace });
      } catch (err) {
        if (statusOf(err) === HTTP_NOT_FOUND) return undefined;
        throw err;
      }
      const spec = lease.spec ?? {};
      return {
        resourceVersion: lease.metadata?.resourceVersion ?? '',
        record: {
          holderIdentity: spec.holderIdentity ?? '',
          leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
          acquireTimeMs: timeOf(spec.acquireTime),
          renewTimeMs: timeOf(spec.renewTime),
          leaseTransitions: spec.leaseTransitions ?? 0,
        },
      };
    },
    async create(record) {
      try {
        await api.createNamespacedLease({ namespace, body: body(record) });
        return true;
      } catch (err) {
        if (statusOf(err) === HTTP_CONFLICT) return false;
        throw err;
      }
    },
    async update(record, resourceVersion) {
      try {
        await api.replaceNamespacedLease({ name, namespace, body: body(record, resourceVersion) });
        return true;
      } catch (err) {
        if (statusOf(err) === HTTP_CONFLICT) return false;
        throw err;
      }
    },
  };
}

function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number' ? err.code : undefined;
}

function timeOf(value: Date | string | undefined): number {
  if (value === undefined) return 0;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? 0 : ms;
}
