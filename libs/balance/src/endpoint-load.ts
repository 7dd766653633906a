import { RttEstimate } from './rtt-estimate';
import type { Clock, RequestHandle } from './types';

/**
 * Per-endpoint load (one flat object: the RTT estimate's fields and the counters, so that a
 * pick reads one object per candidate) shared by every picker snapshot that holds the endpoint, and by the
 * handles of requests in flight to it (which keep it alive after the endpoint is removed).
 * `pending` counts requests until their first byte (linkerd2-proxy's PendingUntilFirstData);
 * `active` counts them until they end (Envoy's active requests).
 */
export class EndpointLoad extends RttEstimate {
  pending = 0;
  active = 0;

  /** Peak-EWMA cost: RTT estimate x (pending + 1). */
  cost(now: number): number {
    return this.at(now) * (this.pending + 1);
  }
}

const SENT = 0;
const FIRST_BYTE = 1;
const ENDED = 2;

/** State machine: SENT -> FIRST_BYTE -> ENDED, or SENT -> ENDED; repeated calls do nothing. */
export class LoadHandle implements RequestHandle {
  private state = SENT;
  private startedAt: number;

  constructor(
    private readonly load: EndpointLoad,
    private readonly clock: Clock,
  ) {
    this.startedAt = clock.now();
    load.pending += 1;
    load.active += 1;
  }

  connected(): void {
    if (this.state === SENT) this.startedAt = this.clock.now();
  }

  firstByte(): void {
    if (this.state !== SENT) return;
    this.state = FIRST_BYTE;
    this.settle();
  }

  end(): void {
    if (this.state === ENDED) return;
    if (this.state === SENT) this.settle();
    this.state = ENDED;
    this.load.active -= 1;
  }

  private settle(): void {
    const now = this.clock.now();
    this.load.pending -= 1;
    this.load.observe(Math.max(0, now - this.startedAt), now);
  }
}
