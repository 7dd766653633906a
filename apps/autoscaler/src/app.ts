import { KubeConfig } from '@kubernetes/client-node';
import { createSource, type Source } from '@trellis/kube';
import { SCRAPE_INTERVAL_SEC, TICK_INTERVAL_SEC } from '@trellis/kpa';
import type { Logger } from 'pino';
import { Subject, takeUntil } from 'rxjs';
import type { Actuator } from './actuator';
import { startAdminServer, type AdminServer } from './admin-server';
import { Autoscaler } from './autoscaler';
import type { AutoscalerFlags } from './flags';
import { createFsActuator } from './fs-actuator';
import { createKubernetesActuator } from './kubernetes-actuator';
import { createKubernetesLeaseStore } from './kubernetes-lease-store';
import { LeaderElector } from './leader-election';
import { AutoscalerMetrics } from './metrics';
import { createScrapeClient } from './scrape-client';
import { watchTargets } from './target-watch';

export interface RunningAutoscaler {
  readonly adminPort: number;
  readonly autoscaler: Autoscaler;
  /** Whether this replica may actuate now (always true without leader election). */
  isLeader(): boolean;
  /** Idempotent: stops the loops, gives up the Lease and closes every socket and watch. */
  close(): Promise<void>;
}

/** Wires source → targets → scrape/decide loops → actuator, plus leader election and the admin server. */
export async function startAutoscaler(flags: AutoscalerFlags, logger: Logger, kubeConfig?: KubeConfig): Promise<RunningAutoscaler> {
  const needsKube = flags.source.kind === 'kubernetes' || flags.actuator === 'kubernetes' || flags.leaderElect;
  const kc = kubeConfig ?? (needsKube ? defaultKubeConfig() : undefined);
  const source: Source = createSource(flags.sourceSpec, { logger, ...(kc === undefined ? {} : { kubeConfig: kc }) });
  const shutdown$ = new Subject<void>();
  source.errors$.pipe(takeUntil(shutdown$)).subscribe((e) => logger.warn({ ...e }, 'source problem'));
  let synced = false;
  source.synced$.pipe(takeUntil(shutdown$)).subscribe((s) => (synced = s));

  const metrics = new AutoscalerMetrics({ processMetrics: true });
  const scraper = createScrapeClient();
  const actuator: Actuator =
    flags.actuator === 'fs' && flags.source.kind === 'fs' ? createFsActuator(flags.source.dir) : createKubernetesActuator(kc as KubeConfig);
  const elector = flags.leaderElect
    ? new LeaderElector({
        store: createKubernetesLeaseStore(kc as KubeConfig, flags.leaseNamespace, flags.leaseName),
        identity: flags.identity,
        logger,
        onChange: (leader) => metrics.leader.set(leader ? 1 : 0),
      })
    : undefined;
  metrics.leader.set(elector === undefined ? 1 : 0);
  const autoscaler = new Autoscaler({
    scrape: scraper.scrape,
    actuator,
    metrics,
    logger,
    isLeader: () => elector?.isLeader() ?? true,
    gracePeriodSec: flags.gracePeriodSec,
    allowZeroInitialScale: flags.allowZeroInitialScale,
  });
  watchTargets(source, flags.scrapePort)
    .pipe(takeUntil(shutdown$))
    .subscribe((views) => autoscaler.sync(views));

  let admin: AdminServer;
  try {
    admin = await startAdminServer({ host: flags.adminHost, port: flags.adminPort, autoscaler, metrics, logger, ready: () => synced });
  } catch (err) {
    shutdown$.next();
    await Promise.allSettled([source.close(), scraper.close()]);
    throw err;
  }
  const scrapeTimer = setInterval(() => {
    autoscaler.scrapeTick().catch((err: unknown) => logger.error({ err }, 'scrape tick failed'));
  }, SCRAPE_INTERVAL_SEC * 1000);
  const decideTimer = setInterval(() => autoscaler.decideTick(), TICK_INTERVAL_SEC * 1000);
  elector?.start();
  logger.info(
    { adminPort: admin.port, source: flags.sourceSpec, actuator: actuator.kind, leaderElect: flags.leaderElect, identity: flags.identity },
    'autoscaler started',
  );

  let closing: Promise<void> | undefined;
  return {
    adminPort: admin.port,
    autoscaler,
    isLeader: () => elector?.isLeader() ?? true,
    close() {
      closing ??= (async () => {
        clearInterval(scrapeTimer);
        clearInterval(decideTimer);
        shutdown$.next();
        shutdown$.complete();
        await admin.close();
        await autoscaler.close();
        await elector?.close();
        await Promise.allSettled([scraper.close(), source.close()]);
      })();
      return closing;
    },
  };
}

function defaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}
