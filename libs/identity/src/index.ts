export { IdentityError, isIdentityError } from './errors';
export type { IdentityErrorCode } from './errors';
export type { Clock, RandomBytes, CryptoKey, CryptoKeyPair } from './types';
export { systemClock } from './types';
export * from './defaults';
export {
  formatIdentity,
  identityServiceName,
  parseIdentity,
  isDns1123Label,
  isDns1123Subdomain,
  validateTrustDomain,
  serviceAccountFromUsername,
  serviceAccountUsername,
} from './names';
export type { WorkloadIdentity } from './names';
export { generateKeyPair, privateKeyToPem, importSigningKey } from './keys';
export { certificateToPem, pemBundleToDer, certificatesFromPem, parseTrustAnchors } from './pem';
export { createTrustAnchor, createIssuer } from './ca';
export type { CaMaterial, CreateCaOptions } from './ca';
export { loadIssuer } from './issuer';
export type { Issuer, IssuerFiles } from './issuer';
export { createCsr, verifyCsr, MAX_CSR_BYTES } from './csr';
export { issueLeaf, validateLeafOptions } from './leaf';
export type { IssuedLeaf, LeafOptions, ValidatedLeafOptions } from './leaf';
export { certify } from './certify';
export type { CertifyInput } from './certify';
export { checkCertified } from './certified';
export type { CertifiedLeaf } from './certified';
export { verifyChain } from './chain';
export { signLocalToken, verifyLocalToken, MIN_LOCAL_TOKEN_KEY_BYTES, MAX_TOKEN_BYTES, LOCAL_TOKEN_ISSUER } from './local-token';
export type { LocalTokenClaims } from './local-token';
