// The sweep's HTML page (`haywire sweep --html FILE`): self-contained like the run report
// (src/report/html.ts: inline CSS, no script, no fetch), one heatmap per metric over the grid —
// the last axis across, the one before it down, one panel per combination of any other axes — and
// the full table below.
import { writeFileSync } from 'node:fs';
import { esc } from '../report/html.js';
import type { PointSummary, SweepReport } from './sweep.js';

interface Metric {
  title: string;
  /** 'rate': 0..1, red scale; 'ms': durations, orange scale relative to the largest. */
  unit: 'rate' | 'ms';
  get: (p: PointSummary) => number | null;
  /** Higher is better (liveness): the scale is reversed. */
  good?: boolean;
}

const METRICS: Metric[] = [
  { title: 'False-failover rate (runs with a promotion while the old primary was healthy)', unit: 'rate', get: (p) => p.falseFailoverRate },
  { title: 'Critical incident rate (confirmed split-brain, lost writes, unresolved divergence)', unit: 'rate', get: (p) => p.criticalRate },
  { title: 'Split-brain rate', unit: 'rate', get: (p) => p.incidentRate['split-brain'] ?? 0 },
  { title: 'Missed-failover rate (misjudged unavailability)', unit: 'rate', get: (p) => p.incidentRate['missed-failover'] ?? 0 },
  { title: 'Recovery time after a promotion, median (last ack on the old timeline to first on the new)', unit: 'ms', get: (p) => p.recoveryMs.p50 },
  { title: 'Longest write unavailability per run, median', unit: 'ms', get: (p) => p.unavailableMs.p50 },
  { title: 'Converged after the heal (random faults)', unit: 'rate', get: (p) => p.livenessRate, good: true },
];

function color(v: number | null, m: Metric, max: number): string {
  if (v === null) return '#f4f6f6';
  let x = m.unit === 'rate' ? v : max > 0 ? v / max : 0;
  if (m.good) x = 1 - x;
  x = Math.max(0, Math.min(1, x));
  // white → red (rates) or white → orange (times)
  const [r, g, b] = m.unit === 'rate' ? [192, 57, 43] : [214, 137, 16];
  const mix = (c: number): number => Math.round(255 + (c - 255) * x);
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}

function fmt(v: number | null, m: Metric): string {
  if (v === null) return '–';
  if (m.unit === 'rate') return `${Math.round(v * 1000) / 10}%`;
  return v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(1)} s`;
}

function heatmaps(r: SweepReport, m: Metric): string {
  const axes = r.axes;
  const xAxis = axes[axes.length - 1];
  const yAxis = axes.length >= 2 ? axes[axes.length - 2] : undefined;
  const facetAxes = axes.slice(0, Math.max(0, axes.length - 2));
  const values = r.points.map((p) => m.get(p)).filter((v): v is number => v !== null);
  const max = values.length === 0 ? 0 : Math.max(...values);
  const facetKey = (p: PointSummary): string => facetAxes.map((a) => `${a.key}=${String(p.values[a.key])}`).join(' ');
  const facets = [...new Set(r.points.map(facetKey))];
  return facets
    .map((fk) => {
      const pts = r.points.filter((p) => facetKey(p) === fk);
      const find = (x: unknown, y: unknown): PointSummary | undefined => pts.find((p) => (xAxis ? p.values[xAxis.key] === x : true) && (yAxis ? p.values[yAxis.key] === y : true));
      const xs = xAxis ? xAxis.values : [undefined];
      const ys = yAxis ? yAxis.values : [undefined];
      const head = `<tr><th>${esc(yAxis ? `${yAxis.key} ↓ / ${xAxis?.key ?? ''} →` : (xAxis?.key ?? ''))}</th>${xs.map((x) => `<th>${esc(String(x ?? ''))}</th>`).join('')}</tr>`;
      const body = ys
        .map((y) => {
          const cells = xs
            .map((x) => {
              const p = find(x, y);
              const v = p ? m.get(p) : null;
              const eff = p?.effective ? `ttl ${p.effective.ttl}, loop_wait ${p.effective.loop_wait}, retry_timeout ${p.effective.retry_timeout}; ${p.runs} runs` : '';
              return `<td style="background:${color(v, m, max)}" title="${esc(`${p?.label ?? ''} (${eff})`)}">${esc(fmt(v, m))}</td>`;
            })
            .join('');
          return `<tr><th>${esc(String(y ?? ''))}</th>${cells}</tr>`;
        })
        .join('\n');
      return `<div class="facet">${fk ? `<h4>${esc(fk)}</h4>` : ''}<table class="heat">${head}\n${body}</table></div>`;
    })
    .join('\n');
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b2631;background:#fff}
header{padding:12px 20px;background:#1b2631;color:#fff}header h1{margin:0;font-size:20px}
main{padding:10px 20px}h2{font-size:17px;margin:22px 0 6px}h4{margin:6px 0;font-size:13px;color:#566573}
.facets{display:flex;flex-wrap:wrap;gap:18px}
table.heat{border-collapse:collapse}table.heat td,table.heat th{border:1px solid #d5d8dc;padding:6px 10px;text-align:center;min-width:56px}
table.heat th{background:#f4f6f6;font-weight:600}
table.all{border-collapse:collapse;font-size:12px}table.all td,table.all th{border:1px solid #d5d8dc;padding:3px 7px;text-align:right}
table.all td:first-child,table.all th:first-child{text-align:left}
p.note{color:#566573;max-width:70em}
`;

