/**
 * Peak-EWMA round-trip-time estimate, after tower's `load::peak_ewma::RttEstimate` as used by
 * linkerd2-proxy.
 *
 * The estimate decays towards zero with time constant `decayMs`: read at time t it is
 * `rttMs * exp(-(t - updatedAt) / decayMs)` (tower's `load()` decays it the same way, as an
 * update with a zero sample). A sample above the decayed estimate replaces it at once (the
 * peak); a lower sample leaves the decayed estimate as it is, which is what tower computes when
 * the endpoint's load was read just before the response arrived, as it is under traffic.
 * Reading never mutates, so pick() stays free of side effects on the estimate.
 */
export class RttEstimate {
  /** The estimate as of `updatedAt`; read it through at(). */
  rttMs: number;
  updatedAt: number;
  readonly decayMs: number;

  constructor(initialRttMs: number, now: number, decayMs: number) {
    this.rttMs = initialRttMs;
    this.updatedAt = now;
    this.decayMs = decayMs;
  }

  /** The estimate at time `now` (>= the last update). */
  at(now: number): number {
    const elapsed = now - this.updatedAt;
    return elapsed > 0 ? this.rttMs * Math.exp(-elapsed / this.decayMs) : this.rttMs;
  }

  observe(sampleMs: number, now: number): void {
    const decayed = this.at(now);
    this.rttMs = sampleMs > decayed ? sampleMs : decayed;
    if (now > this.updatedAt) this.updatedAt = now;
  }
}
