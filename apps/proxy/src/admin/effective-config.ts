import type { Env } from '../config/env';
import type { InboundConfig } from '../config/inbound-config';
import { loadIdentityConfig } from '../identity/index';
import { loadOutboundConfig } from '../outbound/index';
import type { ProcessConfig } from '../process/process-config';
import { redact } from './redact';

/** Every role's settings as validated at start, for /config_dump: secrets redacted, certificates left out. */
export function effectiveConfig(env: Env, inbound: InboundConfig, processConfig: ProcessConfig): unknown {
  const identity = loadIdentityConfig(env);
  return redact({
    inbound,
    outbound: loadOutboundConfig(env),
    identity: identity === undefined ? { enabled: false } : { enabled: true, addr: identity.addr, name: identity.name, tokenFile: identity.tokenFile },
    process: processConfig,
    logLevel: env.TRELLIS_LOG_LEVEL || 'info',
  });
}
