import { Ajv } from 'ajv';
import type { LinkerdPolicyKind } from '@trellis/kube';

// Structure of Linkerd's policy.linkerd.io specs (the CRD schemas of Server v1beta3 and the v1alpha1
// AuthorizationPolicy, MeshTLSAuthentication, NetworkAuthentication and HTTPLocalRateLimitPolicy, trimmed to
// what Trellis reads, with list bounds of our own). Unknown fields are allowed, as the CRDs allow them.
// Semantics (CIDRs, rates, reference kinds, what a reference names) are checked by policy-translation.ts.
const name = { type: 'string', minLength: 1, maxLength: 253 };
const reference = {
  type: 'object',
  required: ['kind', 'name'],
  properties: { group: { type: 'string', maxLength: 253 }, kind: { type: 'string', minLength: 1, maxLength: 63 }, name, namespace: name },
};
const labelSelector = {
  type: 'object',
  properties: {
    matchLabels: { type: 'object', maxProperties: 64, additionalProperties: { type: 'string', maxLength: 63 } },
    matchExpressions: {
      type: 'array',
      maxItems: 32,
      items: {
        type: 'object',
        required: ['key', 'operator'],
        properties: {
          key: { type: 'string', minLength: 1, maxLength: 317 },
          operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
          values: { type: 'array', maxItems: 64, items: { type: 'string', maxLength: 63 } },
        },
      },
    },
  },
};
const limit = { type: 'object', required: ['requestsPerSecond'], properties: { requestsPerSecond: { type: 'integer' } } };

/** Linkerd's default inbound policies (config.linkerd.io/default-inbound-policy, Server.spec.accessPolicy). */
export const DEFAULT_INBOUND_POLICIES = ['all-unauthenticated', 'all-authenticated', 'cluster-unauthenticated', 'cluster-authenticated', 'deny', 'audit'] as const;
export type DefaultInboundPolicy = (typeof DEFAULT_INBOUND_POLICIES)[number];

/** Server.spec.proxyProtocol values (Linkerd's; `unknown` means detect). */
export const PROXY_PROTOCOLS = ['unknown', 'HTTP/1', 'HTTP/2', 'gRPC', 'opaque', 'TLS'] as const;
export type ProxyProtocolName = (typeof PROXY_PROTOCOLS)[number];

const SCHEMAS: Record<LinkerdPolicyKind, object> = {
  Server: {
    type: 'object',
    required: ['podSelector', 'port'],
    properties: {
      podSelector: labelSelector,
      port: {
        anyOf: [
          { type: 'integer', minimum: 1, maximum: 65535 },
          { type: 'string', minLength: 1, maxLength: 15, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
        ],
      },
      proxyProtocol: { enum: PROXY_PROTOCOLS },
      accessPolicy: { enum: DEFAULT_INBOUND_POLICIES },
    },
  },
  AuthorizationPolicy: {
    type: 'object',
    required: ['targetRef', 'requiredAuthenticationRefs'],
    properties: { targetRef: reference, requiredAuthenticationRefs: { type: 'array', maxItems: 16, items: reference } },
  },
  MeshTLSAuthentication: {
    type: 'object',
    properties: {
      identities: { type: 'array', maxItems: 256, items: { type: 'string', minLength: 1, maxLength: 253 } },
      identityRefs: { type: 'array', maxItems: 256, items: reference },
    },
  },
  NetworkAuthentication: {
    type: 'object',
    required: ['networks'],
    properties: {
      networks: {
        type: 'array',
        minItems: 1,
        maxItems: 64,
        items: {
          type: 'object',
          required: ['cidr'],
          properties: { cidr: { type: 'string', minLength: 1, maxLength: 64 }, except: { type: 'array', maxItems: 64, items: { type: 'string', maxLength: 64 } } },
        },
      },
    },
  },
  HTTPLocalRateLimitPolicy: {
    type: 'object',
    required: ['targetRef'],
    properties: {
      targetRef: reference,
      total: limit,
      identity: limit,
      overrides: {
        type: 'array',
        maxItems: 64,
        items: {
          type: 'object',
          required: ['requestsPerSecond', 'clientRefs'],
          properties: { requestsPerSecond: { type: 'integer' }, clientRefs: { type: 'array', minItems: 1, maxItems: 64, items: reference } },
        },
      },
    },
  },
};

const ajv = new Ajv({ allErrors: false, strict: false });
const validators = Object.fromEntries(Object.entries(SCHEMAS).map(([kind, schema]) => [kind, ajv.compile(schema)])) as Record<
  LinkerdPolicyKind,
  ReturnType<typeof ajv.compile>
>;

/** undefined when the spec has the expected structure, else a reason naming the field. */
export function checkPolicyStructure(kind: LinkerdPolicyKind, spec: unknown): string | undefined {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return 'spec must be an object';
  const validate = validators[kind];
  if (validate(spec)) return undefined;
  const error = validate.errors?.[0];
  if (!error) return 'invalid spec';
  const allowed = error.params && 'allowedValues' in error.params ? ` (${(error.params.allowedValues as unknown[]).join(', ')})` : '';
  return `spec${error.instancePath.replaceAll('/', '.')} ${error.message ?? 'is invalid'}${allowed}`;
}
