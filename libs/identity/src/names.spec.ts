import { describe, expect, it } from 'vitest';
import { isIdentityError } from './errors';
import {
  formatIdentity,
  isDns1123Label,
  parseIdentity,
  serviceAccountFromUsername,
  serviceAccountUsername,
  validateTrustDomain,
} from './names';

describe('identity names', () => {
  it('formats Linkerd-style names with the default trust domain', () => {
    expect(formatIdentity({ serviceAccount: 'web', namespace: 'emojivoto' })).toBe(
      'web.emojivoto.serviceaccount.identity.cluster.local',
    );
    expect(formatIdentity({ serviceAccount: 'a-1', namespace: 'b', trustDomain: 'mesh.example.org' })).toBe(
      'a-1.b.serviceaccount.identity.mesh.example.org',
    );
  });

  it('parses a name back into its parts', () => {
    expect(parseIdentity('web.emojivoto.serviceaccount.identity.cluster.local')).toEqual({
      serviceAccount: 'web',
      namespace: 'emojivoto',
      trustDomain: 'cluster.local',
    });
  });

  it.each([
    '',
    'web',
    'web.emojivoto.cluster.local',
    'web.emojivoto.serviceaccount.identity',
    'Web.emojivoto.serviceaccount.identity.cluster.local',
    '-web.emojivoto.serviceaccount.identity.cluster.local',
    'web.emo_jivoto.serviceaccount.identity.cluster.local',
    'web.emojivoto.serviceaccount.identity.cluster..local',
    `${'a'.repeat(64)}.emojivoto.serviceaccount.identity.cluster.local`,
  ])('refuses %j with IDENTITY_BAD_NAME', (name) => {
    let caught: unknown;
    try {
      parseIdentity(name);
    } catch (error) {
      caught = error;
    }
    expect(isIdentityError(caught, 'IDENTITY_BAD_NAME')).toBe(true);
  });

  it('checks DNS-1123 labels and trust domains', () => {
    expect(isDns1123Label('a')).toBe(true);
    expect(isDns1123Label('a-b-9')).toBe(true);
    expect(isDns1123Label('a-')).toBe(false);
    expect(isDns1123Label('A')).toBe(false);
    expect(isDns1123Label('a'.repeat(63))).toBe(true);
    expect(isDns1123Label('a'.repeat(64))).toBe(false);
    expect(validateTrustDomain('cluster.local')).toBe('cluster.local');
    expect(() => validateTrustDomain('cluster.local.')).toThrow(/DNS-1123 subdomain/);
  });

  it('reads the ServiceAccount from a Kubernetes username', () => {
    expect(serviceAccountFromUsername(serviceAccountUsername('emojivoto', 'web'))).toEqual({
      namespace: 'emojivoto',
      serviceAccount: 'web',
    });
    for (const user of ['admin', 'system:serviceaccount:ns', 'system:serviceaccount:ns:sa:x', 'system:serviceaccount:NS:sa']) {
      expect(() => serviceAccountFromUsername(user)).toThrow(/is not a ServiceAccount/);
    }
  });
});
