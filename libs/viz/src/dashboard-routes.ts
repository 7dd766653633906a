import type { DashboardRefresher } from './dashboard-refresher';

export interface DashboardAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The dashboard's routes, relative to where it is mounted: `` (the page) and `api/state` (JSON; 503 before the
 * first reading). Undefined for any other path, so the caller can serve its own.
 */
export function dashboardAnswer(method: string | undefined, path: string, refresher: DashboardRefresher, page: string): DashboardAnswer | undefined {
  if (path !== '' && path !== 'api/state') return undefined;
  if (method !== 'GET') return { status: 405, headers: { allow: 'GET', 'content-type': 'text/plain' }, body: 'method not allowed\n' };
  if (path === '') return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }, body: page };
  const snapshot = refresher.snapshot();
  if (snapshot === undefined) return { status: 503, headers: { 'content-type': 'text/plain', 'cache-control': 'no-store' }, body: 'no reading yet\n' };
  return { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify(snapshot) };
}
