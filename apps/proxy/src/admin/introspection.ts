import type { ServerResponse } from 'node:http';
import type { OverloadSample } from '@trellis/balance';
import type { OutboundDescription } from '../outbound/index';
import type { AdminRoute, AdminRoutes } from './admin-server';
import { controlzPage } from './controlz-page';

/** What one worker (or the single process) tells of itself. */
export interface WorkerSnapshot {
  readonly pid: number;
  readonly generation: number;
  readonly overload: { readonly sample: OverloadSample; readonly active: Readonly<Record<string, boolean>> };
  /** Connections the data-plane listeners of this process accepted (refused ones included) since it started. */
  readonly connections: { readonly accepted: number; readonly refused: number };
  readonly outbound: OutboundDescription;
}

export interface WorkerView {
  readonly id: number;
  readonly pid: number;
  readonly generation: number;
  /** starting, serving or retiring (supervised), or serving (single process). */
  readonly state: string;
}

export interface ProcessView {
  readonly mode: 'single' | 'supervised';
  /** The generation serving new connections (1 until the first hot restart). */
  readonly generation: number;
  readonly workers: readonly WorkerView[];
}

/** `/clusters`: the process model with each live worker's snapshot. */
export type ClustersView = Omit<ProcessView, 'workers'> & { readonly workers: readonly (WorkerView & { snapshot: WorkerSnapshot | undefined })[] };

/** Where the introspection pages read from: the single process itself, or the supervisor asking its workers. */
export interface IntrospectionSource {
  /** The effective settings, already redacted. */
  config(): unknown;
  process(): ProcessView;
  /** Each live worker's snapshot (a worker that does not answer in time is left out). */
  snapshots(): Promise<readonly (WorkerView & { snapshot: WorkerSnapshot | undefined })[]>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(`${JSON.stringify(body, null, 2)}\n`);
}

function failed(res: ServerResponse, err: unknown): void {
  json(res, 500, { error: err instanceof Error ? err.message : String(err) });
}

async function clusters(source: IntrospectionSource): Promise<ClustersView> {
  const workers = await source.snapshots();
  return { ...source.process(), workers };
}

/**
 * Envoy's /config_dump and /clusters and Istio's ControlZ on the admin port: `/config_dump` (JSON: effective
 * settings, nothing secret, and the process model), `/clusters` (JSON: per worker, every discovery stream and
 * backend with its endpoints, peak-EWMA cost, requests in flight and ejection state, and the overload state),
 * `/controlz` (the same as one HTML page).
 */
export function introspectionRoutes(source: IntrospectionSource): AdminRoutes {
  const get = (handle: AdminRoute['handle']): AdminRoute => ({ methods: ['GET', 'HEAD'], handle });
  return new Map<string, AdminRoute>([
    ['/config_dump', get((_req, res) => json(res, 200, { config: source.config(), process: source.process() }))],
    [
      '/clusters',
      get((_req, res) => {
        clusters(source).then((body) => json(res, 200, body), (err: unknown) => failed(res, err));
      }),
    ],
    [
      '/controlz',
      get((_req, res) => {
        clusters(source).then(
          (body) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(controlzPage(source.config(), body)),
          (err: unknown) => failed(res, err),
        );
      }),
    ],
  ]);
}
