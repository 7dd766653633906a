import { parsePrometheusText, workloadOfSamples, type Scrape } from '@trellis/viz';
import { CliError } from './errors';
import { hostPort } from './flags';
import { httpGet } from './http-get';
import { readLocalMesh, type LocalMesh } from './local-replicas';

/** The proxy's Prometheus port (:9091, DESIGN.md); in local mode also the outbound proxy's on 127.0.0.1. */
export const PROXY_METRICS_PORT = 9091;
export const LOCAL_OUTBOUND_METRICS = `127.0.0.1:${PROXY_METRICS_PORT}`;

export interface MetricSource {
  address: string;
  /** `namespace/name`, when known before scraping. */
  workload?: string;
}

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

export interface ScrapeRound {
  scrapes: Scrape[];
  /** Sources that did not answer, with the reason (a replica may be stopping). */
  errors: string[];
}

/** Reads every source's /metrics at once. */
export async function scrapeAll(sources: readonly MetricSource[]): Promise<ScrapeRound> {
  const results = await Promise.allSettled(sources.map((s) => httpGet(s.address, '/metrics')));
  const scrapes: Scrape[] = [];
  const errors: string[] = [];
  results.forEach((r, i) => {
    const source = sources[i]!;
    if (r.status === 'rejected') errors.push((r.reason as Error).message);
    else if (r.value.status !== 200) errors.push(`${source.address}: /metrics answered ${r.value.status}`);
    else {
      const samples = parsePrometheusText(r.value.body);
      const workload = source.workload ?? workloadOfSamples(samples);
      scrapes.push({ source: source.address, samples, ...(workload === undefined ? {} : { workload }) });
    }
  });
  return { scrapes, errors };
}
