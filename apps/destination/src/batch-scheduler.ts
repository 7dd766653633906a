/**
 * Collects keys and runs `flush` once per burst, on the next setImmediate turn: every source event of
 * one I/O callback (an fs rescan, a watch chunk) lands in one batch, so a service is recomputed and
 * diffed once per burst rather than once per event.
 */
export class BatchScheduler<K> {
  private readonly pending = new Set<K>();
  private handle: NodeJS.Immediate | undefined;
  private closed = false;

  constructor(private readonly flush: (keys: ReadonlySet<K>) => void) {}

  mark(key: K): void {
    if (this.closed) return;
    this.pending.add(key);
    this.handle ??= setImmediate(() => this.run());
  }

  close(): void {
    this.closed = true;
    if (this.handle) clearImmediate(this.handle);
    this.handle = undefined;
    this.pending.clear();
  }

  private run(): void {
    this.handle = undefined;
    const keys = new Set(this.pending);
    this.pending.clear();
    this.flush(keys);
  }
}
