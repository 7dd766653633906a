import { BenchError } from '../errors';
import { direct } from './direct';
import { haproxy } from './haproxy';
import { nginx } from './nginx';
import { fastifyPeer, httpProxyPeer, nodeH2Peer, undiciPeer } from './node-peers';
import { trellisInbound, trellisInboundBaseline, trellisOutbound, trellisOutboundBaseline, trellisTwoHop, trellisTwoHopBaseline, trellisTwoHopMtls, trellisTwoHopMtlsBaseline } from './trellis';
import type { VariantAdapter } from './variant';

/**
 * Every variant in report order; direct first because every ratio is against it. Each baseline variant follows the
 * variant it repeats, so the rotated rounds measure the two back to back.
 */
export const ALL_VARIANTS: readonly VariantAdapter[] = [
  direct,
  trellisOutbound,
  trellisOutboundBaseline,
  trellisInbound,
  trellisInboundBaseline,
  trellisTwoHop,
  trellisTwoHopBaseline,
  trellisTwoHopMtls,
  trellisTwoHopMtlsBaseline,
  nginx,
  haproxy,
  httpProxyPeer,
  fastifyPeer,
  undiciPeer,
  nodeH2Peer,
];

/**
 * The variants a run measures: direct always, then those named by --only (all when it is empty). Baseline variants
 * run only with a baseline bundle, and then each chosen Trellis variant brings its baseline along.
 */
export function selectVariants(all: readonly VariantAdapter[], only: readonly string[], withBaseline: boolean): VariantAdapter[] {
  const unknown = only.filter((id) => !all.some((v) => v.id === id));
  if (unknown.length > 0) throw new BenchError('BENCH_ARGS', `unknown variant(s) ${unknown.join(', ')}; known: ${all.map((v) => v.id).join(', ')}`);
  const named = (id: string) => id === direct.id || only.length === 0 || only.includes(id);
  const baselines = only.filter((id) => all.some((v) => v.id === id && v.baselineOf !== undefined));
  if (!withBaseline && baselines.length > 0) throw new BenchError('BENCH_ARGS', `${baselines.join(', ')} need(s) --baseline-proxy`);
  return all.filter((v) => (v.baselineOf === undefined ? named(v.id) : withBaseline && (named(v.id) || named(v.baselineOf))));
}
