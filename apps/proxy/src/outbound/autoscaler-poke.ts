import { request } from 'undici';

/** Ours: a poke that takes longer than this counts as refused (the caller then fails fast). */
export const POKE_TIMEOUT_MS = 1_000;

export interface PokeTarget {
  namespace: string;
  service: string;
}

/** Asks the autoscaler to scale a service up from zero; true when it accepted (2xx). */
export type Poke = (target: PokeTarget, heldRequests: number) => Promise<boolean>;

/** `svc.ns.svc.<domain>:port` -> { namespace, service }. */
export function pokeTarget(authority: string): PokeTarget | null {
  const [service, namespace] = authority.split('.');
  if (service === undefined || namespace === undefined || service === '' || namespace === '') return null;
  return { namespace, service };
}

/**
 * The Trellis autoscaler answers 200 with `{"results":[{"status": ...}]}`; `unknown-target` means
 * it does not scale this service. Any other 2xx body counts as accepted.
 */
export function acceptedBy(body: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return true;
  }
  const results = (parsed as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) return true;
  return results.some((r) => (r as { status?: unknown } | null)?.status !== 'unknown-target');
}

/**
 * POSTs Knative's WireStatMessages (JSON form) to `http://<addr>/poke`: one message for the
 * service, with this pod's name and the number of requests it is holding.
 */
export function createPoke(addr: string, podName: string): Poke {
  const url = `http://${addr}/poke`;
  return async (target, heldRequests) => {
    const body = JSON.stringify({
      messages: [
        {
          namespace: target.namespace,
          name: target.service,
          stat: { podName, averageConcurrentRequests: heldRequests, requestCount: 1 },
        },
      ],
    });
    try {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        headersTimeout: POKE_TIMEOUT_MS,
        bodyTimeout: POKE_TIMEOUT_MS,
        signal: AbortSignal.timeout(POKE_TIMEOUT_MS),
      });
      if (res.statusCode < 200 || res.statusCode >= 300) {
        await res.body.dump();
        return false;
      }
      return acceptedBy(await res.body.text());
    } catch {
      return false;
    }
  };
}
