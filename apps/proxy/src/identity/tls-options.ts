import type { PeerCertificate, SecureContextOptions, TLSSocket } from 'node:tls';
import type { IdentityCertificate } from './identity-client';

// What the data path needs from a certificate, in Node's `tls` terms. mTLS between proxies is TLS 1.3 only
// (DESIGN.md); the peer is named by its identity in SAN DNS, so Node's default checkServerIdentity works when
// the client sets `servername` to the identity it expects.

/** Proxy-to-proxy TLS version. Source: DESIGN.md (TLS 1.3 on every hop), as Linkerd's proxy. */
export const MESH_TLS_VERSION = 'TLSv1.3';

/** Options for `tls.createSecureContext` (server and client side alike): our key and chain, the anchors as CA. */
export function secureContextOptions(cert: IdentityCertificate): SecureContextOptions {
  return {
    key: cert.keyPem,
    cert: cert.certificateChainPem,
    ca: cert.trustAnchorsPem,
    minVersion: MESH_TLS_VERSION,
    maxVersion: MESH_TLS_VERSION,
  };
}

/** The identity a verified peer certificate names (its first SAN DNS name), or undefined. */
export function identityOfCertificate(peer: PeerCertificate | undefined): string | undefined {
  const san = peer?.subjectaltname;
  if (!san) return undefined;
  const dns = san.split(', ').find((entry) => entry.startsWith('DNS:'));
  return dns?.slice('DNS:'.length);
}

/**
 * The client identity of an inbound TLS connection: only when the handshake verified the client's certificate
 * against our trust anchors (`socket.authorized`); undefined for a client without a certificate or with a
 * certificate from another anchor.
 */
export function peerIdentity(socket: TLSSocket): string | undefined {
  if (!socket.authorized) return undefined;
  return identityOfCertificate(socket.getPeerCertificate());
}
