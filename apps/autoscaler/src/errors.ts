export type AutoscalerErrorCode =
  | 'AUTOSCALER_BAD_FLAG'
  | 'SCRAPE_TIMEOUT'
  | 'SCRAPE_CONNECT'
  | 'SCRAPE_HTTP_STATUS'
  | 'SCRAPE_BAD_BODY'
  | 'POKE_BAD_BODY'
  | 'POKE_TOO_LARGE'
  | 'ACTUATE_FAILED'
  | 'LEASE_FAILED';

/** Every error the autoscaler raises itself, with a stable code (used as a metric label). */
export class AutoscalerError extends Error {
  readonly code: AutoscalerErrorCode;

  constructor(code: AutoscalerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AutoscalerError';
    this.code = code;
  }
}
