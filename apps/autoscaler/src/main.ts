import pino from 'pino';
import { startAutoscaler } from './app';
import { AutoscalerError } from './errors';
import { parseFlags, USAGE } from './flags';

/** Exit code for a bad command line. */
const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let flags;
  try {
    flags = parseFlags(argv, process.env);
  } catch (err) {
    process.stderr.write(`${err instanceof AutoscalerError ? err.message : String(err)}\n`);
    process.exit(EXIT_USAGE);
  }
  const logger = pino({ level: flags.logLevel, base: { component: 'autoscaler' } });
  let running;
  try {
    running = await startAutoscaler(flags, logger);
  } catch (err) {
    logger.fatal({ err }, 'cannot start');
    process.exit(EXIT_FAILURE);
  }
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'unclean shutdown');
        process.exit(EXIT_FAILURE);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

void main();
