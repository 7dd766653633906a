/**
 * The abort signal of one request, aborted once: when the client goes away or the route times
 * out; `reason` says which. Not an AbortController (an AbortSignal per request, a DOMException
 * when aborted) nor an EventEmitter: a request has at most two listeners at a time (the wait for
 * an endpoint, then the upstream attempt), so a short array is all it needs.
 */
export class RequestAbort {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] = [];

  /** Calls `listener` once on abort; the returned function removes it. */
  subscribe(listener: () => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = [];
    for (const l of listeners) l();
  }
}
