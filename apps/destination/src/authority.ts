import { isIPv4, isIPv6 } from 'node:net';
import { DEFAULT_AUTHORITY_PORT, MAX_AUTHORITY_CHARS, MAX_DNS_LABEL_CHARS, MAX_DNS_NAME_CHARS } from './defaults';
import { DestinationError } from './errors';

export interface ServiceAuthority {
  kind: 'service';
  service: string;
  namespace: string;
  port: number;
}

export interface IpAuthority {
  kind: 'ip';
  ip: string;
  port: number;
}

export type Authority = ServiceAuthority | IpAuthority;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DIGITS = /^[0-9]{1,5}$/;

function bad(path: string, clusterDomain: string, why: string): DestinationError {
  const shown = path.length > 80 ? `${JSON.stringify(path.slice(0, 80))}...` : JSON.stringify(path);
  return new DestinationError(
    'DST_BAD_AUTHORITY',
    `invalid authority ${shown}: ${why}; expected <service>.<namespace>.svc.${clusterDomain}[:<port>]`,
  );
}

function parsePort(text: string, path: string, clusterDomain: string): number {
  const port = DIGITS.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) throw bad(path, clusterDomain, `port ${JSON.stringify(text)} is not a number from 1 to 65535`);
  return port;
}

/** Splits `host[:port]` (IPv6 hosts in brackets); the port defaults to 80. */
function splitHostPort(path: string, clusterDomain: string): { host: string; port: number } {
  if (path.startsWith('[')) {
    const close = path.indexOf(']');
    if (close < 0) throw bad(path, clusterDomain, 'unclosed "["');
    const rest = path.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) throw bad(path, clusterDomain, 'unexpected text after "]"');
    const port = rest === '' ? DEFAULT_AUTHORITY_PORT : parsePort(rest.slice(1), path, clusterDomain);
    return { host: path.slice(1, close), port };
  }
  const colon = path.lastIndexOf(':');
  if (colon < 0) return { host: path, port: DEFAULT_AUTHORITY_PORT };
  if (path.indexOf(':') !== colon) return { host: path, port: DEFAULT_AUTHORITY_PORT };
  return { host: path.slice(0, colon), port: parsePort(path.slice(colon + 1), path, clusterDomain) };
}

/**
 * Parses a GetDestination path. `allowIp` admits `IP:port` (GetProfile for a pod); Get refuses IPs.
 * Throws DestinationError DST_BAD_AUTHORITY with a message that says what is expected.
 */
export function parseAuthority(path: string, clusterDomain: string, allowIp: boolean): Authority {
  if (path.length === 0) throw bad(path, clusterDomain, 'empty');
  if (path.length > MAX_AUTHORITY_CHARS) throw bad(path, clusterDomain, `longer than ${MAX_AUTHORITY_CHARS} characters`);
  const { host, port } = splitHostPort(path, clusterDomain);
  if (isIPv4(host) || isIPv6(host)) {
    if (!allowIp) throw bad(path, clusterDomain, 'IP addresses are not resolved by Get');
    return { kind: 'ip', ip: host, port };
  }
  const name = host.toLowerCase();
  if (name.length > MAX_DNS_NAME_CHARS) throw bad(path, clusterDomain, `host longer than ${MAX_DNS_NAME_CHARS} characters`);
  const suffix = `.svc.${clusterDomain}`;
  if (!name.endsWith(suffix)) throw bad(path, clusterDomain, `not a service name in the cluster domain ${clusterDomain}`);
  const labels = name.slice(0, -suffix.length).split('.');
  if (labels.length !== 2) throw bad(path, clusterDomain, `expected exactly 2 labels before .svc, found ${labels.length}`);
  const [service = '', namespace = ''] = labels;
  for (const label of labels) {
    if (label.length > MAX_DNS_LABEL_CHARS || !DNS_LABEL.test(label)) {
      throw bad(path, clusterDomain, `${JSON.stringify(label.slice(0, 80))} is not a DNS label`);
    }
  }
  return { kind: 'service', service, namespace, port };
}

export function serviceFqdn(service: string, namespace: string, clusterDomain: string): string {
  return `${service}.${namespace}.svc.${clusterDomain}`;
}
