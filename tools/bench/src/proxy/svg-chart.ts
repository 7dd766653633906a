/** A hand-written SVG bar chart: one group of horizontal bars per variant, one bar per series, min–max whiskers. */

export interface ChartBar {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface ChartGroup {
  readonly label: string;
  /** One entry per series, in series order; undefined where the series was not measured. */
  readonly bars: readonly (ChartBar | undefined)[];
}

export interface ChartSpec {
  readonly title: string;
  readonly unit: string;
  readonly series: readonly string[];
  readonly groups: readonly ChartGroup[];
}

const WIDTH_PX = 900;
const LABEL_WIDTH_PX = 200;
const RIGHT_MARGIN_PX = 90;
const TOP_PX = 60;
const BAR_HEIGHT_PX = 14;
const BAR_GAP_PX = 2;
const GROUP_GAP_PX = 12;
const AXIS_PX = 40;
const TICKS = 5;
const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2'];

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The smallest 1, 2 or 5 × 10^n at or above `value` (1 for non-positive values). */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((m) => m * power >= value) ?? 10;
  return step * power;
}

function compact(value: number): string {
  return value >= 1000 ? `${Math.round(value / 100) / 10}k` : `${Math.round(value)}`;
}

export function renderChart(spec: ChartSpec): string {
  const plotWidth = WIDTH_PX - LABEL_WIDTH_PX - RIGHT_MARGIN_PX;
  const groupHeight = spec.series.length * (BAR_HEIGHT_PX + BAR_GAP_PX) + GROUP_GAP_PX;
  const height = TOP_PX + spec.groups.length * groupHeight + AXIS_PX;
  const top = Math.max(0, ...spec.groups.flatMap((g) => g.bars.map((b) => b?.max ?? 0)));
  const scaleMax = niceCeiling(top);
  const x = (value: number) => Math.round((LABEL_WIDTH_PX + (Math.max(0, value) / scaleMax) * plotWidth) * 10) / 10;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH_PX}" height="${height}" viewBox="0 0 ${WIDTH_PX} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${WIDTH_PX / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`,
  ];
  spec.series.forEach((name, i) => {
    const lx = LABEL_WIDTH_PX + i * 220;
    parts.push(`<rect x="${lx}" y="32" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`);
    parts.push(`<text x="${lx + 16}" y="42">${escapeXml(name)}</text>`);
  });
  const axisY = TOP_PX + spec.groups.length * groupHeight;
  for (let t = 0; t <= TICKS; t++) {
    const value = (scaleMax * t) / TICKS;
    const tx = x(value);
    parts.push(`<line x1="${tx}" y1="${TOP_PX - 4}" x2="${tx}" y2="${axisY}" stroke="#dddddd"/>`);
    parts.push(`<text x="${tx}" y="${axisY + 16}" text-anchor="middle">${compact(value)}</text>`);
  }
  parts.push(`<text x="${LABEL_WIDTH_PX + plotWidth / 2}" y="${axisY + 34}" text-anchor="middle">${escapeXml(spec.unit)}</text>`);
  spec.groups.forEach((group, g) => {
    const gy = TOP_PX + g * groupHeight;
    const labelY = gy + (spec.series.length * (BAR_HEIGHT_PX + BAR_GAP_PX)) / 2 + 4;
    parts.push(`<text x="${LABEL_WIDTH_PX - 8}" y="${labelY}" text-anchor="end">${escapeXml(group.label)}</text>`);
    group.bars.forEach((bar, s) => {
      const by = gy + s * (BAR_HEIGHT_PX + BAR_GAP_PX);
      if (!bar) {
        parts.push(`<text x="${LABEL_WIDTH_PX + 4}" y="${by + BAR_HEIGHT_PX - 3}" fill="#888888" font-size="10">not measured</text>`);
        return;
      }
      const mid = by + BAR_HEIGHT_PX / 2;
      parts.push(`<rect x="${LABEL_WIDTH_PX}" y="${by}" width="${Math.round((x(bar.median) - LABEL_WIDTH_PX) * 10) / 10}" height="${BAR_HEIGHT_PX}" fill="${COLORS[s % COLORS.length]}"/>`);
      parts.push(`<line x1="${x(bar.min)}" y1="${mid}" x2="${x(bar.max)}" y2="${mid}" stroke="#333333"/>`);
      parts.push(`<text x="${x(bar.max) + 4}" y="${by + BAR_HEIGHT_PX - 3}" font-size="10">${compact(bar.median)}</text>`);
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
