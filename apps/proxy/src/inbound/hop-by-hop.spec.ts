import { describe, expect, it } from 'vitest';
import { endToEndHeaders, stripHopByHop } from './hop-by-hop';

describe('hop-by-hop headers', () => {
  it('drops RFC 9110 connection headers and the ones Connection names', () => {
    expect(
      endToEndHeaders(
        { connection: 'close, X-Private', 'x-private': '1', 'keep-alive': 'timeout=5', te: 'gzip', 'transfer-encoding': 'chunked', upgrade: 'h2c', 'x-kept': 'y' },
        undefined,
      ),
    ).toEqual({ 'x-kept': 'y' });
  });

  it('keeps te: trailers for HTTP/2, drops pseudo-headers, and lets extra headers replace or remove', () => {
    expect(
      endToEndHeaders({ ':path': '/', te: 'trailers', b3: 'old', forwarded: 'x' }, [
        ['b3', undefined],
        ['forwarded', 'for=1.2.3.4'],
      ], true),
    ).toEqual({ te: 'trailers', forwarded: 'for=1.2.3.4' });
  });

  it('strips a response of its hop-by-hop headers, and the ones Connection names', () => {
    expect(stripHopByHop({ connection: 'keep-alive', 'keep-alive': 'timeout=5', 'content-type': 'text/plain' })).toEqual({ 'content-type': 'text/plain' });
    expect(stripHopByHop({ connection: 'x-private', 'x-private': '1', trailer: 'x-sum', 'x-kept': 'y' })).toEqual({ 'x-kept': 'y' });
  });

  it('hands back a response without hop-by-hop headers as it is', () => {
    const headers = { 'content-type': 'text/plain', 'content-length': '2' };
    expect(stripHopByHop(headers)).toBe(headers);
  });
});
