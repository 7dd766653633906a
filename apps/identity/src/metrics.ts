import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** prom-client gauges whose `_total` suffix `promtool check metrics` rejects (a suffix reserved for counters). */
const MISNAMED_DEFAULT_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** Every metric the identity service exports; names and labels are an API (docs/identity.md). */
export class IdentityMetrics {
  readonly registry = new Registry();
  private readonly certified = new Counter({
    name: 'identity_certify_requests_total',
    help: 'Certify calls answered, by result (ok, refused)',
    labelNames: ['result'],
    registers: [this.registry],
  });
  private readonly refusals = new Counter({
    name: 'identity_certify_refusals_total',
    help: 'Certify calls refused, by reason (token_invalid, token_expired, token_audience, name_mismatch, bad_csr, ...)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'identity_certify_duration_seconds',
    help: 'Time to answer a Certify call, token review and signature included',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
    registers: [this.registry],
  });
  private readonly ok = this.certified.labels('ok');
  private readonly refused = this.certified.labels('refused');

  constructor(issuerNotAfterMs: number) {
    collectDefaultMetrics({ register: this.registry });
    for (const name of MISNAMED_DEFAULT_GAUGES) this.registry.removeSingleMetric(name);
    // Linkerd's identity controller exports the issuer certificate's expiry under this name.
    new Gauge({
      name: 'identity_cert_expiration_timestamp_seconds',
      help: 'Expiry of the issuer certificate, seconds since the Unix epoch',
      registers: [this.registry],
    }).set(issuerNotAfterMs / 1000);
  }

  certifiedOk(seconds: number): void {
    this.ok.inc();
    this.duration.observe(seconds);
  }

  certifyRefused(reason: string, seconds: number): void {
    this.refused.inc();
    this.refusals.inc({ reason });
    this.duration.observe(seconds);
  }
}
