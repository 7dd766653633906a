import type { Clock } from './types';

/**
 * Envoy's overload actions, in order of severity: past the first threshold the proxy stops accepting
 * new connections (envoy.overload_actions.stop_accepting_connections), past the second it answers new
 * requests with a fast 503 (envoy.overload_actions.stop_accepting_requests).
 */
export type OverloadAction = 'stop_accepting_connections' | 'shed_requests';
export const OVERLOAD_ACTIONS: readonly OverloadAction[] = ['stop_accepting_connections', 'shed_requests'];

/** The resources watched, as one sample. */
export interface OverloadSample {
  /** Heap used over the heap limit, 0-1 (Envoy's fixed_heap resource monitor). */
  readonly heapRatio: number;
  /** Event-loop delay, ms (ours: Node's stand-in for Envoy's worker watchdog). */
  readonly loopDelayMs: number;
}

/** An action triggers when any resource reaches its threshold. */
export interface OverloadTrigger {
  readonly heapRatio: number;
  readonly loopDelayMs: number;
}

export interface OverloadOptions {
  readonly clock: Clock;
  readonly triggers: Readonly<Record<OverloadAction, OverloadTrigger>>;
  /** Hysteresis: an active action counts as calm only while every resource is below this fraction of its threshold. */
  readonly recoveryRatio: number;
  /** Hysteresis: an active action ends after this long calm, ms. */
  readonly recoveryMs: number;
}

/** Ours: calm means below 90 % of the threshold, */
export const DEFAULT_OVERLOAD_RECOVERY_RATIO = 0.9;
/** for 2 s (two of Envoy's default 1 s refresh intervals). */
export const DEFAULT_OVERLOAD_RECOVERY_MS = 2_000;

export interface OverloadTransition {
  readonly action: OverloadAction;
  readonly active: boolean;
}

type ActionState = { readonly active: false } | { readonly active: true; readonly calmSinceMs: number | undefined };

/**
 * The overload manager's decision, pure: every sample moves each action between Inactive and Active.
 *   Inactive -> Active    when a resource reaches the action's threshold;
 *   Active   -> Active    while a resource is at or above recoveryRatio x its threshold (the calm timer restarts);
 *   Active   -> Inactive  once every resource stayed below that for recoveryMs.
 * The gap between the two lines and the calm time keep an action from flapping around its threshold.
 */
export class OverloadState {
  private readonly states = new Map<OverloadAction, ActionState>(OVERLOAD_ACTIONS.map((a) => [a, { active: false }]));

  constructor(private readonly options: OverloadOptions) {
    for (const action of OVERLOAD_ACTIONS) {
      const t = options.triggers[action];
      if (!(t.heapRatio > 0) || !(t.loopDelayMs > 0)) throw new RangeError(`overload thresholds of ${action} must be above 0`);
    }
    if (!(options.recoveryRatio > 0 && options.recoveryRatio <= 1)) throw new RangeError('overload recovery ratio must be in (0, 1]');
  }

  isActive(action: OverloadAction): boolean {
    return this.states.get(action)?.active === true;
  }

  /** Applies one sample; returns the actions that changed, in order of severity. */
  update(sample: OverloadSample): OverloadTransition[] {
    const now = this.options.clock.now();
    const changed: OverloadTransition[] = [];
    for (const action of OVERLOAD_ACTIONS) {
      const previous = this.states.get(action) as ActionState;
      const next = this.step(previous, this.options.triggers[action], sample, now);
      this.states.set(action, next);
      if (next.active !== previous.active) changed.push({ action, active: next.active });
    }
    return changed;
  }

  private step(state: ActionState, t: OverloadTrigger, s: OverloadSample, now: number): ActionState {
    const over = s.heapRatio >= t.heapRatio || s.loopDelayMs >= t.loopDelayMs;
    if (!state.active) return over ? { active: true, calmSinceMs: undefined } : state;
    const r = this.options.recoveryRatio;
    const calm = s.heapRatio < t.heapRatio * r && s.loopDelayMs < t.loopDelayMs * r;
    if (!calm) return { active: true, calmSinceMs: undefined };
    const calmSinceMs = state.calmSinceMs ?? now;
    return now - calmSinceMs >= this.options.recoveryMs ? { active: false } : { active: true, calmSinceMs };
  }
}
