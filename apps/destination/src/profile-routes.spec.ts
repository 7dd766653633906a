import type { RequestMatch } from '@trellis/proto';
import { describe, expect, it } from 'vitest';
import { profileMatches, profileRetryRanges } from './profile-routes';

const path = (regex: string): RequestMatch => ({ match: { $case: 'path', value: { regex } } });
const method = (value: number): RequestMatch => ({ match: { $case: 'method', value: { type: { $case: 'registered', value } } } });
const all = (...matches: RequestMatch[]): RequestMatch => ({ match: { $case: 'all', value: { matches } } });
const any = (...matches: RequestMatch[]): RequestMatch => ({ match: { $case: 'any', value: { matches } } });

describe('profileMatches', () => {
  it('expands all/any of paths and methods into alternatives', () => {
    const result = profileMatches(all(any(method(0), method(7)), path('^/a$')));
    expect(result).toEqual({
      ok: true,
      matches: [
        { path: { kind: { $case: 'regex', value: '^/a$' } }, headers: [], queryParams: [], method: { type: { $case: 'registered', value: 0 } } },
        { path: { kind: { $case: 'regex', value: '^/a$' } }, headers: [], queryParams: [], method: { type: { $case: 'registered', value: 7 } } },
      ],
    });
  });

  it.each([
    ['not', { match: { $case: 'not', value: path('^/a$') } } as RequestMatch, /`not`/],
    ['two different paths', all(path('^/a$'), path('^/b$')), /never matches/],
    ['an empty condition', {} as RequestMatch, /empty/],
  ])('has no form for %s', (_what, condition, reason) => {
    const result = profileMatches(condition);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe('profileRetryRanges', () => {
  it('retries the failure classes that are status ranges, else 5xx', () => {
    const route = { metricsLabels: {}, isRetryable: true, responseClasses: [{ isFailure: true, condition: { match: { $case: 'status' as const, value: { min: 429, max: 429 } } } }] };
    expect(profileRetryRanges(route)).toEqual([{ start: 429, end: 429 }]);
    expect(profileRetryRanges({ ...route, responseClasses: [] })).toEqual([{ start: 500, end: 599 }]);
  });
});
