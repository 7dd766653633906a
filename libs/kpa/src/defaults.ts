// Knative Serving's autoscaler defaults (config-autoscaler ConfigMap, pkg/autoscaler/config/config.go) and the
// KPA tick/scrape cadence (pkg/autoscaler/scaling/multiscaler.go, pkg/autoscaler/metrics/collector.go).

/** Stable window; Knative `stable-window`. */
export const DEFAULT_STABLE_WINDOW_SEC = 60;
/** Smallest and largest stable window Knative accepts (`autoscaling.knative.dev/window`). */
export const MIN_STABLE_WINDOW_SEC = 6;
export const MAX_STABLE_WINDOW_SEC = 3600;
/** Panic window as a percentage of the stable window; Knative `panic-window-percentage`. */
export const DEFAULT_PANIC_WINDOW_PERCENTAGE = 10;
export const MIN_PANIC_WINDOW_PERCENTAGE = 1;
export const MAX_PANIC_WINDOW_PERCENTAGE = 100;
/** Panic threshold in percent of the current capacity; Knative `panic-threshold-percentage`. */
export const DEFAULT_PANIC_THRESHOLD_PERCENTAGE = 200;
export const MIN_PANIC_THRESHOLD_PERCENTAGE = 110;
export const MAX_PANIC_THRESHOLD_PERCENTAGE = 1000;
/** Target utilization in percent; Knative `container-concurrency-target-percentage` and `target-utilization-percentage`. */
export const DEFAULT_TARGET_UTILIZATION_PERCENTAGE = 70;
/** Per-pod target for the concurrency metric; Knative `container-concurrency-target-default`. */
export const DEFAULT_CONCURRENCY_TARGET = 100;
/** Per-pod target for the rps metric; Knative `requests-per-second-target-default`. */
export const DEFAULT_RPS_TARGET = 200;
/** Smallest target Knative accepts (autoscaling.TargetMin). */
export const MIN_TARGET = 0.01;
/** Knative `max-scale-up-rate`. */
export const DEFAULT_MAX_SCALE_UP_RATE = 1000;
/** Knative `max-scale-down-rate`. */
export const DEFAULT_MAX_SCALE_DOWN_RATE = 2;
/** Knative `target-burst-capacity`. */
export const DEFAULT_TARGET_BURST_CAPACITY = 211;
/** Knative `scale-to-zero-grace-period`. */
export const DEFAULT_SCALE_TO_ZERO_GRACE_PERIOD_SEC = 30;
/** Knative `scale-to-zero-pod-retention-period`. */
export const DEFAULT_SCALE_TO_ZERO_POD_RETENTION_SEC = 0;
/** Knative `scale-down-delay` default and its upper bound. */
export const DEFAULT_SCALE_DOWN_DELAY_SEC = 0;
export const MAX_SCALE_DOWN_DELAY_SEC = 3600;
/** Knative `initial-scale`. */
export const DEFAULT_INITIAL_SCALE = 1;
/** Knative `activation-scale` (autoscaling.knative.dev/activation-scale). */
export const DEFAULT_ACTIVATION_SCALE = 1;
/** Knative `min-scale` / `max-scale` (0 = unbounded). */
export const DEFAULT_MIN_SCALE = 0;
export const DEFAULT_MAX_SCALE = 0;
/** Decider tick; Knative multiscaler tickInterval. Also the bucket width of the scale-down delay window. */
export const TICK_INTERVAL_SEC = 2;
/** Scrape period and bucket width of the metric windows; Knative collector scrapeTickInterval and BucketSize. */
export const SCRAPE_INTERVAL_SEC = 1;
export const BUCKET_SIZE_SEC = 1;
/** Scrape timeout; Knative httpClientTimeout in pkg/autoscaler/metrics/http_scrape_client.go. */
export const SCRAPE_TIMEOUT_MS = 3000;
/**
 * Sample size constant: X = Z^2 * p(1-p) / e^2 with 95 % confidence (Z = 1.96), p = 0.5 and e = 0.125,
 * written out in Knative's populationMeanSampleSize (pkg/autoscaler/metrics/stats_scraper.go).
 */
export const SAMPLE_SIZE_X = 15.3664;
/** Knative's autoscaling annotation class for the KPA. */
export const KPA_CLASS = 'kpa.autoscaling.knative.dev';
