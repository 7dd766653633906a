import type { Logger } from 'pino';

// client-go leaderelection defaults (LeaseDuration 15 s, RenewDeadline 10 s, RetryPeriod 2 s).
export const LEASE_DURATION_MS = 15_000;
export const RENEW_DEADLINE_MS = 10_000;
export const RETRY_PERIOD_MS = 2_000;

/** The fields of a coordination.k8s.io/v1 Lease that election uses. */
export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTimeMs: number;
  renewTimeMs: number;
  leaseTransitions: number;
}

export interface StoredLease {
  record: LeaseRecord;
  resourceVersion: string;
}

/** Where the Lease lives: the API server (kubernetes-lease-store.ts) or memory (tests). */
export interface LeaseStore {
  get(): Promise<StoredLease | undefined>;
  /** Fails (returns false) when the Lease already exists. */
  create(record: LeaseRecord): Promise<boolean>;
  /** Optimistic update: fails (returns false) when the resourceVersion is stale. */
  update(record: LeaseRecord, resourceVersion: string): Promise<boolean>;
}

export interface LeaderElectorOptions {
  store: LeaseStore;
  identity: string;
  logger: Logger;
  clock?: () => number;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onChange?: (leader: boolean) => void;
}

/**
 * Lease-based leader election as client-go's: every retry period, try to acquire or renew the Lease. Another
 * holder's Lease counts as expired when its record has not changed for a lease duration on OUR clock (no clock
 * skew assumed between replicas). We are leader while our last successful renewal is younger than the renew
 * deadline; a conflict (someone else wrote first) is a failed round.
 */
export class LeaderElector {
  private readonly o: Required<Omit<LeaderElectorOptions, 'onChange'>> & Pick<LeaderElectorOptions, 'onChange'>;
  private lastRenewMs = -Infinity;
  private observed: { key: string; atMs: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private wasLeader = false;
  private closed = false;

  constructor(options: LeaderElectorOptions) {
    this.o = {
      clock: Date.now,
      leaseDurationMs: LEASE_DURATION_MS,
      renewDeadlineMs: RENEW_DEADLINE_MS,
      retryPeriodMs: RETRY_PERIOD_MS,
      ...options,
    };
  }

  isLeader(): boolean {
    return !this.closed && this.o.clock() - this.lastRenewMs < this.o.renewDeadlineMs;
  }

  start(): void {
    if (this.timer !== undefined || this.closed) return;
    const round = () => {
      this.running ??= this.tryAcquireOrRenew()
        .then(() => undefined)
        .finally(() => {
          this.running = undefined;
        });
    };
    round();
    this.timer = setInterval(round, this.o.retryPeriodMs);
  }

  /** One election round; resolves to whether we hold the Lease afterwards. Never rejects. */
  async tryAcquireOrRenew(): Promise<boolean> {
    try {
      const ok = await this.round();
      if (ok) this.lastRenewMs = this.o.clock();
    } catch (err) {
      this.o.logger.warn({ err }, 'lease round failed');
    }
    this.notify();
    return this.isLeader();
  }

  /** Idempotent: stops renewing and gives the Lease up if we hold it, so another replica takes over at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    const held = this.isLeader();
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.running;
    if (held) await this.release();
    this.notify();
  }

  private async round(): Promise<boolean> {
    const now = this.o.clock();
    const current = await this.o.store.get();
    const fresh = (acquire: boolean, transitions: number): LeaseRecord => ({
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
      acquireTimeMs: acquire ? now : (current?.record.acquireTimeMs ?? now),
      renewTimeMs: now,
      leaseTransitions: transitions,
    });
    if (current === undefined) return this.o.store.create(fresh(true, 0));
    const r = current.record;
    const key = `${r.holderIdentity}@${r.renewTimeMs}`;
    if (this.observed?.key !== key) this.observed = { key, atMs: now };
    const mine = r.holderIdentity === this.o.identity;
    const expired = r.holderIdentity === '' || now - this.observed.atMs >= r.leaseDurationSeconds * 1000;
    if (!mine && !expired) return false;
    const next = mine ? fresh(false, r.leaseTransitions) : fresh(true, r.leaseTransitions + 1);
    return this.o.store.update(next, current.resourceVersion);
  }

  private async release(): Promise<void> {
    try {
      const current = await this.o.store.get();
      if (current?.record.holderIdentity !== this.o.identity) return;
      await this.o.store.update({ ...current.record, holderIdentity: '', leaseDurationSeconds: 1, renewTimeMs: this.o.clock() }, current.resourceVersion);
    } catch (err) {
      this.o.logger.warn({ err }, 'could not release the lease');
    }
  }

  private notify(): void {
    const leader = this.isLeader();
    if (leader === this.wasLeader) return;
    this.wasLeader = leader;
    this.o.logger.info({ identity: this.o.identity, leader }, leader ? 'became leader' : 'lost leadership');
    this.o.onChange?.(leader);
  }
}

/** An in-process LeaseStore with the API server's optimistic concurrency (for tests and single-process use). */
export function createMemoryLeaseStore(): LeaseStore {
  let stored: StoredLease | undefined;
  let version = 0;
  return {
    async get() {
      return stored === undefined ? undefined : { record: { ...stored.record }, resourceVersion: stored.resourceVersion };
    },
    async create(record) {
      if (stored !== undefined) return false;
      stored = { record: { ...record }, resourceVersion: String(++version) };
      return true;
    },
    async update(record, resourceVersion) {
      if (stored === undefined || stored.resourceVersion !== resourceVersion) return false;
      stored = { record: { ...record }, resourceVersion: String(++version) };
      return true;
    },
  };
}
