// The dashboard page: plain HTML, CSS and a script, no build step. It polls api/state (relative to the page, so it
// works under any prefix) and draws with DOM calls only (textContent, createElementNS), so label values from
// metrics are never parsed as markup.

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2430; background: #f7f8fa; }
h1 { font-size: 1.3rem; margin: 0 0 .2rem; } h2 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
#meta { color: #5b6575; font-size: .85rem; }
table { border-collapse: collapse; background: #fff; min-width: 60%; }
th, td { padding: .3rem .7rem; border-bottom: 1px solid #e3e6eb; text-align: right; white-space: nowrap; }
th:first-child, td:first-child, td.text, #routes th:nth-child(2) { text-align: left; }
th { font-weight: 600; color: #5b6575; font-size: .8rem; text-transform: uppercase; }
svg.topology { background: #fff; border: 1px solid #e3e6eb; }
svg text { font: 12px system-ui, sans-serif; }
.bad { color: #b3261e; font-weight: 600; } .panic { color: #b3261e; }
.legend { font-size: .8rem; color: #5b6575; }
`;

const SCRIPT = `
const REFRESH_MS = Number(document.body.dataset.refreshMs);
const SVG = 'http://www.w3.org/2000/svg';
const pct = (r) => (r === undefined || r === null ? '-' : (100 * r).toFixed(2) + '%');
const rps = (v) => v.toFixed(1);
const ms = (v) => (v === undefined || v === null ? '-' : v >= 100 ? Math.round(v) + ' ms' : v.toFixed(1) + ' ms');
const num = (v) => (v === undefined || v === null ? '-' : String(v));

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function svgEl(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function fillTable(id, header, rows) {
  const table = document.getElementById(id);
  table.replaceChildren();
  const head = el('tr');
  for (const h of header) head.append(el('th', {}, h));
  table.append(head);
  for (const row of rows) {
    const tr = el('tr', row.attrs);
    for (const cell of row.cells) {
      const td = el('td', cell.cls ? { class: cell.cls } : {});
      if (cell.node) td.append(cell.node); else td.textContent = cell.text;
      tr.append(td);
    }
    table.append(tr);
  }
}

/** A small line chart: one polyline per series, scaled to the largest value. */
function chart(points, series, width = 180, height = 36) {
  const svg = svgEl('svg', { width, height, viewBox: '0 0 ' + width + ' ' + height });
  const max = Math.max(1, ...points.flatMap((p) => series.map((s) => p[s.key] ?? 0)));
  const n = points.length;
  for (const s of series) {
    const xy = points.map((p, i) => [n <= 1 ? width : (i * width) / (n - 1), height - 2 - ((p[s.key] ?? 0) * (height - 4)) / max]);
    svg.append(svgEl('polyline', { points: xy.map((c) => c.join(',')).join(' '), fill: 'none', stroke: s.color, 'stroke-width': 1.5 }));
  }
  svg.append(svgEl('title', {}, series.map((s) => s.key + ' ' + num(points.length ? points[n - 1][s.key] : undefined)).join(', ') + ' (max ' + max + ')'));
  return svg;
}

function drawTopology(state) {
  const svg = document.getElementById('topology');
  svg.replaceChildren();
  const sources = [...new Set(state.edges.map((e) => e.from))].sort();
  const services = state.services.map((s) => s.name);
  const deployments = state.deployments.map((d) => d.name);
  const columns = [sources, services, deployments];
  const rowH = 34, colW = 260, pad = 20;
  const height = pad * 2 + rowH * Math.max(1, ...columns.map((c) => c.length));
  svg.setAttribute('height', height);
  svg.setAttribute('width', pad * 2 + colW * 3);
  const pos = columns.map((c, ci) => new Map(c.map((name, i) => [name, { x: pad + ci * colW, y: pad + i * rowH + rowH / 2 }])));
  const line = (a, b, attrs) => svg.append(svgEl('line', { x1: a.x + 170, y1: a.y, x2: b.x, y2: b.y, ...attrs }));
  for (const e of state.edges) {
    const a = pos[0].get(e.from), b = pos[1].get(e.to);
    if (!a || !b) continue;
    line(a, b, { stroke: e.successRate !== undefined && e.successRate < 0.95 ? '#b3261e' : '#3a7bd5', 'stroke-width': 1 + Math.min(6, Math.log10(1 + e.rps) * 2), 'data-edge': e.from + ' -> ' + e.to });
    svg.append(svgEl('text', { x: (a.x + 170 + b.x) / 2, y: (a.y + b.y) / 2 - 4, 'text-anchor': 'middle', fill: '#5b6575' }, rps(e.rps) + ' rps'));
  }
  for (const b of state.backends) {
    const s = pos[1].get(b.service), d = pos[2].get(b.deployment);
    if (s && d) line(s, d, { stroke: '#9aa3b0', 'stroke-dasharray': '4 3' });
  }
  const labels = [(n) => n, (n) => n, (n) => { const d = state.deployments.find((x) => x.name === n); return n + '  ' + num(d && d.ready) + '/' + num(d && d.desired); }];
  pos.forEach((m, ci) => {
    for (const [name, p] of m) {
      svg.append(svgEl('rect', { x: p.x, y: p.y - 12, width: 170, height: 24, rx: 5, fill: ['#eef2f8', '#e8f3ec', '#fdf3e3'][ci], stroke: '#c5ccd6' }));
      svg.append(svgEl('text', { x: p.x + 8, y: p.y + 4, 'data-node': name }, labels[ci](name)));
    }
  });
}

function render(state) {
  document.getElementById('meta').textContent =
    'updated ' + new Date(state.at).toLocaleTimeString() + ' · rates over the last ' + state.windowSeconds.toFixed(1) + ' s';
  drawTopology(state);
  fillTable('services', ['service', 'success', 'rps', 'p50', 'p95', 'p99', 'attempts', 'rps over time'], state.services.map((s) => ({
    attrs: { 'data-service': s.name },
    cells: [
      { text: s.name }, { text: pct(s.successRate), cls: s.successRate !== undefined && s.successRate < 0.95 ? 'bad' : '' },
      { text: rps(s.rps), cls: 'rps' }, { text: ms(s.p50Ms) }, { text: ms(s.p95Ms) }, { text: ms(s.p99Ms) }, { text: String(s.attempts) },
      { node: chart(state.serviceHistory[s.name] || [], [{ key: 'rps', color: '#3a7bd5' }]) },
    ],
  })));
  fillTable('deployments', ['deployment', 'ready / desired', 'autoscaler decision', 'success', 'rps', 'p99', 'replicas (green ready, orange decided) over time'], state.deployments.map((d) => ({
    attrs: { 'data-deployment': d.name },
    cells: [
      { text: d.name }, { text: num(d.ready) + ' / ' + num(d.desired), cls: 'replicas' },
      { text: num(d.decided) + (d.panic ? ' (panic)' : ''), cls: d.panic ? 'panic' : '' },
      { text: pct(d.successRate) }, { text: rps(d.rps), cls: 'rps' }, { text: ms(d.p99Ms) },
      { node: chart(state.deploymentHistory[d.name] || [], [{ key: 'ready', color: '#2e8b57' }, { key: 'decided', color: '#e08a00' }]) },
    ],
  })));
  fillTable('routes', ['service', 'route', 'success', 'rps', 'p50', 'p95', 'p99'], state.routes.map((r) => ({
    attrs: { 'data-route': r.service + ' ' + r.route },
    cells: [{ text: r.service }, { text: r.route, cls: 'text' }, { text: pct(r.successRate) }, { text: rps(r.rps), cls: 'rps' }, { text: ms(r.p50Ms) }, { text: ms(r.p95Ms) }, { text: ms(r.p99Ms) }],
  })));
}

async function refresh() {
  try {
    const res = await fetch('api/state', { cache: 'no-store' });
    if (res.status === 200) render(await res.json());
    else document.getElementById('meta').textContent = 'waiting for the first reading (' + res.status + ')';
  } catch (err) {
    document.getElementById('meta').textContent = 'dashboard server unreachable: ' + err.message;
  }
  setTimeout(refresh, REFRESH_MS);
}
refresh();
`;

/** The whole page; `refreshMs` is how often it asks for a new state. */
export function dashboardPage(refreshMs: number): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Trellis dashboard</title>
<style>${STYLE}</style>
</head>
<body data-refresh-ms="${Math.round(refreshMs)}">
<h1>Trellis</h1>
<div id="meta">waiting for the first reading</div>
<h2>Topology</h2>
<div class="legend">clients and workloads → Services (line width: requests per second; red below 95 % success) → Deployments (dashed: serves)</div>
<svg class="topology" id="topology" xmlns="http://www.w3.org/2000/svg" width="800" height="80"></svg>
<h2>Services <span class="legend">per request as clients saw it; attempts count every retry</span></h2>
<table id="services"></table>
<h2>Deployments <span class="legend">as their own proxies answered; replicas and the autoscaler's decisions</span></h2>
<table id="deployments"></table>
<h2>Routes</h2>
<table id="routes"></table>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
