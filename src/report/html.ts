// The HTML report (`--html FILE`): one self-contained page — inline CSS, inline SVG, a few lines of
// inline script, no network fetch (a Content-Security-Policy forbids any). Per run: swimlanes per
// node (role over time, the Patroni agent's pauses and crashes, promotion / rewind markers), the
// leader-key holder and DCS quorum per store, faults and partitions as bands, LSN and replication
// lag, client outcomes; incidents highlighted as bands across the lanes and linked from a list.
import { writeFileSync } from 'node:fs';
import type { RunResult } from './analyze.js';
import { fmtBytes, fmtLsn, type Incident } from './incident.js';
import type { RoleKind, Timeline } from './timeline.js';

export interface HtmlRun {
  result: RunResult;
  timeline: Timeline;
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const ROLE_COLOR: Record<RoleKind, string> = {
  primary: '#c0392b',
  replica: '#5dade2',
  'standby-leader': '#8e44ad',
  demoting: '#f1948a',
  diverged: '#e67e22',
  starting: '#bfc9ca',
  stopping: '#aab7b8',
  stopped: '#e5e8e8',
  crashed: '#2c3e50',
  'crash-recovery': '#d4ac0d',
  rewinding: '#af7ac5',
  cloning: '#7fb3d5',
  uninitialized: '#fdfefe',
  down: '#17202a',
  unknown: '#ffffff',
};

const SEV_COLOR: Record<string, string> = { critical: '#c0392b', warning: '#d68910', info: '#2e86c1' };
const NODE_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

const W = 1200;
const LABEL_W = 130;
const PLOT_W = W - LABEL_W - 10;

function fmtS(ms: number): string {
  return `${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')} s`;
}

class Svg {
  readonly parts: string[] = [];
  y = 0;
  constructor(
    private readonly startMs: number,
    private readonly endMs: number,
  ) {}
  x(tMs: number): number {
    const span = Math.max(1, this.endMs - this.startMs);
    return LABEL_W + ((Math.min(Math.max(tMs, this.startMs), this.endMs) - this.startMs) / span) * PLOT_W;
  }
  label(text: string, y: number, h: number, cls = 'lbl'): void {
    this.parts.push(`<text class="${cls}" x="${LABEL_W - 6}" y="${(y + h / 2 + 4).toFixed(1)}" text-anchor="end">${esc(text)}</text>`);
  }
  rect(fromMs: number, toMs: number, y: number, h: number, fill: string, title: string, extra = ''): void {
    const x0 = this.x(fromMs);
    const w = Math.max(0.75, this.x(toMs) - x0);
    this.parts.push(`<rect x="${x0.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h}" fill="${fill}"${extra}><title>${esc(title)}</title></rect>`);
    if (w > 60 && h >= 14) {
      const short = title.length > w / 6.5 ? `${title.slice(0, Math.max(0, Math.floor(w / 6.5) - 1))}…` : title;
      this.parts.push(`<text class="in" x="${(x0 + 4).toFixed(1)}" y="${(y + h / 2 + 4).toFixed(1)}">${esc(short)}</text>`);
    }
  }
}

function lanes(t: Timeline, runIdx: number): string {
  const g = new Svg(t.startMs, t.endMs);
  const p = g.parts;
  // time axis
  const span = Math.max(1, t.endMs - t.startMs);
  const steps = [1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 86_400_000];
  const step = steps.find((s) => span / s <= 14) ?? 86_400_000;
  g.y = 20;
  const gridTop = g.y;
  const ticks: string[] = [];
  for (let tick = Math.ceil(t.startMs / step) * step; tick <= t.endMs; tick += step) {
    const x = g.x(tick).toFixed(1);
    ticks.push(`<line class="grid" x1="${x}" x2="${x}" y1="${gridTop}" y2="GRID_BOTTOM"/><text class="tick" x="${x}" y="14" text-anchor="middle">${esc(fmtS(tick))}</text>`);
  }
  const section = (name: string): void => {
    g.y += 6;
    p.push(`<text class="sec" x="4" y="${g.y + 10}">${esc(name)}</text>`);
    g.y += 14;
  };
  section('nodes');
  const nodeY = new Map<string, number>();
  for (const n of t.nodes) {
    nodeY.set(n.name, g.y);
    g.label(n.name, g.y, 18);
    for (const s of n.role) g.rect(s.fromMs, s.toMs, g.y, 18, ROLE_COLOR[s.kind], `${n.name}: ${s.label} (${fmtS(s.fromMs)} → ${fmtS(s.toMs)})`, ` class="role role-${s.kind}"`);
    for (const a of n.agent) g.rect(a.fromMs, a.toMs, g.y + 19, 4, a.kind === 'paused' ? '#f1c40f' : '#000000', `${n.name}: ${a.label} (${fmtS(a.fromMs)} → ${fmtS(a.toMs)})`, ' class="agent"');
    g.y += 28;
  }
  for (const e of t.events) {
    if (e.node === undefined || !nodeY.has(e.node)) continue;
    const x = g.x(e.tMs);
    const y = (nodeY.get(e.node) as number) - 2;
    p.push(`<path class="ev ev-${e.kind}" d="M${x.toFixed(1)},${y + 6} l-4,-7 h8 z"><title>${esc(`${fmtS(e.tMs)} ${e.text}`)}</title></path>`);
  }
  if (t.leader.length > 0) {
    section('leader key');
    for (const l of t.leader) {
      g.label(l.store, g.y, 16);
      for (const s of l.segments) g.rect(s.fromMs, s.toMs, g.y, 16, s.kind === 'held' ? NODE_COLORS[t.nodes.findIndex((n) => n.name === s.label) % NODE_COLORS.length] ?? '#7f8c8d' : '#f4f6f6', `${l.store} leader key: ${s.label}`, ' class="leader"');
      g.y += 20;
    }
  }
  if (t.quorum.length > 0) {
    section('DCS quorum');
    for (const q of t.quorum) {
      g.label(q.store, g.y, 12);
      for (const s of q.segments) g.rect(s.fromMs, s.toMs, g.y, 12, s.kind === 'ok' ? '#58d68d' : '#e74c3c', `${q.store}: ${s.label}`, ' class="quorum"');
      g.y += 16;
    }
  }
  if (t.faults.length > 0) {
    section('faults');
    for (const f of t.faults) g.rect(f.fromMs, f.toMs, g.y + f.row * 18, 16, '#f5b7b1', `${f.id}: ${f.label} (${fmtS(f.fromMs)} → ${fmtS(f.toMs)})`, ' class="fault"');
    g.y += t.faultRows * 18 + 2;
  }
  if (t.partitions.length > 0) {
    section('partitions');
    g.label('groups', g.y, 16);
    for (const pa of t.partitions) {
      const what = pa.groups.length > 1 ? pa.groups.map((x) => `[${x.join(',')}]`).join(' | ') : `partial: ${pa.cuts.length > 6 ? `${pa.cuts.slice(0, 6).join(', ')} …` : pa.cuts.join(', ')}`;
      g.rect(pa.fromMs, pa.toMs, g.y, 16, pa.groups.length > 1 ? '#fad7a0' : '#fdebd0', what, ' class="partition"');
    }
    g.y += 20;
  }
  // LSN and lag
  const series = t.nodes.filter((n) => n.lsn.length > 1);
  if (series.length > 0) {
    section('LSN / replication lag');
    const h = 60;
    const minL = Math.min(...series.flatMap((n) => n.lsn.map((x) => x.lsn)));
    const maxL = Math.max(...series.flatMap((n) => n.lsn.map((x) => x.lsn)), minL + 1);
    g.label('LSN', g.y, h);
    series.forEach((n, i) => {
      const pts = n.lsn.map((x) => `${g.x(x.tMs).toFixed(1)},${(g.y + h - ((x.lsn - minL) / (maxL - minL)) * h).toFixed(1)}`).join(' ');
      p.push(`<polyline class="lsn" fill="none" stroke="${NODE_COLORS[i % NODE_COLORS.length]}" points="${pts}"><title>${esc(`${n.name} WAL position (${fmtLsn(minL)} … ${fmtLsn(maxL)})`)}</title></polyline>`);
    });
    g.y += h + 8;
    const lagged = series.filter((n) => n.lsn.some((x) => (x.lagBytes ?? 0) > 0));
    if (lagged.length > 0) {
      const maxLag = Math.max(1, ...lagged.flatMap((n) => n.lsn.map((x) => x.lagBytes ?? 0)));
      g.label(`lag (max ${fmtBytes(maxLag)})`, g.y, 40);
      for (const n of lagged) {
        const i = t.nodes.indexOf(n);
        const pts = n.lsn.filter((x) => x.lagBytes !== null).map((x) => `${g.x(x.tMs).toFixed(1)},${(g.y + 40 - ((x.lagBytes ?? 0) / maxLag) * 40).toFixed(1)}`).join(' ');
        p.push(`<polyline class="lag" fill="none" stroke="${NODE_COLORS[i % NODE_COLORS.length]}" points="${pts}"><title>${esc(`${n.name} replication lag`)}</title></polyline>`);
      }
      g.y += 44;
    }
    p.push(
      `<g class="keys">${series.map((n, i) => `<text x="${LABEL_W + i * 80}" y="${g.y + 10}" fill="${NODE_COLORS[i % NODE_COLORS.length]}">━ ${esc(n.name)}</text>`).join('')}</g>`,
    );
    g.y += 16;
  }
  if (t.clients.length > 0) {
    section('client outcomes');
    const h = 40;
    const maxN = Math.max(1, ...t.clients.map((c) => c.ok + c.fail + c.info));
    g.label('ok / fail / unknown', g.y, h);
    for (const c of t.clients) {
      let y = g.y + h;
      for (const [k, color] of [
        ['ok', '#27ae60'],
        ['fail', '#c0392b'],
        ['info', '#f39c12'],
      ] as const) {
        const n = c[k];
        if (n === 0) continue;
        const hh = (n / maxN) * h;
        y -= hh;
        g.rect(c.tMs, c.tMs + c.widthMs, y, Math.max(0.5, Number(hh.toFixed(1))), color, `${fmtS(c.tMs)}: ${n} ${k === 'info' ? 'unknown' : k}`, ` class="client client-${k}"`);
      }
    }
    g.y += h + 4;
  }
  const bottom = g.y + 4;
  // incident bands across every lane
  const bands: string[] = [];
  for (const i of t.incidents) {
    const x0 = g.x(i.fromMs);
    const w = Math.max(3, g.x(i.toMs) - x0);
    bands.push(
      `<a href="#inc-${runIdx}-${esc(i.id)}" class="bandlink"><rect id="band-${runIdx}-${esc(i.id)}" class="band sev-${esc(i.severity)}" x="${x0.toFixed(1)}" y="${gridTop}" width="${w.toFixed(1)}" height="${bottom - gridTop}" fill="${SEV_COLOR[i.severity] ?? '#888'}"><title>${esc(`${i.kind}: ${i.explanation}`)}</title></rect></a>`,
    );
  }
  const body = [...ticks.map((x) => x.replace('GRID_BOTTOM', String(bottom))), ...p, ...bands].join('\n');
  return `<svg class="lanes" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${bottom + 4}" width="${W}" height="${bottom + 4}" role="img" aria-label="timeline">\n${body}\n</svg>`;
}

function incidentArticle(i: Incident, runIdx: number): string {
  const writes = i.writes.length === 0 ? '' : `<p class="writes">writes: ${esc(i.writes.length > 40 ? `${i.writes.slice(0, 40).join(', ')} … (${i.writes.length})` : i.writes.join(', '))}</p>`;
  return `<article class="incident sev-${esc(i.severity)}" id="inc-${runIdx}-${esc(i.id)}">
<h4><span class="sev">${esc(i.severity)}</span> ${esc(i.kind)} <span class="when">${esc(fmtS(i.startMs))} → ${esc(fmtS(i.endMs))}</span> <span class="nodes">${esc(i.nodes.join(', '))}</span></h4>
<p class="explanation">${esc(i.explanation)}</p>
<pre class="replay">${esc(i.replay)}</pre>
<details><summary>evidence (${i.evidence.length})</summary><ul>${i.evidence.map((e) => `<li>${esc(e)}</li>`).join('')}</ul></details>
${writes}
</article>`;
}

function metricsTable(r: RunResult): string {
  const m = r.metrics;
  const rows: [string, string][] = [
    ['write availability', m.writeAvailability === null ? 'n/a' : `${(m.writeAvailability * 100).toFixed(3)} %`],
    ['longest unavailability', fmtS(m.maxUnavailableMs)],
    ['unavailability windows', m.unavailableWindows.map((w) => `${fmtS(w.startMs)} → ${fmtS(w.endMs)}`).join(', ') || 'none'],
    ['failovers / switchovers', `${m.failovers} / ${m.switchovers}`],
    ['promotions', m.promotions.map((x) => `${x.node} at ${fmtS(x.atMs)} (${x.kind}, timeline ${x.timeline}${x.recoveryMs !== null ? `, recovery ${fmtS(x.recoveryMs)}` : ''})`).join('; ') || 'none'],
    ['acknowledged writes lost', `${m.lostWrites} (${fmtBytes(m.lostBytes)})`],
    ['writes', `${m.writes.invoked} invoked, ${m.writes.acknowledged} ok, ${m.writes.failed} failed, ${m.writes.indeterminate} unknown, ${m.writes.pending} pending`],
    ['indeterminate writes', `${m.indeterminateWrites.total} (${m.indeterminateWrites.inFinalHistory} in the final history)`],
    ['two writable primaries', fmtS(m.splitBrainMs)],
    ['final history', r.finalHistory.why],
  ];
  return `<table class="metrics">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

function expectationsTable(r: RunResult): string {
  if (r.expectations.length === 0) return '<p class="none">No expectations.</p>';
  return `<table class="expectations"><tr><th></th><th>expectation</th><th>expected</th><th>actual</th></tr>${r.expectations
    .map((e) => `<tr class="${e.ok ? 'ok' : 'bad'}"><td>${e.ok ? '✓' : '✗'}</td><td>${esc(e.name)}</td><td>${esc(e.expected)}</td><td>${esc(String(e.actual))}${e.ok ? '' : ` — ${esc(e.message)}`}</td></tr>`)
    .join('')}</table>`;
}

const LEGEND: [RoleKind, string][] = [
  ['primary', 'primary'],
  ['replica', 'replica'],
  ['standby-leader', 'standby leader'],
  ['demoting', 'demoting'],
  ['diverged', 'diverged'],
  ['starting', 'starting'],
  ['stopping', 'stopping'],
  ['stopped', 'stopped'],
  ['crash-recovery', 'crash recovery'],
  ['rewinding', 'pg_rewind'],
  ['cloning', 'clone'],
  ['crashed', 'crashed'],
  ['down', 'host down'],
];

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1b2631;background:#fbfcfc}
header{background:#1b2631;color:#fff;padding:12px 20px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#d5d8dc}
main{padding:12px 20px}h2{margin:24px 0 8px;font-size:18px}h3{margin:18px 0 6px;font-size:15px}
nav ol{padding-left:22px}nav li{margin:4px 0}nav a{font-weight:600}
.verdict-pass{color:#1e8449}.verdict-fail{color:#c0392b}
.sev{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-size:12px;text-transform:uppercase}
.sev-critical .sev{background:#c0392b}.sev-warning .sev{background:#d68910}.sev-info .sev{background:#2e86c1}
.incident{border-left:4px solid #aab7b8;padding:6px 12px;margin:10px 0;background:#fff}
.incident.sev-critical{border-color:#c0392b}.incident.sev-warning{border-color:#d68910}.incident.sev-info{border-color:#2e86c1}
.incident.active{outline:3px solid #f1c40f}
.incident h4{margin:0 0 4px;font-size:14px}.when,.nodes{color:#566573;font-weight:400}
pre.replay{background:#f2f3f4;padding:4px 8px;margin:4px 0;overflow-x:auto}
.lanes-wrap{overflow-x:auto;background:#fff;border:1px solid #e5e8e8}
svg.lanes{font:11px system-ui,sans-serif}svg .lbl{fill:#1b2631}svg .sec{fill:#566573;font-weight:600;text-transform:uppercase;font-size:10px}
svg .tick{fill:#566573}svg .grid{stroke:#eaeded}svg .in{fill:#fff;pointer-events:none;font-size:10px}
svg .role-replica+.in,svg .role-stopped+.in,svg .role-starting+.in,svg .role-stopping+.in,svg .role-uninitialized+.in{fill:#1b2631}
svg .band{fill-opacity:.1;stroke-opacity:.6;stroke-width:1;cursor:pointer}svg .band.sev-critical{stroke:#c0392b}svg .band.sev-warning{stroke:#d68910}svg .band.sev-info{stroke:#2e86c1}
svg .band.active{fill-opacity:.3;stroke-width:2.5}
svg .ev{fill:#1b2631}svg .lsn,svg .lag{stroke-width:1.5}
.legend span{display:inline-block;margin:0 10px 4px 0}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-2px;border:1px solid #ccd1d1}
table{border-collapse:collapse;margin:4px 0}th,td{text-align:left;padding:3px 10px;border-bottom:1px solid #eaeded;vertical-align:top}
tr.bad td{color:#c0392b}tr.ok td:first-child{color:#1e8449}
`;

const SCRIPT = `
(function () {
  function highlight(id) {
    var olds = document.querySelectorAll('.active');
    for (var i = 0; i < olds.length; i++) olds[i].classList.remove('active');
    if (!id || id.indexOf('inc-') !== 0) return;
    var art = document.getElementById(id);
    var band = document.getElementById('band-' + id.slice(4));
    if (art) art.classList.add('active');
    if (band) band.classList.add('active');
  }
  window.addEventListener('hashchange', function () { highlight(decodeURIComponent(location.hash.slice(1))); });
  if (location.hash) highlight(decodeURIComponent(location.hash.slice(1)));
  document.documentElement.setAttribute('data-ready', 'true');
})();
`;

export function renderHtml(runs: readonly HtmlRun[], title = 'haywire report'): string {
  const total = runs.reduce((a, r) => a + r.result.incidents.length, 0);
  const failed = runs.filter((r) => r.result.verdict === 'fail').length;
  const list = runs
    .flatMap((r, ri) =>
      r.result.incidents.map(
        (i) =>
          `<li class="sev-${esc(i.severity)}"><span class="sev">${esc(i.severity)}</span> <a href="#inc-${ri}-${esc(i.id)}" data-incident="inc-${ri}-${esc(i.id)}">${esc(i.kind)}</a> <span class="when">${esc(r.result.scenario)} · ${esc(fmtS(i.startMs))} → ${esc(fmtS(i.endMs))} · ${esc(i.nodes.join(', '))}</span><br>${esc(i.explanation)}</li>`,
      ),
    )
    .join('\n');
  const sections = runs
    .map((r, ri) => {
      const res = r.result;
      return `<section class="run" id="run-${ri}">
<h2>${esc(res.scenario || '(unnamed run)')} <span class="when">seed ${esc(res.seed)} · trace ${esc(res.traceHash || '-')}</span> <span class="verdict-${res.verdict}">${res.verdict.toUpperCase()}</span></h2>
<div class="legend">${LEGEND.map(([k, l]) => `<span><i style="background:${ROLE_COLOR[k]}"></i>${esc(l)}</span>`).join('')}<span><i style="background:#f1c40f"></i>Patroni paused</span><span><i style="background:#000"></i>Patroni down</span></div>
<div class="lanes-wrap">${lanes(r.timeline, ri)}</div>
<h3>Incidents (${res.incidents.length})</h3>
${res.incidents.length === 0 ? '<p class="none">No incidents.</p>' : res.incidents.map((i) => incidentArticle(i, ri)).join('\n')}
<h3>Metrics</h3>
${metricsTable(res)}
<h3>Expectations</h3>
${expectationsTable(res)}
</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${esc(title)}</h1><p>${runs.length} run${runs.length === 1 ? '' : 's'} · ${failed} failed · ${total} incident${total === 1 ? '' : 's'}</p></header>
<main>
<nav id="incidents"><h2>Incidents</h2>${total === 0 ? '<p class="none">No incidents.</p>' : `<ol>\n${list}\n</ol>`}</nav>
${sections}
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

export function writeHtmlReport(file: string, runs: readonly HtmlRun[], title?: string): void {
  writeFileSync(file, renderHtml(runs, title));
}
