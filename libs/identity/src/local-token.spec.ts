import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { isIdentityError, type IdentityErrorCode } from './errors';
import { LOCAL_TOKEN_ISSUER, signLocalToken, verifyLocalToken } from './local-token';
import { fixedClock, T0 } from './test-ca.test-helpers';

const KEY = new Uint8Array(32).fill(7);
const OTHER_KEY = new Uint8Array(32).fill(8);
const WEB = { namespace: 'emojivoto', serviceAccount: 'web' };

async function codeOf(promise: Promise<unknown>): Promise<IdentityErrorCode | 'none'> {
  try {
    await promise;
    return 'none';
  } catch (error) {
    return isIdentityError(error) ? error.code : 'none';
  }
}

describe('local tokens', () => {
  it('round-trips the ServiceAccount', async () => {
    const clock = fixedClock(T0);
    const token = await signLocalToken(WEB, { key: KEY, clock });
    expect(token.split('.')).toHaveLength(3);
    await expect(verifyLocalToken(token, { key: KEY, clock })).resolves.toEqual(WEB);
  });

  it('refuses an expired token, another audience, another key, garbage and a non-ServiceAccount subject', async () => {
    const clock = fixedClock(T0);
    const token = await signLocalToken(WEB, { key: KEY, clock, lifetimeMs: 60_000 });
    expect(await codeOf(verifyLocalToken(token, { key: KEY, clock: fixedClock(T0 + 61_000) }))).toBe('IDENTITY_TOKEN_EXPIRED');
    const otherAudience = await signLocalToken(WEB, { key: KEY, clock, audience: 'kubernetes.default.svc' });
    expect(await codeOf(verifyLocalToken(otherAudience, { key: KEY, clock }))).toBe('IDENTITY_TOKEN_AUDIENCE');
    expect(await codeOf(verifyLocalToken(token, { key: OTHER_KEY, clock }))).toBe('IDENTITY_TOKEN_INVALID');
    expect(await codeOf(verifyLocalToken('not.a.jwt', { key: KEY, clock }))).toBe('IDENTITY_TOKEN_INVALID');
    expect(await codeOf(verifyLocalToken('', { key: KEY, clock }))).toBe('IDENTITY_TOKEN_INVALID');
    expect(await codeOf(verifyLocalToken('x'.repeat(20_000), { key: KEY, clock }))).toBe('IDENTITY_TOKEN_INVALID');
    const admin = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(LOCAL_TOKEN_ISSUER)
      .setSubject('admin')
      .setAudience('identity.l5d.io')
      .setExpirationTime(T0 / 1000 + 60)
      .sign(KEY);
    expect(await codeOf(verifyLocalToken(admin, { key: KEY, clock }))).toBe('IDENTITY_TOKEN_INVALID');
  });

  it('refuses an unsigned (alg none) token', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const body = Buffer.from(
      JSON.stringify({ iss: LOCAL_TOKEN_ISSUER, sub: 'system:serviceaccount:emojivoto:web', aud: 'identity.l5d.io', exp: T0 / 1000 + 60 }),
    ).toString('base64url');
    expect(await codeOf(verifyLocalToken(`${header}.${body}.`, { key: KEY, clock: fixedClock(T0) }))).toBe('IDENTITY_TOKEN_INVALID');
  });

  it('refuses a key shorter than 32 bytes', async () => {
    expect(await codeOf(signLocalToken(WEB, { key: new Uint8Array(8), clock: fixedClock(T0) }))).toBe('IDENTITY_BAD_OPTION');
  });
});
