import { readFile } from 'node:fs/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { IdentityError, loadIssuer, MIN_LOCAL_TOKEN_KEY_BYTES, systemClock, type Issuer } from '@trellis/identity';
import type { CliOptions } from './cli';
import { IdentityServiceError } from './errors';
import { kubernetesTokenValidator } from './kubernetes-token-validator';
import { localTokenValidator } from './local-token-validator';
import type { TokenValidator } from './token-validator';

async function readText(flag: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new IdentityServiceError('IDENTITY_BAD_FLAG', `--${flag} ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** Reads and checks the issuer files the flags name; every problem is IDENTITY_BAD_FLAG naming the flag. */
export async function loadIssuerFromFiles(options: CliOptions, nowMs: number): Promise<Issuer> {
  const [certificatePem, keyPem, trustAnchorsPem] = await Promise.all([
    readText('issuer-certificate', options.issuerCertificateFile),
    readText('issuer-key', options.issuerKeyFile),
    readText('trust-anchors', options.trustAnchorsFile),
  ]);
  try {
    return await loadIssuer({ certificatePem, keyPem, trustAnchorsPem }, nowMs);
  } catch (error) {
    const reason = error instanceof IdentityError ? error.message : String(error);
    throw new IdentityServiceError('IDENTITY_BAD_FLAG', `the issuer files are unusable: ${reason}`, { cause: error });
  }
}

/** The token validator the flags ask for; the local key file is read (and checked) here. */
export async function createValidator(options: CliOptions): Promise<TokenValidator> {
  if (options.tokenValidator === 'kubernetes') {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromDefault();
    return kubernetesTokenValidator({ kubeConfig, audience: options.tokenAudience });
  }
  const file = options.localTokenKeyFile ?? '';
  const key = Buffer.from((await readText('local-token-key', file)).trim(), 'utf8');
  if (key.byteLength < MIN_LOCAL_TOKEN_KEY_BYTES) {
    throw new IdentityServiceError(
      'IDENTITY_BAD_FLAG',
      `--local-token-key ${file} holds ${key.byteLength} bytes; it needs at least ${MIN_LOCAL_TOKEN_KEY_BYTES}`,
    );
  }
  return localTokenValidator({ key, audience: options.tokenAudience, clock: systemClock });
}
