import { Ajv } from 'ajv';
import type { GatewayRouteSpec } from '@trellis/kube';

// Structure of Gateway API v1 HTTPRoute and GRPCRoute specs (the standard-channel CRD schema trimmed to what
// Trellis reads, with its list bounds; the experimental HTTPRoute `retry` included). Unknown fields are
// allowed, as the CRD allows them. Semantics (regexes, durations, weights, parents) are checked by
// route-translation.ts.
const name = { type: 'string', minLength: 1, maxLength: 253 };
const headerModifier = {
  type: 'object',
  properties: {
    set: { type: 'array', maxItems: 16, items: { $ref: '#/$defs/header' } },
    add: { type: 'array', maxItems: 16, items: { $ref: '#/$defs/header' } },
    remove: { type: 'array', maxItems: 16, items: { type: 'string', minLength: 1 } },
  },
};
const backendRef = {
  type: 'object',
  required: ['name'],
  properties: {
    group: { type: 'string' },
    kind: { type: 'string' },
    name,
    namespace: name,
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    weight: { type: 'integer', minimum: 0, maximum: 1_000_000 },
    filters: { type: 'array', maxItems: 16, items: { $ref: '#/$defs/filter' } },
  },
};
const headerMatch = {
  type: 'object',
  required: ['name', 'value'],
  properties: {
    type: { enum: ['Exact', 'RegularExpression'] },
    name: { type: 'string', minLength: 1, maxLength: 256 },
    value: { type: 'string', maxLength: 4096 },
  },
};
const common = {
  parentRefs: {
    type: 'array',
    maxItems: 32,
    items: {
      type: 'object',
      required: ['name'],
      properties: {
        group: { type: 'string' },
        kind: { type: 'string' },
        namespace: name,
        name,
        sectionName: name,
        port: { type: 'integer', minimum: 1, maximum: 65535 },
      },
    },
  },
  hostnames: { type: 'array', maxItems: 16, items: { type: 'string', minLength: 1, maxLength: 253 } },
};

const HTTP_ROUTE_SPEC = {
  type: 'object',
  $defs: {
    header: { type: 'object', required: ['name', 'value'], properties: { name: { type: 'string', minLength: 1 }, value: { type: 'string' } } },
    pathModifier: {
      type: 'object',
      required: ['type'],
      properties: {
        type: { enum: ['ReplaceFullPath', 'ReplacePrefixMatch'] },
        replaceFullPath: { type: 'string' },
        replacePrefixMatch: { type: 'string' },
      },
    },
    filter: {
      type: 'object',
      required: ['type'],
      properties: {
        type: { enum: ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'RequestRedirect', 'URLRewrite', 'ExtensionRef'] },
        requestHeaderModifier: headerModifier,
        responseHeaderModifier: headerModifier,
        requestRedirect: {
          type: 'object',
          properties: {
            scheme: { enum: ['http', 'https'] },
            hostname: { type: 'string' },
            path: { $ref: '#/$defs/pathModifier' },
            port: { type: 'integer', minimum: 1, maximum: 65535 },
            statusCode: { enum: [301, 302] },
          },
        },
        urlRewrite: { type: 'object', properties: { hostname: { type: 'string' }, path: { $ref: '#/$defs/pathModifier' } } },
      },
    },
  },
  properties: {
    ...common,
    rules: {
      type: 'array',
      maxItems: 16,
      items: {
        type: 'object',
        properties: {
          matches: {
            type: 'array',
            maxItems: 64,
            items: {
              type: 'object',
              properties: {
                path: {
                  type: 'object',
                  properties: { type: { enum: ['Exact', 'PathPrefix', 'RegularExpression'] }, value: { type: 'string', maxLength: 1024 } },
                },
                headers: { type: 'array', maxItems: 16, items: headerMatch },
                queryParams: { type: 'array', maxItems: 16, items: headerMatch },
                method: { enum: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] },
              },
            },
          },
          filters: { type: 'array', maxItems: 16, items: { $ref: '#/$defs/filter' } },
          backendRefs: { type: 'array', maxItems: 16, items: backendRef },
          timeouts: { type: 'object', properties: { request: { type: 'string' }, backendRequest: { type: 'string' } } },
          retry: {
            type: 'object',
            properties: {
              codes: { type: 'array', maxItems: 100, items: { type: 'integer', minimum: 400, maximum: 599 } },
              attempts: { type: 'integer', minimum: 0, maximum: 4_294_967_295 },
              backoff: { type: 'string' },
            },
          },
        },
      },
    },
  },
} as const;

const GRPC_ROUTE_SPEC = {
  type: 'object',
  $defs: {
    header: HTTP_ROUTE_SPEC.$defs.header,
    filter: {
      type: 'object',
      required: ['type'],
      properties: {
        type: { enum: ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef'] },
        requestHeaderModifier: headerModifier,
        responseHeaderModifier: headerModifier,
      },
    },
  },
  properties: {
    ...common,
    rules: {
      type: 'array',
      maxItems: 16,
      items: {
        type: 'object',
        properties: {
          matches: {
            type: 'array',
            maxItems: 64,
            items: {
              type: 'object',
              properties: {
                method: {
                  type: 'object',
                  properties: {
                    type: { enum: ['Exact', 'RegularExpression'] },
                    service: { type: 'string', maxLength: 1024 },
                    method: { type: 'string', maxLength: 1024 },
                  },
                },
                headers: { type: 'array', maxItems: 16, items: headerMatch },
              },
            },
          },
          filters: { type: 'array', maxItems: 16, items: { $ref: '#/$defs/filter' } },
          backendRefs: { type: 'array', maxItems: 16, items: backendRef },
        },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: false, strict: false });
const validators = {
  HTTPRoute: ajv.compile<GatewayRouteSpec>(HTTP_ROUTE_SPEC),
  GRPCRoute: ajv.compile<GatewayRouteSpec>(GRPC_ROUTE_SPEC),
};

/** undefined when the spec has the expected structure, else a reason naming the field. */
export function checkRouteStructure(kind: 'HTTPRoute' | 'GRPCRoute', spec: unknown): string | undefined {
  const validate = validators[kind];
  if (validate(spec)) return undefined;
  const error = validate.errors?.[0];
  if (!error) return 'invalid spec';
  const allowed = error.params && 'allowedValues' in error.params ? ` (${(error.params.allowedValues as unknown[]).join(', ')})` : '';
  return `spec${error.instancePath.replaceAll('/', '.')} ${error.message ?? 'is invalid'}${allowed}`;
}
