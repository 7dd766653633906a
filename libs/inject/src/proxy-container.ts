import {
  APP_PROTOCOL_ANNOTATION,
  CONTAINER_CONCURRENCY_ANNOTATION,
  DEFAULT_AUTOSCALER_ADDR,
  DEFAULT_CONTAINER_CONCURRENCY,
  DEFAULT_DESTINATION_ADDR,
  DEFAULT_POLICY_ADDR,
  DEFAULT_IDENTITY_ADDR,
  DEFAULT_PROXY_IMAGE,
  DEFAULT_TIMEOUT_SECONDS,
  DEFAULT_USER_PORT,
  IDENTITY_TOKEN_AUDIENCE,
  IDENTITY_TOKEN_DIR,
  IDENTITY_TOKEN_EXPIRATION_SECONDS,
  IDENTITY_TOKEN_VOLUME,
  IDENTITY_TRUST_ROOTS_CONFIGMAP,
  IDENTITY_TRUST_ROOTS_DIR,
  IDENTITY_TRUST_ROOTS_VOLUME,
  IDLE_TIMEOUT_ANNOTATION,
  MAX_CONTAINER_CONCURRENCY,
  MAX_TIMEOUT_SECONDS,
  PROXY_CONTAINER_NAME,
  PROXY_IMAGE_ANNOTATION,
  PROXY_PORTS,
  PROXY_RESOURCES,
  RESPONSE_START_TIMEOUT_ANNOTATION,
  TIMEOUT_SECONDS_ANNOTATION,
  USER_PORT_ANNOTATION,
} from './defaults';
import { InjectError } from './errors';
import type { Container, EnvVar, Json, PodSpec } from './pod';

export interface ProxySettings {
  /** Image of the proxy when the pod does not name one (trellis.io/proxy-image). */
  image?: string;
  destinationAddr?: string;
  autoscalerAddr?: string;
  identityAddr?: string;
}

const APP_PROTOCOLS = ['mirror', 'http1', 'h2c'];

function integerAnnotation(annotations: Record<string, string>, key: string, min: number, max: number): number | undefined {
  const raw = annotations[key];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
    throw new InjectError('INJECT_BAD_ANNOTATION', `annotation ${key}: "${raw}" is not an integer in [${min}, ${max}]`);
  }
  return Number(raw);
}

/** The app's port: the annotation, else the first container's first port, else its PORT variable, else Knative's 8080. */
function userPort(annotations: Record<string, string>, app: Container | undefined): number {
  const annotated = integerAnnotation(annotations, USER_PORT_ANNOTATION, 1, 65_535);
  if (annotated !== undefined) return annotated;
  const declared = app?.ports?.[0]?.containerPort;
  if (declared !== undefined) return declared;
  const fromEnv = app?.env?.find((e) => e.name === 'PORT')?.value;
  return fromEnv !== undefined && /^\d+$/.test(fromEnv) ? Number(fromEnv) : DEFAULT_USER_PORT;
}

/** The app's readiness probe for the proxy to run (Knative's SERVING_READINESS_PROBE), named ports resolved. */
function readinessProbe(app: Container | undefined): string | undefined {
  const probe = app?.readinessProbe;
  if (probe === undefined) return undefined;
  const resolve = (action: unknown): Json | undefined => {
    if (typeof action !== 'object' || action === null) return undefined;
    const a = action as Json;
    if (typeof a['port'] !== 'string') return a;
    const port = app?.ports?.find((p) => p.name === a['port'])?.containerPort;
    if (port === undefined) throw new InjectError('INJECT_BAD_OBJECT', `container ${app?.name}: readiness probe port "${a['port']}" names no port`);
    return { ...a, port };
  };
  const httpGet = resolve(probe['httpGet']);
  const tcpSocket = resolve(probe['tcpSocket']);
  if (httpGet === undefined && tcpSocket === undefined) return undefined;
  return JSON.stringify({ ...(httpGet ? { httpGet } : {}), ...(tcpSocket ? { tcpSocket } : {}) });
}

const fieldRef = (name: string, fieldPath: string): EnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } });

