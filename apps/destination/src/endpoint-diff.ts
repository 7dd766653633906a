import type { TcpAddress, Update } from '@trellis/proto';
import type { EndpointSnapshot } from './endpoint-translation';

const NO_ENDPOINTS_EXISTS: Update = { update: { $case: 'noEndpoints', value: { exists: true } } };
const NO_ENDPOINTS_UNKNOWN: Update = { update: { $case: 'noEndpoints', value: { exists: false } } };

function addAll(snapshot: EndpointSnapshot): Update {
  const addrs = [...snapshot.addrs.values()].map((e) => e.addr);
  return { update: { $case: 'add', value: { addrs, metricLabels: snapshot.labels } } };
}

/** The first message of a stream: `add` with every endpoint, or `no_endpoints{exists}`. */
export function initialUpdate(snapshot: EndpointSnapshot): Update {
  if (!snapshot.exists) return NO_ENDPOINTS_UNKNOWN;
  if (snapshot.addrs.size === 0) return NO_ENDPOINTS_EXISTS;
  return addAll(snapshot);
}

/**
 * The messages that take a client from `prev` to `next`:
 *   gone            → no_endpoints{exists:false}
 *   empty           → no_endpoints{exists:true}
 *   was gone/empty  → add (everything)
 *   otherwise       → remove (addresses that left), then add (new or changed addresses)
 * Nothing when the two are equivalent.
 */
export function diffUpdates(prev: EndpointSnapshot, next: EndpointSnapshot): Update[] {
  if (!next.exists) return prev.exists ? [NO_ENDPOINTS_UNKNOWN] : [];
  if (next.addrs.size === 0) return !prev.exists || prev.addrs.size > 0 ? [NO_ENDPOINTS_EXISTS] : [];
  if (!prev.exists || prev.addrs.size === 0) return [addAll(next)];
  const removed: TcpAddress[] = [];
  for (const [key, entry] of prev.addrs) {
    if (!next.addrs.has(key) && entry.addr.addr) removed.push(entry.addr.addr);
  }
  const added = [];
  for (const [key, entry] of next.addrs) {
    if (prev.addrs.get(key)?.fingerprint !== entry.fingerprint) added.push(entry.addr);
  }
  const updates: Update[] = [];
  if (removed.length > 0) updates.push({ update: { $case: 'remove', value: { addrs: removed } } });
  if (added.length > 0) updates.push({ update: { $case: 'add', value: { addrs: added, metricLabels: next.labels } } });
  return updates;
}
