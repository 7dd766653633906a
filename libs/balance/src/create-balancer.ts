import {
  DEFAULT_ACTIVE_REQUEST_BIAS,
  DEFAULT_CHOICE_COUNT,
  DEFAULT_DECAY_MS,
  DEFAULT_MAGLEV_TABLE_SIZE,
  DEFAULT_MAX_RING_SIZE,
  DEFAULT_MIN_RING_SIZE,
  DEFAULT_RING_ENTRIES_PER_ENDPOINT,
  DEFAULT_RING_SIZE_BUDGET,
  DEFAULT_RTT_MS,
} from './defaults';
import { BalanceError, requireNonNegative, requirePositive } from './errors';
import { leastRequestPicker } from './least-request';
import { LoadBalancer } from './load-balancer';
import { maglevPicker } from './maglev';
import { p2cPeakEwmaPicker } from './p2c-peak-ewma';
import type { PickerFactory } from './picker';
import { randomPicker } from './random';
import { ringHashPicker } from './ring-hash';
import { roundRobinPicker } from './round-robin';
import type { Balancer, BalancerKind, Clock, Random } from './types';

export const BALANCER_KINDS: readonly BalancerKind[] = [
  'peak-ewma',
  'least-request',
  'round-robin',
  'random',
  'ring-hash',
  'maglev',
];

export interface BalancerOptions {
  clock: Clock;
  random: Random;
  /** peak-ewma: RTT assumed for a new endpoint. */
  defaultRttMs?: number;
  /** peak-ewma: decay time constant of the RTT estimate. */
  decayMs?: number;
  /** least-request: candidates per pick with equal weights, integer >= 2. */
  choiceCount?: number;
  /** least-request: exponent of (active + 1) with unequal weights. */
  activeRequestBias?: number;
  /** ring-hash: minimum number of ring entries. */
  minRingSize?: number;
  /** ring-hash: maximum number of ring entries. */
  maxRingSize?: number;
  /** ring-hash: entries for an endpoint of the smallest weight (at least). */
  ringEntriesPerEndpoint?: number;
  /** ring-hash: ring size above which endpoints get fewer entries each. */
  ringSizeBudget?: number;
  /** maglev: lookup table size, a prime. */
  maglevTableSize?: number;
}

function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

function requireInteger(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new BalanceError('INVALID_OPTION', `${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

function pickerFactory<T>(kind: BalancerKind, opts: BalancerOptions): PickerFactory<T> {
  switch (kind) {
    case 'peak-ewma':
      return p2cPeakEwmaPicker;
    case 'round-robin':
      return roundRobinPicker;
    case 'random':
      return randomPicker;
    case 'least-request': {
      const lr = {
        choiceCount: requireInteger('choiceCount', opts.choiceCount ?? DEFAULT_CHOICE_COUNT, 2),
        activeRequestBias: requireNonNegative('activeRequestBias', opts.activeRequestBias ?? DEFAULT_ACTIVE_REQUEST_BIAS),
      };
      return (input) => leastRequestPicker(input, lr);
    }
    case 'ring-hash': {
      const ring = {
        minRingSize: requireInteger('minRingSize', opts.minRingSize ?? DEFAULT_MIN_RING_SIZE, 1),
        maxRingSize: requireInteger('maxRingSize', opts.maxRingSize ?? DEFAULT_MAX_RING_SIZE, 1),
        entriesPerEndpoint: requireInteger('ringEntriesPerEndpoint', opts.ringEntriesPerEndpoint ?? DEFAULT_RING_ENTRIES_PER_ENDPOINT, 1),
        ringSizeBudget: requireInteger('ringSizeBudget', opts.ringSizeBudget ?? DEFAULT_RING_SIZE_BUDGET, 1),
      };
      if (ring.minRingSize > ring.maxRingSize) {
        throw new BalanceError('INVALID_OPTION', `minRingSize ${ring.minRingSize} exceeds maxRingSize ${ring.maxRingSize}`);
      }
      return (input) => ringHashPicker(input, ring);
    }
    case 'maglev': {
      const tableSize = opts.maglevTableSize ?? DEFAULT_MAGLEV_TABLE_SIZE;
      if (!isPrime(tableSize)) {
        throw new BalanceError('INVALID_OPTION', `maglevTableSize must be a prime, got ${tableSize}`);
      }
      return (input) => maglevPicker(input, { tableSize });
    }
    default:
      throw new BalanceError('UNKNOWN_BALANCER', `unknown balancer kind ${String(kind)}; expected one of ${BALANCER_KINDS.join(', ')}`);
  }
}

/** Builds a balancer of the given kind. Options are validated here; BalanceError if invalid. */
export function createBalancer<T>(kind: BalancerKind, opts: BalancerOptions): Balancer<T> {
  return new LoadBalancer<T>({
    clock: opts.clock,
    random: opts.random,
    defaultRttMs: requirePositive('defaultRttMs', opts.defaultRttMs ?? DEFAULT_RTT_MS),
    decayMs: requirePositive('decayMs', opts.decayMs ?? DEFAULT_DECAY_MS),
    buildPicker: pickerFactory<T>(kind, opts),
  });
}
