import { describe, expect, it } from 'vitest';
import { escapeXml, niceCeiling, renderChart } from './svg-chart';

describe('niceCeiling', () => {
  it.each([
    [0, 1],
    [0.7, 1],
    [1, 1],
    [1.2, 2],
    [3_000, 5_000],
    [92_000, 100_000],
    [100_001, 200_000],
  ])('%f rounds up to %f', (value, expected) => {
    expect(niceCeiling(value)).toBe(expected);
  });
});

describe('renderChart', () => {
  const svg = renderChart({
    title: 'req/s <&>',
    unit: 'requests per second',
    series: ['h1-c1', 'h1-c50'],
    groups: [
      { label: 'direct', bars: [{ median: 10_000, min: 9_000, max: 11_000 }, { median: 100_000, min: 90_000, max: 100_000 }] },
      { label: 'nginx "1 worker"', bars: [undefined, { median: 50_000, min: 50_000, max: 50_000 }] },
    ],
  });

  it('draws bars whose widths are proportional to the medians on a nice scale', () => {
    const widths = [...svg.matchAll(/<rect x="200" y="\d+" width="([\d.]+)" height="14"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(3);
    const [small, large, half] = widths as [number, number, number];
    expect(large / small).toBeCloseTo(10, 5);
    expect(large / half).toBeCloseTo(2, 5);
    expect(svg).toContain('>100k</text>');
  });

  it('marks a series that was not measured and escapes text', () => {
    expect(svg).toContain('not measured');
    expect(svg).toContain('req/s &lt;&amp;&gt;');
    expect(svg).toContain('nginx &quot;1 worker&quot;');
    expect(escapeXml('a<b')).toBe('a&lt;b');
  });

  it('is one well-formed svg element', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    const opened = (svg.match(/<text\b/g) ?? []).length;
    expect((svg.match(/<\/text>/g) ?? []).length).toBe(opened);
  });
});
