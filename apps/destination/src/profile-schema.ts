import { Ajv } from 'ajv';
import type { ServiceProfileSpec } from '@trellis/kube';

// Structure of a linkerd.io/v1alpha2 ServiceProfile spec (Linkerd's CRD schema, trimmed to the fields
// Trellis reads; unknown fields are allowed as the CRD allows them). Semantics (regexes, durations,
// ranges, quantities) are checked by profile-translation.ts.
const SCHEMA = {
  $id: 'service-profile-spec',
  type: 'object',
  $defs: {
    requestMatch: {
      type: 'object',
      properties: {
        all: { type: 'array', items: { $ref: '#/$defs/requestMatch' } },
        any: { type: 'array', items: { $ref: '#/$defs/requestMatch' } },
        not: { $ref: '#/$defs/requestMatch' },
        pathRegex: { type: 'string' },
        method: { type: 'string', minLength: 1 },
      },
    },
    responseMatch: {
      type: 'object',
      properties: {
        all: { type: 'array', items: { $ref: '#/$defs/responseMatch' } },
        any: { type: 'array', items: { $ref: '#/$defs/responseMatch' } },
        not: { $ref: '#/$defs/responseMatch' },
        status: {
          type: 'object',
          properties: { min: { type: 'integer' }, max: { type: 'integer' } },
        },
      },
    },
  },
  properties: {
    routes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'condition'],
        properties: {
          name: { type: 'string', minLength: 1 },
          condition: { $ref: '#/$defs/requestMatch' },
          responseClasses: {
            type: 'array',
            items: {
              type: 'object',
              required: ['condition'],
              properties: { condition: { $ref: '#/$defs/responseMatch' }, isFailure: { type: 'boolean' } },
            },
          },
          isRetryable: { type: 'boolean' },
          timeout: { type: 'string' },
        },
      },
    },
    retryBudget: {
      type: 'object',
      required: ['retryRatio', 'minRetriesPerSecond', 'ttl'],
      properties: {
        retryRatio: { type: 'number', minimum: 0 },
        minRetriesPerSecond: { type: 'integer', minimum: 0, maximum: 4294967295 },
        ttl: { type: 'string' },
      },
    },
    dstOverrides: {
      type: 'array',
      items: {
        type: 'object',
        required: ['authority', 'weight'],
        properties: { authority: { type: 'string', minLength: 1 }, weight: { type: ['string', 'number'] } },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: false, strict: false });
const validate = ajv.compile<ServiceProfileSpec>(SCHEMA);

/** undefined when the spec has the expected structure, else a reason naming the field. */
export function checkProfileStructure(spec: unknown): string | undefined {
  if (validate(spec)) return undefined;
  const error = validate.errors?.[0];
  if (!error) return 'invalid spec';
  const where = `spec${error.instancePath.replaceAll('/', '.')}`;
  return `${where} ${error.message ?? 'is invalid'}`;
}
