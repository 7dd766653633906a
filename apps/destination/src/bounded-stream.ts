import { DestinationError } from './errors';
import { toGrpcStatus } from './grpc-status';

/** The part of a grpc-js ServerWritableStream a bounded stream uses (a fake in tests is a few lines). */
export interface WritableCall<T> {
  write(message: T): boolean;
  end(): void;
  emit(event: 'error', err: { code: number; details: string }): boolean;
  once(event: 'drain', listener: () => void): unknown;
  on(event: 'cancelled' | 'close', listener: () => void): unknown;
}

export interface BoundedStreamOptions {
  /** Messages held while the call is not writable; one more closes the stream. */
  limit: number;
  onOverflow?(): void;
  onSent?(message: unknown): void;
  /** Called once when the stream ends for any reason (client gone, overflow, shutdown). */
  onClose?(): void;
}

/**
 * A server stream with a bounded backlog. States: open (writing through), waiting (call.write returned
 * false: messages queue until 'drain'), closed. A backlog past the limit closes the stream with
 * RESOURCE_EXHAUSTED; the watcher that feeds it never waits.
 */
export class BoundedStream<T> {
  private readonly queue: T[] = [];
  private waiting = false;
  private closed = false;

  constructor(
    private readonly call: WritableCall<T>,
    private readonly options: BoundedStreamOptions,
  ) {
    call.on('cancelled', () => this.finish());
    call.on('close', () => this.finish());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send(message: T): void {
    if (this.closed) return;
    this.queue.push(message);
    if (this.queue.length > this.options.limit) {
      this.fail(new DestinationError('DST_STREAM_OVERFLOW', `stream fell more than ${this.options.limit} messages behind; reconnect`));
      return;
    }
    this.flush();
  }

  /** Ends the stream with OK (shutdown). Idempotent. */
  end(): void {
    if (this.closed) return;
    this.finish();
    this.call.end();
  }

  /** Ends the stream with the status of `err`. Idempotent. */
  fail(err: unknown): void {
    if (this.closed) return;
    if (err instanceof DestinationError && err.code === 'DST_STREAM_OVERFLOW') this.options.onOverflow?.();
    this.finish();
    this.call.emit('error', toGrpcStatus(err));
  }

  private flush(): void {
    while (!this.waiting && !this.closed && this.queue.length > 0) {
      const message = this.queue.shift() as T;
      this.options.onSent?.(message);
      if (!this.call.write(message)) {
        this.waiting = true;
        this.call.once('drain', () => {
          this.waiting = false;
          this.flush();
        });
      }
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.options.onClose?.();
  }
}
