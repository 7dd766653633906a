import cluster from 'node:cluster';
import { hostname } from 'node:os';
import { effectiveConfig } from './admin/effective-config';
import { hotRestartRoute } from './admin/hot-restart-route';
import { introspectionRoutes } from './admin/introspection';
import { ConfigError } from './config/errors';
import { http1ServerKind } from './http1/server-kind';
import { envHelp, inboundHelp, loadInboundConfig } from './config/inbound-config';
import { systemClock } from '@trellis/identity';
import { IDENTITY_ENV, loadIdentityConfig, startIdentity, type ProxyIdentity } from './identity/index';
import { meshTls as meshTlsOf, type MeshTls } from './identity/mesh-tls';
import { startInbound } from './inbound/index';
import { createLogger, type Logger } from './logger';
import { createMetricsRegistry, startMetricsServer } from './metrics-server';
import { loadOutboundConfig, OUTBOUND_ENV, startOutbound, type Outbound } from './outbound/index';
import { commandLineHelp, parseCommandLine } from './process/command-line';
import { startOverloadManager } from './process/overload-manager';
import { runProbeCommand } from './process/probe-command';
import { loadProcessConfig, PROCESS_ENV } from './process/process-config';
import { onSignals } from './process/signals';
import { GENERATION, snapshotOf } from './process/snapshot';
import { startSupervisor } from './process/supervisor';
import { serveAsWorker } from './process/worker';

/** Exit code for a bad setting (the operator must fix the environment). */
const EXIT_BAD_CONFIG = 2;
/** Exit code when the proxy cannot start (e.g. a port is taken) or shutdown fails. */
const EXIT_FAILURE = 1;

function help(): string {
  return [
    'trellis proxy: the data plane beside every workload.',
    '',
    commandLineHelp(),
    '',
    inboundHelp(),
    '',
    envHelp('Outbound (Linkerd-style balancing proxy), configured by environment:', OUTBOUND_ENV),
    '',
    envHelp('Identity (a certificate from the identity service; mutual TLS between proxies):', IDENTITY_ENV),
    '',
    envHelp('Process model (workers, hot restart on SIGHUP or POST /hot-restart, overload manager):', PROCESS_ENV),
    '',
    'Both: TRELLIS_LOG_LEVEL  log level (default: info)',
    '      TRELLIS_HTTP1_SERVER  HTTP/1.1 server of the listeners: trellis or node (default: trellis)',
    '',
  ].join('\n');
}

/** Validates every setting of both roles before anything starts. */
function loadConfig() {
  const inbound = loadInboundConfig(process.env, hostname());
  loadOutboundConfig(process.env);
  loadIdentityConfig(process.env);
  http1ServerKind(process.env);
  return { inbound, processConfig: loadProcessConfig(process.env) };
}

/** Waits for the first certificate: as linkerd2-proxy, the proxy serves nothing until it has its identity. */
async function certified(identity: ProxyIdentity, logger: Logger): Promise<MeshTls> {
  logger.info({ identity: identity.name }, 'waiting for a certificate from the identity service');
  const cert = await identity.ready();
  logger.info({ identity: cert.identity, notAfter: cert.notAfter.toISOString() }, 'certified');
  return meshTlsOf(identity, systemClock);
}

async function main(): Promise<void> {
  const command = parseCommandLine(process.argv.slice(2));
  if (command.kind === 'help') {
    process.stdout.write(help());
    return;
  }
  if (command.kind === 'error') {
    process.stderr.write(`trellis proxy: ${command.message}\n`);
    process.exitCode = EXIT_BAD_CONFIG;
    return;
  }
  if (command.kind !== 'serve') {
    process.exitCode = await runProbeCommand(command, process.env, (line) => process.stderr.write(line));
    return;
  }
  let loaded;
  try {
    loaded = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`trellis proxy: invalid configuration: ${err.message}\n`);
    process.exitCode = EXIT_BAD_CONFIG;
    return;
  }
  const config = loaded.inbound;
  const logger = createLogger({ level: process.env.TRELLIS_LOG_LEVEL || undefined });
  const workers = loaded.processConfig.workers;
  if (cluster.isPrimary && workers !== undefined) {
    const supervisor = await startSupervisor({
      config,
      workers,
      logger,
      effectiveConfig: effectiveConfig(process.env, config, loaded.processConfig),
    });
    onSignals(logger, { hangUp: () => void supervisor.hotRestart().catch(() => undefined), stop: () => supervisor.stop() });
    return;
  }
  const registry = createMetricsRegistry();
  const identity = await startIdentity({ env: process.env, registry, logger });
  const meshTls = identity === undefined ? undefined : await certified(identity, logger);
  const overload = startOverloadManager({ config: loaded.processConfig.overload, registry, logger });
  // The admin pages read the outbound role, which starts after the inbound one (and its admin server).
  const started: { outbound?: Outbound } = {};
  const introspection = introspectionRoutes({
    config: () => effectiveConfig(process.env, config, loaded.processConfig),
    process: () => ({ mode: 'single', generation: GENERATION, workers: [{ id: 0, pid: process.pid, generation: GENERATION, state: 'serving' }] }),
    snapshots: async () => [
      { id: 0, pid: process.pid, generation: GENERATION, state: 'serving', snapshot: started.outbound && snapshotOf(started.outbound, overload) },
    ],
  });
  const adminRoutes = new Map([...introspection, ['/hot-restart', hotRestartRoute(undefined)]]);
  const standalone = !cluster.isWorker;
  const inbound = await startInbound({ config, registry, logger, meshTls, overload, adminRoutes, standalone });
  const outbound = await startOutbound({ env: process.env, registry, logger, meshTls, overload });
  started.outbound = outbound;
  overload.guard([...inbound.listeners, ...outbound.listeners]);
  const metrics = standalone ? await startMetricsServer({ registry, host: config.host, port: config.metricsPort, logger }) : undefined;
  if (standalone) logger.info({ event: 'listening', host: config.host, ports: { ...inbound.ports, metrics: metrics?.port } }, 'listening');

  let stopping = false;
  // A second signal cuts the drain short (Ctrl-C twice); in-flight requests still finish.
  const stop = (signal: string) => {
    if (stopping) {
      logger.info({ signal }, 'second signal: closing without waiting for the quiet period');
      void inbound.close();
      return;
    }
    stopping = true;
    logger.info({ signal }, 'draining');
    // The outbound role stays up while the inbound drains: the requests still served may call out.
    inbound
      .terminate()
      .then(() => outbound.close())
      .then(() => Promise.all([metrics?.close(), identity?.close(), meshTls?.close(), overload.close()]))
      .then(
        () => {
          logger.info('drained; exiting');
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(EXIT_FAILURE);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (cluster.isWorker) {
    serveAsWorker({
      inbound,
      outbound,
      registry,
      logger,
      snapshot: () => snapshotOf(outbound, overload),
      handOff: async () => {
        stopping = true;
        // Both roles at once: each stops taking connections now and ends its kept-alive ones gracefully.
        await Promise.all([inbound.handOff(), outbound.handOff()]);
        await Promise.all([identity?.close(), meshTls?.close(), overload.close()]);
      },
      terminate: () => {
        if (!stopping) stop('supervisor');
      },
    });
  } else {
    process.on('SIGHUP', () => logger.warn('SIGHUP: hot restart needs the supervisor (set TRELLIS_PROXY_WORKERS); ignored'));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`trellis proxy: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(EXIT_FAILURE);
});
