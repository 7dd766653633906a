import { describe, expect, it } from 'vitest';
import { parseWorkload } from './workload';

describe('parseWorkload', () => {
  it.each([
    ['{"ns":"shop","pod":"api-0"}', { namespace: 'shop', pod: 'api-0' }],
    ['{"ns":"shop","pod":"api-0","extra":1}', { namespace: 'shop', pod: 'api-0' }],
    ['shop:api-0', { namespace: 'shop', pod: 'api-0' }],
    [' shop:api.v1-0 ', { namespace: 'shop', pod: 'api.v1-0' }],
  ])('reads %s', (text, workload) => {
    expect(parseWorkload(text)).toEqual({ ok: true, workload });
  });

  it.each([
    ['', /empty workload/],
    ['shop', /unreadable workload/],
    ['a:b:c', /unreadable workload/],
    ['{"ns":"shop"}', /workload pod undefined is not a pod name/],
    ['{"ns":"Shop","pod":"a"}', /workload namespace "Shop" is not a namespace name/],
    ['{"ns":', /not valid JSON/],
    ['["shop","api"]', /unreadable workload|not an object/],
    ['x'.repeat(5000), /longer than 4096/],
  ])('rejects %s', (text, reason) => {
    const result = parseWorkload(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});
