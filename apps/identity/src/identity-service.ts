import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { experimental, Server, type ServerCredentials } from '@grpc/grpc-js';
import type { Clock, Issuer, RandomBytes, ValidatedLeafOptions } from '@trellis/identity';
import { IdentityService } from '@trellis/proto';
import type { Logger } from 'pino';
import { createAdminServer } from './admin-server';
import { createCertifyHandler } from './certify-handler';
import { MAX_CONCURRENT_CERTIFY, MAX_REQUEST_BYTES, SHUTDOWN_GRACE_MS } from './defaults';
import { IdentityMetrics } from './metrics';
import { ServingCertificate } from './serving-certificate';
import type { TokenValidator } from './token-validator';

export interface IdentityServiceOptions {
  issuer: Issuer;
  validator: TokenValidator;
  trustDomain: string;
  leaf: ValidatedLeafOptions;
  clock: Clock;
  random: RandomBytes;
  logger: Logger;
  host: string;
  grpcPort: number;
  adminPort: number;
  /** The identity Certify is served under (TLS); proxies check the certificate for it. */
  serviceIdentity: string;
  maxConcurrent?: number;
}

export interface RunningIdentityService {
  grpcPort: number;
  adminPort: number;
  metrics: IdentityMetrics;
  /** Refuses new calls, lets calls in flight finish (bounded), stops both servers. Idempotent. */
  close(): Promise<void>;
}

function bindGrpc(server: Server, host: string, port: number, credentials: ServerCredentials): Promise<number> {
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}

function shutdownGrpc(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, SHUTDOWN_GRACE_MS);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Linkerd's Identity service (Certify) on gRPC over TLS, under a certificate its own issuer signs for
 * `serviceIdentity`, plus the admin server (plain HTTP).
 */
export async function startIdentityService(options: IdentityServiceOptions): Promise<RunningIdentityService> {
  const serving = await ServingCertificate.start({
    issuer: options.issuer,
    identity: options.serviceIdentity,
    leaf: { clock: options.clock, random: options.random, ...options.leaf },
    logger: options.logger,
  });
  // grpc-js passes its first argument on as the serving (identity) certificate; no client certificate is asked.
  const credentials = experimental.createCertificateProviderServerCredentials(serving, null, false);
  const metrics = new IdentityMetrics(Date.parse(options.issuer.certificate.validTo));
  let shuttingDown = false;
  const grpc = new Server({
    'grpc.max_receive_message_length': MAX_REQUEST_BYTES,
  });
  grpc.addService(IdentityService, {
    certify: createCertifyHandler({
      issuer: options.issuer,
      validator: options.validator,
      trustDomain: options.trustDomain,
      leaf: options.leaf,
      clock: options.clock,
      random: options.random,
      metrics,
      logger: options.logger,
      maxConcurrent: options.maxConcurrent ?? MAX_CONCURRENT_CERTIFY,
      isShuttingDown: () => shuttingDown,
    }),
  });
  const admin = createAdminServer({ registry: metrics.registry, isReady: () => !shuttingDown });
  let grpcPort: number;
  try {
    grpcPort = await bindGrpc(grpc, options.host, options.grpcPort, credentials);
    admin.listen(options.adminPort, options.host);
    await once(admin, 'listening');
  } catch (err) {
    grpc.forceShutdown();
    admin.close();
    serving.close();
    throw err;
  }
  const adminPort = (admin.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      shuttingDown = true;
      serving.close();
      await shutdownGrpc(grpc);
      admin.closeAllConnections();
      await new Promise<void>((resolve) => admin.close(() => resolve()));
    })();
    return closing;
  };
  return { grpcPort, adminPort, metrics, close };
}
