import { hostname } from 'node:os';
import { ConfigError } from './config/errors';
import { http1ServerKind } from './http1/server-kind';
import { envHelp, inboundHelp, loadInboundConfig } from './config/inbound-config';
import { systemClock } from '@trellis/identity';
import { IDENTITY_ENV, loadIdentityConfig, startIdentity, type ProxyIdentity } from './identity/index';
import { meshTls as meshTlsOf, type MeshTls } from './identity/mesh-tls';
import { startInbound } from './inbound/index';
import { createLogger, type Logger } from './logger';
import { createMetricsRegistry, startMetricsServer } from './metrics-server';
import { loadOutboundConfig, OUTBOUND_ENV, startOutbound } from './outbound/index';

/** Exit code for a bad setting (the operator must fix the environment). */
const EXIT_BAD_CONFIG = 2;
/** Exit code when the proxy cannot start (e.g. a port is taken) or shutdown fails. */
const EXIT_FAILURE = 1;

function help(): string {
  return [
    'trellis proxy: the data plane beside every workload.',
    '',
    inboundHelp(),
    '',
    envHelp('Outbound (Linkerd-style balancing proxy), configured by environment:', OUTBOUND_ENV),
    '',
    envHelp('Identity (a certificate from the identity service; mutual TLS between proxies):', IDENTITY_ENV),
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
  return inbound;
}

/** Waits for the first certificate: as linkerd2-proxy, the proxy serves nothing until it has its identity. */
async function certified(identity: ProxyIdentity, logger: Logger): Promise<MeshTls> {
  logger.info({ identity: identity.name }, 'waiting for a certificate from the identity service');
  const cert = await identity.ready();
  logger.info({ identity: cert.identity, notAfter: cert.notAfter.toISOString() }, 'certified');
  return meshTlsOf(identity, systemClock);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
    process.stdout.write(help());
    return;
  }
  if (args.length > 0) {
    process.stderr.write(`trellis proxy: unexpected argument ${args[0]} (the proxy is configured by environment; see --help)\n`);
    process.exitCode = EXIT_BAD_CONFIG;
    return;
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`trellis proxy: invalid configuration: ${err.message}\n`);
    process.exitCode = EXIT_BAD_CONFIG;
    return;
  }
  const logger = createLogger({ level: process.env.TRELLIS_LOG_LEVEL || undefined });
  const registry = createMetricsRegistry();
  const identity = await startIdentity({ env: process.env, registry, logger });
  const meshTls = identity === undefined ? undefined : await certified(identity, logger);
  const inbound = await startInbound({ config, registry, logger, meshTls });
  const outbound = await startOutbound({ env: process.env, registry, logger, meshTls });
  const metrics = await startMetricsServer({ registry, host: config.host, port: config.metricsPort, logger });
  logger.info({ event: 'listening', host: config.host, ports: { ...inbound.ports, metrics: metrics.port } }, 'listening');

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
      .then(() => Promise.all([metrics.close(), identity?.close(), meshTls?.close()]))
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
}

main().catch((err: unknown) => {
  process.stderr.write(`trellis proxy: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(EXIT_FAILURE);
});
