import type { Logger } from '../logger';

/** Exit code when the shutdown fails. */
const EXIT_FAILURE = 1;

/**
 * The supervisor's signals: SIGHUP hot-restarts (Envoy's hot-restarter forwards it the same way); SIGTERM and
 * SIGINT drain the workers and exit 0 (a second one cuts the drains short).
 */
export function onSignals(logger: Logger, actions: { hangUp(): void; stop(): Promise<void> }): void {
  process.on('SIGHUP', () => actions.hangUp());
  const stop = (signal: string) => {
    logger.info({ signal }, 'draining the workers');
    actions.stop().then(
      () => {
        logger.info('workers drained; exiting');
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
