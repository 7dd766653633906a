/**
 * Turns the authority a client asked for (Host header, :authority or an absolute-form URI) into
 * the name the destination service resolves, completing short Kubernetes service names the way
 * a pod's DNS search path would (`web.demo` -> `web.demo.svc.cluster.local`).
 */

/** RFC 9110: the default port of the `http` scheme. */
export const DEFAULT_HTTP_PORT = 80;

export type Target =
  /** A name the destination service may know; `authority` is `svc.ns.svc.<domain>:port`. */
  | { kind: 'service'; authority: string; host: string; port: number }
  /** An IP literal or a name outside the cluster: forwarded directly. */
  | { kind: 'direct'; host: string; port: number };

export interface AuthorityOptions {
  clusterDomain: string;
  /** The proxy's own namespace, used to complete a single-label name; may be empty. */
  namespace: string;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Splits `host[:port]` (IPv6 in brackets); null when it is not a valid authority. */
export function splitAuthority(authority: string): { host: string; port: number } | null {
  let host: string;
  let portText: string | undefined;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) return null;
    host = authority.slice(1, close);
    const rest = authority.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return null;
    portText = rest === '' ? undefined : rest.slice(1);
    if (!host.includes(':')) return null;
  } else {
    const colon = authority.lastIndexOf(':');
    host = colon < 0 ? authority : authority.slice(0, colon);
    portText = colon < 0 ? undefined : authority.slice(colon + 1);
    if (host.includes(':')) return null;
  }
  if (host === '') return null;
  if (portText === undefined) return { host: host.toLowerCase(), port: DEFAULT_HTTP_PORT };
  if (!/^\d{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  if (port < 1 || port > 65_535) return null;
  return { host: host.toLowerCase(), port };
}

function isIpLiteral(host: string): boolean {
  return host.includes(':') || IPV4.test(host);
}

/**
 * `svc`, `svc.ns`, `svc.ns.svc` and `svc.ns.svc.<domain>` name a Kubernetes service; a trailing
 * dot is ignored. Longer names, or names that are not valid DNS labels, are outside the cluster.
 */
function completeServiceName(host: string, opts: AuthorityOptions): string | null {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  const labels = name.split('.');
  if (!labels.every((l) => LABEL.test(l))) return null;
  const suffix = `.svc.${opts.clusterDomain}`;
  if (name.endsWith(suffix)) return labels.length === 3 + opts.clusterDomain.split('.').length ? name : null;
  switch (labels.length) {
    case 1:
      return opts.namespace === '' ? null : `${name}.${opts.namespace}${suffix}`;
    case 2:
      return `${name}${suffix}`;
    case 3:
      return labels[2] === 'svc' ? `${name}.${opts.clusterDomain}` : null;
    default:
      return null;
  }
}

/** Null when the authority is malformed (the caller answers 400). */
export function resolveTarget(authority: string, opts: AuthorityOptions): Target | null {
  const parts = splitAuthority(authority);
  if (parts === null) return null;
  const { host, port } = parts;
  if (isIpLiteral(host)) return { kind: 'direct', host, port };
  const name = completeServiceName(host, opts);
  if (name === null) return { kind: 'direct', host, port };
  return { kind: 'service', authority: `${name}:${port}`, host, port };
}

/** Ours: distinct authorities whose resolution is remembered; the cache starts over when full. */
export const MAX_CACHED_TARGETS = 1_024;

export interface CachedTarget {
  target: Target;
  /** `host:port` of the target, as the proxy's own addresses are written. */
  hostPort: string;
}

/**
 * resolveTarget for the request path: the same few authorities arrive on every request, so each
 * is parsed once. Bounded: a client sending endless distinct names only restarts the cache.
 */
export class TargetCache {
  private readonly entries = new Map<string, CachedTarget | null>();

  constructor(private readonly opts: AuthorityOptions) {}

  resolve(authority: string): CachedTarget | null {
    let entry = this.entries.get(authority);
    if (entry !== undefined) return entry;
    const target = resolveTarget(authority, this.opts);
    entry = target === null ? null : { target, hostPort: `${target.host}:${target.port}` };
    if (this.entries.size >= MAX_CACHED_TARGETS) this.entries.clear();
    this.entries.set(authority, entry);
    return entry;
  }
}
