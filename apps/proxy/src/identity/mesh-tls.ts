import type { SecureContext } from 'node:tls';
import type { Clock } from '@trellis/identity';
import type { IdentityCertificate, ProxyIdentity } from './index';
import { MeshTlsContexts } from './tls-contexts';

/**
 * What the data path needs of this proxy's identity for mutual TLS between proxies: the current
 * certificate (the inbound listener installs it as its server certificate) and its TLS context
 * (outbound connections present it as the client's). Both follow renewals; connections made before
 * keep what they had.
 */
export interface MeshTls {
  certificate(): IdentityCertificate | undefined;
  secureContext(): SecureContext | undefined;
  /** Idempotent. */
  close(): void;
}

export function meshTls(identity: ProxyIdentity, clock: Clock): MeshTls {
  const contexts = new MeshTlsContexts(identity, clock);
  return {
    certificate: () => identity.current(),
    secureContext: () => contexts.current(),
    close: () => contexts.close(),
  };
}
