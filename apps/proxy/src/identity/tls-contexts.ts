import { createSecureContext, type SecureContext } from 'node:tls';
import type { Clock } from '@trellis/identity';
import type { Observable, Subscription } from 'rxjs';
import type { IdentityCertificate } from './identity-client';
import { secureContextOptions } from './tls-options';

/**
 * One `tls.SecureContext` per certificate, built when the certificate arrives (building one parses the key and
 * the chain: not a per-connection cost). The same context serves both directions: as a client it presents our
 * certificate and verifies the server against the anchors; as a server it presents ours and checks a client's.
 */
export class MeshTlsContexts {
  private latest: { cert: IdentityCertificate; context: SecureContext } | undefined;
  private readonly subscription: Subscription;

  constructor(
    source: { certificates$: Observable<IdentityCertificate> },
    private readonly clock: Clock,
  ) {
    this.subscription = source.certificates$.subscribe((cert) => {
      this.latest = { cert, context: createSecureContext(secureContextOptions(cert)) };
    });
  }

  /** The context of the current certificate while it is valid; undefined before the first and after expiry. */
  current(): SecureContext | undefined {
    const latest = this.latest;
    return latest && this.clock.now() < latest.cert.notAfter.getTime() ? latest.context : undefined;
  }

  /** Idempotent. */
  close(): void {
    this.subscription.unsubscribe();
    this.latest = undefined;
  }
}
