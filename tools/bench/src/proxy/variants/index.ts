import { direct } from './direct';
import { haproxy } from './haproxy';
import { nginx } from './nginx';
import { fastifyPeer, httpProxyPeer, undiciPeer } from './node-peers';
import { trellisInbound, trellisOutbound, trellisTwoHop } from './trellis';
import type { VariantAdapter } from './variant';

/** Every variant in report order; direct first because every ratio is against it. */
export const ALL_VARIANTS: readonly VariantAdapter[] = [
  direct,
  trellisOutbound,
  trellisInbound,
  trellisTwoHop,
  nginx,
  haproxy,
  httpProxyPeer,
  fastifyPeer,
  undiciPeer,
];
