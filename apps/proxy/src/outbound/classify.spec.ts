import { compileResponseMatch } from '@trellis/routes';
import { describe, expect, it } from 'vitest';
import { classify } from './classify';

describe('classify', () => {
  const rules = [
    { matches: compileResponseMatch({ match: { $case: 'status', value: { min: 500, max: 502 } } }), isFailure: true },
    { matches: compileResponseMatch({ match: { $case: 'status', value: { min: 404, max: 404 } } }), isFailure: true },
    { matches: compileResponseMatch({ match: { $case: 'status', value: { min: 503, max: 503 } } }), isFailure: false },
  ];
  it.each([
    [[], 200, undefined, 'success'],
    [[], 500, undefined, 'failure'],
    [[], 404, undefined, 'success'],
    [[], 200, 0, 'success'],
    [[], 200, 14, 'failure'],
    [rules, 404, undefined, 'failure'],
    [rules, 503, undefined, 'success'],
    [rules, 504, undefined, 'failure'],
    [rules, 501, undefined, 'failure'],
  ] as const)('%#: status %s grpc %s -> %s', (r, status, grpc, expected) => {
    expect(classify(r, status, grpc)).toBe(expected);
  });
});
