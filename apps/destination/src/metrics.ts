import type { ResourceKind, Source } from '@trellis/kube';
import type { Update } from '@trellis/proto';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export type StreamMethod = 'get' | 'get_profile' | 'outbound_watch' | 'inbound_watch';

/** Every metric the destination service exports; names and labels are an API (docs/destination.md). */
export class DestinationMetrics {
  readonly registry = new Registry();
  private readonly subscribers = new Gauge({
    name: 'destination_subscribers',
    help: 'Open Get streams per service',
    labelNames: ['namespace', 'service'],
    registers: [this.registry],
  });
  private readonly updatesSent = new Counter({
    name: 'destination_updates_sent_total',
    help: 'Messages written to streams, by type (add, remove, no_endpoints, profile, outbound_policy, inbound_policy)',
    labelNames: ['type'],
    registers: [this.registry],
  });
  private readonly overflows = new Counter({
    name: 'destination_stream_overflows_total',
    help: 'Streams closed with RESOURCE_EXHAUSTED because their queue overflowed',
    labelNames: ['method'],
    registers: [this.registry],
  });
  private readonly profileInvalid = new Counter({
    name: 'destination_profile_invalid_total',
    help: 'ServiceProfile versions rejected as invalid (the last valid version stays in force)',
    labelNames: ['namespace'],
    registers: [this.registry],
  });
  private readonly annotationInvalid = new Counter({
    name: 'destination_service_annotation_invalid_total',
    help: 'Service backend-policy annotations ignored as invalid (their default applies), once per change of the annotations',
    labelNames: ['namespace', 'service', 'annotation'],
    registers: [this.registry],
  });
  private readonly routeInvalid = new Counter({
    name: 'destination_route_invalid_total',
    help: 'HTTPRoutes and GRPCRoutes (or one of their parentRefs) not accepted, by kind and reason',
    labelNames: ['kind', 'reason'],
    registers: [this.registry],
  });
  private readonly policyInvalid = new Counter({
    name: 'destination_policy_invalid_total',
    help: 'policy.linkerd.io resources (and HTTPRoutes attached to a Server) rejected, by kind and reason (the last valid version stays in force)',
    labelNames: ['kind', 'reason'],
    registers: [this.registry],
  });
  private readonly sourceErrors = new Counter({
    name: 'destination_source_errors_total',
    help: 'Problems reported by the source (broken files, unknown kinds, watch failures)',
    labelNames: ['source'],
    registers: [this.registry],
  });
  private readonly streamsOpened = new Counter({
    name: 'destination_streams_opened_total',
    help: 'Get, GetProfile, OutboundPolicies.Watch and InboundServerPolicies.WatchPort streams accepted',
    labelNames: ['method'],
    registers: [this.registry],
  });
  private readonly sent = {
    add: this.updatesSent.labels('add'),
    remove: this.updatesSent.labels('remove'),
    noEndpoints: this.updatesSent.labels('no_endpoints'),
    profile: this.updatesSent.labels('profile'),
    outboundPolicy: this.updatesSent.labels('outbound_policy'),
    inboundPolicy: this.updatesSent.labels('inbound_policy'),
  };

  constructor(source: Source) {
    collectDefaultMetrics({ register: this.registry });
    const stats = () => source.stats() as Record<ResourceKind, { lists: number; restarts: number; lastLagMs: number }>;
    new Gauge({
      name: 'destination_informer_lag_seconds',
      help: 'Time from the last observed change of a kind to its application in the cache',
      labelNames: ['kind'],
      registers: [this.registry],
      collect() {
        for (const [kind, s] of Object.entries(stats())) this.set({ kind }, s.lastLagMs / 1000);
      },
    });
    new Gauge({
      name: 'destination_informer_restarts',
      help: 'Informer restarts after a watch or list failure, per kind',
      labelNames: ['kind'],
      registers: [this.registry],
      collect() {
        for (const [kind, s] of Object.entries(stats())) this.set({ kind }, s.restarts);
      },
    });
  }

  setSubscribers(namespace: string, service: string, count: number): void {
    if (count === 0) this.subscribers.remove(namespace, service);
    else this.subscribers.set({ namespace, service }, count);
  }

  updateSent(update: Update): void {
    const kind = update.update?.$case;
    if (kind) this.sent[kind].inc();
  }

  profileSent(): void {
    this.sent.profile.inc();
  }

  policySent(): void {
    this.sent.outboundPolicy.inc();
  }

  inboundPolicySent(): void {
    this.sent.inboundPolicy.inc();
  }

  invalidPolicy(kind: string, reason: string): void {
    this.policyInvalid.inc({ kind, reason });
  }

  invalidRoute(kind: string, reason: string): void {
    this.routeInvalid.inc({ kind, reason });
  }

  overflow(method: StreamMethod): void {
    this.overflows.inc({ method });
  }

  streamOpened(method: StreamMethod): void {
    this.streamsOpened.inc({ method });
  }

  invalidProfile(namespace: string): void {
    this.profileInvalid.inc({ namespace });
  }

  invalidServiceAnnotation(namespace: string, service: string, annotation: string): void {
    this.annotationInvalid.inc({ namespace, service, annotation });
  }

  sourceError(source: string): void {
    this.sourceErrors.inc({ source });
  }
}
