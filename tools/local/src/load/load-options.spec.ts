import { describe, expect, it } from 'vitest';
import { DEFAULT_CONCURRENCY, DEFAULT_DURATION_S, DEFAULT_RPS, MAX_DURATION_S, MAX_RPS, parseLoadArgs } from './load-options';

describe('parseLoadArgs', () => {
  it('reads the url, flags and defaults', () => {
    expect(parseLoadArgs(['http://hello.demo.svc.cluster.local/hello'])).toEqual({
      url: new URL('http://hello.demo.svc.cluster.local/hello'),
      rps: DEFAULT_RPS,
      durationS: DEFAULT_DURATION_S,
      concurrency: DEFAULT_CONCURRENCY,
      proxy: undefined,
      method: 'GET',
    });
    expect(parseLoadArgs(['http://x/', '--rps', '200', '--duration', '5', '--concurrency', '8', '--proxy', 'http://127.0.0.1:4140', '--method', 'post'])).toMatchObject({
      rps: 200,
      durationS: 5,
      concurrency: 8,
      proxy: new URL('http://127.0.0.1:4140'),
      method: 'POST',
    });
    expect(parseLoadArgs(['--help'])).toBe('help');
  });

  it.each([
    [[], /exactly one URL, got none/],
    [['http://a/', 'http://b/'], /exactly one URL/],
    [['not a url'], /must be a URL/],
    [['https://x/'], /must be an http:\/\/ URL/],
    [['http://x/', '--rps', String(MAX_RPS + 1)], /--rps must be an integer from 1 to 20000/],
    [['http://x/', '--rps', '0'], /--rps/],
    [['http://x/', '--duration', String(MAX_DURATION_S + 1)], /--duration must be an integer from 1 to 600/],
    [['http://x/', '--concurrency', '1.5'], /--concurrency/],
    [['http://x/', '--proxy', 'socks5://p'], /--proxy must be an http:\/\/ URL/],
    [['http://x/', '--method', 'PUT'], /--method must be GET or POST/],
    [['http://x/', '--bogus'], /^Unknown option '--bogus'$/],
  ])('rejects %j with a clear error', (argv, message) => {
    expect(() => parseLoadArgs(argv)).toThrow(message);
  });
});
