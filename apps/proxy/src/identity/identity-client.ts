import { webcrypto } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Metadata, status, type CallOptions, type ServiceError } from '@grpc/grpc-js';
import { ExponentialBackoff, type Random } from '@trellis/balance';
import {
  certificateToPem,
  checkCertified,
  createCsr,
  generateKeyPair,
  IdentityError,
  privateKeyToPem,
  RENEW_AT_FRACTION,
  type Clock,
} from '@trellis/identity';
import type { CertifyRequest, CertifyResponse } from '@trellis/proto';
import type { Logger } from 'pino';
import { BehaviorSubject, filter, type Observable } from 'rxjs';
import type { IdentityConfig } from './identity-config';
import type { CertifyFailureReason, IdentityMetrics } from './identity-metrics';

/** A Certify call that takes longer is abandoned and retried. Source: ours (Linkerd's proxy: 10 s connect). */
export const CERTIFY_TIMEOUT_MS = 10_000;
/** Never refresh sooner than this after a certification, ms, so a very short certificate cannot spin. Source: ours. */
export const MIN_REFRESH_MS = 500;

/** What the TLS stack needs: all PEM, ready for `tls.createSecureContext`. */
export interface IdentityCertificate {
  /** This workload's identity: the leaf's SAN DNS name. */
  readonly identity: string;
  /** PKCS#8 private key, generated in this process at start; it never leaves it. */
  readonly keyPem: string;
  /** The leaf, then the intermediates (issuer), leaf side first. */
  readonly certificateChainPem: string;
  readonly trustAnchorsPem: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** The one Identity RPC this module uses (the generated IdentityClient satisfies it). */
export interface CertifyApi {
  certify(
    request: CertifyRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: CertifyResponse) => void,
  ): { cancel(): void };
}

export interface IdentityClientOptions {
  config: IdentityConfig;
  api: CertifyApi;
  metrics: IdentityMetrics;
  logger: Logger;
  clock: Clock;
  random: Random;
}

class CertifyFailure extends Error {
  constructor(
    readonly reason: CertifyFailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function failureOf(error: ServiceError): CertifyFailure {
  const refused = [status.UNAUTHENTICATED, status.PERMISSION_DENIED, status.INVALID_ARGUMENT, status.FAILED_PRECONDITION];
  return new CertifyFailure(
    refused.includes(error.code) ? 'refused' : 'unavailable',
    `Certify failed: ${status[error.code] ?? error.code}: ${error.details}`,
    { cause: error },
  );
}

/**
 * Keeps this proxy's certificate current. States: certifying (a call in flight) -> waiting (until 70 % of the
 * remaining life of the new certificate has passed, then certifying again) or, on failure, backing off
 * (100 ms doubling to 60 s with jitter) -> certifying. A failed renewal keeps the old certificate, which
 * `current()` returns until it expires. close() stops the timer, abandons a call in flight and completes
 * `certificates$`.
 */
export class IdentityClient {
  private readonly subject = new BehaviorSubject<IdentityCertificate | undefined>(undefined);
  private readonly backoff: ExponentialBackoff;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: { cancel(): void } | undefined;
  private closed = false;
  /** Certificates as they arrive (the latest replayed to a new subscriber); completes on close(). */
  readonly certificates$: Observable<IdentityCertificate>;

  private constructor(
    private readonly options: IdentityClientOptions,
    private readonly keyPem: string,
    private readonly csrDer: Uint8Array,
    private readonly publicKeySpkiDer: Uint8Array,
  ) {
    this.backoff = new ExponentialBackoff({ random: options.random });
    this.certificates$ = this.subject.pipe(filter((cert): cert is IdentityCertificate => cert !== undefined));
  }

  /** Generates the key and the CSR, then starts certifying at once. */
  static async start(options: IdentityClientOptions): Promise<IdentityClient> {
    const keys = await generateKeyPair();
    const csrDer = await createCsr(options.config.name, keys);
    const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey));
    const client = new IdentityClient(options, await privateKeyToPem(keys.privateKey), csrDer, spki);
    client.attempt();
    return client;
  }

