import type { Scrape } from './golden';
import { httpGet } from './http-get';
import { parsePrometheusText } from './prometheus-text';
import { workloadOfSamples } from './views';

/** The proxy's Prometheus port (:9091, DESIGN.md). */
export const PROXY_METRICS_PORT = 9091;

export interface MetricSource {
  address: string;
  /** `namespace/name`, when known before scraping. */
  workload?: string;
}

export interface ScrapeRound {
  scrapes: Scrape[];
  /** Sources that did not answer, with the reason (a replica may be stopping). */
  errors: string[];
}

/** Reads every source's /metrics at once. */
export async function scrapeAll(sources: readonly MetricSource[]): Promise<ScrapeRound> {
  const results = await Promise.allSettled(sources.map((s) => httpGet(s.address, '/metrics')));
  const scrapes: Scrape[] = [];
  const errors: string[] = [];
  results.forEach((r, i) => {
    const source = sources[i]!;
    if (r.status === 'rejected') errors.push((r.reason as Error).message);
    else if (r.value.status !== 200) errors.push(`${source.address}: /metrics answered ${r.value.status}`);
    else {
      const samples = parsePrometheusText(r.value.body);
      const workload = source.workload ?? workloadOfSamples(samples);
      scrapes.push({ source: source.address, samples, ...(workload === undefined ? {} : { workload }) });
    }
  });
  return { scrapes, errors };
}
