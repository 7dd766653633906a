import {
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { TracingConfig } from '../config/inbound-config';
import type { Middleware } from './exchange';
import { ZipkinExporter } from './zipkin-exporter';

/** Trace headers the proxy rewrites when it starts its own span (W3C trace context and B3). */
const TRACE_HEADERS = ['traceparent', 'tracestate', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags'];

/** Reads W3C `traceparent` and B3 (single or multi header); writes both W3C and B3 multi-header. */
export function tracePropagator(): TextMapPropagator {
  return new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER })],
  });
}

export interface Tracing {
  readonly tracer: Tracer;
  close(): Promise<void>;
}

/** The tracer provider for a configured backend, or undefined when tracing is off (the default). */
export function createTracing(config: TracingConfig, serviceName: string): Tracing | undefined {
  if (config.backend === 'none' || config.zipkinEndpoint === undefined) return undefined;
  const provider = new BasicTracerProvider({
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRate) }),
    spanProcessors: [new BatchSpanProcessor(new ZipkinExporter(config.zipkinEndpoint, serviceName))],
  });
  const tracer = provider.getTracer('trellis-proxy-inbound');
  let closing: Promise<void> | undefined;
  return { tracer, close: () => (closing ??= provider.shutdown()) };
}

/**
 * Starts a server span per request under the caller's trace context and hands the new context to
 * the app in both W3C and B3 form. Without a tracer the request passes through untouched (the trace
 * headers it carries reach the app as they are).
 */
export function tracing(tracer: Tracer | undefined, propagator: TextMapPropagator = tracePropagator()): Middleware {
  if (tracer === undefined) return (next) => next;
  return (next) => (ex) => {
    const parent: Context = propagator.extract(ROOT_CONTEXT, ex.headers, defaultTextMapGetter);
    const span = tracer.startSpan(
      'queue_proxy',
      { kind: SpanKind.SERVER, attributes: { 'http.method': ex.method, 'http.target': ex.target } },
      parent,
    );
    const carrier: Record<string, string> = {};
    propagator.inject(trace.setSpan(parent, span), carrier, defaultTextMapSetter);
    for (const name of TRACE_HEADERS) ex.addHeader(name, carrier[name]);
    ex.onEnd(() => {
      const status = ex.finalStatus;
      span.setAttribute('http.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    next(ex);
  };
}
