import { type Clock, verifyLocalToken } from '@trellis/identity';
import type { TokenSubject, TokenValidator } from './token-validator';

/** Local mode: the runner's HS256 tokens, checked with the key the runner shares through a file. */
export function localTokenValidator(options: { key: Uint8Array; audience: string; clock: Clock }): TokenValidator {
  return {
    kind: 'local',
    validate: (token): Promise<TokenSubject> =>
      verifyLocalToken(token, { key: options.key, audience: options.audience, clock: options.clock }),
  };
}
