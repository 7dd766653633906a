import { CONTROL_PLANE_NAMESPACE, DEFAULT_TRUST_DOMAIN, IDENTITY_SERVICE_ACCOUNT } from './defaults';
import { IdentityError } from './errors';

// A workload identity is `<sa>.<ns>.serviceaccount.identity.<trust-domain>` (Linkerd's form): the ServiceAccount
// and namespace are DNS-1123 labels (Kubernetes' rule for both) and the trust domain is a DNS-1123 subdomain.

const IDENTITY_INFIX = 'serviceaccount.identity';
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Longest DNS-1123 label, characters. Source: RFC 1123 / Kubernetes. */
const DNS1123_LABEL_MAX = 63;
/** Longest DNS-1123 subdomain (and so identity), characters. Source: RFC 1123 / Kubernetes. */
const DNS1123_SUBDOMAIN_MAX = 253;
/** Kubernetes' username for a ServiceAccount: `system:serviceaccount:<ns>:<sa>`. */
const SERVICE_ACCOUNT_USER_PREFIX = 'system:serviceaccount:';

export interface WorkloadIdentity {
  serviceAccount: string;
  namespace: string;
  trustDomain: string;
}

export function isDns1123Label(value: string): boolean {
  return value.length <= DNS1123_LABEL_MAX && DNS1123_LABEL.test(value);
}

export function isDns1123Subdomain(value: string): boolean {
  return value.length <= DNS1123_SUBDOMAIN_MAX && value.split('.').every(isDns1123Label);
}

function requireLabel(what: string, value: string): void {
  if (!isDns1123Label(value)) {
    throw new IdentityError(
      'IDENTITY_BAD_NAME',
      `${what} ${JSON.stringify(value)} is not a DNS-1123 label (lower-case letters, digits and '-', ` +
        `starting and ending with a letter or digit, at most ${DNS1123_LABEL_MAX} characters)`,
    );
  }
}

export function validateTrustDomain(trustDomain: string): string {
  if (!isDns1123Subdomain(trustDomain)) {
    throw new IdentityError(
      'IDENTITY_BAD_NAME',
      `trust domain ${JSON.stringify(trustDomain)} is not a DNS-1123 subdomain (dot-separated DNS-1123 labels)`,
    );
  }
  return trustDomain;
}

/** `web.emojivoto.serviceaccount.identity.cluster.local` from its parts; throws IDENTITY_BAD_NAME. */
export function formatIdentity(id: { serviceAccount: string; namespace: string; trustDomain?: string }): string {
  const trustDomain = validateTrustDomain(id.trustDomain ?? DEFAULT_TRUST_DOMAIN);
  requireLabel('ServiceAccount name', id.serviceAccount);
  requireLabel('namespace', id.namespace);
  const name = `${id.serviceAccount}.${id.namespace}.${IDENTITY_INFIX}.${trustDomain}`;
  if (name.length > DNS1123_SUBDOMAIN_MAX) {
    throw new IdentityError('IDENTITY_BAD_NAME', `identity ${name} is longer than ${DNS1123_SUBDOMAIN_MAX} characters`);
  }
  return name;
}

/** The parts of an identity name; throws IDENTITY_BAD_NAME for anything else. */
export function parseIdentity(name: string): WorkloadIdentity {
  const expected = `expected <serviceaccount>.<namespace>.${IDENTITY_INFIX}.<trust-domain>`;
  const labels = name.split('.');
  const [serviceAccount, namespace, infix1, infix2, ...domain] = labels;
  if (
    serviceAccount === undefined ||
    namespace === undefined ||
    `${infix1}.${infix2}` !== IDENTITY_INFIX ||
    domain.length === 0
  ) {
    throw new IdentityError('IDENTITY_BAD_NAME', `identity ${JSON.stringify(name)} is malformed: ${expected}`);
  }
  const id = { serviceAccount, namespace, trustDomain: domain.join('.') };
  formatIdentity(id);
  return id;
}

/**
 * The ServiceAccount of a Kubernetes username `system:serviceaccount:<ns>:<sa>` (what a TokenReview reports
 * and what a local token's `sub` holds); throws IDENTITY_TOKEN_INVALID for any other user.
 */
export function serviceAccountFromUsername(username: string): { namespace: string; serviceAccount: string } {
  const parts = username.startsWith(SERVICE_ACCOUNT_USER_PREFIX)
    ? username.slice(SERVICE_ACCOUNT_USER_PREFIX.length).split(':')
    : [];
  const [namespace, serviceAccount] = parts;
  if (
    parts.length !== 2 ||
    namespace === undefined ||
    serviceAccount === undefined ||
    !isDns1123Label(namespace) ||
    !isDns1123Label(serviceAccount)
  ) {
    throw new IdentityError(
      'IDENTITY_TOKEN_INVALID',
      `token user ${JSON.stringify(username)} is not a ServiceAccount (expected ${SERVICE_ACCOUNT_USER_PREFIX}<namespace>:<name>)`,
    );
  }
  return { namespace, serviceAccount };
}

export function serviceAccountUsername(namespace: string, serviceAccount: string): string {
  return `${SERVICE_ACCOUNT_USER_PREFIX}${namespace}:${serviceAccount}`;
}

/** The identity the identity service serves Certify under: a proxy checks the service's certificate for it. */
export function identityServiceName(trustDomain: string = DEFAULT_TRUST_DOMAIN): string {
  return formatIdentity({ serviceAccount: IDENTITY_SERVICE_ACCOUNT, namespace: CONTROL_PLANE_NAMESPACE, trustDomain });
}
