import type { Informer, Pod, WatchEvent } from '@trellis/kube';
import { namespaceOf } from '@trellis/kube';
import type { PodLookup } from './endpoint-translation';

function podIps(pod: Pod): string[] {
  const ips = new Set<string>();
  if (pod.status?.podIP) ips.add(pod.status.podIP);
  for (const entry of pod.status?.podIPs ?? []) if (entry.ip) ips.add(entry.ip);
  return [...ips];
}

/** Pods by name (the informer) and by IP (an index kept current from the informer's events). */
export class PodIndex implements PodLookup {
  private readonly byAddress = new Map<string, Pod>();
  private readonly addressesOf = new Map<string, string[]>();

  constructor(private readonly pods: Informer<Pod>) {}

  /** Rebuilds the IP index from the informer (call once it has synced). */
  load(): void {
    this.byAddress.clear();
    this.addressesOf.clear();
    for (const pod of this.pods.list()) this.put(pod);
  }

  apply(event: WatchEvent<Pod>): void {
    this.drop(event.object);
    if (event.type !== 'DELETED') this.put(event.object);
  }

  byName(namespace: string, name: string): Pod | undefined {
    return this.pods.get(namespace, name);
  }

  byIp(ip: string): Pod | undefined {
    return this.byAddress.get(ip);
  }

  private put(pod: Pod): void {
    const key = `${namespaceOf(pod)}/${pod.metadata.name}`;
    const ips = podIps(pod);
    this.addressesOf.set(key, ips);
    for (const ip of ips) this.byAddress.set(ip, pod);
  }

  private drop(pod: Pod): void {
    const key = `${namespaceOf(pod)}/${pod.metadata.name}`;
    for (const ip of this.addressesOf.get(key) ?? []) {
      const holder = this.byAddress.get(ip);
      if (holder && `${namespaceOf(holder)}/${holder.metadata.name}` === key) this.byAddress.delete(ip);
    }
    this.addressesOf.delete(key);
  }
}
