import { applyUpdate } from './endpoint-set';
import { EndpointLoad, LoadHandle } from './endpoint-load';
import { EMPTY_PICKER, type PickerFactory } from './picker';
import type { Balancer, Clock, Endpoint, EndpointLoadView, EndpointUpdate, Picker, Random, RequestHandle } from './types';

export interface LoadBalancerOptions<T> {
  clock: Clock;
  random: Random;
  defaultRttMs: number;
  decayMs: number;
  buildPicker: PickerFactory<T>;
}

/**
 * Keeps the endpoint set and per-endpoint load, and publishes a new immutable picker on every
 * update. An endpoint that stays across updates keeps its load; a removed endpoint's load lives
 * on only in the handles of its requests in flight, so ending them touches nothing current.
 */
export class LoadBalancer<T> implements Balancer<T> {
  private current: Picker<T> = EMPTY_PICKER;
  private endpoints = new Map<string, Endpoint<T>>();
  private loads = new Map<string, EndpointLoad>();
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly opts: LoadBalancerOptions<T>) {
    this.now = () => opts.clock.now();
  }

  get picker(): Picker<T> {
    return this.current;
  }

  update(u: EndpointUpdate<T>): void {
    if (this.closed) return;
    const next = applyUpdate(this.endpoints, u);
    const now = this.now();
    const loads = new Map<string, EndpointLoad>();
    for (const id of next.keys()) {
      loads.set(id, this.loads.get(id) ?? new EndpointLoad(this.opts.defaultRttMs, now, this.opts.decayMs));
    }
    this.endpoints = next;
    this.loads = loads;
    this.current = next.size === 0 ? EMPTY_PICKER : this.opts.buildPicker({
      endpoints: [...next.values()],
      loads: [...loads.values()],
      random: this.opts.random,
    });
  }

  start(endpointId: string): RequestHandle {
    const load =
      this.loads.get(endpointId) ?? new EndpointLoad(this.opts.defaultRttMs, this.now(), this.opts.decayMs);
    return new LoadHandle(load, this.opts.clock);
  }

  size(): number {
    return this.endpoints.size;
  }

  loadOf(endpointId: string): EndpointLoadView | undefined {
    const load = this.loads.get(endpointId);
    if (load === undefined) return undefined;
    const now = this.now();
    return { rttMs: load.at(now), cost: load.cost(now), pending: load.pending, active: load.active };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.current = EMPTY_PICKER;
    this.endpoints = new Map();
    this.loads = new Map();
  }
}
