import type { Target } from '../load';
import type { Managed } from '../processes';
import type { ScenarioId, VariantKind } from '../results';

/** What every variant gets: the shared backends, a scratch directory and where the tools and child scripts are. */
export interface StartContext {
  readonly repoRoot: string;
  /** Scratch directory for this variant's slot, removed with the run. */
  readonly workDir: string;
  /** Compiled child scripts (backend, Node peers). */
  readonly childrenDir: string;
  readonly backendH1Port: number;
  readonly backendH2Port: number;
  readonly tools: Readonly<Record<string, string>>;
  /** Build the proxy and destination bundles before the first Trellis variant starts. */
  readonly build: boolean;
  /** Options for node before the proxy bundle (--proxy-node-option). */
  readonly proxyNodeOptions: readonly string[];
  /** The --baseline-proxy bundle, absolute; the baseline variants run a copy of it. */
  readonly baselineProxy?: string;
  /** With --time-in-proxy: Node proxies run with this preload and write their timings to this directory. */
  readonly timeInProxy?: { readonly preload: string; readonly dir: string };
}

export interface StartedVariant {
  readonly h1?: Target;
  readonly h2?: Target;
  /** The proxy processes whose peak RSS is reported (none for direct). */
  readonly processes: readonly Managed[];
  /** The processes running the time-in-proxy preload (ctx.timeInProxy); only these may get its signal. */
  readonly timed?: readonly Managed[];
  /** Scenarios this variant does not take, with the reason. */
  readonly scenarioSkips?: Readonly<Partial<Record<ScenarioId, string>>>;
  /** After the measurements, before stop: throws when the slot did not measure what the variant claims. */
  verify?(): Promise<void>;
  stop(): Promise<void>;
}

/** One way of carrying the load to the backend: started fresh for every slot of every round. */
export interface VariantAdapter {
  readonly id: string;
  readonly label: string;
  /** One sentence on what runs, for the report. */
  readonly description: string;
  readonly kind: VariantKind;
  /** For a baseline variant: the id of the variant it repeats with the --baseline-proxy bundle. */
  readonly baselineOf?: string;
  start(ctx: StartContext): Promise<StartedVariant>;
}
