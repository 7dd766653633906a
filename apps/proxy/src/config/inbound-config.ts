import { DEFAULT_METRICS_PORT } from '../metrics-server';
import {
  type Env,
  readBoolean,
  readChoice,
  readInteger,
  readNumber,
  readOptionalString,
  readPort,
  readString,
} from './env';
import { ConfigError } from './errors';
import { INBOUND_POLICY_ENV, readAccessLog, readInboundPolicyConfig, type InboundPolicyConfig } from './inbound-policy-config';
import { parseReadinessProbe, type ReadinessProbeConfig } from './readiness-probe';
import { compileRequestLogTemplate, type RequestLogTemplate } from './request-log-template';

/** Knative networking.BackendHTTPPort: the queue-proxy's HTTP/1.1 + h2c port. */
export const DEFAULT_HTTP_PORT = 8012;
/** Knative networking.BackendHTTP2Port: the queue-proxy's h2c port. */
export const DEFAULT_H2C_PORT = 8013;
/** Knative networking.QueueAdminPort. */
export const DEFAULT_ADMIN_PORT = 8022;
/** Knative networking.AutoscalingQueueMetricsPort. */
export const DEFAULT_STATS_PORT = 9090;
/** Knative's default container port. */
export const DEFAULT_USER_PORT = 8080;
/** Knative config-defaults revision-timeout-seconds. */
export const DEFAULT_REVISION_TIMEOUT_SECONDS = 300;
/** Knative pkg/queue/drain: requests must stop for this long before /wait-for-drain returns (DESIGN.md: 30 s). */
export const DEFAULT_DRAIN_QUIET_PERIOD_MS = 30_000;
/** Knative: tracing sample rate when TRACING_CONFIG_SAMPLE_RATE is unset. */
export const DEFAULT_TRACING_SAMPLE_RATE = 0.1;
/** Knative: the queue depth allowed per unit of container concurrency. */
export const QUEUE_DEPTH_PER_CONCURRENCY = 10;

export interface TracingConfig {
  readonly backend: 'none' | 'zipkin';
  readonly zipkinEndpoint: string | undefined;
  readonly sampleRate: number;
}

/** How requests travel to the app: as they came (HTTP/2 stays HTTP/2, as Knative's auto transport), or always one protocol. */
export type AppProtocol = 'mirror' | 'http1' | 'h2c';
export const APP_PROTOCOLS: readonly AppProtocol[] = ['mirror', 'http1', 'h2c'];

export interface InboundConfig {
  readonly host: string;
  readonly httpPort: number;
  readonly h2cPort: number;
  readonly adminPort: number;
  readonly statsPort: number;
  readonly metricsPort: number;
  readonly appHost: string;
  readonly userPort: number;
  readonly appProtocol: AppProtocol;
  /** 0 means unlimited (no breaker). */
  readonly containerConcurrency: number;
  readonly revisionTimeoutMs: number;
  /** 0 means no response-start timeout. */
  readonly responseStartTimeoutMs: number;
  /** 0 means no idle timeout. */
  readonly idleTimeoutMs: number;
  readonly namespace: string;
  readonly configuration: string;
  readonly revision: string;
  readonly pod: string;
  readonly podIp: string;
  readonly readinessProbe: ReadinessProbeConfig;
  readonly requestLog: { readonly enabled: boolean; readonly template: RequestLogTemplate | undefined };
  readonly tracing: TracingConfig;
  readonly drainQuietPeriodMs: number;
  readonly policy: InboundPolicyConfig;
  readonly accessLog: boolean;
}

export interface EnvVarDoc {
  readonly name: string;
  readonly fallback: string;
  readonly meaning: string;
}

