import { readFileSync } from 'node:fs';
import { createFileRegistry, equals, fromBinary, toBinary, create, type DescMessage } from '@bufbuild/protobuf';
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { BackendPolicy, DestinationProfile } from './index';

// `DestinationProfile.backend_policy` (field 1000) is a Trellis extension. A stock Linkerd proxy decodes the
// profile with linkerd2-proxy-api's message, which lacks the field: it must skip it and see every other field
// exactly as before. The stock message is rebuilt here as a descriptor with Linkerd's fields 1..8 only, and
// decoded by a second protobuf runtime (@bufbuild/protobuf's reflection). Its message-typed fields are declared
// as `bytes`: both are length-delimited on the wire, so the comparison covers their exact contents.

const { OPTIONAL, REPEATED } = FieldDescriptorProto_Label;
const { BOOL, BYTES, STRING } = FieldDescriptorProto_Type;

function stockProfileSchema(): DescMessage {
  const field = (name: string, number: number, type: FieldDescriptorProto_Type, label = OPTIONAL) => ({
    name,
    number,
    type,
    label,
    jsonName: name,
  });
  const file = create(FileDescriptorProtoSchema, {
    name: 'linkerd-destination-stock.proto',
    package: 'io.linkerd.proxy.destination',
    syntax: 'proto3',
    messageType: [
      {
        name: 'DestinationProfile',
        field: [
          field('routes', 1, BYTES, REPEATED),
          field('retry_budget', 2, BYTES),
          field('dst_overrides', 3, BYTES, REPEATED),
          field('opaque_protocol', 4, BOOL),
          field('fully_qualified_name', 5, STRING),
          field('endpoint', 6, BYTES),
          field('parent_ref', 7, BYTES),
          field('profile_ref', 8, BYTES),
        ],
      },
    ],
  });
  const schema = createFileRegistry(file, () => undefined).getMessage('io.linkerd.proxy.destination.DestinationProfile');
  if (!schema) throw new Error('stock DestinationProfile descriptor did not register');
  return schema;
}

interface Vector {
  name: string;
  type: string;
  base64: string;
}

const profileVectors: Vector[] = (
  JSON.parse(readFileSync(new URL('./fixtures/wire-vectors.json', import.meta.url), 'utf8')).cases as Vector[]
).filter((v) => v.type === 'io.linkerd.proxy.destination.DestinationProfile');

const FULL_POLICY: BackendPolicy = {
  balancer: 'ring-hash',
  hashKey: { source: { $case: 'header', value: 'x-user' } },
  outlierDetection: {
    consecutive5xx: 5,
    consecutiveGatewayErrors: 0,
    interval: { seconds: '10', nanos: 0 },
    baseEjectionTime: { seconds: '30', nanos: 0 },
    maxEjectionTime: { seconds: '300', nanos: 0 },
    maxEjectionPercent: 10,
  },
  circuitBreakers: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 },
};

const STOCK = stockProfileSchema();

function unknownFieldNumbers(message: object): number[] {
  return ((message as { $unknown?: { no: number }[] }).$unknown ?? []).map((field) => field.no);
}

describe('DestinationProfile.backend_policy (Trellis extension, field 1000)', () => {
  it('the wire vectors cover profiles', () => {
    expect(profileVectors.map((v) => v.name)).toEqual(['profile-full', 'profile-default', 'profile-endpoint']);
  });

  for (const vector of profileVectors) {
    const stockBytes = Buffer.from(vector.base64, 'base64');

    it(`${vector.name}: a Linkerd profile decodes with no backend policy and re-encodes without one`, () => {
      const decoded = DestinationProfile.decode(stockBytes);
      expect(decoded.backendPolicy).toBeUndefined();
      expect(DestinationProfile.toJSON(decoded)).not.toHaveProperty('backendPolicy');
      const reencoded = fromBinary(STOCK, DestinationProfile.encode(decoded).finish());
      expect(unknownFieldNumbers(reencoded)).toEqual([]);
    });

    it(`${vector.name}: with a backend policy, a decoder lacking the field skips it and sees the rest unchanged`, () => {
      const profile = DestinationProfile.decode(stockBytes);
      const plain = DestinationProfile.encode(profile).finish();
      const extended = DestinationProfile.encode({ ...profile, backendPolicy: FULL_POLICY }).finish();

      expect(DestinationProfile.decode(extended)).toEqual({ ...profile, backendPolicy: FULL_POLICY });

      expect(unknownFieldNumbers(fromBinary(STOCK, extended))).toEqual([1000]);
      const seenByLinkerd = fromBinary(STOCK, extended, { readUnknownFields: false });
      expect(equals(STOCK, seenByLinkerd, fromBinary(STOCK, plain))).toBe(true);
      expect(Buffer.from(toBinary(STOCK, seenByLinkerd))).toEqual(Buffer.from(toBinary(STOCK, fromBinary(STOCK, plain))));
    });
  }

  it('every oneof case of the hash key round-trips', () => {
    const sources: NonNullable<BackendPolicy['hashKey']>['source'][] = [
      { $case: 'header', value: 'x-user' },
      { $case: 'cookie', value: 'session' },
      { $case: 'sourceIp', value: true },
    ];
    for (const source of sources) {
      const policy: BackendPolicy = { balancer: 'maglev', hashKey: { source } };
      expect(BackendPolicy.decode(BackendPolicy.encode(policy).finish())).toEqual(policy);
    }
  });
});
