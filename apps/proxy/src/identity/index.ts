import { credentials } from '@grpc/grpc-js';
import { systemClock, type Clock } from '@trellis/identity';
import { IdentityClient as IdentityGrpcClient } from '@trellis/proto';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { firstValueFrom, type Observable } from 'rxjs';
import type { Env } from '../config/env';
import { IdentityClient, type IdentityCertificate } from './identity-client';
import { loadIdentityConfig } from './identity-config';
import { IdentityMetrics } from './identity-metrics';

export { IDENTITY_ENV, loadIdentityConfig, type IdentityConfig } from './identity-config';
export type { IdentityCertificate } from './identity-client';
export { secureContextOptions, peerIdentity, identityOfCertificate, MESH_TLS_VERSION } from './tls-options';
export { MeshTlsContexts } from './tls-contexts';

/** This proxy's workload identity, kept current by the identity service. */
export interface ProxyIdentity {
  /** This workload's identity name (known before the first certificate). */
  readonly name: string;
  readonly trustAnchorsPem: string;
  /** The current certificate while valid; undefined before the first one and after an unrenewed expiry. */
  current(): IdentityCertificate | undefined;
  /** Every new certificate (the latest replayed on subscribe); completes on close(). */
  readonly certificates$: Observable<IdentityCertificate>;
  /** Resolves with the first certificate; rejects if closed before one arrives. */
  ready(): Promise<IdentityCertificate>;
  /** Stops renewing, cancels a call in flight, closes the channel. Idempotent. */
  close(): Promise<void>;
}

export interface StartIdentityOptions {
  env: Env;
  registry: Registry;
  logger: Logger;
  clock?: Clock;
  random?: () => number;
}

/**
 * Starts the identity client when the environment turns identity on (TRELLIS_IDENTITY_ADDR set, not
 * TRELLIS_IDENTITY_DISABLED); returns undefined when it is off. Throws ConfigError on a bad setting.
 * Returns at once: the first certificate comes later (`ready()`, `certificates$`).
 */
export async function startIdentity(options: StartIdentityOptions): Promise<ProxyIdentity | undefined> {
  const config = loadIdentityConfig(options.env);
  if (!config) return undefined;
  const logger = options.logger.child({ component: 'identity' });
  // As Linkerd's proxy: TLS to the identity service, its certificate checked against the trust anchors for svcName.
  const channel = new IdentityGrpcClient(config.addr, credentials.createSsl(Buffer.from(config.trustAnchorsPem)), {
    'grpc.ssl_target_name_override': config.svcName,
    'grpc.default_authority': config.svcName,
  });
  const client = await IdentityClient.start({
    config,
    api: channel,
    metrics: new IdentityMetrics(options.registry),
    logger,
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
  });
  let closing: Promise<void> | undefined;
  return {
    name: config.name,
    trustAnchorsPem: config.trustAnchorsPem,
    current: () => client.current(),
    certificates$: client.certificates$,
    ready: () => firstValueFrom(client.certificates$),
    close: () => {
      closing ??= Promise.resolve().then(() => {
        client.close();
        channel.close();
      });
      return closing;
    },
  };
}
