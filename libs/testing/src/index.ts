export { createTempDir } from './temp-dir';
export type { TempDir } from './temp-dir';
export { waitFor, WAIT_FOR_TIMEOUT_MS, WAIT_FOR_INTERVAL_MS } from './wait-for';
export type { WaitForOptions } from './wait-for';
