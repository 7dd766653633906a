import type { Registry } from 'prom-client';

interface Series {
  count: number;
  sum: number;
  /** Non-cumulative: observations that fell in (bounds[i-1], bounds[i]]; the last slot is +Inf. */
  readonly buckets: Float64Array;
}

type Labels = Readonly<Record<string, string>>;

interface MetricValue {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * Request counts and a latency histogram per response status, kept in plain numbers: recording is a
 * map lookup and three increments, with no label hashing or validation on the request path. The
 * Prometheus view (`<counter>` and `<histogram>_bucket/_sum/_count`) is built only when scraped.
 */
export class StatusHistogram {
  private readonly series = new Map<number, Series>();

  constructor(private readonly bounds: readonly number[]) {}

  observe(status: number, seconds: number): void {
    let series = this.series.get(status);
    if (series === undefined) {
      series = { count: 0, sum: 0, buckets: new Float64Array(this.bounds.length + 1) };
      this.series.set(status, series);
    }
    series.count++;
    series.sum += seconds;
    let i = 0;
    while (i < this.bounds.length && seconds > (this.bounds[i] as number)) i++;
    series.buckets[i] = (series.buckets[i] ?? 0) + 1;
  }

  /** Registers `counterName` (requests per status) and `histogramName` (latency per status). */
  register(
    registry: Registry,
    names: { counterName: string; counterHelp: string; histogramName: string; histogramHelp: string },
    fixedLabels: Labels,
  ): void {
    const labelsOf = (status: number) => ({
      ...fixedLabels,
      response_code: String(status),
      response_code_class: `${Math.floor(status / 100)}xx`,
    });
    const counter = {
      name: names.counterName,
      help: names.counterHelp,
      type: 'counter',
      aggregator: 'sum',
      get: async () => ({
        name: names.counterName,
        help: names.counterHelp,
        type: 'counter',
        aggregator: 'sum',
        values: [...this.series].map(([status, s]) => ({ labels: labelsOf(status), value: s.count })),
      }),
      reset: () => this.series.clear(),
    };
    const histogram = {
      name: names.histogramName,
      help: names.histogramHelp,
      type: 'histogram',
      aggregator: 'sum',
      get: async () => ({
        name: names.histogramName,
        help: names.histogramHelp,
        type: 'histogram',
        aggregator: 'sum',
        values: [...this.series].flatMap(([status, s]) => this.histogramValues(names.histogramName, labelsOf(status), s)),
      }),
      reset: () => this.series.clear(),
    };
    registry.registerMetric(counter as unknown as Parameters<Registry['registerMetric']>[0]);
    registry.registerMetric(histogram as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  private histogramValues(name: string, labels: Labels, series: Series): MetricValue[] {
    const values: MetricValue[] = [];
    let cumulative = 0;
    for (let i = 0; i <= this.bounds.length; i++) {
      cumulative += series.buckets[i] ?? 0;
      values.push({ metricName: `${name}_bucket`, labels: { le: i < this.bounds.length ? (this.bounds[i] as number) : '+Inf', ...labels }, value: cumulative });
    }
    values.push({ metricName: `${name}_sum`, labels: { ...labels }, value: series.sum });
    values.push({ metricName: `${name}_count`, labels: { ...labels }, value: series.count });
    return values;
  }
}
