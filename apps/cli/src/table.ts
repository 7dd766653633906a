/** The first `left` columns left-aligned, the rest (numbers) right-aligned; two spaces between columns. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], left = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i < left ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export const percent = (rate: number | undefined) => (rate === undefined ? '-' : `${(100 * rate).toFixed(2)}%`);
export const perSecond = (rps: number) => `${rps.toFixed(1)}rps`;
export const millis = (ms: number | undefined) => (ms === undefined ? '-' : ms >= 100 ? `${Math.round(ms)}ms` : `${ms.toFixed(1)}ms`);
