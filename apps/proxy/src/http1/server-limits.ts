/** Node's default keepAliveTimeout: an idle keep-alive connection is closed after this long. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Node's default headersTimeout: a request head must arrive whole within this long (408 otherwise). */
export const HEAD_TIMEOUT_MS = 60_000;
/** Ours: pipelined bytes held while a request is being answered; past this, reading pauses. */
export const MAX_PIPELINED_BYTES = 64 * 1024;