function proxyEnv(annotations: Record<string, string>, workload: string, app: Container | undefined, settings: ProxySettings): EnvVar[] {
  const cc = integerAnnotation(annotations, CONTAINER_CONCURRENCY_ANNOTATION, 0, MAX_CONTAINER_CONCURRENCY) ?? DEFAULT_CONTAINER_CONCURRENCY;
  const timeout = integerAnnotation(annotations, TIMEOUT_SECONDS_ANNOTATION, 1, MAX_TIMEOUT_SECONDS) ?? DEFAULT_TIMEOUT_SECONDS;
  const env: EnvVar[] = [
    { name: 'USER_PORT', value: String(userPort(annotations, app)) },
    { name: 'CONTAINER_CONCURRENCY', value: String(cc) },
    { name: 'REVISION_TIMEOUT_SECONDS', value: String(timeout) },
    { name: 'SERVING_CONFIGURATION', value: workload },
    { name: 'SERVING_REVISION', value: workload },
    fieldRef('SERVING_NAMESPACE', 'metadata.namespace'),
    fieldRef('SERVING_POD', 'metadata.name'),
    fieldRef('SERVING_POD_IP', 'status.podIP'),
    { name: 'TRELLIS_DESTINATION_ADDR', value: settings.destinationAddr ?? DEFAULT_DESTINATION_ADDR },
    { name: 'TRELLIS_POLICY_ADDR', value: DEFAULT_POLICY_ADDR },
    { name: 'TRELLIS_AUTOSCALER_ADDR', value: settings.autoscalerAddr ?? DEFAULT_AUTOSCALER_ADDR },
    { name: 'TRELLIS_IDENTITY_ADDR', value: settings.identityAddr ?? DEFAULT_IDENTITY_ADDR },
    { name: 'TRELLIS_IDENTITY_TOKEN_FILE', value: `${IDENTITY_TOKEN_DIR}/${IDENTITY_TOKEN_VOLUME}` },
    { name: 'TRELLIS_IDENTITY_TRUST_ANCHORS', value: `${IDENTITY_TRUST_ROOTS_DIR}/ca-bundle.crt` },
    fieldRef('TRELLIS_IDENTITY_SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    fieldRef('TRELLIS_IDENTITY_NAMESPACE', 'metadata.namespace'),
  ];
  const optional: [string, number | undefined][] = [
    ['REVISION_RESPONSE_START_TIMEOUT_SECONDS', integerAnnotation(annotations, RESPONSE_START_TIMEOUT_ANNOTATION, 0, MAX_TIMEOUT_SECONDS)],
    ['REVISION_IDLE_TIMEOUT_SECONDS', integerAnnotation(annotations, IDLE_TIMEOUT_ANNOTATION, 0, MAX_TIMEOUT_SECONDS)],
  ];
  for (const [name, value] of optional) if (value !== undefined) env.push({ name, value: String(value) });
  const protocol = annotations[APP_PROTOCOL_ANNOTATION];
  if (protocol !== undefined) {
    if (!APP_PROTOCOLS.includes(protocol)) {
      throw new InjectError('INJECT_BAD_ANNOTATION', `annotation ${APP_PROTOCOL_ANNOTATION}: "${protocol}" is not one of ${APP_PROTOCOLS.join(', ')}`);
    }
    env.push({ name: 'TRELLIS_APP_PROTOCOL', value: protocol });
  }
  const probe = readinessProbe(app);
  if (probe !== undefined) env.push({ name: 'SERVING_READINESS_PROBE', value: probe });
  return env;
}

/**
 * The proxy container for a pod: Knative's queue-proxy contract (env, the 8012/8013/8022/9090/9091 ports, a
 * readiness probe through the proxy with `K-Network-Probe: queue`, a preStop that waits for the drain) plus the
 * Trellis control-plane addresses. `workload` names the configuration/revision labels of its metrics.
 */
export function proxyContainer(annotations: Record<string, string>, workload: string, spec: PodSpec, settings: ProxySettings): Container {
  return {
    name: PROXY_CONTAINER_NAME,
    image: annotations[PROXY_IMAGE_ANNOTATION] ?? settings.image ?? DEFAULT_PROXY_IMAGE,
    ports: PROXY_PORTS.map((p) => ({ ...p })),
    env: proxyEnv(annotations, workload, spec.containers[0], settings),
    readinessProbe: {
      httpGet: { path: '/', port: 'http', httpHeaders: [{ name: 'K-Network-Probe', value: 'queue' }] },
      periodSeconds: 1,
      failureThreshold: 3,
    },
    livenessProbe: { httpGet: { path: '/live', port: 'admin' }, periodSeconds: 10 },
    lifecycle: { preStop: { httpGet: { path: '/wait-for-drain', port: 'admin' } } },
    resources: structuredClone(PROXY_RESOURCES) as Json,
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    volumeMounts: [
      { name: IDENTITY_TOKEN_VOLUME, mountPath: IDENTITY_TOKEN_DIR, readOnly: true },
      { name: IDENTITY_TRUST_ROOTS_VOLUME, mountPath: IDENTITY_TRUST_ROOTS_DIR, readOnly: true },
    ],
  };
}

/**
 * The pod volumes the proxy's identity needs: a projected ServiceAccount token for Linkerd's audience, and the
 * trust anchors' ConfigMap.
 */
export function identityVolumes(): Json[] {
  return [
    {
      name: IDENTITY_TOKEN_VOLUME,
      projected: { sources: [{ serviceAccountToken: { path: IDENTITY_TOKEN_VOLUME, audience: IDENTITY_TOKEN_AUDIENCE, expirationSeconds: IDENTITY_TOKEN_EXPIRATION_SECONDS } }] },
    },
    { name: IDENTITY_TRUST_ROOTS_VOLUME, configMap: { name: IDENTITY_TRUST_ROOTS_CONFIGMAP } },
  ];
}
