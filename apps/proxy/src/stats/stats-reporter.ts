import { Stat } from '@trellis/proto';
import type { RequestStats, RequestStatsReport } from './request-stats';

/** Knative queue-proxy reports its statistics every second. */
export const REPORTING_PERIOD_MS = 1_000;

/**
 * Turns one window of request statistics into Knative's Stat: averages as they are, counts as
 * per-second rates over the window's length.
 */
export function toStat(
  report: RequestStatsReport,
  window: { seconds: number; podName: string; uptimeSeconds: number; unixSeconds: number },
): Stat {
  const seconds = window.seconds > 0 ? window.seconds : 1;
  return {
    podName: window.podName,
    averageConcurrentRequests: report.averageConcurrency,
    averageProxiedConcurrentRequests: report.averageProxiedConcurrency,
    requestCount: report.requestCount / seconds,
    proxiedRequestCount: report.proxiedRequestCount / seconds,
    processUptime: window.uptimeSeconds,
    timestamp: String(Math.floor(window.unixSeconds)),
  };
}

/** Closes a statistics window every second and keeps the latest Stat for scrapers. */
export class StatsReporter {
  private latestStat: Stat;
  private lastReportMs: number;
  private readonly startedMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stats: RequestStats,
    private readonly podName: string,
    private readonly now: () => number,
    private readonly wallClockMs: () => number = Date.now,
  ) {
    this.startedMs = now();
    this.lastReportMs = this.startedMs;
    this.latestStat = toStat(stats.report(this.startedMs), this.window(this.startedMs, 0));
  }

  get latest(): Stat {
    return this.latestStat;
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), REPORTING_PERIOD_MS);
    this.timer.unref();
  }

  tick(): Stat {
    const nowMs = this.now();
    const report = this.stats.report(nowMs);
    this.latestStat = toStat(report, this.window(nowMs, (nowMs - this.lastReportMs) / 1000));
    this.lastReportMs = nowMs;
    return this.latestStat;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private window(nowMs: number, seconds: number) {
    return {
      seconds,
      podName: this.podName,
      uptimeSeconds: (nowMs - this.startedMs) / 1000,
      unixSeconds: this.wallClockMs() / 1000,
    };
  }
}
