import { createBalancer, type Balancer, type Clock, type Endpoint, type Random, type RequestHandle } from '@trellis/balance';
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
}

export interface EndpointSetOptions {
  authority: string;
  resolution$: Observable<Resolution>;
  clock: Clock;
  random: Random;
  metrics: ClientMetrics;
  newPool(origin: string): Dispatcher;
}

type State = 'pending' | 'not-found' | 'endpoints';

/**
 * One backend authority: its endpoints as the destination streams them, one undici Pool each, and
 * a P2C peak-EWMA balancer over them (linkerd2-proxy's default). States: pending (no resolution
 * yet) -> endpoints | not-found, following every resolution. A removed endpoint leaves the
 * balancer at once; its pool closes once its requests in flight are done.
 */
export class EndpointSet {
  private state: State = 'pending';
  private readonly entries = new Map<string, EndpointEntry>();
  private readonly balancer: Balancer<EndpointEntry>;
  private readonly subscription: Subscription;
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly opts: EndpointSetOptions) {
    this.balancer = createBalancer<EndpointEntry>('peak-ewma', { clock: opts.clock, random: opts.random });
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
    return { entry: picked.endpoint.value, handle: this.balancer.start(picked.endpoint.id) };
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
      added.push({ id, weight: endpoint.weight, value: entry });
    }
    if (removed.length > 0) this.balancer.update({ type: 'remove', ids: removed });
    if (added.length > 0) this.balancer.update({ type: 'add', endpoints: added });
    if (this.isReady()) for (const wake of this.waiters.splice(0)) wake();
  }
}
