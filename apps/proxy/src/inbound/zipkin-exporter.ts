import { type ExportResult, ExportResultCode, hrTimeToMicroseconds } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

const KINDS = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] as const;

/** Posts finished spans to a Zipkin v2 JSON endpoint (Knative's TRACING_CONFIG_BACKEND=zipkin). */
export class ZipkinExporter implements SpanExporter {
  private stopped = false;

  constructor(
    private readonly endpoint: string,
    private readonly serviceName: string,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    if (this.stopped) {
      done({ code: ExportResultCode.FAILED, error: new Error('exporter shut down') });
      return;
    }
    const body = JSON.stringify(spans.map((span) => this.toZipkin(span)));
    fetch(this.endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
      (response) =>
        done(response.ok ? { code: ExportResultCode.SUCCESS } : { code: ExportResultCode.FAILED, error: new Error(`zipkin answered ${response.status}`) }),
      (error: Error) => done({ code: ExportResultCode.FAILED, error }),
    );
  }

  shutdown(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }

  private toZipkin(span: ReadableSpan): Record<string, unknown> {
    const context = span.spanContext();
    const tags: Record<string, string> = {};
    for (const [key, value] of Object.entries(span.attributes)) tags[key] = String(value);
    return {
      traceId: context.traceId,
      id: context.spanId,
      parentId: span.parentSpanContext?.spanId,
      name: span.name,
      kind: KINDS[span.kind],
      timestamp: Math.round(hrTimeToMicroseconds(span.startTime)),
      duration: Math.round(hrTimeToMicroseconds(span.duration)),
      localEndpoint: { serviceName: this.serviceName },
      tags,
    };
  }
}