/** Every variable the inbound role reads: printed by `--help` and mirrored in docs/proxy-inbound.md. */
export const INBOUND_ENV: readonly EnvVarDoc[] = [
  { name: 'TRELLIS_INBOUND_HOST', fallback: '0.0.0.0', meaning: 'address every inbound, admin, stats and metrics listener binds' },
  { name: 'QUEUE_SERVING_PORT', fallback: String(DEFAULT_HTTP_PORT), meaning: 'HTTP/1.1 and h2c port (port 0: any free port)' },
  { name: 'TRELLIS_INBOUND_H2C_PORT', fallback: String(DEFAULT_H2C_PORT), meaning: 'h2c (HTTP/2 prior knowledge) port' },
  { name: 'TRELLIS_ADMIN_PORT', fallback: String(DEFAULT_ADMIN_PORT), meaning: 'admin port: /ready, /live, /wait-for-drain' },
  { name: 'TRELLIS_STATS_PORT', fallback: String(DEFAULT_STATS_PORT), meaning: 'autoscaling stats port (/metrics: Stat protobuf or Prometheus text)' },
  { name: 'TRELLIS_METRICS_PORT', fallback: String(DEFAULT_METRICS_PORT), meaning: 'Prometheus metrics port shared by both roles' },
  { name: 'TRELLIS_APP_HOST', fallback: '127.0.0.1', meaning: 'address of the app' },
  { name: 'USER_PORT', fallback: String(DEFAULT_USER_PORT), meaning: 'port of the app' },
  { name: 'TRELLIS_APP_PROTOCOL', fallback: 'mirror', meaning: 'protocol to the app: mirror (HTTP/2 in, h2c out), http1 or h2c' },
  { name: 'CONTAINER_CONCURRENCY', fallback: '0', meaning: 'requests the app runs at once (0: unlimited, no breaker); 10x as many may wait' },
  { name: 'REVISION_TIMEOUT_SECONDS', fallback: String(DEFAULT_REVISION_TIMEOUT_SECONDS), meaning: 'overall request timeout, seconds (504)' },
  { name: 'REVISION_RESPONSE_START_TIMEOUT_SECONDS', fallback: '0', meaning: 'time to the first response byte, seconds (504; 0: off)' },
  { name: 'REVISION_IDLE_TIMEOUT_SECONDS', fallback: '0', meaning: 'longest pause between response bytes, seconds (504 or cut; 0: off)' },
  { name: 'SERVING_NAMESPACE', fallback: '(empty)', meaning: 'namespace label of stats and metrics' },
  { name: 'SERVING_CONFIGURATION', fallback: '(empty)', meaning: 'configuration label of stats and metrics' },
  { name: 'SERVING_REVISION', fallback: '(empty)', meaning: 'revision label of stats and metrics' },
  { name: 'SERVING_POD', fallback: 'hostname', meaning: 'pod name reported in Stat.pod_name' },
  { name: 'SERVING_POD_IP', fallback: '(empty)', meaning: 'pod IP for the request log' },
  { name: 'SERVING_READINESS_PROBE', fallback: 'TCP on USER_PORT', meaning: 'Kubernetes Probe JSON (tcpSocket or httpGet), or a list of them' },
  { name: 'SERVING_ENABLE_REQUEST_LOG', fallback: 'false', meaning: 'log one JSON line per request' },
  { name: 'SERVING_REQUEST_LOG_TEMPLATE', fallback: '(JSON fields)', meaning: 'Knative Go-template subset for the request log line' },
  { name: 'TRACING_CONFIG_BACKEND', fallback: 'none', meaning: 'none or zipkin' },
  { name: 'TRACING_CONFIG_ZIPKIN_ENDPOINT', fallback: '(none)', meaning: 'Zipkin v2 spans URL, required with zipkin' },
  { name: 'TRACING_CONFIG_SAMPLE_RATE', fallback: String(DEFAULT_TRACING_SAMPLE_RATE), meaning: 'fraction of new traces sampled (0-1)' },
  { name: 'TRACING_CONFIG_DEBUG', fallback: 'false', meaning: 'sample every trace' },
  { name: 'TRELLIS_DRAIN_QUIET_PERIOD_MS', fallback: String(DEFAULT_DRAIN_QUIET_PERIOD_MS), meaning: 'quiet time before /wait-for-drain returns and, after SIGTERM, before the listeners stop, ms' },
  ...INBOUND_POLICY_ENV,
];

const MAX_TIMEOUT_SECONDS = 24 * 3600;

function readTracing(env: Env): TracingConfig {
  const backend = readChoice(env, 'TRACING_CONFIG_BACKEND', 'none', ['none', 'zipkin'] as const);
  const zipkinEndpoint = readOptionalString(env, 'TRACING_CONFIG_ZIPKIN_ENDPOINT');
  if (backend === 'zipkin') {
    if (zipkinEndpoint === undefined) throw new ConfigError('TRACING_CONFIG_ZIPKIN_ENDPOINT', 'required when TRACING_CONFIG_BACKEND=zipkin');
    if (!URL.canParse(zipkinEndpoint)) throw new ConfigError('TRACING_CONFIG_ZIPKIN_ENDPOINT', `"${zipkinEndpoint}" is not a URL`);
  }
  const debug = readBoolean(env, 'TRACING_CONFIG_DEBUG', false);
  const sampleRate = readNumber(env, 'TRACING_CONFIG_SAMPLE_RATE', DEFAULT_TRACING_SAMPLE_RATE, 0, 1);
  return { backend, zipkinEndpoint, sampleRate: debug ? 1 : sampleRate };
}

