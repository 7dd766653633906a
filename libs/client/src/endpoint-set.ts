import { OutlierDetector, createBalancer, type Balancer, type Clock, type Ejection, type Endpoint, type Random, type RequestHandle } from '@trellis/balance';
import type { ResolvedEndpoint, Resolution } from '@trellis/discovery';
import type { Observable, Subscription } from 'rxjs';
import type { Dispatcher } from 'undici';
import { ClientError } from './errors';
import type { ClientMetrics, EndpointSeries } from './metrics';

/** One endpoint: its connection pool and metric series. */
export interface EndpointEntry {
  endpoint: ResolvedEndpoint;
  pool: Dispatcher;
  series: EndpointSeries;
}

export interface PickedEndpoint {
  entry: EndpointEntry;
  handle: RequestHandle;
  /** The attempt's outcome, for outlier detection: a response status, or a connection that failed. */
  outcome(result: number | 'connect-failed'): void;
}

export interface EndpointSetOptions {
  authority: string;
  resolution$: Observable<Resolution>;
  clock: Clock;
  random: Random;
  metrics: ClientMetrics;
  newPool(origin: string): Dispatcher;
  onEjection(reason: string): void;
}

type State = 'pending' | 'not-found' | 'endpoints';

/**
 * One backend authority: its endpoints as the destination streams them, one undici Pool each, and
 * a P2C peak-EWMA balancer over them (linkerd2-proxy's default). States: pending (no resolution
 * yet) -> endpoints | not-found, following every resolution. A removed endpoint leaves the
 * balancer at once; its pool closes once its requests in flight are done.
 *
 * Outlier detection as the proxy's (Envoy's defaults: 5 consecutive 5xx eject for 30 s, x the
 * times ejected): peak-EWMA alone favours an endpoint that fails fast, and retries would follow it.
 * An ejected endpoint is out of the balancer until its time is up; one timer brings it back.
 */
export class EndpointSet {
  private state: State = 'pending';
  private readonly entries = new Map<string, EndpointEntry>();
  private readonly balancer: Balancer<EndpointEntry>;
  private readonly subscription: Subscription;
  private waiters: (() => void)[] = [];
  private readonly outlier: OutlierDetector;
  /** Ejected endpoints and the clock's ms when they come back. */
  private readonly ejected = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: EndpointSetOptions) {
    this.balancer = createBalancer<EndpointEntry>('peak-ewma', { clock: opts.clock, random: opts.random });
    this.outlier = new OutlierDetector({ clock: opts.clock });
    this.subscription = opts.resolution$.subscribe({ next: (r) => this.onResolution(r) });
  }

  get authority(): string {
    return this.opts.authority;
  }

  size(): number {
    return this.balancer.size();
  }

  notFound(): boolean {
    return this.state === 'not-found';
  }

  /** A picked endpoint, with the balancer's handle started; null when there is none to pick. */
  pick(): PickedEndpoint | null {
    const picked = this.balancer.picker.pick();
    if (picked.kind !== 'picked') return null;
    const id = picked.endpoint.id;
    return {
      entry: picked.endpoint.value,
      handle: this.balancer.start(id),
      outcome: (result) => this.eject(result === 'connect-failed' ? this.outlier.recordConnectFailure(id) : this.outlier.recordStatus(id, result)),
    };
  }

  /**
   * Waits until an endpoint can be picked or the service is known not to exist; rejects with
   * FAIL_FAST after `failFastMs` (linkerd2-proxy's fail-fast).
   */
  ready(failFastMs: number): Promise<void> {
    if (this.closed) return Promise.reject(new ClientError('CLOSED', 'the agent is closed'));
    if (this.isReady()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(new ClientError('FAIL_FAST', `${this.opts.authority} has no endpoint to pick after ${failFastMs} ms`));
      }, failFastMs);
      this.waiters.push(done);
    });
  }

  /** Idempotent: stops following the resolution and closes every pool after its requests finish. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.subscription.unsubscribe();
    this.balancer.close();
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(entries.map((e) => e.pool.close()));
  }

  private isReady(): boolean {
    return this.state === 'not-found' || this.balancer.size() > 0;
  }

  private onResolution(r: Resolution): void {
    if (this.closed) return;
    this.state = r.kind;
    const next = r.kind === 'endpoints' ? r.endpoints : new Map<string, ResolvedEndpoint>();
    const removed: string[] = [];
    for (const [id, entry] of this.entries) {
      if (next.has(id)) continue;
      this.entries.delete(id);
      this.ejected.delete(id);
      removed.push(id);
      void entry.pool.close();
    }
    const added: Endpoint<EndpointEntry>[] = [];
    for (const [id, endpoint] of next) {
      const known = this.entries.get(id);
      if (known !== undefined && known.endpoint.weight === endpoint.weight) continue;
      const entry = known ?? {
        endpoint,
        pool: this.opts.newPool(`http://${id}`),
        series: this.opts.metrics.endpoint(this.opts.authority, endpoint.labels),
      };
      entry.endpoint = endpoint;
      this.entries.set(id, entry);
      if (!this.ejected.has(id)) added.push({ id, weight: endpoint.weight, value: entry });
    }
    if (removed.length > 0) this.balancer.update({ type: 'remove', ids: removed });
    if (added.length > 0) this.balancer.update({ type: 'add', endpoints: added });
    this.outlier.setEndpoints(this.entries.keys());
    this.wakeIfReady();
  }

  private wakeIfReady(): void {
    if (this.isReady()) for (const wake of this.waiters.splice(0)) wake();
  }

  private eject(ejection: Ejection | null): void {
    if (ejection === null || this.closed || !this.entries.has(ejection.id)) return;
    this.opts.onEjection(ejection.reason);
    if (!this.ejected.has(ejection.id)) this.balancer.update({ type: 'remove', ids: [ejection.id] });
    this.ejected.set(ejection.id, ejection.untilMs);
    this.armTimer();
  }

  private bringBack(): void {
    const now = this.opts.clock.now();
    const back: Endpoint<EndpointEntry>[] = [];
    for (const [id, untilMs] of this.ejected) {
      if (untilMs > now) continue;
      this.ejected.delete(id);
      const entry = this.entries.get(id);
      if (entry !== undefined) back.push({ id, weight: entry.endpoint.weight, value: entry });
    }
    if (back.length > 0) this.balancer.update({ type: 'add', endpoints: back });
    this.armTimer();
    this.wakeIfReady();
  }

  private armTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed || this.ejected.size === 0) return;
    const earliest = Math.min(...this.ejected.values());
    this.timer = setTimeout(() => this.bringBack(), Math.max(1, Math.ceil(earliest - this.opts.clock.now())));
    this.timer.unref();
  }
}