  /** The current certificate while it is valid; undefined before the first one and once it has expired. */
  current(): IdentityCertificate | undefined {
    const cert = this.subject.value;
    return cert && this.options.clock.now() < cert.notAfter.getTime() ? cert : undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.inFlight?.cancel();
    this.subject.complete();
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => this.attempt(), delayMs);
  }

  private attempt(): void {
    this.certifyOnce().then(
      (cert) => this.succeeded(cert),
      (error: unknown) => this.failed(error),
    );
  }

  private succeeded(cert: IdentityCertificate): void {
    if (this.closed) return;
    const remainingMs = cert.notAfter.getTime() - this.options.clock.now();
    const refreshInMs = Math.max(MIN_REFRESH_MS, Math.floor(remainingMs * RENEW_AT_FRACTION));
    this.backoff.reset();
    this.options.metrics.certified(cert.notAfter.getTime(), refreshInMs);
    this.options.logger.info(
      { identity: cert.identity, notAfter: cert.notAfter.toISOString(), refreshInMs },
      'identity certified',
    );
    this.subject.next(cert);
    this.schedule(refreshInMs);
  }

  private failed(error: unknown): void {
    if (this.closed) return;
    const failure =
      error instanceof CertifyFailure ? error : new CertifyFailure('unavailable', String(error), { cause: error });
    const delayMs = this.backoff.next();
    this.options.metrics.failed(failure.reason);
    this.options.logger.warn(
      { reason: failure.reason, err: failure.message, retryInMs: delayMs, current: this.current()?.notAfter.toISOString() },
      'identity certification failed; retrying',
    );
    this.schedule(delayMs);
  }

  private async readToken(): Promise<Buffer> {
    let token: Buffer;
    try {
      token = await readFile(this.options.config.tokenFile);
    } catch (error) {
      throw new CertifyFailure('token_unreadable', `cannot read ${this.options.config.tokenFile}`, { cause: error });
    }
    const trimmed = Buffer.from(token.toString('utf8').trim(), 'utf8');
    if (trimmed.length === 0) throw new CertifyFailure('token_unreadable', `${this.options.config.tokenFile} is empty`);
    return trimmed;
  }

  private call(request: CertifyRequest): Promise<CertifyResponse> {
    return new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + CERTIFY_TIMEOUT_MS);
      this.inFlight = this.options.api.certify(request, new Metadata(), { deadline }, (error, response) => {
        this.inFlight = undefined;
        if (error) reject(failureOf(error));
        else if (!response) reject(new CertifyFailure('unavailable', 'Certify returned no response'));
        else resolve(response);
      });
    });
  }

  private async certifyOnce(): Promise<IdentityCertificate> {
    const { config } = this.options;
    const token = await this.readToken();
    const response = await this.call({ identity: config.name, token, certificateSigningRequest: Buffer.from(this.csrDer) });
    let checked;
    try {
      checked = checkCertified(
        { leafDer: response.leafCertificate, intermediatesDer: response.intermediateCertificates },
        { identity: config.name, publicKeySpkiDer: this.publicKeySpkiDer, trustAnchors: config.trustAnchors },
        this.options.clock.now(),
      );
    } catch (error) {
      const message = error instanceof IdentityError ? error.message : String(error);
      throw new CertifyFailure('bad_certificate', `the identity service returned an unusable certificate: ${message}`, { cause: error });
    }
    return {
      identity: config.name,
      keyPem: this.keyPem,
      certificateChainPem: [response.leafCertificate, ...response.intermediateCertificates]
        .map(certificateToPem)
        .join(''),
      trustAnchorsPem: config.trustAnchorsPem,
      notBefore: checked.notBefore,
      notAfter: checked.notAfter,
    };
  }
}
