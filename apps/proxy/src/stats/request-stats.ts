/**
 * Knative's request statistics (knative.dev/serving pkg/network RequestStats), pure: the caller passes
 * the time of every event. Concurrency is integrated over time between events, so a report gives the
 * time-weighted average number of requests in flight since the previous report, plus how many requests
 * arrived. Requests proxied by the activator count in both the plain and the proxied figures.
 */
export interface RequestStatsReport {
  readonly averageConcurrency: number;
  readonly averageProxiedConcurrency: number;
  readonly requestCount: number;
  readonly proxiedRequestCount: number;
}

export class RequestStats {
  // Current state: kept across reports.
  private concurrency = 0;
  private proxiedConcurrency = 0;
  private lastChangeMs: number;
  // Window state: reset by every report.
  private concurrencySeconds = 0;
  private proxiedConcurrencySeconds = 0;
  private requests = 0;
  private proxiedRequests = 0;
  private secondsInUse = 0;

  constructor(nowMs: number) {
    this.lastChangeMs = nowMs;
  }

  get inFlight(): number {
    return this.concurrency;
  }

  requestIn(nowMs: number, proxied: boolean): void {
    this.integrate(nowMs);
    this.concurrency++;
    this.requests++;
    if (proxied) {
      this.proxiedConcurrency++;
      this.proxiedRequests++;
    }
  }

  requestOut(nowMs: number, proxied: boolean): void {
    this.integrate(nowMs);
    this.concurrency--;
    if (proxied) this.proxiedConcurrency--;
  }

  /** Closes the current window and starts the next one. */
  report(nowMs: number): RequestStatsReport {
    this.integrate(nowMs);
    const seconds = this.secondsInUse;
    const report: RequestStatsReport = {
      averageConcurrency: seconds > 0 ? this.concurrencySeconds / seconds : 0,
      averageProxiedConcurrency: seconds > 0 ? this.proxiedConcurrencySeconds / seconds : 0,
      requestCount: this.requests,
      proxiedRequestCount: this.proxiedRequests,
    };
    this.concurrencySeconds = 0;
    this.proxiedConcurrencySeconds = 0;
    this.requests = 0;
    this.proxiedRequests = 0;
    this.secondsInUse = 0;
    return report;
  }

  private integrate(nowMs: number): void {
    const elapsedMs = nowMs - this.lastChangeMs;
    if (elapsedMs <= 0) return;
    const seconds = elapsedMs / 1000;
    this.secondsInUse += seconds;
    this.concurrencySeconds += this.concurrency * seconds;
    this.proxiedConcurrencySeconds += this.proxiedConcurrency * seconds;
    this.lastChangeMs = nowMs;
  }
}
