// TokenReview (authentication.k8s.io/v1) as the API server answers it: the caller never gets an HTTP error for a
// bad token, only `status.authenticated: false` and an `error` text. With `spec.audiences`, a token is valid only
// if one of its audiences is among them, and `status.audiences` is the intersection.

export const TOKEN_REVIEW_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';

/** The API server's default token audience (kube-apiserver --api-audiences defaults to the issuer). */
export const DEFAULT_API_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';

export interface FakeServiceAccountToken {
  namespace: string;
  serviceAccount: string;
  /** Audiences the token was issued for (default: the API server's). */
  audiences?: string[];
}

export interface TokenReviewBody {
  spec?: { token?: unknown; audiences?: unknown };
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function reviewToken(tokens: ReadonlyMap<string, FakeServiceAccountToken>, body: TokenReviewBody): unknown {
  const token = typeof body.spec?.token === 'string' ? body.spec.token : '';
  const wanted = stringList(body.spec?.audiences);
  const review = (status: Record<string, unknown>) => ({
    kind: 'TokenReview',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: { token, ...(wanted.length > 0 ? { audiences: wanted } : {}) },
    status,
  });
  const known = tokens.get(token);
  if (!known) return review({ authenticated: false, error: '[invalid bearer token, square/go-jose: error in cryptographic primitive]' });
  const audiences = known.audiences ?? [DEFAULT_API_AUDIENCE];
  const granted = wanted.length === 0 ? audiences : audiences.filter((a) => wanted.includes(a));
  if (granted.length === 0) {
    return review({
      authenticated: false,
      error: `[invalid bearer token, token audiences ${JSON.stringify(audiences)} is invalid for the target audiences ${JSON.stringify(wanted)}]`,
    });
  }
  return review({
    authenticated: true,
    user: {
      username: `system:serviceaccount:${known.namespace}:${known.serviceAccount}`,
      uid: `uid-${known.namespace}-${known.serviceAccount}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${known.namespace}`, 'system:authenticated'],
    },
    audiences: granted,
  });
}
