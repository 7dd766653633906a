import { DEFAULT_HTTP_PORT } from './defaults';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The destination-service authority (`svc.ns.svc.<domain>:port`) of a host the mesh resolves, or
 * null for any other host (an IP literal, a name outside the cluster), which goes through DNS.
 */
export function meshAuthority(host: string, port: number, clusterDomain: string): string | null {
  const name = (host.endsWith('.') ? host.slice(0, -1) : host).toLowerCase();
  const suffix = `.svc.${clusterDomain}`;
  if (!name.endsWith(suffix)) return null;
  const labels = name.slice(0, -suffix.length).split('.');
  if (labels.length !== 2 || !labels.every((l) => LABEL.test(l))) return null;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return null;
  return `${name}:${port}`;
}

/** `host[:port]` (a split's authority in a profile) as a mesh authority, or null. */
export function parseMeshAuthority(authority: string, clusterDomain: string): string | null {
  const colon = authority.lastIndexOf(':');
  if (colon < 0) return meshAuthority(authority, DEFAULT_HTTP_PORT, clusterDomain);
  const portText = authority.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText)) return null;
  return meshAuthority(authority.slice(0, colon), Number(portText), clusterDomain);
}
