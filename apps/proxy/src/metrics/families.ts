import type { Metric, Registry } from 'prom-client';

/**
 * Counter and histogram families for the request path. prom-client's labelled children hash and
 * validate their label set on every inc()/observe(), nine times per proxied request here; these
 * keep one plain object per label set, found once and then only incremented. They register with
 * a prom-client Registry (which only calls name, help, type, get() and reset()), so they are
 * scraped, formatted and merged like prom-client's own metrics.
 */

type Labels = Readonly<Record<string, string>>;

export interface CounterSeries {
  inc(): void;
}

export interface HistogramSeries {
  observe(value: number): void;
}

interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: Sample[];
  aggregator: 'sum';
}

function checkLabels(family: string, names: readonly string[], labels: Labels): void {
  const given = Object.keys(labels);
  if (given.length !== names.length || !names.every((n) => typeof labels[n] === 'string')) {
    throw new TypeError(`${family}: labels must be exactly ${names.join(', ')}; got ${given.join(', ')}`);
  }
}

/** A family's label sets by key, each created on first use; `key` is the caller's cheap identity for `labels`. */
abstract class Family<S> {
  protected readonly series = new Map<string, { labels: Labels; state: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
  ) {}

  protected find(key: string, labels: () => Labels): S {
    let entry = this.series.get(key);
    if (entry === undefined) {
      const l = labels();
      checkLabels(this.name, this.labelNames, l);
      entry = { labels: l, state: this.create() };
      this.series.set(key, entry);
    }
    return entry.state;
  }

  protected abstract create(): S;

  reset(): void {
    this.series.clear();
  }

  /** Adds the family to a registry; it serves every scrape from then on. */
  register(registry: Registry): this {
    registry.registerMetric(this as unknown as Metric);
    return this;
  }
}

export class CounterFamily extends Family<{ value: number }> {
  readonly type = 'counter';

  /** The series for `labels` (built only when `key` is new). */
  child(key: string, labels: () => Labels): CounterSeries {
    const state = this.find(key, labels);
    return {
      inc: () => {
        state.value += 1;
      },
    };
  }

  /** One increment of the series for `labels`, for rare events that are not worth a cached child. */
  inc(labels: Labels): void {
    const key = JSON.stringify(labels);
    this.find(key, () => labels).value += 1;
  }

  protected create(): { value: number } {
    return { value: 0 };
  }

  get(): Promise<MetricSnapshot> {
    const values: Sample[] = [];
    for (const { labels, state } of this.series.values()) values.push({ value: state.value, labels: { ...labels } });
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' });
  }
}

interface HistogramState {
  /** Per bucket, not cumulative: counts[i] holds observations in (bounds[i-1], bounds[i]]; the last is +Inf. */
  counts: number[];
  sum: number;
  count: number;
}

export class HistogramFamily extends Family<HistogramState> {
  readonly type = 'histogram';

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    /** Upper bounds, ascending. */
    private readonly bounds: readonly number[],
  ) {
    super(name, help, labelNames);
  }

  child(key: string, labels: () => Labels): HistogramSeries {
    const state = this.find(key, labels);
    const bounds = this.bounds;
    return {
      observe: (value) => {
        let i = 0;
        while (i < bounds.length && value > (bounds[i] as number)) i++;
        state.counts[i] = (state.counts[i] as number) + 1;
        state.sum += value;
        state.count += 1;
      },
    };
  }

  protected create(): HistogramState {
    return { counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
  }

  get(): Promise<MetricSnapshot> {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, state } of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += state.counts[i] as number;
        const le = i < this.bounds.length ? (this.bounds[i] as number) : '+Inf';
        values.push({ value: cumulative, labels: { le, ...labels }, metricName: bucket });
      }
      values.push({ value: state.sum, labels: { ...labels }, metricName: `${this.name}_sum` });
      values.push({ value: state.count, labels: { ...labels }, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' });
  }
}
