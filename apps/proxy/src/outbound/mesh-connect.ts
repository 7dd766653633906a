import type { Socket } from 'node:net';
import tls, { type PeerCertificate, type SecureContext } from 'node:tls';
import { identityOfCertificate } from '../identity/tls-options';

/** What a connection to a meshed endpoint needs: the identity it must prove, and our current TLS context. */
export interface EndpointTls {
  /** The endpoint's identity (`tls_identity` from the destination); also sent as SNI, as linkerd2-proxy does. */
  serverName: string;
  secureContext(): SecureContext | undefined;
}

/** Error code when this proxy has no certificate yet (it waits for one at start, so only a bug sees it). */
export const NO_CERTIFICATE_CODE = 'MESH_TLS_NO_CERTIFICATE';

/**
 * Opens a mutual-TLS connection to a meshed endpoint: TLS 1.3 (the context's bounds), our certificate as
 * the client's, the trust anchors as the only CAs, and the peer's certificate must name `serverName`.
 */
export function meshTlsConnect(host: string, port: number, endpointTls: EndpointTls, alpn: 'h2' | 'http/1.1'): Socket {
  const secureContext = endpointTls.secureContext();
  if (secureContext === undefined) {
    throw Object.assign(new Error('this proxy has no certificate yet'), { code: NO_CERTIFICATE_CODE });
  }
  const expected = endpointTls.serverName;
  const socket = tls.connect({
    host,
    port,
    servername: expected,
    secureContext,
    ALPNProtocols: [alpn],
    checkServerIdentity: (_host: string, cert: PeerCertificate) => {
      const actual = identityOfCertificate(cert);
      return actual === expected ? undefined : new Error(`the endpoint's certificate names ${actual ?? 'no identity'}, not ${expected}`);
    },
  });
  socket.setNoDelay(true);
  return socket;
}
