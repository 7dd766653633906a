import type { webcrypto } from 'node:crypto';

/** Wall-clock time in milliseconds since the Unix epoch: certificates carry absolute dates. */
export interface Clock {
  now(): number;
}

/** `n` cryptographically random bytes (node:crypto randomBytes in production, a seeded source in tests). */
export type RandomBytes = (n: number) => Uint8Array;

export const systemClock: Clock = { now: () => Date.now() };

/** Node's WebCrypto key types (this workspace's TypeScript lib has no DOM). */
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