export function renderSweepHtml(r: SweepReport, title = `haywire sweep: ${r.scenario}`): string {
  const metrics = METRICS.filter((m) => m.title.startsWith('Converged') ? r.points.some((p) => p.livenessRate !== null) : true);
  const maps = metrics.map((m) => `<h2>${esc(m.title)}</h2>\n<div class="facets">${heatmaps(r, m)}</div>`).join('\n');
  const rows = r.points
    .map((p) => {
      const e = p.effective;
      return `<tr><td>${esc(p.label)}</td><td>${e ? `${e.ttl}/${e.loop_wait}/${e.retry_timeout}` : '–'}</td><td>${p.runs}</td><td>${fmt(p.incidentRate['split-brain'] ?? 0, METRICS[2] as Metric)}</td><td>${p.lostWrites}</td><td>${fmt(p.falseFailoverRate, METRICS[0] as Metric)}</td><td>${fmt(p.incidentRate['missed-failover'] ?? 0, METRICS[3] as Metric)}</td><td>${fmt(p.criticalRate, METRICS[1] as Metric)}</td><td>${p.failoversPerRun}</td><td>${fmt(p.recoveryMs.p50, METRICS[4] as Metric)}</td><td>${fmt(p.recoveryMs.max, METRICS[4] as Metric)}</td><td>${fmt(p.unavailableMs.p50, METRICS[5] as Metric)}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${esc(title)}</h1><p>${r.points.length} grid point${r.points.length === 1 ? '' : 's'} × ${r.seeds} seed${r.seeds === 1 ? '' : 's'} · ${r.runs.length} runs · faults: ${r.faults === 'random' ? `random per replicate (fast-check seed ${r.faultSeed})` : "the scenario's own"}</p></header>
<main>
<p class="note">Every grid point ran the same ${r.seeds} seeds (${esc(r.baseSeed)}-1 … ${esc(r.baseSeed)}-${r.seeds}): each sees the same faults and the same draws of every random stream (common random numbers), so differences between cells come from the configuration. Hover a cell for Patroni's effective timing.</p>
${maps}
<h2>All points</h2>
<table class="all"><tr><th>point</th><th>ttl/lw/rt</th><th>runs</th><th>split-brain</th><th>lost writes</th><th>false failovers</th><th>missed failovers</th><th>critical</th><th>failovers/run</th><th>recovery p50</th><th>recovery max</th><th>unavailable p50</th></tr>
${rows}</table>
</main>
</body>
</html>
`;
}

export function writeSweepHtml(file: string, r: SweepReport): void {
  writeFileSync(file, renderSweepHtml(r));
}
