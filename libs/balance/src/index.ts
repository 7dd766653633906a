export type {
  Balancer,
  BalancerKind,
  Clock,
  Endpoint,
  EndpointLoadView,
  EndpointUpdate,
  PickResult,
  Picker,
  Random,
  RequestHandle,
} from './types';
export * from './defaults';
export { BalanceError, type BalanceErrorCode } from './errors';
export { BALANCER_KINDS, createBalancer, type BalancerOptions } from './create-balancer';
export { RttEstimate } from './rtt-estimate';
export { EdfScheduler } from './edf-scheduler';
export { hashKey } from './hash';
export { ringEntryCounts } from './ring-hash';
export { maglevTable } from './maglev';
export { ManualClock, seededRandom } from './seeded-random';
export { ExponentialBackoff, type BackoffOptions } from './backoff';
export { RetryBudget, retryBudgetFor, type RetryBudgetOptions } from './retry-budget';
export { TokenBucket, type TokenBucketOptions } from './token-bucket';
export { OutlierDetector, type Ejection, type OutlierDetectorOptions } from './outlier-detector';
export { FailFastGate, type GateAdmission, type GateState } from './fail-fast-gate';
export { CircuitBreakers, type BreakerLimits, type BreakerResource } from './circuit-breakers';
export {
  OverloadState,
  OVERLOAD_ACTIONS,
  DEFAULT_OVERLOAD_RECOVERY_MS,
  DEFAULT_OVERLOAD_RECOVERY_RATIO,
  type OverloadAction,
  type OverloadOptions,
  type OverloadSample,
  type OverloadTransition,
  type OverloadTrigger,
} from './overload';
