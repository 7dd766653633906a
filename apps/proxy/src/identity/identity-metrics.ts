import { Counter, Gauge, type Registry } from 'prom-client';

export type CertifyFailureReason = 'token_unreadable' | 'refused' | 'unavailable' | 'bad_certificate';

/** The proxy's identity metrics on its 9091 registry; names and labels are an API (docs/identity.md). */
export class IdentityMetrics {
  // Linkerd's proxy exports the same gauge: when the current certificate expires.
  private readonly expiration: Gauge;
  // Linkerd's proxy name: the delay from a certification to its scheduled refresh.
  private readonly refreshIn: Gauge;
  private readonly refreshes: Counter;
  private readonly failures: Counter;

  constructor(registry: Registry) {
    this.expiration = new Gauge({
      name: 'identity_cert_expiration_timestamp_seconds',
      help: "Expiry of this proxy's current certificate, seconds since the Unix epoch",
      registers: [registry],
    });
    this.refreshIn = new Gauge({
      name: 'identity_cert_refresh_seconds',
      help: 'Seconds from the last certification to its scheduled refresh (70 % of the remaining life)',
      registers: [registry],
    });
    this.refreshes = new Counter({
      name: 'identity_cert_refresh_total',
      help: 'Certificates obtained from the identity service',
      registers: [registry],
    });
    this.failures = new Counter({
      name: 'identity_certify_failures_total',
      help: 'Certify attempts that failed, by reason (token_unreadable, refused, unavailable, bad_certificate)',
      labelNames: ['reason'],
      registers: [registry],
    });
  }

  certified(notAfterMs: number, refreshInMs: number): void {
    this.refreshes.inc();
    this.expiration.set(notAfterMs / 1000);
    this.refreshIn.set(refreshInMs / 1000);
  }

  failed(reason: CertifyFailureReason): void {
    this.failures.inc({ reason });
  }
}
