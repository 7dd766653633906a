import type { SimResult } from './simulate';

function pad(s: string, width: number, right = false): string {
  return right ? s.padStart(width) : s.padEnd(width);
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');

/** A Markdown table with one row per scenario and algorithm. */
export function table(results: readonly SimResult[]): string {
  const header = ['scenario', 'algorithm', 'requests', 'success %', 'p50 ms', 'p99 ms', 'p99.9 ms'];
  const rows = results.map((r) => [
    r.scenario,
    r.algorithm,
    String(r.requests),
    (r.successRate * 100).toFixed(3),
    ms(r.p50),
    ms(r.p99),
    ms(r.p999),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => pad(c, widths[i]!, i >= 2)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i >= 2 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

const COLORS: Record<string, string> = {
  'peak-ewma': '#1b9e77',
  'least-request': '#d95f02',
  'round-robin': '#7570b3',
  random: '#e7298a',
};

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * An SVG with one panel per scenario: p50, p99 and p99.9 on a logarithmic latency axis, one
 * line per algorithm.
 */
export function svg(results: readonly SimResult[], title: string): string {
  const scenarios = [...new Set(results.map((r) => r.scenario))];
  const algorithms = [...new Set(results.map((r) => r.algorithm))];
  const panelW = 300;
  const panelH = 240;
  const left = 60;
  const top = 50;
  const gap = 40;
  const width = left + scenarios.length * (panelW + gap) + 140;
  const height = top + panelH + 70;
  const values = results.flatMap((r) => [r.p50, r.p99, r.p999]).filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...values)) + 1e-9));
  const hi = Math.max(lo * 10, Math.pow(10, Math.ceil(Math.log10(Math.max(...values)) - 1e-9)));
  const y = (v: number) => top + panelH - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * panelH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="bold">${escape(title)}</text>`,
  ];
  const labels = ['p50', 'p99', 'p99.9'];
  scenarios.forEach((scenario, s) => {
    const x0 = left + s * (panelW + gap);
    const x = (i: number) => x0 + 30 + (i * (panelW - 60)) / 2;
    out.push(`<rect x="${x0}" y="${top}" width="${panelW}" height="${panelH}" fill="none" stroke="#999"/>`);
    out.push(`<text x="${x0 + panelW / 2}" y="${top - 8}" text-anchor="middle" font-weight="bold">${escape(scenario)}</text>`);
    for (let decade = lo; decade <= hi; decade *= 10) {
      out.push(`<line x1="${x0}" x2="${x0 + panelW}" y1="${y(decade)}" y2="${y(decade)}" stroke="#eee"/>`);
      if (s === 0) out.push(`<text x="${x0 - 6}" y="${y(decade) + 4}" text-anchor="end">${decade} ms</text>`);
    }
    labels.forEach((label, i) => out.push(`<text x="${x(i)}" y="${top + panelH + 18}" text-anchor="middle">${label}</text>`));
    algorithms.forEach((algorithm, k) => {
      const r = results.find((q) => q.scenario === scenario && q.algorithm === algorithm);
      if (r === undefined) return;
      const color = COLORS[algorithm] ?? '#333';
      // A small horizontal offset per algorithm keeps equal values from hiding each other.
      const dx = (k - (algorithms.length - 1) / 2) * 5;
      const points = [r.p50, r.p99, r.p999].map((v, i) => `${(x(i) + dx).toFixed(1)},${y(v).toFixed(1)}`);
      out.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
      points.forEach((p) => {
        const [cx, cy] = p.split(',');
        out.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${color}"/>`);
      });
    });
  });
  const legendX = left + scenarios.length * (panelW + gap);
  algorithms.forEach((algorithm, i) => {
    const ly = top + 10 + i * 20;
    out.push(`<rect x="${legendX}" y="${ly - 9}" width="12" height="12" fill="${COLORS[algorithm] ?? '#333'}"/>`);
    out.push(`<text x="${legendX + 18}" y="${ly + 1}">${escape(algorithm)}</text>`);
  });
  out.push(`<text x="${left}" y="${height - 12}" fill="#555">Client-observed latency; a request that times out counts at the timeout (1 s).</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
