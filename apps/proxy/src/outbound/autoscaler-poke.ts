import http from 'node:http';

/** Ours: a poke that takes longer than this counts as refused (the caller then fails fast). */
export const POKE_TIMEOUT_MS = 1_000;
/** Ours: an autoscaler answer larger than this is not read further (its JSON is a few hundred bytes). */
export const MAX_POKE_ANSWER_BYTES = 64 * 1024;

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

/** One POST with node:http; resolves with the status and body, or rejects on error or after POKE_TIMEOUT_MS. */
function post(url: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      signal: AbortSignal.timeout(POKE_TIMEOUT_MS),
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (text.length > MAX_POKE_ANSWER_BYTES) req.destroy(new Error('autoscaler answer too large'));
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.end(body);
  });
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
      const res = await post(url, body);
      return res.status >= 200 && res.status < 300 && acceptedBy(res.body);
    } catch {
      return false;
    }
  };
}
