export * from './model';
export { anchoredRegex, grpcMethod, matchHost, matchRequest, prefixMatches, queryParam } from './match';
export { pickWeighted, selectRule, type Selection } from './select';
export { classify, GRPC_STATUS_OK, retryableResponse, type Classification } from './classify';
export {
  failureApplies,
  matchedPrefix,
  modifyHeaderList,
  modifyHeaderRecord,
  redirectLocation,
  rewritePath,
  type HeaderRecord,
  type RedirectRequest,
} from './filters';
export {
  compileCondition,
  compileResponseMatch,
  DEFAULT_ROUTE_TIMEOUT_MS,
  durationMs,
  MAX_REPLAYABLE_BODY_BYTES,
  methodName,
  tableFromProfile,
  type ProfileOptions,
} from './from-profile';
export { DEFAULT_REDIRECT_STATUS, hasGatewayRoutes, tableFromPolicy } from './from-policy';
export { chooseRouteTable } from './choose';
