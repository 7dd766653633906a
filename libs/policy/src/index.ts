export { PolicyError, type PolicyErrorCode } from './errors';
export { ALL_IPV4, ALL_IPV6, cidrContains, cidrOf, formatCidr, parseCidr, parseIp, type Cidr, type IpAddress } from './ip';
export * from './model';
export { authorize, findRoute, isAuthorized, routeMatchMatches, type Decision, type PolicyRequest } from './authorize';
export {
  DEFAULT_CLUSTER_NETWORKS,
  DEFAULT_POLICY_NAMES,
  defaultPolicy,
  isDefaultPolicyName,
  parseCidrList,
  type DefaultPolicyName,
} from './defaults';
export {
  LocalRateLimiter,
  MAX_IDENTITY_BUCKETS,
  RATE_LIMIT_BURST_SECONDS,
  sameRateLimit,
  validateRateLimit,
  type RateLimitOutcome,
  type RateLimitScope,
} from './rate-limit';
export { parseRateLimitJson } from './rate-limit-json';
export { logValue, NOT_SET, protocolName, type AccessLogEntry } from './access-log';
export { authorizationOf, policyFromServer } from './from-proto';
