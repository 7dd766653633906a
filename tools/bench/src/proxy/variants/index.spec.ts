import { describe, expect, it } from 'vitest';
import { ALL_VARIANTS, selectVariants } from './index';

const ids = (only: string[], withBaseline: boolean) => selectVariants(ALL_VARIANTS, only, withBaseline).map((v) => v.id);

describe('selectVariants', () => {
  it('runs every variant but the baselines when nothing is named and no baseline bundle is given', () => {
    const all = ids([], false);
    expect(all).toContain('trellis-outbound');
    expect(all).toContain('nginx');
    expect(all.some((id) => id.endsWith('-baseline'))).toBe(false);
  });

  it('puts each baseline right after the variant it repeats when a baseline bundle is given', () => {
    expect(ids(['trellis-outbound', 'trellis-inbound', 'undici'], true)).toEqual([
      'direct',
      'trellis-outbound',
      'trellis-outbound-baseline',
      'trellis-inbound',
      'trellis-inbound-baseline',
      'undici',
    ]);
  });

  it('runs a baseline named alone without its current-build variant', () => {
    expect(ids(['trellis-inbound-baseline'], true)).toEqual(['direct', 'trellis-inbound-baseline']);
  });

  it('runs every variant and every baseline when nothing is named and a baseline bundle is given', () => {
    expect(ids([], true)).toEqual(ALL_VARIANTS.map((v) => v.id));
  });

  it('refuses a baseline variant without a baseline bundle, and unknown ids', () => {
    expect(() => ids(['trellis-outbound-baseline'], false)).toThrow(expect.objectContaining({ code: 'BENCH_ARGS', message: 'trellis-outbound-baseline need(s) --baseline-proxy' }));
    expect(() => ids(['trellis-sideways'], true)).toThrow(expect.objectContaining({ code: 'BENCH_ARGS', message: expect.stringContaining('unknown variant(s) trellis-sideways') }));
  });
});
