import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DestinationProfile,
  GetDestination,
  Update,
  Stat,
  WireStatMessages,
} from './index';

// The conformance vectors (copied from the shared conformance suite) describe each message in protobufjs
// `toObject` form: lowerCamelCase names, 64-bit integers as decimal strings, enums as names and defaults
// omitted. ts-proto's toJSON produces the same shape, so the two compare after dropping proto3 defaults
// (protobufjs writes a few explicit defaults, e.g. `opaqueProtocol: false`, that proto3 never puts on the wire).

interface Codec {
  decode(bytes: Uint8Array): unknown;
  encode(message: never): { finish(): Uint8Array };
  fromJSON(object: unknown): unknown;
  toJSON(message: never): unknown;
}

const CODECS: Record<string, Codec> = {
  'io.linkerd.proxy.destination.GetDestination': GetDestination as unknown as Codec,
  'io.linkerd.proxy.destination.Update': Update as unknown as Codec,
  'io.linkerd.proxy.destination.DestinationProfile': DestinationProfile as unknown as Codec,
  'metrics.Stat': Stat as unknown as Codec,
  'metrics.WireStatMessages': WireStatMessages as unknown as Codec,
};

interface Vector {
  name: string;
  type: string;
  object: unknown;
  base64: string;
}

const vectors: Vector[] = JSON.parse(
  readFileSync(new URL('./fixtures/wire-vectors.json', import.meta.url), 'utf8'),
).cases;

function withoutDefaults(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDefaults);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === false || field === 0 || field === '' || field === '0') continue;
    if (Array.isArray(field) && field.length === 0) continue;
    out[key] = withoutDefaults(field);
  }
  return out;
}

function codecFor(vector: Vector): Codec {
  const codec = CODECS[vector.type];
  if (!codec) throw new Error(`no codec registered for ${vector.type}`);
  return codec;
}

describe('wire vectors', () => {
  it('covers every message type the vectors use', () => {
    expect(vectors.length).toBeGreaterThan(0);
    for (const v of vectors) expect(Object.keys(CODECS)).toContain(v.type);
  });

  for (const vector of vectors) {
    it(`${vector.name}: decodes to the given object`, () => {
      const codec = codecFor(vector);
      const decoded = codec.decode(Buffer.from(vector.base64, 'base64'));
      expect(withoutDefaults(codec.toJSON(decoded as never))).toEqual(withoutDefaults(vector.object));
    });

    it(`${vector.name}: encodes to bytes that decode back to the object`, () => {
      const codec = codecFor(vector);
      const bytes = codec.encode(codec.fromJSON(vector.object) as never).finish();
      expect(bytes.length).toBeGreaterThan(0);
      const roundTripped = codec.toJSON(codec.decode(bytes) as never);
      expect(withoutDefaults(roundTripped)).toEqual(withoutDefaults(vector.object));
    });
  }
});
