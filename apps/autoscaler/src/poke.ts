import type { PodStat } from '@trellis/kpa';
import { WireStatMessages } from '@trellis/proto';
import { AutoscalerError } from './errors';

/** Largest poke body accepted; a proxy sends one message per held service, a few dozen bytes each. */
export const MAX_POKE_BODY_BYTES = 64 * 1024;

export interface PokeMessage {
  namespace: string;
  name: string;
  stat: PodStat;
}

/**
 * Decodes a poke: Knative `WireStatMessages` as protobuf (`application/protobuf`, `application/x-protobuf`) or as
 * its proto3 JSON form (`application/json`: `{"messages":[{"namespace","name","stat":{...}}]}`).
 */
export function decodePoke(contentType: string | undefined, body: Buffer): PokeMessage[] {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  let decoded: WireStatMessages;
  try {
    if (type === 'application/protobuf' || type === 'application/x-protobuf') decoded = WireStatMessages.decode(body);
    else if (type === 'application/json') decoded = WireStatMessages.fromJSON(JSON.parse(body.toString('utf8')));
    else throw new AutoscalerError('POKE_BAD_BODY', `content-type must be application/protobuf or application/json, got "${type}"`);
  } catch (err) {
    if (err instanceof AutoscalerError) throw err;
    throw new AutoscalerError('POKE_BAD_BODY', `body is not a WireStatMessages (${type})`, { cause: err });
  }
  const out: PokeMessage[] = [];
  for (const [i, m] of decoded.messages.entries()) {
    if (m.namespace === '' || m.name === '' || m.stat === undefined) {
      throw new AutoscalerError('POKE_BAD_BODY', `messages[${i}] needs namespace, name and stat`);
    }
    const s = m.stat;
    const figures = [s.averageConcurrentRequests, s.averageProxiedConcurrentRequests, s.requestCount, s.proxiedRequestCount];
    if (!figures.every((v) => Number.isFinite(v) && v >= 0)) throw new AutoscalerError('POKE_BAD_BODY', `messages[${i}].stat has a negative or non-finite figure`);
    out.push({ namespace: m.namespace, name: m.name, stat: s });
  }
  if (out.length === 0) throw new AutoscalerError('POKE_BAD_BODY', 'no messages');
  return out;
}
