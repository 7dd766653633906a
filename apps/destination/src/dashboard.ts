import type { Source } from '@trellis/kube';
import { dashboardPage, meshProxies, PROXY_METRICS_PORT, startDashboardRefresher, type DashboardRefresher, type MetricSource } from '@trellis/viz';

/** The autoscaler's tick (Knative, 2 s): the dashboard reads the proxies as often as the KPA decides. */
export const DASHBOARD_REFRESH_MS = 2_000;
/** Ours: with no page asking for a minute, the destination stops scraping proxies until the next ask. */
export const DASHBOARD_IDLE_STOP_MS = 60_000;

export interface DashboardOptions {
  /** The autoscaler's admin address (its /metrics has the KPA's decisions); undefined: none shown. */
  autoscaler: string | undefined;
  /** Metrics addresses of proxies that are in no pod or slice the source knows (local mode's outbound proxy). */
  extraMetrics: readonly string[];
  /** The proxies' Prometheus port on each pod address. */
  proxyMetricsPort?: number;
  now?: () => number;
  /** Proxies that did not answer in a round. */
  onErrors(errors: readonly string[]): void;
}

export interface MeshDashboard {
  readonly refresher: DashboardRefresher;
  readonly page: string;
}

/** The live dashboard over what the source knows: every meshed pod's proxy, replicas, and the autoscaler. */
export function startMeshDashboard(source: Source, options: DashboardOptions): MeshDashboard {
  const extra: MetricSource[] = options.extraMetrics.map((address) => ({ address }));
  const refresher = startDashboardRefresher({
    intervalMs: DASHBOARD_REFRESH_MS,
    idleStopMs: DASHBOARD_IDLE_STOP_MS,
    autoscaler: options.autoscaler,
    now: options.now ?? Date.now,
    onErrors: options.onErrors,
    sources: async () => {
      const mesh = meshProxies(
        { deployments: source.deployments.list(), services: source.services.list(), endpointSlices: source.endpointSlices.list(), pods: source.pods.list() },
        options.proxyMetricsPort ?? PROXY_METRICS_PORT,
      );
      return { sources: [...extra, ...mesh.sources], replicas: mesh.replicas };
    },
  });
  return { refresher, page: dashboardPage(DASHBOARD_REFRESH_MS) };
}
