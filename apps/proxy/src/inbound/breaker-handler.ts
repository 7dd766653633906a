import type { Breaker } from './breaker';
import { QueueFullError } from './errors';
import type { Exchange, Middleware } from './exchange';

const QUEUE_FULL = new QueueFullError();

/**
 * Applies the concurrency breaker (CONTAINER_CONCURRENCY > 0): admitted requests go on at once,
 * queued ones when a running request ends, the rest get 503 at once. A queued request whose client
 * leaves or whose timeout fires leaves the queue through its cancel function.
 */
export function breakerHandler(breaker: Breaker<Exchange>): Middleware {
  return (next) => {
    const release = (): void => {
      const admitted = breaker.release();
      if (admitted) start(admitted);
    };
    const start = (ex: Exchange): void => {
      ex.setCancel(undefined);
      ex.onEnd(release);
      next(ex);
    };
    return (ex) => {
      switch (breaker.acquire(ex)) {
        case 'run':
          start(ex);
          return;
        case 'queued':
          ex.setCancel(() => breaker.cancel(ex));
          return;
        case 'rejected':
          ex.fail(QUEUE_FULL);
      }
    };
  };
}
