import http2, { type ClientHttp2Session } from 'node:http2';
import type { Logger } from 'pino';
import { Http1Pool, type Connector, type SharedLimits } from '../http1/pool';
import { splitAuthority } from './authority';
import { meshTlsConnect, type EndpointTls } from './mesh-connect';

/** linkerd2-proxy: outbound connect timeout. */
export const CONNECT_TIMEOUT_MS = 1_000;
/** Envoy's circuit-breaker default: at most this many HTTP/1.1 connections to one endpoint. */
export const MAX_CONNECTIONS_PER_ENDPOINT = 1024;
/** undici's default idle keep-alive: below Node's 5 s server keep-alive so we seldom reuse a socket the server is closing. */
export const KEEP_ALIVE_TIMEOUT_MS = 4_000;

/**
 * The connections to one endpoint: an HTTP/1.1 keep-alive pool and one HTTP/2
 * session, both created on first use. A session that fails or receives GOAWAY is replaced on
 * the next request. close() drains: requests in flight finish, then the sockets close.
 */
export class EndpointConnections {
  private pool: Http1Pool | undefined;
  private session: ClientHttp2Session | undefined;
  private closed = false;

  constructor(
    readonly id: string,
    private readonly logger: Logger,
    /** The backend's circuit-breaker counters for connections and waiting requests; none for direct pools. */
    private readonly shared?: SharedLimits,
    /** Set for an endpoint with an identity: every connection to it is mutual TLS. */
    private readonly tls?: EndpointTls,
  ) {}

  /** Host and port of `id` (`host:port` or `[v6]:port`), for the HTTP/1.1 pool. */
  private address(): { host: string; port: number } {
    const parts = splitAuthority(this.id);
    if (parts === null) throw new Error(`malformed endpoint address ${this.id}`);
    return parts;
  }

  h1(): Http1Pool {
    if (this.pool === undefined) {
      const { host, port } = this.address();
      // No read timeout: streams (gRPC, SSE) may stay quiet for long; route timeouts bound the wait for headers.
      this.pool = new Http1Pool(host, port, {
        maxConnections: MAX_CONNECTIONS_PER_ENDPOINT,
        keepAliveMs: KEEP_ALIVE_TIMEOUT_MS,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
        ...(this.shared === undefined ? {} : { shared: this.shared }),
        ...(this.tls === undefined ? {} : { connect: this.tlsConnector(this.tls) }),
      });
    }
    return this.pool;
  }

  h2(): ClientHttp2Session {
    const current = this.session;
    if (current !== undefined && !current.closed && !current.destroyed) return current;
    const endpointTls = this.tls;
    const session =
      endpointTls === undefined
        ? http2.connect(`http://${this.id}`)
        : http2.connect(`https://${this.id}`, {
            createConnection: () => {
              const { host, port } = this.address();
              return meshTlsConnect(host, port, endpointTls, 'h2');
            },
          });
    const forget = () => {
      if (this.session === session) this.session = undefined;
    };
    session.on('error', (err) => {
      forget();
      this.logger.debug({ endpoint: this.id, err: err.message }, 'HTTP/2 session failed');
    });
    session.on('goaway', forget);
    session.on('close', forget);
    session.setTimeout(CONNECT_TIMEOUT_MS, () => {
      if (session.connecting) session.destroy(Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' }));
    });
    session.once('connect', () => session.setTimeout(0));
    this.session = session;
    return session;
  }

  private tlsConnector(endpointTls: EndpointTls): Connector {
    return (host, port) => ({ socket: meshTlsConnect(host, port, endpointTls, 'http/1.1'), readyEvent: 'secureConnect' });
  }

  /** Idempotent. Resolves once requests in flight have finished and the sockets are closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const session = this.session;
    this.session = undefined;
    await Promise.all([
      this.pool?.close().catch(() => undefined),
      session === undefined || session.closed
        ? undefined
        : new Promise<void>((resolve) => session.close(() => resolve())),
    ]);
  }
}
