import { describe, expect, it } from 'vitest';
import { REDACTED, redact } from './redact';

describe('redact', () => {
  it('hides secret-looking settings and URL credentials, keeps the rest, drops non-data', () => {
    const config = {
      tracing: { zipkinEndpoint: 'http://user:pass@zipkin:9411/api/v2/spans', sampleRate: 0.1 },
      identity: { tokenFile: '/var/run/secrets/token', trustAnchorsPem: '-----BEGIN CERTIFICATE-----', name: 'web.demo' },
      apiKey: 'abc',
      template: () => 'x',
      cert: new Uint8Array([1]),
      ports: [8012, 8013],
      probe: { httpGet: { httpHeaders: [{ name: 'Authorization', value: 'Bearer t' }, { name: 'X-Probe', value: 'yes' }] } },
    };
    expect(redact(config)).toEqual({
      tracing: { zipkinEndpoint: `http://${REDACTED}@zipkin:9411/api/v2/spans`, sampleRate: 0.1 },
      identity: { tokenFile: REDACTED, trustAnchorsPem: REDACTED, name: 'web.demo' },
      apiKey: REDACTED,
      ports: [8012, 8013],
      probe: { httpGet: { httpHeaders: [{ name: 'Authorization', value: REDACTED }, { name: 'X-Probe', value: 'yes' }] } },
    });
  });
});
