/**
 * Drain state (Knative's drainer). Serving → Draining, never back. While draining, probes answer 503
 * so the endpoint is taken out of rotation, but requests still arriving are served.
 * `waitForDrain` marks the proxy draining and resolves once `quietPeriodMs` passes with no new request.
 */
export class Drain {
  private lastRequestMs: number;
  private drainingSince: number | undefined;
  private waiting: Promise<void> | undefined;

  constructor(
    private readonly quietPeriodMs: number,
    private readonly now: () => number,
  ) {
    this.lastRequestMs = now();
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  requestSeen(): void {
    this.lastRequestMs = this.now();
  }

  start(): void {
    this.drainingSince ??= this.now();
  }

  waitForDrain(): Promise<void> {
    this.start();
    return (this.waiting ??= new Promise((resolve) => this.check(resolve)));
  }

  private check(resolve: () => void): void {
    const quietFor = this.now() - Math.max(this.lastRequestMs, this.drainingSince ?? 0);
    const remaining = this.quietPeriodMs - quietFor;
    if (remaining <= 0) resolve();
    else setTimeout(() => this.check(resolve), Math.ceil(remaining)).unref();
  }
}
