import { PROXY_ANNOTATION } from './defaults';
import { InjectError } from './errors';
import { decide, injectTemplate, missingVolumes, workloadName, type InjectOptions } from './inject-pod';
import type { Container, Json, ObjectMeta, PodTemplate } from './pod';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

export interface JsonPatchOp {
  op: 'add';
  path: string;
  value: unknown;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: 'JSONPatch';
  /** base64 of the JSON Patch. */
  patch?: string;
  status?: { code: number; message: string };
  warnings?: string[];
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  namespace?: string;
  operation?: string;
  object?: unknown;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The request of an AdmissionReview v1, or an INJECT_BAD_REVIEW error that says what is wrong. */
export function admissionRequest(body: unknown): AdmissionRequest {
  if (!isObject(body) || body['kind'] !== 'AdmissionReview' || body['apiVersion'] !== ADMISSION_API_VERSION) {
    throw new InjectError('INJECT_BAD_REVIEW', `expected an AdmissionReview of ${ADMISSION_API_VERSION}`);
  }
  const request = body['request'];
  if (!isObject(request) || typeof request['uid'] !== 'string' || request['uid'] === '') {
    throw new InjectError('INJECT_BAD_REVIEW', 'the AdmissionReview has no request.uid');
  }
  return request as unknown as AdmissionRequest;
}

const escapePointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** The JSON Patch (RFC 6902, adds only) that turns `pod` into `injected`. */
export function injectionPatch(pod: PodTemplate, injected: PodTemplate, mode: InjectOptions['mode']): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  if (mode === 'native') {
    const proxy = injected.spec.initContainers?.[0] as Container;
    ops.push(pod.spec.initContainers === undefined ? { op: 'add', path: '/spec/initContainers', value: [proxy] } : { op: 'add', path: '/spec/initContainers/0', value: proxy });
  } else {
    ops.push({ op: 'add', path: '/spec/containers/-', value: injected.spec.containers[injected.spec.containers.length - 1] });
  }
  const volumes = missingVolumes(pod.spec);
  if (pod.spec.volumes === undefined && volumes.length > 0) ops.push({ op: 'add', path: '/spec/volumes', value: volumes });
  else for (const v of volumes) ops.push({ op: 'add', path: '/spec/volumes/-', value: v });
  if (pod.metadata?.annotations === undefined) {
    if (pod.metadata === undefined) ops.push({ op: 'add', path: '/metadata', value: {} });
    ops.push({ op: 'add', path: '/metadata/annotations', value: { [PROXY_ANNOTATION]: 'enabled' } });
  } else {
    ops.push({ op: 'add', path: `/metadata/annotations/${escapePointer(PROXY_ANNOTATION)}`, value: 'enabled' });
  }
  return ops;
}

function allowed(uid: string, extra: Partial<AdmissionResponse> = {}): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response: { uid, allowed: true, ...extra } };
}

/**
 * The webhook's answer to one AdmissionReview: a JSON Patch that adds the proxy to a Pod that should have it,
 * no patch for any other object or a Pod that is skipped, and a refusal with the reason when the Pod's
 * annotations are invalid (so a mistyped setting is seen at `kubectl apply`, not in a crash-looping proxy).
 */
export function reviewPod(body: unknown, options: InjectOptions): AdmissionReviewResponse {
  const request = admissionRequest(body);
  const pod = request.object;
  if (request.kind?.kind !== 'Pod' || !isObject(pod) || !isObject(pod['spec']) || !Array.isArray(pod['spec']['containers'])) return allowed(request.uid);
  const template = pod as unknown as PodTemplate;
  const decision = decide(template, options);
  if (!decision.inject) return allowed(request.uid);
  try {
    const meta = template.metadata as ObjectMeta | undefined;
    const injected = injectTemplate(template, workloadName(meta, request.namespace ?? 'pod'), options);
    const patch = Buffer.from(JSON.stringify(injectionPatch(template, injected, options.mode))).toString('base64');
    return allowed(request.uid, { patchType: 'JSONPatch', patch });
  } catch (err) {
    if (!(err instanceof InjectError)) throw err;
    return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response: { uid: request.uid, allowed: false, status: { code: 400, message: `trellis injection: ${err.message}` } } };
  }
}
