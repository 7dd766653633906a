import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir, type TempDir } from '@trellis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/errors';
import { DEFAULT_TOKEN_FILE, loadIdentityConfig } from './identity-config';
import { writeTestPki, type TestPkiFiles } from './testing/identity-process';

let dir: TempDir;
let pki: TestPkiFiles;

beforeAll(async () => {
  dir = await createTempDir('trellis-identity-config-');
  pki = await writeTestPki(dir.path);
  await writeFile(join(dir.path, 'not-pem'), 'hello');
});

afterAll(async () => {
  await dir?.remove();
});

const base = () => ({
  TRELLIS_IDENTITY_ADDR: 'identity.trellis-system.svc.cluster.local:8080',
  TRELLIS_IDENTITY_TRUST_ANCHORS: pki.trustAnchors,
  TRELLIS_IDENTITY_NAME: 'web.shop.serviceaccount.identity.cluster.local',
});

function configError(env: Record<string, string>): ConfigError {
  try {
    loadIdentityConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadIdentityConfig', () => {
  it('is off without TRELLIS_IDENTITY_ADDR or with TRELLIS_IDENTITY_DISABLED=true', () => {
    expect(loadIdentityConfig({})).toBeUndefined();
    expect(loadIdentityConfig({ ...base(), TRELLIS_IDENTITY_DISABLED: 'true' })).toBeUndefined();
  });

  it('reads the settings and the trust anchors', () => {
    const config = loadIdentityConfig(base());
    expect(config).toMatchObject({
      addr: 'identity.trellis-system.svc.cluster.local:8080',
      tokenFile: DEFAULT_TOKEN_FILE,
      name: 'web.shop.serviceaccount.identity.cluster.local',
      svcName: 'trellis-identity.trellis-system.serviceaccount.identity.cluster.local',
      trustAnchorsPem: pki.anchorPem,
    });
    expect(config?.trustAnchors).toHaveLength(1);
  });

  it('builds the name from the ServiceAccount, the namespace and the trust domain', () => {
    const { TRELLIS_IDENTITY_NAME: _name, ...rest } = base();
    expect(loadIdentityConfig({ ...rest, TRELLIS_IDENTITY_SERVICE_ACCOUNT: 'web', SERVING_NAMESPACE: 'shop' })?.name).toBe(
      'web.shop.serviceaccount.identity.cluster.local',
    );
    expect(
      loadIdentityConfig({ ...rest, TRELLIS_IDENTITY_SERVICE_ACCOUNT: 'web', TRELLIS_IDENTITY_NAMESPACE: 'a', TRELLIS_IDENTITY_TRUST_DOMAIN: 'example.org' })?.name,
    ).toBe('web.a.serviceaccount.identity.example.org');
  });

  it("expects the identity service under the control plane's identity in this workload's trust domain, unless told", () => {
    const env = { ...base(), TRELLIS_IDENTITY_NAME: 'web.shop.serviceaccount.identity.example.org' };
    expect(loadIdentityConfig(env)?.svcName).toBe('trellis-identity.trellis-system.serviceaccount.identity.example.org');
    const named = { ...env, TRELLIS_IDENTITY_SVC_NAME: 'id.mesh.serviceaccount.identity.example.org' };
    expect(loadIdentityConfig(named)?.svcName).toBe('id.mesh.serviceaccount.identity.example.org');
  });

  it.each([
    [{ TRELLIS_IDENTITY_ADDR: 'nope' }, 'TRELLIS_IDENTITY_ADDR', /not host:port/],
    [{ TRELLIS_IDENTITY_ADDR: 'a:0' }, 'TRELLIS_IDENTITY_ADDR', /not host:port/],
    [{ TRELLIS_IDENTITY_DISABLED: 'maybe' }, 'TRELLIS_IDENTITY_DISABLED', /not a boolean/],
    [{ TRELLIS_IDENTITY_TRUST_ANCHORS: '' }, 'TRELLIS_IDENTITY_TRUST_ANCHORS', /required/],
    [{ TRELLIS_IDENTITY_TRUST_ANCHORS: '/nonexistent/anchors.pem' }, 'TRELLIS_IDENTITY_TRUST_ANCHORS', /cannot read/],
    [{ TRELLIS_IDENTITY_NAME: 'web.shop' }, 'TRELLIS_IDENTITY_NAME', /malformed/],
    [{ TRELLIS_IDENTITY_NAME: '' }, 'TRELLIS_IDENTITY_NAME', /unset/],
    [{ TRELLIS_IDENTITY_SVC_NAME: 'identity.example.org' }, 'TRELLIS_IDENTITY_SVC_NAME', /malformed/],
  ])('refuses %j naming %s', (override, variable, message) => {
    const error = configError({ ...base(), ...override });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(message);
  });

  it('refuses a trust anchor file without a certificate', () => {
    const error = configError({ ...base(), TRELLIS_IDENTITY_TRUST_ANCHORS: join(dir.path, 'not-pem') });
    expect(error.message).toMatch(/no PEM CERTIFICATE block/);
  });
});
