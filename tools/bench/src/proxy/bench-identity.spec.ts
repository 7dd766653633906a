import { describe, expect, it } from 'vitest';
import { identityProxyEnv, identityServiceArgs, inboundConnectionsByTls, type BenchIdentityFiles } from './bench-identity';

const files: BenchIdentityFiles = { anchorCertificate: '/i/ca.crt', issuerCertificate: '/i/issuer.crt', issuerKey: '/i/issuer.key', tokenKey: '/i/t.key', token: '/i/t.token' };

describe('identityServiceArgs', () => {
  it('runs the local token validator on loopback with the written PKI', () => {
    const args = identityServiceArgs(files, 10, 11);
    const flag = (name: string) => args[args.indexOf(name) + 1];
    expect(flag('--token-validator')).toBe('local');
    expect(flag('--local-token-key')).toBe('/i/t.key');
    expect([flag('--issuer-certificate'), flag('--issuer-key'), flag('--trust-anchors')]).toEqual(['/i/issuer.crt', '/i/issuer.key', '/i/ca.crt']);
    expect([flag('--grpc-port'), flag('--admin-port'), flag('--listen-host')]).toEqual(['10', '11', '127.0.0.1']);
  });
});

describe('identityProxyEnv', () => {
  it("names the namespace's default ServiceAccount and points at the service, the token and the anchors", () => {
    expect(identityProxyEnv(files, 10, 'bench')).toEqual({
      TRELLIS_IDENTITY_ADDR: '127.0.0.1:10',
      TRELLIS_IDENTITY_TOKEN_FILE: '/i/t.token',
      TRELLIS_IDENTITY_TRUST_ANCHORS: '/i/ca.crt',
      TRELLIS_IDENTITY_NAME: 'default.bench.serviceaccount.identity.cluster.local',
    });
  });
});

describe('inboundConnectionsByTls', () => {
  it('counts mTLS connections (with a client identity) apart from plaintext and anonymous TLS ones', () => {
    const text = [
      '# TYPE tcp_open_total counter',
      'tcp_open_total{direction="inbound",peer="src",tls="true",client_id="default.bench.serviceaccount.identity.trellis.cluster.local",no_tls_reason=""} 3',
      'tcp_open_total{direction="inbound",peer="src",tls="true",client_id="",no_tls_reason=""} 5',
      'tcp_open_total{direction="inbound",peer="src",tls="no_identity",client_id="",no_tls_reason="no_tls_from_remote"} 2',
      'tcp_open_total_other{direction="inbound",tls="true",client_id="x"} 7',
    ].join('\n');
    expect(inboundConnectionsByTls(text)).toEqual({ mtls: 3, plaintext: 2 });
  });

  it('finds none in a proxy that counted nothing', () => {
    expect(inboundConnectionsByTls('# HELP tcp_open_total x\n# TYPE tcp_open_total counter\n')).toEqual({ mtls: 0, plaintext: 0 });
  });
});
