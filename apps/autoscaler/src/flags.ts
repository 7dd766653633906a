import { hostname } from 'node:os';
import { parseSourceSpec } from '@trellis/kube';
import { DEFAULT_SCALE_TO_ZERO_GRACE_PERIOD_SEC } from '@trellis/kpa';
import { DEFAULT_ADMIN_PORT } from './admin-server';
import { AutoscalerError } from './errors';
import { DEFAULT_SCRAPE_PORT } from './targets';

/** Lease the replicas elect a leader with (Knative's autoscaler uses a Lease per bucket in knative-serving). */
export const DEFAULT_LEASE_NAME = 'trellis-autoscaler';
export const DEFAULT_LEASE_NAMESPACE = 'trellis-system';
export const DEFAULT_ADMIN_HOST = '0.0.0.0';

export interface AutoscalerFlags {
  source: { kind: 'kubernetes' } | { kind: 'fs'; dir: string };
  sourceSpec: string;
  actuator: 'kubernetes' | 'fs';
  adminHost: string;
  adminPort: number;
  scrapePort: number;
  gracePeriodSec: number;
  allowZeroInitialScale: boolean;
  leaderElect: boolean;
  leaseName: string;
  leaseNamespace: string;
  identity: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export const USAGE = `usage: autoscaler [flags]
  --source kubernetes|fs:<dir>     where Deployments, Services and EndpointSlices come from (default kubernetes)
  --actuator kubernetes|fs         how replicas are set (default: same as --source; fs writes into the source folder)
  --admin-host HOST                admin/poke listen address (default ${DEFAULT_ADMIN_HOST})
  --admin-port PORT                /metrics, /ready, /live and POST /poke (default ${DEFAULT_ADMIN_PORT})
  --scrape-port PORT               pods' stats port when their EndpointSlice has no "queue-metrics" port (default ${DEFAULT_SCRAPE_PORT})
  --scale-to-zero-grace-period D   e.g. 30s (default ${DEFAULT_SCALE_TO_ZERO_GRACE_PERIOD_SEC}s)
  --allow-zero-initial-scale       accept autoscaling.knative.dev/initial-scale: "0"
  --leader-elect true|false        elect a leader with a Lease (default true with --actuator kubernetes)
  --lease-name NAME                (default ${DEFAULT_LEASE_NAME})
  --lease-namespace NS             (default $POD_NAMESPACE or ${DEFAULT_LEASE_NAMESPACE})
  --identity ID                    this replica in the Lease (default $POD_NAME or hostname-pid)
  --log-level debug|info|warn|error (default info)`;

const BOOLEAN_FLAGS = new Set(['allow-zero-initial-scale']);
const VALUE_FLAGS = new Set([
  'source',
  'actuator',
  'admin-host',
  'admin-port',
  'scrape-port',
  'scale-to-zero-grace-period',
  'leader-elect',
  'lease-name',
  'lease-namespace',
  'identity',
  'log-level',
]);

/** Parses `--name value`, `--name=value` and boolean `--name`; throws AutoscalerError AUTOSCALER_BAD_FLAG. */
export function parseFlags(argv: readonly string[], env: NodeJS.ProcessEnv = {}): AutoscalerFlags {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) throw bad(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (BOOLEAN_FLAGS.has(name)) {
      values.set(name, eq === -1 ? 'true' : arg.slice(eq + 1));
      continue;
    }
    if (!VALUE_FLAGS.has(name)) throw bad(`unknown flag --${name}`);
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '') throw bad(`--${name} needs a value`);
    values.set(name, value);
  }
  const sourceSpec = values.get('source') ?? 'kubernetes';
  let source: AutoscalerFlags['source'];
  try {
    source = parseSourceSpec(sourceSpec);
  } catch (err) {
    throw bad(`--source: ${err instanceof Error ? err.message : String(err)}`);
  }
  const actuator = oneOf(values.get('actuator') ?? source.kind, 'actuator', ['kubernetes', 'fs'] as const);
  if (actuator === 'fs' && source.kind !== 'fs') throw bad('--actuator fs needs --source fs:<dir> (it writes into that folder)');
  return {
    source,
    sourceSpec,
    actuator,
    adminHost: values.get('admin-host') ?? DEFAULT_ADMIN_HOST,
    adminPort: port(values.get('admin-port'), 'admin-port', DEFAULT_ADMIN_PORT, true),
    scrapePort: port(values.get('scrape-port'), 'scrape-port', DEFAULT_SCRAPE_PORT, false),
    gracePeriodSec: duration(values.get('scale-to-zero-grace-period'), DEFAULT_SCALE_TO_ZERO_GRACE_PERIOD_SEC),
    allowZeroInitialScale: bool(values.get('allow-zero-initial-scale'), 'allow-zero-initial-scale', false),
    leaderElect: bool(values.get('leader-elect'), 'leader-elect', actuator === 'kubernetes'),
    leaseName: values.get('lease-name') ?? DEFAULT_LEASE_NAME,
    leaseNamespace: values.get('lease-namespace') ?? env['POD_NAMESPACE'] ?? DEFAULT_LEASE_NAMESPACE,
    identity: values.get('identity') ?? env['POD_NAME'] ?? `${hostname()}-${process.pid}`,
    logLevel: oneOf(values.get('log-level') ?? 'info', 'log-level', ['debug', 'info', 'warn', 'error'] as const),
  };
}

function port(raw: string | undefined, name: string, fallback: number, allowZero: boolean): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535 || (n === 0 && !allowZero)) throw bad(`--${name} must be a port number (${allowZero ? 0 : 1}-65535), got "${raw}"`);
  return n;
}

function bool(raw: string | undefined, name: string, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw bad(`--${name} must be true or false, got "${raw}"`);
}

function duration(raw: string | undefined, fallbackSec: number): number {
  if (raw === undefined) return fallbackSec;
  const m = /^(\d+)(s|m)$/.exec(raw);
  if (m === null) throw bad(`--scale-to-zero-grace-period must look like "30s" or "1m", got "${raw}"`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

function oneOf<T extends string>(raw: string, name: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw bad(`--${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
}

function bad(message: string): AutoscalerError {
  return new AutoscalerError('AUTOSCALER_BAD_FLAG', `autoscaler: ${message} (see autoscaler --help)`);
}
