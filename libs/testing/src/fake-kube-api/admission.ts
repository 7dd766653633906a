import { randomUUID } from 'node:crypto';
import { request } from 'node:https';
import { jsonPatch } from './patch';
import type { ResourceType } from './resources';

// Just enough of the API server's mutating admission (admissionregistration.k8s.io/v1) to drive a real webhook:
// on CREATE, every matching webhook of every MutatingWebhookConfiguration gets an AdmissionReview v1 over HTTPS
// (clientConfig.url, trusted through caBundle) and its JSON Patch is applied. No reinvocation, no
// matchConditions, no service references (the fake cannot resolve a Service to a webhook pod).

/** Kubernetes' default for webhooks.timeoutSeconds (admissionregistration/v1). */
const DEFAULT_TIMEOUT_SECONDS = 10;
/** Ours: an AdmissionReview answer larger than this is a failed call. */
const MAX_ANSWER_BYTES = 6 * 1024 * 1024;

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

interface Rule {
  operations?: string[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
}

export interface MutatingWebhook {
  name: string;
  clientConfig?: { url?: string; caBundle?: string; service?: unknown };
  rules?: Rule[];
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  failurePolicy?: 'Fail' | 'Ignore';
  timeoutSeconds?: number;
}

export interface AdmissionInput {
  resource: ResourceType;
  namespace: string | undefined;
  /** Labels of the namespace object (with kubernetes.io/metadata.name, as the API server sets it). */
  namespaceLabels: Record<string, string>;
  object: { metadata: { name: string; labels?: Record<string, string> } };
}

export type AdmissionOutcome = { allowed: true; object: unknown } | { allowed: false; code: number; message: string };

/** Kubernetes label selector semantics; an absent or empty selector matches everything. */
export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector?.matchExpressions ?? []) {
    const has = e.key in labels;
    const value = labels[e.key];
    const ok =
      e.operator === 'In' ? has && (e.values ?? []).includes(value ?? '')
      : e.operator === 'NotIn' ? !has || !(e.values ?? []).includes(value ?? '')
      : e.operator === 'Exists' ? has
      : !has;
    if (!ok) return false;
  }
  return true;
}

const any = (list: string[] | undefined, value: string) => (list ?? []).some((x) => x === '*' || x === value);

function ruleMatches(rules: Rule[] | undefined, resource: ResourceType): boolean {
  return (rules ?? []).some((r) => any(r.operations, 'CREATE') && any(r.apiGroups, resource.group) && any(r.apiVersions, resource.version) && any(r.resources, resource.plural));
}

function postReview(webhook: MutatingWebhook, review: unknown): Promise<unknown> {
  const url = webhook.clientConfig?.url;
  if (url === undefined || !url.startsWith('https://')) return Promise.reject(new Error('only clientConfig.url (https) is supported by the fake'));
  const ca = webhook.clientConfig?.caBundle ? Buffer.from(webhook.clientConfig.caBundle, 'base64') : undefined;
  const timeout = (webhook.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ...(ca ? { ca } : {}), timeout, headers: { 'content-type': 'application/json', accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_ANSWER_BYTES) req.destroy(new Error('answer too large'));
        else chunks.push(c);
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`webhook answered ${res.statusCode}`));
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeout} ms`)));
    req.on('error', reject);
    req.end(JSON.stringify(review));
  });
}

/** Runs the matching webhooks in order; a failed call rejects the object unless the webhook's failurePolicy is Ignore. */
export async function admit(webhooks: readonly MutatingWebhook[], input: AdmissionInput): Promise<AdmissionOutcome> {
  let object: unknown = input.object;
  for (const webhook of webhooks) {
    if (!ruleMatches(webhook.rules, input.resource)) continue;
    if (input.resource.namespaced && !selectorMatches(webhook.namespaceSelector, input.namespaceLabels)) continue;
    if (!selectorMatches(webhook.objectSelector, (object as AdmissionInput['object']).metadata.labels ?? {})) continue;
    const uid = randomUUID();
    const { group, version, plural, kind } = input.resource;
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid,
        kind: { group, version, kind },
        resource: { group, version, resource: plural },
        ...(input.namespace === undefined ? {} : { namespace: input.namespace }),
        name: input.object.metadata.name,
        operation: 'CREATE',
        userInfo: { username: 'system:fake-kube-api' },
        object,
        dryRun: false,
      },
    };
    let response: { uid?: string; allowed?: boolean; patch?: string; patchType?: string; status?: { code?: number; message?: string } } | undefined;
    try {
      response = ((await postReview(webhook, review)) as { response?: typeof response }).response;
      if (response?.uid !== uid) throw new Error('the answer does not carry the review uid');
    } catch (err) {
      if (webhook.failurePolicy === 'Ignore') continue;
      return { allowed: false, code: 500, message: `Internal error occurred: failed calling webhook "${webhook.name}": ${(err as Error).message}` };
    }
    if (response.allowed !== true) {
      return { allowed: false, code: response.status?.code ?? 400, message: `admission webhook "${webhook.name}" denied the request: ${response.status?.message ?? ''}` };
    }
    if (response.patch !== undefined && response.patchType === 'JSONPatch') {
      object = jsonPatch(object, JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')));
    }
  }
  return { allowed: true, object };
}
