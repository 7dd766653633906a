import { describe, expect, it } from 'vitest';
import { parseContextToken } from './context-token';

describe('parseContextToken', () => {
  it.each([
    ['', {}],
    ['{"ns":"emojivoto","nodeName":"node-1","pod":"web-0"}', { ns: 'emojivoto', nodeName: 'node-1', pod: 'web-0' }],
    ['{"ns":"a"}', { ns: 'a' }],
    ['{"ns":7,"pod":"p","extra":true}', { pod: 'p' }],
    ['ns:emojivoto', { ns: 'emojivoto' }],
  ])('reads %j', (text, token) => {
    expect(parseContextToken(text)).toEqual({ ok: true, token });
  });

  it.each([
    ['garbage', /neither JSON/],
    ['[1,2]', /not an object/],
    ['null', /not an object/],
    ['ns:', /without a namespace/],
    [`{"ns":"${'a'.repeat(5000)}"}`, /longer than/],
  ])('reports %j without throwing', (text, reason) => {
    const result = parseContextToken(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});
