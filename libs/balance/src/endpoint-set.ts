import { BalanceError } from './errors';
import type { Endpoint, EndpointUpdate } from './types';

function validate(endpoints: readonly Endpoint<unknown>[]): void {
  for (const e of endpoints) {
    if (typeof e.id !== 'string' || e.id === '') {
      throw new BalanceError('INVALID_ENDPOINT', 'endpoint id must be a non-empty string');
    }
    if (!Number.isFinite(e.weight) || e.weight <= 0) {
      throw new BalanceError('INVALID_WEIGHT', `endpoint ${e.id}: weight must be a finite number > 0, got ${e.weight}`);
    }
  }
}

/**
 * Applies an update to an id -> endpoint map and returns the new map; the input is not
 * modified. Insertion order is kept: replaced endpoints keep their place, new ones go last.
 * An invalid update throws and changes nothing.
 */
export function applyUpdate<T>(
  current: ReadonlyMap<string, Endpoint<T>>,
  update: EndpointUpdate<T>,
): Map<string, Endpoint<T>> {
  switch (update.type) {
    case 'reset': {
      validate(update.endpoints);
      return new Map(update.endpoints.map((e) => [e.id, e]));
    }
    case 'add': {
      validate(update.endpoints);
      const next = new Map(current);
      for (const e of update.endpoints) next.set(e.id, e);
      return next;
    }
    case 'remove': {
      const next = new Map(current);
      for (const id of update.ids) next.delete(id);
      return next;
    }
  }
}
