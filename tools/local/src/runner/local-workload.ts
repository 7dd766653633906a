import type { Deployment } from '@trellis/kube';

// How a Deployment opts into local mode: this annotation on the Deployment holds the command that starts
// one replica of the app (a JSON array of strings, or words separated by spaces). See docs/local-mode.md.
export const COMMAND_ANNOTATION = 'local.trellis.io/command';
// Optional: the name of the app container whose env is copied (default: the first that is not the proxy).
export const CONTAINER_ANNOTATION = 'local.trellis.io/container';
// The sidecar's container name in deploy/ manifests; its plain env values are passed to the local proxy.
export const PROXY_CONTAINER_NAME = 'trellis-proxy';
// Knative's user-container port (queue-proxy USER_PORT default).
export const DEFAULT_USER_PORT = 8080;
// A local machine runs a few dozen processes comfortably; more is almost surely a typo in spec.replicas.
export const MAX_LOCAL_REPLICAS = 32;

/** One env entry: a literal, or a downward-API field filled in per replica. */
export type EnvTemplate =
  | { name: string; value: string }
  | { name: string; field: 'metadata.name' | 'metadata.namespace' | 'status.podIP' };

const DOWNWARD_FIELDS = new Set(['metadata.name', 'metadata.namespace', 'status.podIP']);

export interface LocalWorkload {
  /** namespace/name */
  key: string;
  namespace: string;
  name: string;
  replicas: number;
  command: string[];
  appEnv: EnvTemplate[];
  proxyEnv: EnvTemplate[];
  userPort: number;
  /** The pod template's labels, matched by Service selectors. */
  labels: Record<string, string>;
  /** Named container ports declared in the template (the proxy's standard ports are added by the runner). */
  namedPorts: Record<string, number>;
  /** Everything that shapes a replica except the count: when it changes, replicas are replaced. */
  signature: string;
}

export type WorkloadResult =
  | { kind: 'skip' }
  | { kind: 'ok'; workload: LocalWorkload }
  | { kind: 'invalid'; key: string; reason: string };

interface ContainerShape {
  name?: unknown;
  env?: unknown;
  ports?: unknown;
}

/** Splits the command annotation: a JSON array of strings, or words separated by whitespace. */
export function parseCommand(text: string): string[] | string {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      return `${COMMAND_ANNOTATION} looks like a JSON array but does not parse: ${(err as Error).message}`;
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || parsed.some((p) => typeof p !== 'string' || p === '')) {
      return `${COMMAND_ANNOTATION} must be a non-empty JSON array of non-empty strings`;
    }
    return parsed as string[];
  }
  const words = trimmed.split(/\s+/).filter((w) => w !== '');
  return words.length > 0 ? words : `${COMMAND_ANNOTATION} is empty`;
}

function readEnv(container: ContainerShape | undefined): EnvTemplate[] {
  if (!Array.isArray(container?.env)) return [];
  const out: EnvTemplate[] = [];
  for (const entry of container.env as unknown[]) {
    const e = entry as { name?: unknown; value?: unknown; valueFrom?: { fieldRef?: { fieldPath?: unknown } } };
    if (typeof e?.name !== 'string' || e.name === '') continue;
    const fieldPath = e.valueFrom?.fieldRef?.fieldPath;
    if (typeof fieldPath === 'string' && DOWNWARD_FIELDS.has(fieldPath)) {
      out.push({ name: e.name, field: fieldPath as 'metadata.name' });
    } else if (e.value !== undefined && e.value !== null && typeof e.value !== 'object') {
      out.push({ name: e.name, value: String(e.value) });
    }
  }
  return out;
}

function readNamedPorts(containers: ContainerShape[]): Record<string, number> {
  const ports: Record<string, number> = {};
  for (const c of containers) {
    if (!Array.isArray(c.ports)) continue;
    for (const p of c.ports as { name?: unknown; containerPort?: unknown }[]) {
      if (typeof p?.name === 'string' && typeof p.containerPort === 'number') ports[p.name] = p.containerPort;
    }
  }
  return ports;
}

function envValue(env: EnvTemplate[], name: string): string | undefined {
  const found = env.find((e) => e.name === name);
  return found && 'value' in found ? found.value : undefined;
}

function readUserPort(proxyEnv: EnvTemplate[], appEnv: EnvTemplate[]): number | string {
  const raw = envValue(proxyEnv, 'USER_PORT') ?? envValue(appEnv, 'PORT');
  if (raw === undefined) return DEFAULT_USER_PORT;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) return `USER_PORT/PORT must be a port number, got "${raw}"`;
  return Number(raw);
}

/** Reads a Deployment as a local workload: skipped when it has no command annotation, invalid with a reason. */
export function readLocalWorkload(deployment: Deployment): WorkloadResult {
  const annotations = deployment.metadata.annotations ?? {};
  const commandText = annotations[COMMAND_ANNOTATION];
  if (commandText === undefined) return { kind: 'skip' };
  const namespace = deployment.metadata.namespace ?? 'default';
  const name = deployment.metadata.name;
  const key = `${namespace}/${name}`;
  const invalid = (reason: string): WorkloadResult => ({ kind: 'invalid', key, reason });

  const command = parseCommand(String(commandText));
  if (typeof command === 'string') return invalid(command);
  const replicas = deployment.spec?.replicas ?? 1;
  if (!Number.isSafeInteger(replicas) || replicas < 0 || replicas > MAX_LOCAL_REPLICAS) {
    return invalid(`spec.replicas must be an integer between 0 and ${MAX_LOCAL_REPLICAS} in local mode, got ${String(replicas)}`);
  }
  const podSpec = deployment.spec?.template?.spec as { containers?: unknown } | undefined;
  const containers = (Array.isArray(podSpec?.containers) ? podSpec.containers : []) as ContainerShape[];
  const wanted = annotations[CONTAINER_ANNOTATION];
  const app = wanted === undefined ? containers.find((c) => c?.name !== PROXY_CONTAINER_NAME) : containers.find((c) => c?.name === wanted);
  if (wanted !== undefined && !app) return invalid(`${CONTAINER_ANNOTATION} names container "${wanted}", which the pod template lacks`);
  const proxy = containers.find((c) => c?.name === PROXY_CONTAINER_NAME);
  const appEnv = readEnv(app);
  const proxyEnv = readEnv(proxy);
  const userPort = readUserPort(proxyEnv, appEnv);
  if (typeof userPort === 'string') return invalid(userPort);
  const labels = { ...(deployment.spec?.template?.metadata?.labels ?? {}) };
  const namedPorts = readNamedPorts(containers);
  const signature = JSON.stringify({ command, appEnv, proxyEnv, userPort, labels, namedPorts });
  return { kind: 'ok', workload: { key, namespace, name, replicas, command, appEnv, proxyEnv, userPort, labels, namedPorts, signature } };
}

/** Fills in an env template for one replica. */
export function resolveEnv(env: EnvTemplate[], pod: { name: string; namespace: string; address: string }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    if ('value' in e) out[e.name] = e.value;
    else out[e.name] = e.field === 'metadata.name' ? pod.name : e.field === 'metadata.namespace' ? pod.namespace : pod.address;
  }
  return out;
}
