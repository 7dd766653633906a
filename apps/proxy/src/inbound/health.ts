import type { Drain } from './drain';
import type { Exchange, Middleware } from './exchange';

/** Header names and values of Knative's networking probes. */
export const PROBE_HEADER = 'k-network-probe';
export const HASH_HEADER = 'k-network-hash';
export const KUBELET_PROBE_HEADER = 'k-kubelet-probe';
export const KUBE_PROBE_USER_AGENT_PREFIX = 'kube-probe/';
/** K-Network-Probe value that asks the queue-proxy to check the app (Knative queue.Name). */
export const QUEUE_PROBE_VALUE = 'queue';
/** K-Network-Probe value of ingress probes, answered by echoing K-Network-Hash. */
export const NETWORK_PROBE_VALUE = 'probe';

export interface HealthOptions {
  readonly drain: Drain;
  readonly probeApp: () => Promise<boolean>;
}

function reply(ex: Exchange, status: number, body: string, headers: Record<string, string> = {}): void {
  if (ex.isEnded) return;
  ex.reply(status, { 'content-type': 'text/plain; charset=utf-8', ...headers }, body);
}

function answerQueueProbe(ex: Exchange, options: HealthOptions): void {
  if (options.drain.draining) {
    reply(ex, 503, 'shutting down\n');
    return;
  }
  options.probeApp().then(
    (ready) => (ready && !options.drain.draining ? reply(ex, 200, QUEUE_PROBE_VALUE) : reply(ex, 503, 'app not ready\n')),
    () => reply(ex, 503, 'app not ready\n'),
  );
}

/**
 * Answers probes before anything else can queue or time them out (Knative's probe handlers and
 * drainer): K-Network-Probe: queue and kubelet probes run the app's readiness probe (200 `queue`, or
 * 503 when the app is not ready or the proxy is draining); K-Network-Probe: probe echoes
 * K-Network-Hash. Any other request resets the drain's quiet period and goes on.
 */
export function health(options: HealthOptions): Middleware {
  return (next) => (ex) => {
    const headers = ex.headers;
    const probe = headers[PROBE_HEADER];
    if (probe !== undefined) {
      if (probe === QUEUE_PROBE_VALUE) answerQueueProbe(ex, options);
      else if (probe !== NETWORK_PROBE_VALUE) reply(ex, 400, `unexpected probe header value: ${String(probe)}\n`);
      else {
        const hash = headers[HASH_HEADER];
        if (typeof hash !== 'string' || hash === '') reply(ex, 400, 'no K-Network-Hash provided\n');
        else reply(ex, 200, '', { [HASH_HEADER]: hash });
      }
      return;
    }
    if (headers[KUBELET_PROBE_HEADER] !== undefined || headers['user-agent']?.startsWith(KUBE_PROBE_USER_AGENT_PREFIX)) {
      answerQueueProbe(ex, options);
      return;
    }
    options.drain.requestSeen();
    next(ex);
  };
}
