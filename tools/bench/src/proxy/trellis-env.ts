/**
 * How the harness configures a Trellis proxy process: every listener on its own port (so several proxies run side by
 * side on one machine) and the destination service address. Names from apps/proxy/src/config (inbound: the Knative
 * names) and DESIGN.md (outbound); kept in this one place so a renamed variable is a one-line change.
 */
export interface TrellisPorts {
  /** Undefined turns the outbound role off (an inbound-only proxy needs no destination service). */
  readonly outbound: number | undefined;
  readonly inboundHttp: number;
  readonly inboundH2c: number;
  readonly admin: number;
  readonly stats: number;
  readonly metrics: number;
}

export interface TrellisProcessConfig {
  readonly ports: TrellisPorts;
  readonly destinationPort: number;
  /** The app port the inbound role forwards to. */
  readonly userPort: number;
}

/** apps/proxy/src/outbound/config.ts OUTBOUND_DISABLED. */
const OUTBOUND_OFF = 'off';
/**
 * No quiet period on SIGTERM, ms (the proxy's default is 30 000, Knative's drain): nothing routes to a bench proxy
 * once its slot ends, and the next slot should not wait for the last one's listeners.
 */
const BENCH_DRAIN_QUIET_PERIOD_MS = 0;

export function trellisProxyEnv(config: TrellisProcessConfig): Record<string, string> {
  const { ports } = config;
  return {
    TRELLIS_OUTBOUND_ADDR: ports.outbound === undefined ? OUTBOUND_OFF : `127.0.0.1:${ports.outbound}`,
    TRELLIS_DESTINATION_ADDR: `127.0.0.1:${config.destinationPort}`,
    TRELLIS_INBOUND_HOST: '127.0.0.1',
    QUEUE_SERVING_PORT: String(ports.inboundHttp),
    TRELLIS_INBOUND_H2C_PORT: String(ports.inboundH2c),
    TRELLIS_ADMIN_PORT: String(ports.admin),
    TRELLIS_STATS_PORT: String(ports.stats),
    TRELLIS_METRICS_PORT: String(ports.metrics),
    TRELLIS_APP_HOST: '127.0.0.1',
    USER_PORT: String(config.userPort),
    TRELLIS_DRAIN_QUIET_PERIOD_MS: String(BENCH_DRAIN_QUIET_PERIOD_MS),
  };
}

/**
 * Arguments of the destination service (apps/destination/src/cli.ts): loopback only, the fs source. With a trust
 * domain it sends the identity of meshed endpoints, so the proxies connect to them with mTLS.
 */
export function destinationArgs(grpcPort: number, adminPort: number, manifestDir: string, trustDomain?: string): string[] {
  const identity = trustDomain === undefined ? [] : ['--identity-trust-domain', trustDomain];
  return ['--source', `fs:${manifestDir}`, '--grpc-port', String(grpcPort), '--admin-port', String(adminPort), '--listen-host', '127.0.0.1', ...identity];
}
