import { AuthenticationV1Api, type KubeConfig, type V1TokenReview } from '@kubernetes/client-node';
import { IdentityError, serviceAccountFromUsername } from '@trellis/identity';
import { TOKEN_REVIEW_TIMEOUT_MS } from './defaults';
import { IdentityServiceError } from './errors';
import type { TokenSubject, TokenValidator } from './token-validator';

// In a cluster the API server is the judge of a ServiceAccount token, as for Linkerd's identity controller:
// a TokenReview with our audience answers authenticated (and as whom) or not (and why, in free text).

function review(token: string, audience: string): V1TokenReview {
  return { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: [audience] } };
}

/** The API server's reasons are free text; these two are worth their own refusal reason. */
function refusal(error: string | undefined): IdentityError {
  const text = error ?? 'not authenticated';
  if (/audience/i.test(text)) {
    return new IdentityError('IDENTITY_TOKEN_AUDIENCE', `the API server refused the token: ${text}`);
  }
  if (/expired/i.test(text)) return new IdentityError('IDENTITY_TOKEN_EXPIRED', `the API server refused the token: ${text}`);
  return new IdentityError('IDENTITY_TOKEN_INVALID', `the API server refused the token: ${text}`);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function kubernetesTokenValidator(options: {
  kubeConfig: KubeConfig;
  audience: string;
  timeoutMs?: number;
}): TokenValidator {
  const api = options.kubeConfig.makeApiClient(AuthenticationV1Api);
  const timeoutMs = options.timeoutMs ?? TOKEN_REVIEW_TIMEOUT_MS;
  return {
    kind: 'kubernetes',
    async validate(token): Promise<TokenSubject> {
      let answer: V1TokenReview;
      try {
        answer = await withTimeout(api.createTokenReview({ body: review(token, options.audience) }), timeoutMs);
      } catch (error) {
        throw new IdentityServiceError('IDENTITY_REVIEW_UNAVAILABLE', 'the TokenReview failed; try again', { cause: error });
      }
      const status = answer.status;
      if (!status?.authenticated) throw refusal(status?.error);
      // An API server that ignores spec.audiences (very old ones) would accept any token: insist on ours.
      if (status.audiences !== undefined && !status.audiences.includes(options.audience)) {
        throw new IdentityError('IDENTITY_TOKEN_AUDIENCE', `the token is not for audience ${options.audience}`);
      }
      return serviceAccountFromUsername(status.user?.username ?? '');
    },
  };
}
