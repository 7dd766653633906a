import type { ClustersView, WorkerSnapshot, WorkerView } from './introspection';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

function table(head: readonly string[], rows: readonly (readonly unknown[])[]): string {
  if (rows.length === 0) return '<p>none</p>';
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const fixed = (n: number | undefined, digits = 1) => (n === undefined ? '' : n.toFixed(digits));

function workerSection(w: WorkerView & { snapshot: WorkerSnapshot | undefined }): string {
  const s = w.snapshot;
  const title = `<h2>worker ${esc(w.id)} (pid ${esc(w.pid)}, generation ${esc(w.generation)}, ${esc(w.state)})</h2>`;
  if (s === undefined) return `${title}<p>did not answer</p>`;
  const active = Object.entries(s.overload.active).filter(([, on]) => on).map(([a]) => a);
  const overload = `<p>heap ${fixed(s.overload.sample.heapRatio * 100)} % of the limit, event-loop delay p99 ${fixed(s.overload.sample.loopDelayMs)} ms; overload actions in force: ${esc(active.join(', ') || 'none')}; connections accepted ${esc(s.connections.accepted)}, refused ${esc(s.connections.refused)}</p>`;
  const streams = table(['kind', 'authority', 'state'], s.outbound.discovery.map((d) => [d.kind, d.authority, d.state]));
  const backends = s.outbound.backends
    .map((b) => {
      const head = `<h4>${esc(b.authority)}: ${esc(b.resolution)}, ${esc(b.balancer)}, gate ${esc(b.gate)}, ${esc(b.waiting)} waiting</h4>`;
      const rows = b.endpoints.map((e) => [e.id, e.weight, e.state, e.outForMs ?? '', fixed(e.load?.rttMs, 2), fixed(e.load?.cost, 2), e.load?.pending ?? '', e.identity ?? '']);
      return head + table(['endpoint', 'weight', 'state', 'out for ms', 'EWMA RTT ms', 'cost', 'in flight', 'identity'], rows);
    })
    .join('\n');
  return `${title}${overload}<h3>discovery streams</h3>${streams}<h3>backends</h3>${backends || '<p>none</p>'}`;
}

/** Istio's ControlZ as one self-contained page: the effective config, the process model, each worker's state. */
export function controlzPage(config: unknown, view: ClustersView): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>trellis proxy: controlz</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}pre{background:#f6f6f6;padding:.5em}</style>
</head><body>
<h1>trellis proxy</h1>
<p>${esc(view.mode)}, generation ${esc(view.generation)}, ${esc(view.workers.length)} worker(s). JSON: <a href="/config_dump">/config_dump</a>, <a href="/clusters">/clusters</a></p>
${view.workers.map(workerSection).join('\n')}
<h2>effective configuration</h2>
<pre>${esc(JSON.stringify(config, null, 2))}</pre>
</body></html>
`;
}
