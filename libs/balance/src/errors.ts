export type BalanceErrorCode = 'INVALID_ENDPOINT' | 'INVALID_WEIGHT' | 'INVALID_OPTION' | 'UNKNOWN_BALANCER';

export class BalanceError extends Error {
  override readonly name = 'BalanceError';
  constructor(
    readonly code: BalanceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function requirePositive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new BalanceError('INVALID_OPTION', `${name} must be a finite number > 0, got ${value}`);
  }
  return value;
}

export function requireNonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new BalanceError('INVALID_OPTION', `${name} must be a finite number >= 0, got ${value}`);
  }
  return value;
}
