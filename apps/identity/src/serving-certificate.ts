import type { experimental } from '@grpc/grpc-js';
import {
  certificateToPem,
  certify,
  createCsr,
  generateKeyPair,
  type Issuer,
  type LeafOptions,
  privateKeyToPem,
  RENEW_AT_FRACTION,
} from '@trellis/identity';
import type { Logger } from 'pino';

type CertificateProvider = experimental.CertificateProvider;
type IdentityCertificateUpdate = experimental.IdentityCertificateUpdate;
type IdentityCertificateUpdateListener = experimental.IdentityCertificateUpdateListener;

/** After a failed issue, the next try comes this much later, ms. Source: ours. */
export const SERVING_RETRY_MS = 5_000;

export interface ServingCertificateOptions {
  issuer: Issuer;
  /** The identity the service answers as: identityServiceName(trust domain) unless configured. */
  identity: string;
  leaf: LeafOptions;
  logger: Logger;
}

/**
 * The identity service's own TLS certificate, signed by its issuer for its own workload identity, as Linkerd's
 * identity controller is reached over TLS that proxies verify against the trust anchors. It renews itself at
 * RENEW_AT_FRACTION of the leaf's life, as a proxy does, and hands each new pair to grpc-js, which swaps the
 * secure context for new connections without a restart.
 */
export class ServingCertificate implements CertificateProvider {
  private latest: IdentityCertificateUpdate | undefined;
  private readonly listeners = new Set<IdentityCertificateUpdateListener>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(private readonly options: ServingCertificateOptions) {}

  /** Issues the first certificate; throws when the issuer cannot sign one. */
  static async start(options: ServingCertificateOptions): Promise<ServingCertificate> {
    const serving = new ServingCertificate(options);
    await serving.renew();
    return serving;
  }

  private async renew(): Promise<void> {
    const { issuer, identity, leaf } = this.options;
    const keys = await generateKeyPair();
    const csrDer = await createCsr(identity, keys);
    const issued = await certify(issuer, { requestedIdentity: identity, provenIdentity: identity, csrDer }, leaf);
    const chain = [issued.leafDer, ...issued.intermediatesDer].map(certificateToPem).join('');
    this.latest = { certificate: Buffer.from(chain), privateKey: Buffer.from(await privateKeyToPem(keys.privateKey)) };
    for (const listener of this.listeners) listener(this.latest);
    const notBefore = issued.notBefore.getTime();
    const renewAt = notBefore + (issued.notAfter.getTime() - notBefore) * RENEW_AT_FRACTION;
    this.schedule(Math.max(0, renewAt - leaf.clock.now()));
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.renew().catch((err: unknown) => {
        this.options.logger.error({ err, retryInMs: SERVING_RETRY_MS }, 'cannot renew the serving certificate');
        this.schedule(SERVING_RETRY_MS);
      });
    }, delayMs);
    this.timer.unref();
  }

  // The current pair is delivered on a later tick: grpc-js (1.14) registers its server's watcher only after this
  // call returns, so a pair delivered at once would reach nobody and the port would refuse every handshake.
  addIdentityCertificateListener(listener: IdentityCertificateUpdateListener): void {
    this.listeners.add(listener);
    queueMicrotask(() => {
      if (this.latest !== undefined && this.listeners.has(listener)) listener(this.latest);
    });
  }

  removeIdentityCertificateListener(listener: IdentityCertificateUpdateListener): void {
    this.listeners.delete(listener);
  }

  // This provider serves the identity certificate only; clients are not asked for one.
  addCaCertificateListener(): void {}

  removeCaCertificateListener(): void {}

  /** Stops renewing. Idempotent. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }
}
