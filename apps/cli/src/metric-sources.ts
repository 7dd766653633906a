import { PROXY_METRICS_PORT, type MetricSource } from '@trellis/viz';
import { CliError } from './errors';
import { hostPort } from './flags';
import { readLocalMesh, type LocalMesh } from './local-replicas';

export { PROXY_METRICS_PORT, scrapeAll, type MetricSource, type ScrapeRound } from '@trellis/viz';

/** In local mode the outbound proxy's Prometheus port on 127.0.0.1. */
export const LOCAL_OUTBOUND_METRICS = `127.0.0.1:${PROXY_METRICS_PORT}`;

export interface TargetFlags {
  dir?: string | undefined;
  metrics?: string[] | undefined;
}

export const TARGET_OPTIONS = {
  dir: { type: 'string' },
  metrics: { type: 'string', multiple: true },
} as const;

export const TARGET_HELP = `  --dir DIR            the local mesh's manifest folder (npm start prints it): every replica's proxy is read
  --metrics [NS/DEPLOY=]HOST:PORT
                       a proxy's metrics address (repeatable; port-forwarded or in-cluster); the Deployment is
                       read from its metrics when not given (default: ${LOCAL_OUTBOUND_METRICS}, local mode's outbound proxy)`;

/** `[ns/deploy=]host:port` of a --metrics flag. */
export function parseMetricsFlag(command: string, raw: string): MetricSource {
  const at = raw.indexOf('=');
  if (at < 0) return { address: hostPort(command, 'metrics', raw) };
  const workload = raw.slice(0, at);
  if (!/^[a-z0-9.-]+\/[a-z0-9.-]+$/.test(workload)) throw new CliError('CLI_BAD_FLAG', `trellis ${command}: --metrics workload must be namespace/name, got "${workload}"`);
  return { address: hostPort(command, 'metrics', raw.slice(at + 1)), workload };
}

/** The proxies to read: every replica of the local mesh (with --dir) and the --metrics addresses. */
export async function metricSources(command: string, flags: TargetFlags): Promise<{ sources: MetricSource[]; mesh?: LocalMesh }> {
  const extra = (flags.metrics ?? [LOCAL_OUTBOUND_METRICS]).map((m) => parseMetricsFlag(command, m));
  if (flags.dir === undefined) return { sources: extra };
  const mesh = await readLocalMesh(flags.dir);
  const replicas = mesh.replicas.map((r) => ({ address: `${r.address}:${PROXY_METRICS_PORT}`, workload: r.workload }));
  return { sources: [...extra, ...replicas], mesh };
}
