import { createSource } from '@trellis/kube';
import { pino } from 'pino';
import { parseCli } from './cli';
import { startDestination } from './destination';

// Exit code for a bad command line (sysexits' EX_USAGE is 64; 2 is what parseArgs-style CLIs use).
const EXIT_BAD_FLAG = 2;
const EXIT_FAILED = 1;

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseCli(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`destination: ${(err as Error).message}\n`);
    process.exit(EXIT_BAD_FLAG);
  }
  if (parsed.kind === 'help') {
    process.stdout.write(parsed.text);
    return;
  }
  const options = parsed.options;
  const logger = pino({ level: options.logLevel, base: { component: 'destination' } });
  const source = createSource(options.source, { logger: logger.child({ module: 'source' }) });
  const running = await startDestination({
    source,
    logger,
    host: options.listenHost,
    grpcPort: options.grpcPort,
    policyPort: options.policyPort,
    adminPort: options.adminPort,
    clusterDomain: options.clusterDomain,
    ...(options.identityTrustDomain === undefined ? {} : { identityTrustDomain: options.identityTrustDomain }),
    streamQueueLimit: options.streamQueueLimit,
    writeRouteStatus: options.writeRouteStatus,
    dashboard: { autoscaler: options.dashboardAutoscaler, extraMetrics: options.dashboardMetrics },
    defaultInboundPolicy: options.defaultInboundPolicy,
    clusterNetworks: options.clusterNetworks,
  }).catch(async (err: unknown) => {
    logger.fatal({ err }, 'cannot start');
    await source.close();
    process.exit(EXIT_FAILED);
  });
  logger.info({ grpcPort: running.grpcPort, policyPort: running.policyPort, adminPort: running.adminPort, source: options.source }, 'listening');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    void running
      .close()
      .then(() => source.close())
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
