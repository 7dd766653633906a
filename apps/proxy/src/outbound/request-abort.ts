import { EventEmitter } from 'node:events';

/**
 * The abort signal of one request: an EventEmitter, which undici accepts as a signal. An
 * AbortController would cost an AbortSignal (and a DOMException when aborted) per request.
 * Aborted once, when the client goes away or the route times out; `reason` says which.
 */
export class RequestAbort extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }
}
