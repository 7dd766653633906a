import { credentials } from '@grpc/grpc-js';
import { ExponentialBackoff, type Random } from '@trellis/balance';
import { Discovery } from '@trellis/discovery';
import { DestinationClient } from '@trellis/proto';
import type { Logger } from 'pino';
import { DESTINATION_CONNECT_TIMEOUT_MS } from './defaults';


/**
 * mesh: the destination service answered; authorities resolve through Get/GetProfile (streams
 * reconnect with backoff and keep their last value while down).
 * dns: it was unreachable at start; requests go straight to the host through DNS while the
 * connection is retried with backoff (linkerd2-proxy's 100 ms -> 5 s); the first success turns
 * the client to mesh for good, since from then on the discovery streams ride out any outage.
 */
export type DestinationMode = 'connecting' | 'mesh' | 'dns' | 'closed';

export interface DestinationOptions {
  address: string;
  contextToken: string;
  random: Random;
  logger: Logger;
  connectTimeoutMs?: number;
}

export class DestinationConnection {
  readonly discovery: Discovery;
  private readonly client: DestinationClient;
  private readonly backoff: ExponentialBackoff;
  private readonly connectTimeoutMs: number;
  private timer: NodeJS.Timeout | undefined;
  private state: DestinationMode = 'connecting';
  /** Resolves once the first connection attempt has decided between mesh and dns. */
  readonly started: Promise<void>;

  constructor(private readonly opts: DestinationOptions) {
    this.client = new DestinationClient(opts.address, credentials.createInsecure());
    // Subscriptions here live until close(), so a stream nobody follows any more ends at once.
    this.discovery = new Discovery({ api: this.client, contextToken: opts.contextToken, random: opts.random, logger: opts.logger, idleTeardownMs: 0 });
    this.backoff = new ExponentialBackoff({ random: opts.random });
    this.connectTimeoutMs = opts.connectTimeoutMs ?? DESTINATION_CONNECT_TIMEOUT_MS;
    this.started = this.attempt();
  }

  get mode(): DestinationMode {
    return this.state;
  }

  /** Idempotent: stops retrying and closes the channel (which ends every discovery stream). */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.timer);
    this.client.close();
  }

  private attempt(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.client.waitForReady(Date.now() + this.connectTimeoutMs, (err) => {
        if (this.state === 'closed') return resolve();
        if (err === undefined || err === null) {
          if (this.state !== 'mesh') this.opts.logger.info({ destination: this.opts.address }, 'destination service reached');
          this.state = 'mesh';
        } else {
          if (this.state === 'connecting') this.opts.logger.warn({ destination: this.opts.address, err: err.message }, 'destination service unreachable; resolving through DNS');
          this.state = 'dns';
          this.retryLater();
        }
        resolve();
      });
    });
  }

  private retryLater(): void {
    this.timer = setTimeout(() => void this.attempt(), this.backoff.next());
    this.timer.unref();
  }
}
