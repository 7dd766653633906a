import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { loadIssuer } from '@trellis/identity';
import { createTempDir, type TempDir } from '@trellis/testing';
import { parseAllDocuments } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeIdentityPki } from './pki';

describe('writeIdentityPki', () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await createTempDir('trellis-pki-');
  });
  afterEach(async () => {
    await dir.remove();
  });

  it('writes an issuer the identity service accepts, and the Secret and ConfigMaps deploy/ mounts', async () => {
    const { files } = await writeIdentityPki(`${dir.path}/out`, { trustDomain: 'example.org' });
    const anchorPem = await readFile(files.anchorCertificate, 'utf8');
    const issuer = await loadIssuer(
      {
        certificatePem: await readFile(files.issuerCertificate, 'utf8'),
        keyPem: await readFile(files.issuerKey, 'utf8'),
        trustAnchorsPem: anchorPem,
      },
      Date.now(),
    );
    expect(issuer.certificate.subject).toBe('CN=identity.trellis.example.org');
    expect(new X509Certificate(anchorPem).subject).toBe('CN=root.trellis.example.org');

    const [secret] = parseAllDocuments(await readFile(files.issuerSecret, 'utf8')).map((d) => d.toJS());
    expect(secret).toMatchObject({
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'trellis-identity-issuer', namespace: 'trellis-system' },
    });
    expect(secret.stringData['tls.key']).toBe(await readFile(files.issuerKey, 'utf8'));
    const maps = parseAllDocuments(await readFile(files.trustRoots, 'utf8')).map((d) => d.toJS());
    expect(maps.map((m) => m.metadata.namespace)).toEqual(['trellis-system', 'trellis-demo']);
    for (const map of maps) expect(map.data['ca-bundle.crt']).toBe(anchorPem);
  });
});
