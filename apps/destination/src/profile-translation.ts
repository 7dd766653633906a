import type { ServiceProfileSpec } from '@trellis/kube';
import type {
  DestinationProfile,
  HttpMethod,
  RequestMatch,
  ResponseClass,
  ResponseMatch,
  RetryBudget,
  Route,
  WeightedAddr,
  WeightedDst,
} from '@trellis/proto';
import { HttpMethod_Registered } from '@trellis/proto';
import {
  DEFAULT_MIN_RETRIES_PER_SECOND,
  DEFAULT_RETRY_RATIO,
  DEFAULT_RETRY_TTL_SECONDS,
  DEFAULT_ROUTE_TIMEOUT_MS,
} from './defaults';
import { DestinationError } from './errors';
import { nanosToDuration, parseGoDuration } from './go-duration';
import { checkProfileStructure } from './profile-schema';
import { parseQuantityMilli } from './quantity';

// HTTP status codes a response class may name (Linkerd: 100 to 599 inclusive).
const MIN_HTTP_STATUS = 100;
const MAX_HTTP_STATUS = 599;
// Weights are sent in decimillis (Linkerd: Quantity.MilliValue() * 10), a uint32 on the wire.
const DECIMILLIS_PER_MILLI = 10n;
const MAX_WEIGHT = 4_294_967_295n;

/** The translated, validated parts of a ServiceProfile; identity fields are added per request. */
export interface ProfileParts {
  routes: Route[];
  retryBudget: RetryBudget;
  dstOverrides: WeightedDst[];
}

interface RawRequestMatch {
  all?: RawRequestMatch[];
  any?: RawRequestMatch[];
  not?: RawRequestMatch;
  pathRegex?: string;
  method?: string;
}

interface RawResponseMatch {
  all?: RawResponseMatch[];
  any?: RawResponseMatch[];
  not?: RawResponseMatch;
  status?: { min?: number; max?: number };
}

function invalid(where: string, why: string): DestinationError {
  return new DestinationError('DST_BAD_PROFILE', `${where}: ${why}`);
}

function toMethod(name: string): HttpMethod {
  const registered = HttpMethod_Registered[name.toUpperCase() as keyof typeof HttpMethod_Registered];
  if (registered !== undefined && registered !== HttpMethod_Registered.UNRECOGNIZED) {
    return { type: { $case: 'registered', value: registered } };
  }
  return { type: { $case: 'unregistered', value: name } };
}

/** Anchored so the proxy's unanchored match covers the whole path (Linkerd anchors pathRegex too). */
function toPathRegex(regex: string, where: string): string {
  const anchored = `^(?:${regex})$`;
  try {
    new RegExp(anchored);
  } catch (err) {
    throw invalid(where, `invalid pathRegex ${JSON.stringify(regex)}: ${(err as Error).message}`);
  }
  return anchored;
}

/** Linkerd's ToRequestMatch: each field set is one match; several are combined with `all`. */
function toRequestMatch(raw: RawRequestMatch, where: string): RequestMatch {
  const matches: RequestMatch[] = [];
  if (raw.all) matches.push({ match: { $case: 'all', value: { matches: raw.all.map((m, i) => toRequestMatch(m, `${where}.all[${i}]`)) } } });
  if (raw.any) matches.push({ match: { $case: 'any', value: { matches: raw.any.map((m, i) => toRequestMatch(m, `${where}.any[${i}]`)) } } });
  if (raw.not) matches.push({ match: { $case: 'not', value: toRequestMatch(raw.not, `${where}.not`) } });
  if (raw.pathRegex !== undefined) matches.push({ match: { $case: 'path', value: { regex: toPathRegex(raw.pathRegex, where) } } });
  if (raw.method !== undefined) matches.push({ match: { $case: 'method', value: toMethod(raw.method) } });
  const [only] = matches;
  if (!only) throw invalid(where, 'a request match needs one of all, any, not, pathRegex, method');
  return matches.length === 1 ? only : { match: { $case: 'all', value: { matches } } };
}

function toStatusRange(status: { min?: number; max?: number }, where: string): ResponseMatch {
  const { min, max } = status;
  if (min === undefined && max === undefined) throw invalid(where, 'a status range needs min and/or max');
  for (const [name, value] of [['min', min], ['max', max]] as const) {
    if (value !== undefined && (value < MIN_HTTP_STATUS || value > MAX_HTTP_STATUS)) {
      throw invalid(where, `status ${name} ${value} is not between ${MIN_HTTP_STATUS} and ${MAX_HTTP_STATUS}`);
    }
  }
  if (min !== undefined && max !== undefined && min > max) throw invalid(where, `status min ${min} is greater than max ${max}`);
  // "Specifying only one of min or max matches just that one status code" (Linkerd's profile template).
  const low = min ?? max ?? MIN_HTTP_STATUS;
  const high = max ?? min ?? MAX_HTTP_STATUS;
  return { match: { $case: 'status', value: { min: low, max: high } } };
}

