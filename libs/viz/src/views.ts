import type { MetricView, Scrape } from './golden';
import type { Sample } from './prometheus-text';

type Labels = Readonly<Record<string, string>>;

/** `namespace/name` of a `name.namespace.svc...[:port]` authority; undefined for anything else. */
export function serviceOfAuthority(authority: string | undefined): string | undefined {
  const parts = authority?.split(':')[0]?.split('.');
  return parts && parts.length >= 2 && parts[0] && parts[1] ? `${parts[1]}/${parts[0]}` : undefined;
}

function serviceOfEndpointLabels(labels: Labels): string | undefined {
  if (labels['dst_service']) return `${labels['dst_namespace'] ?? ''}/${labels['dst_service']}`;
  return serviceOfAuthority(labels['authority']);
}

const outboundOnly = (labels: Labels) => labels['direction'] === undefined || labels['direction'] === 'outbound';
const classifiedSuccess = (labels: Labels) => labels['classification'] === 'success';

/** Separates a route key's service from its route name (route names may hold spaces, services never do). */
export const ROUTE_KEY_SEPARATOR = ' ';

/**
 * Per Deployment, as its own proxies answered (Knative queue-proxy's revision_request_* on each replica's
 * :9091; a 5xx is a failure). Linkerd's `stat deploy` reads the inbound side the same way.
 */
export const INBOUND_BY_DEPLOYMENT: MetricView = {
  total: 'revision_request_total',
  bucket: 'revision_request_duration_seconds_bucket',
  boundToMs: 1000,
  key: (l) => (l['configuration_name'] ? `${l['namespace_name'] ?? ''}/${l['configuration_name']}` : undefined),
  success: (l) => l['response_code_class'] !== '5xx',
};

/** Per Service, per request as the clients saw it (route_response_*: retries are inside one request). */
export const REQUESTS_BY_SERVICE: MetricView = {
  total: 'route_response_total',
  bucket: 'route_response_latency_ms_bucket',
  boundToMs: 1,
  key: (l) => (outboundOnly(l) ? serviceOfAuthority(l['dst']) : undefined),
  success: classifiedSuccess,
};

/** Per Service, per attempt sent to an endpoint (response_total: each retry counted). */
export const ATTEMPTS_BY_SERVICE: MetricView = {
  total: 'response_total',
  bucket: 'response_latency_ms_bucket',
  boundToMs: 1,
  key: (l) => (outboundOnly(l) ? serviceOfEndpointLabels(l) : undefined),
  success: classifiedSuccess,
};

/** Per (Service, route), per request: the key is `namespace/service` + ROUTE_KEY_SEPARATOR + `rt_route`. */
export const REQUESTS_BY_ROUTE: MetricView = {
  total: 'route_response_total',
  bucket: 'route_response_latency_ms_bucket',
  boundToMs: 1,
  key: (l) => {
    const service = outboundOnly(l) ? serviceOfAuthority(l['dst']) : undefined;
    return service === undefined ? undefined : `${service}${ROUTE_KEY_SEPARATOR}${l['rt_route'] ?? ''}`;
  },
  success: classifiedSuccess,
};

/** The client side of a scrape that belongs to no workload (an edge from outside the mesh). */
export const CLIENT_WORKLOAD = 'client';
/** Separates an edge key's source workload from its target service. */
export const EDGE_KEY_SEPARATOR = ' -> ';

/** Per (workload, Service) edge: what each proxy's outbound side sent, per request. */
export const REQUESTS_BY_EDGE: MetricView = {
  ...REQUESTS_BY_SERVICE,
  key: (l, scrape: Scrape) => {
    const service = REQUESTS_BY_SERVICE.key(l, scrape);
    return service === undefined ? undefined : `${scrape.workload ?? CLIENT_WORKLOAD}${EDGE_KEY_SEPARATOR}${service}`;
  },
};

export function splitKey(key: string, separator: string): [string, string] {
  const at = key.indexOf(separator);
  return at < 0 ? [key, ''] : [key.slice(0, at), key.slice(at + separator.length)];
}

/** The Deployment a proxy serves, read from its inbound metrics' labels; undefined before its first request. */
export function workloadOfSamples(samples: readonly Sample[]): string | undefined {
  for (const s of samples) {
    if (s.name === INBOUND_BY_DEPLOYMENT.total && s.labels['configuration_name']) {
      return `${s.labels['namespace_name'] ?? ''}/${s.labels['configuration_name']}`;
    }
  }
  return undefined;
}

/** The autoscaler's per-Deployment gauges (`namespace/name` → value) for one metric name. */
export function autoscalerGauge(samples: readonly Sample[], name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== name || !s.labels['deployment_name']) continue;
    out.set(`${s.labels['namespace_name'] ?? ''}/${s.labels['deployment_name']}`, s.value);
  }
  return out;
}
