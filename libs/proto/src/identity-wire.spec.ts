import { describe, expect, it } from 'vitest';
import { CertifyRequest, CertifyResponse, IdentityService } from './index';

// Bytes built by hand from linkerd2-proxy-api's proto/identity.proto field numbers, so a renumbered or retyped
// field fails here even though ts-proto would happily round-trip its own output.
// CertifyRequest: identity = 1 (string), token = 2 (bytes), certificate_signing_request = 3 (bytes).
const REQUEST_BYTES = Uint8Array.from([
  0x0a, 0x03, 0x61, 0x2e, 0x62, // 1: "a.b"
  0x12, 0x02, 0x74, 0x6b, // 2: "tk"
  0x1a, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00, // 3: a DER SEQUENCE { INTEGER 0 }
]);

// CertifyResponse: leaf_certificate = 1 (bytes), intermediate_certificates = 2 (repeated bytes),
// valid_until = 3 (google.protobuf.Timestamp: seconds = 1 varint, nanos = 2 varint).
const RESPONSE_BYTES = Uint8Array.from([
  0x0a, 0x03, 0x01, 0x02, 0x03, // 1: leaf
  0x12, 0x01, 0x04, // 2: first intermediate
  0x12, 0x02, 0x05, 0x06, // 2: second intermediate
  0x1a, 0x08, 0x08, 0x80, 0xe2, 0xcf, 0xaa, 0x06, 0x10, 0x05, // 3: {seconds: 1700000000, nanos: 5}
]);

describe('identity wire format', () => {
  it('decodes a CertifyRequest built from the upstream field numbers', () => {
    const request = CertifyRequest.decode(REQUEST_BYTES);
    expect(request.identity).toBe('a.b');
    expect(Buffer.from(request.token).toString()).toBe('tk');
    expect([...request.certificateSigningRequest]).toEqual([0x30, 0x03, 0x02, 0x01, 0x00]);
  });

  it('encodes a CertifyRequest to the same bytes', () => {
    const bytes = CertifyRequest.encode({
      identity: 'a.b',
      token: Buffer.from('tk'),
      certificateSigningRequest: Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]),
    }).finish();
    expect([...bytes]).toEqual([...REQUEST_BYTES]);
  });

  it('decodes a CertifyResponse built from the upstream field numbers', () => {
    const response = CertifyResponse.decode(RESPONSE_BYTES);
    expect([...response.leafCertificate]).toEqual([1, 2, 3]);
    expect(response.intermediateCertificates.map((c) => [...c])).toEqual([[4], [5, 6]]);
    expect(response.validUntil).toEqual({ seconds: '1700000000', nanos: 5 });
  });

  it('encodes a CertifyResponse to the same bytes', () => {
    const bytes = CertifyResponse.encode({
      leafCertificate: Buffer.from([1, 2, 3]),
      intermediateCertificates: [Buffer.from([4]), Buffer.from([5, 6])],
      validUntil: { seconds: '1700000000', nanos: 5 },
    }).finish();
    expect([...bytes]).toEqual([...RESPONSE_BYTES]);
  });

  it('names the service and method as Linkerd does', () => {
    expect(IdentityService.certify.path).toBe('/io.linkerd.proxy.identity.Identity/Certify');
    expect(IdentityService.certify.requestStream).toBe(false);
    expect(IdentityService.certify.responseStream).toBe(false);
  });
});