function toResponseMatch(raw: RawResponseMatch, where: string): ResponseMatch {
  const matches: ResponseMatch[] = [];
  if (raw.all) matches.push({ match: { $case: 'all', value: { matches: raw.all.map((m, i) => toResponseMatch(m, `${where}.all[${i}]`)) } } });
  if (raw.any) matches.push({ match: { $case: 'any', value: { matches: raw.any.map((m, i) => toResponseMatch(m, `${where}.any[${i}]`)) } } });
  if (raw.not) matches.push({ match: { $case: 'not', value: toResponseMatch(raw.not, `${where}.not`) } });
  if (raw.status) matches.push(toStatusRange(raw.status, `${where}.status`));
  const [only] = matches;
  if (!only) throw invalid(where, 'a response match needs one of all, any, not, status');
  return matches.length === 1 ? only : { match: { $case: 'all', value: { matches } } };
}

function toDuration(text: string, where: string): { seconds: string; nanos: number } {
  const parsed = parseGoDuration(text);
  if (!parsed.ok) throw invalid(where, parsed.reason);
  if (parsed.nanos < 0n) throw invalid(where, `negative duration ${JSON.stringify(text)}`);
  return nanosToDuration(parsed.nanos);
}

function toRoute(raw: NonNullable<ServiceProfileSpec['routes']>[number], index: number): Route {
  const where = `spec.routes[${index}]`;
  const name = raw.name ?? '';
  const responseClasses: ResponseClass[] = ((raw.responseClasses ?? []) as { condition: RawResponseMatch; isFailure?: boolean }[]).map(
    (rc, i) => ({ condition: toResponseMatch(rc.condition, `${where}.responseClasses[${i}].condition`), isFailure: rc.isFailure ?? false }),
  );
  const timeout =
    raw.timeout === undefined
      ? nanosToDuration(BigInt(DEFAULT_ROUTE_TIMEOUT_MS) * 1_000_000n)
      : toDuration(raw.timeout, `${where}.timeout`);
  return {
    condition: toRequestMatch(raw.condition as RawRequestMatch, `${where}.condition`),
    responseClasses,
    metricsLabels: { route: name },
    isRetryable: raw.isRetryable ?? false,
    timeout,
  };
}

export function defaultRetryBudget(): RetryBudget {
  return {
    retryRatio: DEFAULT_RETRY_RATIO,
    minRetriesPerSecond: DEFAULT_MIN_RETRIES_PER_SECOND,
    ttl: { seconds: String(DEFAULT_RETRY_TTL_SECONDS), nanos: 0 },
  };
}

function toRetryBudget(raw: ServiceProfileSpec['retryBudget']): RetryBudget {
  if (!raw) return defaultRetryBudget();
  return {
    retryRatio: raw.retryRatio ?? DEFAULT_RETRY_RATIO,
    minRetriesPerSecond: raw.minRetriesPerSecond ?? DEFAULT_MIN_RETRIES_PER_SECOND,
    ttl: toDuration(raw.ttl ?? '', 'spec.retryBudget.ttl'),
  };
}

function toDstOverride(raw: { authority?: string; weight?: string | number }, index: number): WeightedDst {
  const where = `spec.dstOverrides[${index}].weight`;
  const parsed = parseQuantityMilli(raw.weight ?? '');
  if (!parsed.ok) throw invalid(where, parsed.reason);
  const weight = parsed.milli * DECIMILLIS_PER_MILLI;
  if (weight < 0n) throw invalid(where, `negative weight ${JSON.stringify(raw.weight)}`);
  if (weight > MAX_WEIGHT) throw invalid(where, `weight ${JSON.stringify(raw.weight)} is too large`);
  return { authority: raw.authority ?? '', weight: Number(weight) };
}

/** Validates (schema, then semantics) and translates a spec; throws DestinationError DST_BAD_PROFILE. */
export function translateProfileSpec(spec: unknown): ProfileParts {
  const structural = checkProfileStructure(spec);
  if (structural) throw invalid('spec', structural);
  const typed = spec as ServiceProfileSpec;
  return {
    routes: (typed.routes ?? []).map(toRoute),
    retryBudget: toRetryBudget(typed.retryBudget),
    dstOverrides: (typed.dstOverrides ?? []).map(toDstOverride),
  };
}

export interface ProfileIdentity {
  fullyQualifiedName: string;
  service?: { namespace: string; name: string; port: number };
  profile?: { namespace: string; name: string };
  endpoint?: WeightedAddr;
}

/** A DestinationProfile from validated parts (or the default profile when `parts` is undefined). */
export function buildProfile(parts: ProfileParts | undefined, id: ProfileIdentity): DestinationProfile {
  const profile: DestinationProfile = {
    fullyQualifiedName: id.fullyQualifiedName,
    opaqueProtocol: false,
    routes: parts?.routes ?? [],
    retryBudget: parts?.retryBudget ?? defaultRetryBudget(),
    dstOverrides: parts?.dstOverrides ?? [],
  };
  if (id.endpoint) profile.endpoint = id.endpoint;
  if (id.service) {
    const { namespace, name, port } = id.service;
    profile.parentRef = { kind: { $case: 'resource', value: { group: 'core', kind: 'Service', name, namespace, section: '', port } } };
  }
  if (parts && id.profile) {
    const { namespace, name } = id.profile;
    profile.profileRef = {
      kind: { $case: 'resource', value: { group: 'linkerd.io', kind: 'ServiceProfile', name, namespace, section: '', port: 0 } },
    };
  }
  return profile;
}
