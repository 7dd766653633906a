import { describe, expect, it } from 'vitest';
import { haproxyConfig } from './haproxy-config';

describe('haproxyConfig', () => {
  const config = haproxyConfig({ listenH1: 1001, listenH2: 1002, backendH1: 2001, backendH2: 2002 });

  it('runs one thread in HTTP mode with connection reuse', () => {
    expect(config).toMatch(/^\s+nbthread 1$/m);
    expect(config).toMatch(/^\s+mode http$/m);
    expect(config).toMatch(/^\s+http-reuse always$/m);
    expect(config).not.toContain('daemon');
  });

  it('binds HTTP/1.1 and h2c on loopback and speaks h2 to the h2c backend', () => {
    expect(config).toMatch(/bind 127\.0\.0\.1:1001$/m);
    expect(config).toMatch(/bind 127\.0\.0\.1:1002 proto h2$/m);
    expect(config).toMatch(/server backend 127\.0\.0\.1:2001$/m);
    expect(config).toMatch(/server backend 127\.0\.0\.1:2002 proto h2$/m);
  });

  it('sets every timeout haproxy warns about when missing', () => {
    for (const timeout of ['connect', 'client', 'server']) expect(config).toMatch(new RegExp(`timeout ${timeout} \\d+s`));
  });
});
