import { Counter, type Registry } from 'prom-client';
import type { MeshTls } from '../identity/mesh-tls';
import type { ConnectionTls, InboundTls } from './mesh-tls';

/**
 * The inbound side of mesh TLS: this proxy's certificate, and connections counted with Linkerd's
 * `tcp_open_total` labels (`tls="true"` with the proved `client_id`, or `tls="no_identity"` with
 * `no_tls_reason`), plus refused handshakes by reason.
 */
export function inboundMeshTls(meshTls: MeshTls, registry: Registry): InboundTls {
  const opened = new Counter({
    name: 'tcp_open_total',
    help: 'Inbound connections accepted, by TLS state and proved client identity',
    labelNames: ['direction', 'peer', 'tls', 'client_id', 'no_tls_reason'],
    registers: [registry],
  });
  const refused = new Counter({
    name: 'inbound_tls_refused_total',
    help: 'Inbound TLS connections refused, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  const labels = (state: ConnectionTls) =>
    state.tls
      ? { direction: 'inbound', peer: 'src', tls: 'true', client_id: state.clientId ?? '', no_tls_reason: '' }
      : { direction: 'inbound', peer: 'src', tls: 'no_identity', client_id: '', no_tls_reason: 'no_tls_from_remote' };
  return {
    certificate: () => meshTls.certificate(),
    onAccepted: (state) => opened.inc(labels(state)),
    onRefused: (reason) => refused.inc({ reason }),
  };
}