function readRequestLog(env: Env): InboundConfig['requestLog'] {
  const enabled = readBoolean(env, 'SERVING_ENABLE_REQUEST_LOG', false);
  const text = readOptionalString(env, 'SERVING_REQUEST_LOG_TEMPLATE');
  return { enabled, template: text === undefined ? undefined : compileRequestLogTemplate(text) };
}

/** Reads and validates the inbound role's settings; throws ConfigError naming the first bad variable. */
export function loadInboundConfig(env: Env, hostname: string): InboundConfig {
  const appHost = readString(env, 'TRELLIS_APP_HOST', '127.0.0.1');
  const userPort = readPort(env, 'USER_PORT', DEFAULT_USER_PORT);
  if (userPort === 0) throw new ConfigError('USER_PORT', 'the app port must not be 0');
  const revisionTimeoutSeconds = readInteger(env, 'REVISION_TIMEOUT_SECONDS', DEFAULT_REVISION_TIMEOUT_SECONDS, 1, MAX_TIMEOUT_SECONDS);
  const responseStartSeconds = readInteger(env, 'REVISION_RESPONSE_START_TIMEOUT_SECONDS', 0, 0, MAX_TIMEOUT_SECONDS);
  const idleSeconds = readInteger(env, 'REVISION_IDLE_TIMEOUT_SECONDS', 0, 0, MAX_TIMEOUT_SECONDS);
  const namespace = readString(env, 'SERVING_NAMESPACE', '');
  const pod = readString(env, 'SERVING_POD', hostname);
  return {
    host: readString(env, 'TRELLIS_INBOUND_HOST', '0.0.0.0'),
    httpPort: readPort(env, 'QUEUE_SERVING_PORT', DEFAULT_HTTP_PORT),
    h2cPort: readPort(env, 'TRELLIS_INBOUND_H2C_PORT', DEFAULT_H2C_PORT),
    adminPort: readPort(env, 'TRELLIS_ADMIN_PORT', DEFAULT_ADMIN_PORT),
    statsPort: readPort(env, 'TRELLIS_STATS_PORT', DEFAULT_STATS_PORT),
    metricsPort: readPort(env, 'TRELLIS_METRICS_PORT', DEFAULT_METRICS_PORT),
    appHost,
    userPort,
    appProtocol: readChoice(env, 'TRELLIS_APP_PROTOCOL', 'mirror', APP_PROTOCOLS),
    containerConcurrency: readInteger(env, 'CONTAINER_CONCURRENCY', 0, 0, 1_000_000),
    revisionTimeoutMs: revisionTimeoutSeconds * 1000,
    responseStartTimeoutMs: responseStartSeconds * 1000,
    idleTimeoutMs: idleSeconds * 1000,
    namespace,
    configuration: readString(env, 'SERVING_CONFIGURATION', ''),
    revision: readString(env, 'SERVING_REVISION', ''),
    pod,
    podIp: readString(env, 'SERVING_POD_IP', ''),
    readinessProbe: parseReadinessProbe(readOptionalString(env, 'SERVING_READINESS_PROBE'), appHost, userPort),
    requestLog: readRequestLog(env),
    tracing: readTracing(env),
    drainQuietPeriodMs: readInteger(env, 'TRELLIS_DRAIN_QUIET_PERIOD_MS', DEFAULT_DRAIN_QUIET_PERIOD_MS, 0, 3_600_000),
    policy: readInboundPolicyConfig(env, namespace, pod),
    accessLog: readAccessLog(env),
  };
}

/** A `--help` section: every variable with its default. */
export function envHelp(title: string, variables: readonly EnvVarDoc[]): string {
  const width = Math.max(...variables.map((v) => v.name.length));
  const rows = variables.map((v) => `  ${v.name.padEnd(width)}  ${v.meaning} (default: ${v.fallback})`);
  return [title, ...rows].join('\n');
}

export function inboundHelp(): string {
  return envHelp('Inbound (Knative queue-proxy role), configured by environment:', INBOUND_ENV);
}
