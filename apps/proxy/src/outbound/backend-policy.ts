import {
  BALANCER_KINDS,
  DEFAULT_BASE_EJECTION_MS,
  DEFAULT_CONSECUTIVE_5XX,
  DEFAULT_MAX_EJECTION_MS,
  DEFAULT_MAX_EJECTION_PERCENT,
  DEFAULT_OUTLIER_INTERVAL_MS,
  type BalancerKind,
  type BreakerLimits,
  type OutlierDetectorOptions,
} from '@trellis/balance';
import type { BackendPolicy as BackendPolicyMessage } from '@trellis/proto';
import { hashKeyOf, type HashKeyOf, type HashKeySource } from './hash-key';
import { durationMs } from '@trellis/routes';

/** Envoy's circuit-breaker defaults (max_connections, max_pending_requests, max_requests, max_retries). */
export const DEFAULT_BREAKER_LIMITS: BreakerLimits = Object.freeze({ connections: 1024, pending: 1024, requests: 1024, retries: 3 });

/** Envoy's outlier detection defaults; the gateway-error detector is off, as Envoy's enforcing default of 0 % leaves it. */
export const DEFAULT_OUTLIER: Readonly<Omit<OutlierDetectorOptions, 'clock'>> = Object.freeze({
  consecutive5xx: DEFAULT_CONSECUTIVE_5XX,
  consecutiveGatewayErrors: 0,
  intervalMs: DEFAULT_OUTLIER_INTERVAL_MS,
  baseEjectionMs: DEFAULT_BASE_EJECTION_MS,
  maxEjectionMs: DEFAULT_MAX_EJECTION_MS,
  maxEjectionPercent: DEFAULT_MAX_EJECTION_PERCENT,
});

/** A backend's balancing and resilience settings, from its Service's annotations (BackendPolicy) or the defaults. */
export interface BackendPolicy {
  balancer: BalancerKind;
  hashKey: HashKeySource | undefined;
  keyOf: HashKeyOf | undefined;
  outlier: Omit<OutlierDetectorOptions, 'clock'>;
  breakers: BreakerLimits;
  /** Settings of the message that were not usable, with why (logged and counted; the default applies). */
  problems: string[];
}

function balancerOf(name: string, fallback: BalancerKind, problems: string[]): BalancerKind {
  if (name === '') return fallback;
  if ((BALANCER_KINDS as readonly string[]).includes(name)) return name as BalancerKind;
  problems.push(`unknown balancer "${name}"; using ${fallback}`);
  return fallback;
}

function hashKeySourceOf(message: BackendPolicyMessage['hashKey'], problems: string[]): HashKeySource | undefined {
  const source = message?.source;
  if (source === undefined) return undefined;
  switch (source.$case) {
    case 'header':
    case 'cookie':
      if (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(source.value)) return { kind: source.$case, name: source.value };
      problems.push(`hash key ${source.$case} name ${JSON.stringify(source.value)} is not a token; no hash key`);
      return undefined;
    case 'sourceIp':
      return source.value ? { kind: 'source-ip' } : undefined;
  }
}

function limit(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isInteger(value) && value >= 1 ? value : fallback;
}

/** Turns the destination's BackendPolicy (absent: every default) into the form the backend's layers use. */
export function compileBackendPolicy(message: BackendPolicyMessage | undefined, defaultBalancer: BalancerKind): BackendPolicy {
  const problems: string[] = [];
  const balancer = balancerOf(message?.balancer ?? '', defaultBalancer, problems);
  const hashKey = hashKeySourceOf(message?.hashKey, problems);
  const od = message?.outlierDetection;
  const cb = message?.circuitBreakers;
  return {
    balancer,
    hashKey,
    keyOf: hashKey === undefined ? undefined : hashKeyOf(hashKey),
    outlier:
      od === undefined
        ? DEFAULT_OUTLIER
        : {
            consecutive5xx: od.consecutive5xx,
            consecutiveGatewayErrors: od.consecutiveGatewayErrors,
            intervalMs: durationMs(od.interval) ?? DEFAULT_OUTLIER.intervalMs,
            baseEjectionMs: durationMs(od.baseEjectionTime) ?? DEFAULT_OUTLIER.baseEjectionMs,
            maxEjectionMs: durationMs(od.maxEjectionTime) ?? DEFAULT_OUTLIER.maxEjectionMs,
            maxEjectionPercent: Math.min(100, od.maxEjectionPercent),
          },
    breakers:
      cb === undefined
        ? DEFAULT_BREAKER_LIMITS
        : {
            connections: limit(cb.maxConnections, DEFAULT_BREAKER_LIMITS.connections),
            pending: limit(cb.maxPendingRequests, DEFAULT_BREAKER_LIMITS.pending),
            requests: limit(cb.maxRequests, DEFAULT_BREAKER_LIMITS.requests),
            retries: limit(cb.maxRetries, DEFAULT_BREAKER_LIMITS.retries),
          },
    problems,
  };
}
