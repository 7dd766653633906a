import { randomBytes } from 'node:crypto';
import { systemClock } from '@trellis/identity';
import { pino } from 'pino';
import { parseCli } from './cli';
import { startIdentityService } from './identity-service';
import { createValidator, loadIssuerFromFiles } from './load-config';

// Exit code for a bad command line or an unusable file it names (2 is what parseArgs-style CLIs use).
const EXIT_BAD_FLAG = 2;
const EXIT_FAILED = 1;

function fail(message: string, code: number): never {
  process.stderr.write(`identity: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseCli(process.argv.slice(2));
  } catch (err) {
    fail((err as Error).message, EXIT_BAD_FLAG);
  }
  if (parsed.kind === 'help') {
    process.stdout.write(parsed.text);
    return;
  }
  const options = parsed.options;
  const logger = pino({ level: options.logLevel, base: { component: 'identity' } });
  let issuer;
  let validator;
  try {
    issuer = await loadIssuerFromFiles(options, systemClock.now());
    validator = await createValidator(options);
  } catch (err) {
    fail((err as Error).message, EXIT_BAD_FLAG);
  }
  const running = await startIdentityService({
    issuer,
    validator,
    trustDomain: options.trustDomain,
    serviceIdentity: options.serviceIdentity,
    leaf: { lifetimeMs: options.certificateLifetimeMs, clockSkewAllowanceMs: options.clockSkewAllowanceMs },
    clock: systemClock,
    random: (n) => randomBytes(n),
    logger,
    host: options.listenHost,
    grpcPort: options.grpcPort,
    adminPort: options.adminPort,
  }).catch((err: unknown) => {
    logger.fatal({ err }, 'cannot start');
    process.exit(EXIT_FAILED);
  });
  logger.info(
    {
      grpcPort: running.grpcPort,
      adminPort: running.adminPort,
      trustDomain: options.trustDomain,
      serviceIdentity: options.serviceIdentity,
      tokenValidator: validator.kind,
      issuer: issuer.certificate.subject,
      issuerExpires: issuer.certificate.validTo,
    },
    'listening',
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    void running.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
