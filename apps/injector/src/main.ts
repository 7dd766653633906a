import { readFileSync } from 'node:fs';
import pino from 'pino';
import { InjectorError } from './errors';
import { parseFlags, USAGE } from './flags';
import { startWebhookServer } from './webhook-server';

const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new InjectorError('INJECTOR_BAD_TLS', `injector: cannot read the TLS ${what} ${file}: ${(err as Error).message}`, { cause: err });
  }
}

async function main(): Promise<void> {
  let flags;
  try {
    flags = parseFlags(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof InjectorError ? err.message : String(err)}\n`);
    process.exit(EXIT_USAGE);
  }
  if (flags === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const logger = pino({ level: flags.logLevel, base: { component: 'injector' } });
  let server;
  try {
    server = await startWebhookServer({
      host: flags.host,
      port: flags.port,
      cert: readPem(flags.tlsCert, 'certificate'),
      key: readPem(flags.tlsKey, 'key'),
      inject: {
        mode: flags.mode,
        ...(flags.image ? { image: flags.image } : {}),
        ...(flags.destinationAddr ? { destinationAddr: flags.destinationAddr } : {}),
        ...(flags.autoscalerAddr ? { autoscalerAddr: flags.autoscalerAddr } : {}),
        ...(flags.identityAddr ? { identityAddr: flags.identityAddr } : {}),
      },
      logger,
    });
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(EXIT_FAILURE);
  }
  logger.info({ host: flags.host, port: server.port, sidecar: flags.mode }, 'listening');
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

void main();
