import { DEFAULT_LOCAL_TOKEN_LIFETIME_MS, TOKEN_AUDIENCE } from './defaults';
import { IdentityError } from './errors';
import { serviceAccountFromUsername, serviceAccountUsername } from './names';
import type { Clock } from './types';

// Local mode has no API server to review tokens, so the local runner plays it: it signs a compact JWT
// (HS256, like a projected ServiceAccount token in shape: `sub` system:serviceaccount:<ns>:<sa>, `aud`, `iat`,
// `exp`) with a key that it shares with the identity service through a file. `jose` is loaded on first use: the
// proxy imports this lib but never signs or checks a token.

const ALGORITHM = 'HS256';
/** Shortest HMAC key accepted, bytes. Source: RFC 7518 3.2 (a key as long as the SHA-256 output). */
export const MIN_LOCAL_TOKEN_KEY_BYTES = 32;
/** Largest token accepted, bytes. Source: ours (a local token is about 300 bytes; Kubernetes' under 2 KiB). */
export const MAX_TOKEN_BYTES = 16 * 1024;
/** Issuer claim of local tokens. Source: ours. */
export const LOCAL_TOKEN_ISSUER = 'trellis-local';

export interface LocalTokenClaims {
  namespace: string;
  serviceAccount: string;
}

function requireKey(key: Uint8Array): Uint8Array {
  if (key.byteLength < MIN_LOCAL_TOKEN_KEY_BYTES) {
    throw new IdentityError(
      'IDENTITY_BAD_OPTION',
      `the local token key is ${key.byteLength} bytes; it needs at least ${MIN_LOCAL_TOKEN_KEY_BYTES}`,
    );
  }
  return key;
}

export async function signLocalToken(
  claims: LocalTokenClaims,
  options: { key: Uint8Array; clock: Clock; audience?: string; lifetimeMs?: number },
): Promise<string> {
  const nowS = Math.floor(options.clock.now() / 1000);
  const lifetimeS = Math.ceil((options.lifetimeMs ?? DEFAULT_LOCAL_TOKEN_LIFETIME_MS) / 1000);
  const { SignJWT } = await import('jose');
  return new SignJWT({})
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setIssuer(LOCAL_TOKEN_ISSUER)
    .setSubject(serviceAccountUsername(claims.namespace, claims.serviceAccount))
    .setAudience(options.audience ?? TOKEN_AUDIENCE)
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + lifetimeS)
    .sign(requireKey(options.key));
}

/**
 * The ServiceAccount a local token proves. Throws IDENTITY_TOKEN_EXPIRED (past `exp`), IDENTITY_TOKEN_AUDIENCE
 * (no `aud` equal to `audience`), or IDENTITY_TOKEN_INVALID (anything else: not a JWT, another algorithm, a bad
 * signature, another issuer, a missing claim, a subject that is not a ServiceAccount).
 */
export async function verifyLocalToken(
  token: string,
  options: { key: Uint8Array; clock: Clock; audience?: string },
): Promise<LocalTokenClaims> {
  if (token.length === 0 || token.length > MAX_TOKEN_BYTES) {
    throw new IdentityError('IDENTITY_TOKEN_INVALID', `the token is ${token.length} bytes (1 to ${MAX_TOKEN_BYTES} expected)`);
  }
  const jose = await import('jose');
  let subject: string | undefined;
  try {
    const { payload } = await jose.jwtVerify(token, requireKey(options.key), {
      algorithms: [ALGORITHM],
      issuer: LOCAL_TOKEN_ISSUER,
      audience: options.audience ?? TOKEN_AUDIENCE,
      currentDate: new Date(options.clock.now()),
      requiredClaims: ['sub', 'exp', 'aud'],
    });
    subject = payload.sub;
  } catch (error) {
    throw tokenError(jose.errors, error);
  }
  return serviceAccountFromUsername(subject ?? '');
}

function tokenError(errors: typeof import('jose').errors, error: unknown): IdentityError {
  if (error instanceof errors.JWTExpired) {
    return new IdentityError('IDENTITY_TOKEN_EXPIRED', 'the token has expired', { cause: error });
  }
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'aud') {
    return new IdentityError('IDENTITY_TOKEN_AUDIENCE', 'the token is for another audience', { cause: error });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new IdentityError('IDENTITY_TOKEN_INVALID', `the token is invalid: ${reason}`, { cause: error });
}
