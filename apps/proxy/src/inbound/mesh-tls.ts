import type { Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import type { IdentityCertificate } from '../identity/identity-client';
import { identityOfCertificate, secureContextOptions } from '../identity/tls-options';

/** RFC 8446 section 5.1: a TLS record of type handshake (22) starts every TLS connection (the ClientHello). */
export const TLS_HANDSHAKE_RECORD = 0x16;
/** Ours: a TLS handshake not finished within this time is cut. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** What the inbound knows of a connection's security; the chain sees it on every exchange. */
export interface ConnectionTls {
  readonly tls: boolean;
  /** The client's identity, proved by a certificate from our trust anchors; undefined without one. */
  readonly clientId: string | undefined;
}

export const PLAINTEXT: ConnectionTls = Object.freeze({ tls: false, clientId: undefined });

const CONNECTION_TLS = Symbol('trellis.connectionTls');
type Tagged = Socket & { [CONNECTION_TLS]?: ConnectionTls };

/** The TLS state recorded on a connection's socket (HTTP/2 sessions expose a proxy of it, which forwards the read). */
export function connectionTlsOf(socket: Socket | undefined | null): ConnectionTls {
  return (socket as Tagged | undefined)?.[CONNECTION_TLS] ?? PLAINTEXT;
}

export interface InboundTls {
  /** This proxy's current certificate; undefined before the first (a TLS client is then refused). */
  certificate(): IdentityCertificate | undefined;
  /** A connection's TLS outcome, for metrics: accepted (plaintext or TLS, with the client's identity) or refused. */
  onAccepted(state: ConnectionTls): void;
  onRefused(reason: 'no_certificate' | 'handshake_failed' | 'untrusted_client_certificate'): void;
}

/**
 * Terminates mutual TLS on inbound connections whose first byte opened a TLS handshake, through one
 * `tls.Server` that never listens (it is handed sockets, like the protocol servers) and whose context
 * follows the current certificate. The client's certificate is asked for, not required: a client
 * without one is served as TLS without identity; a certificate that does not chain to our trust
 * anchors is refused, as linkerd2-proxy's verifier refuses it. `onSecure` gets the decrypted socket,
 * tagged with its ConnectionTls.
 */
export class MeshTlsAcceptor {
  private readonly server: tls.Server;
  private installed: IdentityCertificate | undefined;

  constructor(
    private readonly inboundTls: InboundTls,
    onSecure: (decrypted: TLSSocket) => void,
  ) {
    this.server = tls.createServer({
      requestCert: true,
      rejectUnauthorized: false,
      ALPNProtocols: ['h2', 'http/1.1'],
      handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
    });
    this.server.on('secureConnection', (secure: TLSSocket) => {
      const peer = secure.getPeerCertificate();
      const presented = peer !== null && Object.keys(peer).length > 0;
      if (presented && !secure.authorized) {
        inboundTls.onRefused('untrusted_client_certificate');
        secure.destroy();
        return;
      }
      const state: ConnectionTls = { tls: true, clientId: presented ? identityOfCertificate(peer) : undefined };
      (secure as Tagged)[CONNECTION_TLS] = state;
      inboundTls.onAccepted(state);
      onSecure(secure);
    });
    this.server.on('tlsClientError', (_err: Error, socket: TLSSocket) => {
      inboundTls.onRefused('handshake_failed');
      socket.destroy();
    });
  }

  /** Takes a connection whose first bytes (`buffered`, already read) open a TLS handshake. */
  accept(socket: Socket, buffered: Buffer): void {
    const cert = this.inboundTls.certificate();
    if (cert === undefined) {
      this.inboundTls.onRefused('no_certificate');
      socket.destroy();
      return;
    }
    if (cert !== this.installed) {
      this.server.setSecureContext(secureContextOptions(cert));
      this.installed = cert;
    }
    socket.unshift(buffered);
    this.server.emit('connection', socket);
  }
}
