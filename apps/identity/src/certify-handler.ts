import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import {
  certify,
  type Clock,
  formatIdentity,
  type Issuer,
  MAX_TOKEN_BYTES,
  parseIdentity,
  type RandomBytes,
  type ValidatedLeafOptions,
} from '@trellis/identity';
import type { CertifyRequest, CertifyResponse } from '@trellis/proto';
import type { Logger } from 'pino';
import { IdentityServiceError } from './errors';
import { toRefusal } from './grpc-status';
import type { IdentityMetrics } from './metrics';
import type { TokenValidator } from './token-validator';

export interface CertifyDeps {
  issuer: Issuer;
  validator: TokenValidator;
  trustDomain: string;
  leaf: ValidatedLeafOptions;
  clock: Clock;
  random: RandomBytes;
  metrics: IdentityMetrics;
  logger: Logger;
  maxConcurrent: number;
  isShuttingDown(): boolean;
}

function requireFields(request: CertifyRequest): void {
  if (request.identity === '') throw new IdentityServiceError('IDENTITY_BAD_REQUEST', 'identity is required');
  if (request.token.length === 0) throw new IdentityServiceError('IDENTITY_BAD_REQUEST', 'token is required');
  if (request.token.length > MAX_TOKEN_BYTES) {
    throw new IdentityServiceError('IDENTITY_BAD_REQUEST', `token is ${request.token.length} bytes, more than ${MAX_TOKEN_BYTES}`);
  }
  if (request.certificateSigningRequest.length === 0) {
    throw new IdentityServiceError('IDENTITY_BAD_REQUEST', 'certificate_signing_request is required');
  }
}

/**
 * One Certify call: check the request's shape and identity name, prove the token's ServiceAccount, then let
 * @trellis/identity's `certify` compare the names, check the CSR and sign. Every refusal is answered with a
 * gRPC status, counted by reason and logged; nothing here throws past the handler.
 */
async function answer(deps: CertifyDeps, request: CertifyRequest): Promise<CertifyResponse> {
  requireFields(request);
  const requested = parseIdentity(request.identity);
  if (requested.trustDomain !== deps.trustDomain) {
    throw new IdentityServiceError(
      'IDENTITY_BAD_REQUEST',
      `identity ${request.identity} is not in trust domain ${deps.trustDomain}`,
    );
  }
  const subject = await deps.validator.validate(Buffer.from(request.token).toString('utf8'));
  const proven = formatIdentity({ ...subject, trustDomain: deps.trustDomain });
  const issued = await certify(
    deps.issuer,
    { requestedIdentity: request.identity, provenIdentity: proven, csrDer: request.certificateSigningRequest },
    { clock: deps.clock, random: deps.random, ...deps.leaf },
  );
  const notAfterMs = issued.notAfter.getTime();
  return {
    leafCertificate: Buffer.from(issued.leafDer),
    intermediateCertificates: issued.intermediatesDer.map((der) => Buffer.from(der)),
    validUntil: { seconds: String(Math.floor(notAfterMs / 1000)), nanos: (notAfterMs % 1000) * 1_000_000 },
  };
}

export function createCertifyHandler(deps: CertifyDeps) {
  let inFlight = 0;
  return (call: ServerUnaryCall<CertifyRequest, CertifyResponse>, callback: sendUnaryData<CertifyResponse>): void => {
    const started = performance.now();
    const request = call.request;
    const peer = call.getPeer();
    const elapsed = () => (performance.now() - started) / 1000;
    const refuse = (err: unknown) => {
      const refusal = toRefusal(err);
      deps.metrics.certifyRefused(refusal.reason, elapsed());
      const log = refusal.reason === 'internal' ? deps.logger.error.bind(deps.logger) : deps.logger.warn.bind(deps.logger);
      log({ peer, identity: request.identity, reason: refusal.reason, err }, `certify refused: ${refusal.details}`);
      callback({ code: refusal.code, details: refusal.details });
    };
    if (deps.isShuttingDown()) return refuse(new IdentityServiceError('IDENTITY_SHUTTING_DOWN', 'the identity service is shutting down'));
    if (inFlight >= deps.maxConcurrent) {
      return refuse(new IdentityServiceError('IDENTITY_OVERLOADED', `more than ${deps.maxConcurrent} Certify calls at once; retry`));
    }
    inFlight += 1;
    answer(deps, request)
      .then((response) => {
        deps.metrics.certifiedOk(elapsed());
        deps.logger.info({ peer, identity: request.identity }, 'certified');
        callback(null, response);
      }, refuse)
      .finally(() => (inFlight -= 1));
  };
}
