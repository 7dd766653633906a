import { SAMPLE_SIZE_X } from './defaults';

/**
 * How many of N ready pods to scrape: all of them up to 3, else ceil(N·X / (N + X − 1)), which never exceeds 16
 * (Knative populationMeanSampleSize).
 */
export function sampleSize(readyPods: number): number {
  if (readyPods <= 0) return 0;
  if (readyPods <= 3) return readyPods;
  return Math.ceil((readyPods * SAMPLE_SIZE_X) / (readyPods + SAMPLE_SIZE_X - 1));
}

export interface ScrapeCandidate {
  /** When the pod was created (or became known), ms since the epoch. */
  createdMs: number;
}

/**
 * Orders the ready pods for scraping as Knative's scraper does: pods older than the stable window come first.
 * When there are at least `sampleSize` old pods they are shuffled (a random sample of them is scraped) and the
 * young ones follow as a fallback; otherwise every old pod is used and the young ones are shuffled behind them.
 * `random` returns a number in [0, 1).
 */
export function scrapeOrder<T extends ScrapeCandidate>(pods: readonly T[], nowMs: number, stableWindowSec: number, random: () => number): T[] {
  const cutoff = nowMs - stableWindowSec * 1000;
  const old = pods.filter((p) => p.createdMs <= cutoff);
  const young = pods.filter((p) => p.createdMs > cutoff);
  if (old.length >= sampleSize(pods.length)) shuffle(old, random);
  else shuffle(young, random);
  return [...old, ...young];
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = items[i] as T;
    items[i] = items[j] as T;
    items[j] = a;
  }
}
