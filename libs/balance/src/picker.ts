import type { EndpointLoad } from './endpoint-load';
import type { Endpoint, PickResult, Picker } from './types';

export const NO_ENDPOINT: PickResult<never> = Object.freeze({ kind: 'no-endpoint' });

export const EMPTY_PICKER: Picker<never> = Object.freeze({ pick: () => NO_ENDPOINT });

/** What a picker is built from: endpoints in a stable order and their loads at the same index. */
export interface PickerInput<T> {
  readonly endpoints: readonly Endpoint<T>[];
  readonly loads: readonly EndpointLoad[];
  readonly random: () => number;
}

export type PickerFactory<T> = (input: PickerInput<T>) => Picker<T>;

/** One frozen result per endpoint, built once per snapshot so that pick() allocates nothing. */
export function pickedResults<T>(endpoints: readonly Endpoint<T>[]): PickResult<T>[] {
  return endpoints.map((endpoint) => Object.freeze({ kind: 'picked', endpoint }) as PickResult<T>);
}

/** Index in [0, n) from one random draw; guards against a source that returns 1. */
export function randomIndex(random: () => number, n: number): number {
  const i = Math.floor(random() * n);
  return i < n ? i : n - 1;
}

export function allWeightsEqual(endpoints: readonly Endpoint<unknown>[]): boolean {
  const first = endpoints[0];
  if (first === undefined) return true;
  return endpoints.every((e) => e.weight === first.weight);
}
