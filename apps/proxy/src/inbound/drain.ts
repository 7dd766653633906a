/**
 * The longest a SIGTERM drain waits for the quiet period, ms: Knative's `network.DefaultDrainTimeout` (45 s), the
 * time its data-path components keep serving after they start failing readiness probes. Knative has no setting for
 * it, so neither do we. It only bounds a drain that requests keep resetting; `/wait-for-drain` is not bounded.
 */
export const MAX_DRAIN_MS = 45_000;

/**
 * Drain state (Knative's drainer). Serving → Draining, never back. While draining, probes answer 503 so the
 * endpoint is taken out of rotation, but requests still arriving are served, each one restarting the quiet period.
 * `waitForDrain` marks the proxy draining and resolves once `quietPeriodMs` passes with no new request, counted
 * from the start of draining at the earliest. The preStop hook and SIGTERM share that one wait, so a SIGTERM that
 * follows a preStop finds the drain done.
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

  /** `waitForDrain`, given up after `maxMs` (requests never stopped): says which came first. */
  async waitForDrainWithin(maxMs: number): Promise<'quiet' | 'deadline'> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(resolve, maxMs, 'deadline')));
    try {
      return await Promise.race([this.waitForDrain().then(() => 'quiet' as const), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private check(resolve: () => void): void {
    const quietFor = this.now() - Math.max(this.lastRequestMs, this.drainingSince ?? 0);
    const remaining = this.quietPeriodMs - quietFor;
    if (remaining <= 0) resolve();
    else setTimeout(() => this.check(resolve), Math.ceil(remaining)).unref();
  }
}
