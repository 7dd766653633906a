import { describe, expect, it } from 'vitest';
import { forwardedFromXForwarded } from './forwarded';

describe('forwardedFromXForwarded', () => {
  it('makes one element per X-Forwarded-For hop, host and proto joining the last', () => {
    expect(forwardedFromXForwarded('1.2.3.4, 5.6.7.8', 'example.com', 'https')).toBe(
      'for=1.2.3.4, for=5.6.7.8;host=example.com;proto=https',
    );
  });

  it('brackets and quotes IPv6 addresses (RFC 7239 section 6)', () => {
    expect(forwardedFromXForwarded('2001:db8:cafe::17', '', '')).toBe('for="[2001:db8:cafe::17]"');
    expect(forwardedFromXForwarded('::1, 10.0.0.1', '', 'http')).toBe('for="[::1]", for=10.0.0.1;proto=http');
  });

  it('quotes values that are not tokens (ports, quotes)', () => {
    expect(forwardedFromXForwarded('1.2.3.4:8080', 'example.com:8443', '')).toBe('for="1.2.3.4:8080";host="example.com:8443"');
    expect(forwardedFromXForwarded('a"b', '', '')).toBe('for="a\\"b"');
  });

  it('builds host and proto alone when there is no X-Forwarded-For', () => {
    expect(forwardedFromXForwarded('', 'example.com', 'https')).toBe('host=example.com;proto=https');
  });

  it('returns undefined with nothing to translate', () => {
    expect(forwardedFromXForwarded('', '', '')).toBeUndefined();
  });
});
