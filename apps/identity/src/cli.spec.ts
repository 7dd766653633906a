import { describe, expect, it } from 'vitest';
import { DEFAULT_ISSUER_CERTIFICATE, DEFAULT_ISSUER_KEY, DEFAULT_TRUST_ANCHORS, parseCli } from './cli';
import { parseDuration } from './duration';
import { IdentityServiceError } from './errors';

describe('parseCli', () => {
  it('applies the defaults', () => {
    expect(parseCli([])).toEqual({
      kind: 'run',
      options: {
        issuerCertificateFile: DEFAULT_ISSUER_CERTIFICATE,
        issuerKeyFile: DEFAULT_ISSUER_KEY,
        trustAnchorsFile: DEFAULT_TRUST_ANCHORS,
        trustDomain: 'cluster.local',
        serviceIdentity: 'trellis-identity.trellis-system.serviceaccount.identity.cluster.local',
        tokenValidator: 'kubernetes',
        localTokenKeyFile: undefined,
        tokenAudience: 'identity.l5d.io',
        certificateLifetimeMs: 24 * 3_600_000,
        clockSkewAllowanceMs: 20_000,
        grpcPort: 8080,
        adminPort: 9990,
        listenHost: '0.0.0.0',
        logLevel: 'info',
      },
    });
  });

  it('reads every flag', () => {
    const result = parseCli([
      '--issuer-certificate', 'i.crt', '--issuer-key', 'i.key', '--trust-anchors', 'a.crt', '--trust-domain', 'mesh.example.org',
      '--token-validator', 'local', '--local-token-key', 'k', '--token-audience', 'aud', '--certificate-lifetime', '3s',
      '--clock-skew-allowance', '0s', '--grpc-port', '0', '--admin-port', '0', '--listen-host', '127.0.0.1', '--log-level', 'debug',
    ]);
    expect(result).toEqual({
      kind: 'run',
      options: {
        issuerCertificateFile: 'i.crt',
        issuerKeyFile: 'i.key',
        trustAnchorsFile: 'a.crt',
        trustDomain: 'mesh.example.org',
        serviceIdentity: 'trellis-identity.trellis-system.serviceaccount.identity.mesh.example.org',
        tokenValidator: 'local',
        localTokenKeyFile: 'k',
        tokenAudience: 'aud',
        certificateLifetimeMs: 3000,
        clockSkewAllowanceMs: 0,
        grpcPort: 0,
        adminPort: 0,
        listenHost: '127.0.0.1',
        logLevel: 'debug',
      },
    });
  });

  it('prints help', () => {
    const result = parseCli(['--help']);
    expect(result.kind).toBe('help');
    if (result.kind === 'help') expect(result.text).toContain('--token-validator kubernetes|local');
  });

  it.each([
    [['--grpc-port', '70000'], /--grpc-port must be an integer from 0 to 65535/],
    [['--certificate-lifetime', '10'], /--certificate-lifetime must be a duration/],
    [['--certificate-lifetime', '500ms'], /from 1000 ms/],
    [['--trust-domain', 'Cluster_Local'], /--trust-domain must be a lower-case DNS name/],
    [['--token-validator', 'oidc'], /--token-validator must be one of kubernetes, local/],
    [['--token-validator', 'local'], /needs --local-token-key/],
    [['--local-token-key', 'k'], /only for --token-validator local/],
    [['--issuer-key', ''], /--issuer-key must not be empty/],
    [['--log-level', 'loud'], /--log-level must be one of/],
    [['--service-identity', 'identity.example.org'], /--service-identity must be <sa>.<ns>.serviceaccount.identity.cluster.local/],
    [['--service-identity', 'id.ns.serviceaccount.identity.other.org'], /--service-identity must be/],
    [['--nope'], /Unknown option '--nope'/],
    [['positional'], /Unexpected argument/],
  ])('refuses %j with IDENTITY_BAD_FLAG', (argv, message) => {
    let caught: unknown;
    try {
      parseCli(argv);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(IdentityServiceError);
    expect((caught as IdentityServiceError).code).toBe('IDENTITY_BAD_FLAG');
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).toContain('Run with --help');
  });
});

describe('parseDuration', () => {
  it('reads Go-style durations', () => {
    expect(parseDuration('24h0m0s')).toBe(24 * 3_600_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1500ms')).toBe(1500);
    for (const bad of ['', '1', 's', '1.5s', '-1s', '1d', '1s ']) expect(parseDuration(bad)).toBeUndefined();
  });
});
