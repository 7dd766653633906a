import type { ServiceStatus } from '../runner/runner';
import type { TrafficRates } from './service-traffic';

function percent(rate: number | undefined): string {
  return rate === undefined ? '     -' : `${(100 * rate).toFixed(1)}%`;
}

function latency(ms: number | undefined): string {
  if (ms === undefined) return '     -';
  return ms === Infinity ? '  >max' : `${ms} ms`;
}

/**
 * One line per Service: replicas ready/desired; the outbound proxy's requests to it as the client saw them (rate,
 * success, p99); and the attempts it sent to the Service's endpoints, retries included (rate, success).
 */
export function statusLines(services: readonly ServiceStatus[], traffic: ReadonlyMap<string, TrafficRates>): string[] {
  const width = Math.max(8, ...services.map((s) => s.service.length));
  return services.map((s) => {
    const t = traffic.get(s.service);
    const rps = (t?.rps ?? 0).toFixed(1).padStart(7);
    const attempts = (t?.attemptsPerSecond ?? 0).toFixed(1).padStart(7);
    return `  ${s.service.padEnd(width)}  replicas ${`${s.ready}/${s.desired}`.padStart(5)}  rps ${rps}  success ${percent(t?.successRate).padStart(6)}  p99 ${latency(t?.p99Ms).padStart(8)}  attempts/s ${attempts} ${percent(t?.attemptSuccessRate).padStart(6)}`;
  });
}
