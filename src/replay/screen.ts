// The replay's screen as lines, section by section: header, time axis, lanes, the cursor's caret,
// the panel of what holds at the cursor (roles, LSN and lag per node; leader, quorum, partition
// groups, client outcomes, faults and incidents), the focused node's details, the event log around
// the cursor, and the status bar (or the help overlay). Pure functions of (model, state, size);
// the ink components in components.tsx draw them.
import { basename, extname } from 'node:path';
import { spanAt } from '../report/intervals.js';
import { cursorAt, type RoleKind, type TimelineCursor } from '../report/timeline.js';
import type { LogEntry } from './eventLog.js';
import { buildLanes, ROLE_GLYPH, AGENT_GLYPH, scaleOf, type Lane, type Scale } from './lanes.js';
import type { ReplayModel } from './model.js';
import { speedOf, type ReplayState } from './state.js';
import { compact, fit, run, type Line, type Style } from './styled.js';
import { clip, epochText, fmtLag, fmtLsnOrDash, fmtTime, padEnd, padStart } from './text.js';

export interface ScreenSize {
  cols: number;
  rows: number;
}

export interface Screen {
  header: Line[];
  lanes: Line[];
  panel: Line[];
  focus: Line[];
  log: Line[];
  help: Line[];
  status: Line[];
}

const MIN_COLS = 40;

function labelWidth(model: ReplayModel): number {
  const longest = Math.max('incidents'.length, ...model.nodes.map((n) => n.length + 1), ...model.timeline.leader.map((l) => l.store.length));
  return Math.min(12, longest) + 1;
}

// ---- header and status ---------------------------------------------------------------------------

export function displayName(model: ReplayModel): string {
  const s = model.scenario !== '' ? model.scenario : model.source.path;
  return basename(s, extname(s));
}

function headerLine(model: ReplayModel, s: ReplayState, cols: number): Line {
  const n = model.incidents.length;
  const left = `haywire replay · ${displayName(model)} · seed ${model.seed || '?'} · ${n === 0 ? 'no incident' : `${n} incident${n === 1 ? '' : 's'}`}`;
  const speed = speedOf(s);
  const play = `${s.playing ? '▶' : '||'} ${speed}x`;
  const time = `${fmtTime(s.cursorUs)} / ${fmtTime(model.endUs)}`;
  const right = `${play}  ${time}`;
  const room = cols - right.length - 1;
  return [run(padEnd(clip(left, room), room), { bold: true }), run(' '), run(play, { color: s.playing ? 'green' : 'yellow', bold: true }), run(`  ${time}`, { bold: true })];
}

const HINTS = 'space play  ←→ step  i/I incident  f/F fault  g seek  1-9 focus  ? help  q quit';

function statusLine(s: ReplayState): Line {
  if (s.seek !== null) return [run('seek to: ', { bold: true }), run(`${s.seek}▏`, { color: 'cyan', bold: true }), run('  Enter go · Esc cancel · e.g. 41.2s, 1m30s, +5s, -2s', { dim: true })];
  if (s.message !== null) return [run(s.message, { color: 'cyan' }), run(`  ·  ? help · q quit`, { dim: true })];
  return [run(HINTS, { dim: true })];
}

// ---- axis and lanes ------------------------------------------------------------------------------

const NICE_STEPS_S = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];

function axisLine(scale: Scale, lw: number): Line {
  const spanS = (scale.endUs - scale.startUs) / 1e6;
  const cells = Array.from({ length: scale.cols }, () => ' ');
  // ticks at a round step, labels at least 8 columns apart
  const step = NICE_STEPS_S.find((st) => (st / Math.max(spanS, 1e-6)) * scale.cols >= 8) ?? (NICE_STEPS_S[NICE_STEPS_S.length - 1] as number);
  const first = Math.ceil(scale.startUs / 1e6 / step) * step;
  for (let t = first; t * 1e6 <= scale.endUs; t += step) {
    const c = scale.colOf(Math.round(t * 1e6));
    const label = fmtTime(Math.round(t * 1e6));
    if (c + label.length > scale.cols) break;
    if (c > 0 && cells[c - 1] !== ' ') continue;
    [...label].forEach((ch, i) => (cells[c + i] = ch));
  }
  return [run(' '.repeat(lw)), run(cells.join(''), { dim: true })];
}

function laneLine(lane: Lane, lw: number, cursorCol: number, focus: string | null, color: boolean): Line {
  const focused = lane.node !== undefined && lane.node === focus;
  const label = lane.kind === 'node' ? `${focused ? '▸' : ' '}${lane.label}` : lane.label;
  const out: Line = [run(padEnd(label, lw - 1), focused ? { bold: true, color: 'cyan' } : { bold: lane.kind === 'node' }), run(' ')];
  lane.cells.forEach((cell, c) => {
    const st: Style = { ...(cell.style ?? {}) };
    if (c === cursorCol && color) st.inverse = true;
    out.push(run(cell.ch, st));
  });
  return compact(out);
}

function caretLine(scale: Scale, lw: number, cursorUs: number): Line {
  const c = scale.colOf(cursorUs);
  const label = fmtTime(cursorUs);
  const text = c + 2 + label.length <= scale.cols ? `${' '.repeat(c)}▲ ${label}` : `${' '.repeat(Math.max(0, c - label.length - 1))}${label} ▲`;
  return [run(' '.repeat(lw)), run(text, { color: 'cyan', bold: true })];
}

// ---- the panel at the cursor -----------------------------------------------------------------------

function roleCell(kind: RoleKind | null): { glyph: string; word: string; style: Style } {
  const g = ROLE_GLYPH[kind ?? 'unknown'];
  const st: Style = {};
  if (g.color) st.color = g.color;
  if (g.bold) st.bold = true;
  return { glyph: g.ch === ' ' ? ' ' : g.ch, word: kind === null ? '-' : g.word || '-', style: st };
}

function timelineAt(model: ReplayModel, node: string, us: number): number | null {
  const s = spanAt(model.history.pg[node] ?? [], us);
  return s ? s.v.timeline : null;
}

function nodeLines(model: ReplayModel, s: ReplayState, c: TimelineCursor): Line[] {
  const nw = Math.max(...model.nodes.map((n) => n.length));
  const ww = Math.max(7, ...model.nodes.map((n) => roleCell(c.roles[n] ?? null).word.length));
  return model.nodes.map((n, i) => {
    const focused = s.focus === n;
    const r = roleCell(c.roles[n] ?? null);
    const tl = timelineAt(model, n, s.cursorUs);
    const lsn = c.lsn[n] ?? null;
    const agent = c.agent[n];
    const live = c.roles[n] === 'primary' || c.roles[n] === 'replica' || c.roles[n] === 'standby-leader' || c.roles[n] === 'diverged';
    const line: Line = [
      run(`${focused ? '▸' : i < 9 ? String(i + 1) : ' '} `, { dim: !focused, color: focused ? 'cyan' : undefined }),
      run(padEnd(n, nw), { bold: true }),
      run(' '),
      run(r.glyph, r.style),
      run(` ${padEnd(r.word, ww)} `, r.style.color ? { color: r.style.color } : undefined),
      run(padEnd(tl !== null && c.roles[n] !== 'down' ? `tl${tl}` : '', 4)),
      // the last sample of a server that is not running is old news: dimmed
      run(padStart(fmtLsnOrDash(lsn?.lsn), 10), live ? undefined : { dim: true }),
    ];
    // lag behind the primary's latest flush sample, for servers in recovery (a primary has none)
    if (live && lsn !== null && c.roles[n] !== 'primary') line.push(run(` lag ${fmtLag(lsn.lagBytes)}`, lsn.lagBytes !== null && lsn.lagBytes > 1 << 20 ? { color: 'yellow' } : undefined));
    if (agent) line.push(run(` Patroni ${agent}`, { color: AGENT_GLYPH[agent].color, bold: true }));
    return line;
  });
}

function clusterLines(model: ReplayModel, s: ReplayState, c: TimelineCursor): Line[] {
  const out: Line[] = [];
  const t = model.timeline;
  for (const l of t.leader) {
    const holder = c.leader[l.store] ?? null;
    const q = t.quorum.find((x) => x.store === l.store.split('@')[0]);
    const ok = q ? c.quorum[q.store] : undefined;
    out.push([
      run(`${l.store} key `, { dim: true }),
      holder !== null ? run(holder, { color: 'green', bold: true }) : run('none', { color: 'yellow', bold: true }),
      ...(ok === undefined || ok === null ? [] : [run(' · ', { dim: true }), ok ? run('quorum', { color: 'green' }) : run('NO QUORUM', { color: 'red', bold: true })]),
    ]);
  }
  const e = c.epoch;
  out.push([run('net ', { dim: true }), run(e ? epochText(e) : 'no partition', e ? { color: 'yellow', bold: true } : undefined)]);
  // client outcomes in the second before the cursor
  const fromMs = c.tMs - 1000;
  let ok = 0;
  let fail = 0;
  let info = 0;
  for (const b of t.clients) {
    const mid = b.tMs + b.widthMs / 2;
    if (mid >= fromMs && mid < c.tMs) {
      ok += b.ok;
      fail += b.fail;
      info += b.info;
    }
  }
  if (t.clients.length > 0) {
    out.push([
      run('last 1s ', { dim: true }),
      run(`${ok} ok`, { color: 'green' }),
      run(' '),
      run(`${fail} fail`, fail > 0 ? { color: 'red', bold: true } : { dim: true }),
      run(' '),
      run(`${info} unknown`, info > 0 ? { color: 'yellow', bold: true } : { dim: true }),
    ]);
  }
  for (const f of c.faults) out.push([run('fault ', { dim: true }), run(f.label, { color: 'yellow' })]);
  for (const i of c.incidents) out.push([run('incident ', { dim: true }), run(i.id, { color: i.severity === 'critical' ? 'red' : 'yellow', bold: true }), run(` ${i.severity}`, { dim: true })]);
  return out;
}

function focusLines(model: ReplayModel, s: ReplayState, c: TimelineCursor): Line[] {
  const n = s.focus;
  if (n === null) return [];
  const us = s.cursorUs;
  const cyc = (model.history.cycles[n] ?? []).filter((x) => x.fromUs <= us).pop();
  const rep = spanAt(model.history.replication[n] ?? [], us)?.v;
  const dcs = model.truth.dcsReach(n, us);
  const clients = model.truth.clientReach(n, us);
  const first: Line = [
    run(`${n} `, { color: 'cyan', bold: true }),
    run('patroni: ', { dim: true }),
    run(cyc ? `"${cyc.v.message}"` : '(no HA cycle yet)'),
    run(cyc ? ` ${fmtTime(cyc.lastUs <= us ? cyc.lastUs : cyc.fromUs)}` : '', { dim: true }),
  ];
  const second: Line = [
    run(`${' '.repeat(n.length)} `),
    run(c.labels[n] ?? 'no state', { bold: true }),
    run(' · ', { dim: true }),
    run(rep ? `${rep.status}${rep.upstream !== null ? ` from ${rep.upstream}` : ''}` : 'no replication'),
    run(' · ', { dim: true }),
    run(`reaches ${dcs.reachable.length}/${dcs.total} DCS members`, dcs.total > 0 && !dcs.majority ? { color: 'red', bold: true } : undefined),
  ];
  if (clients.cut.length > 0) second.push(run(' · ', { dim: true }), run(`cut from ${clients.cut.join(' ')}`, { color: 'yellow' }));
  return [first, second];
}

// ---- the event log ---------------------------------------------------------------------------------

const TONE: Record<LogEntry['tone'], Style | undefined> = {
  plain: undefined,
  good: { color: 'green' },
  warn: { color: 'yellow' },
  bad: { color: 'red', bold: true },
};

/** Index of the last entry at or before `us` (-1 if none). */
function lastAtOrBefore(entries: readonly LogEntry[], us: number): number {
  let lo = 0;
  let hi = entries.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((entries[mid] as LogEntry).tUs <= us) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

export function logLines(model: ReplayModel, s: ReplayState, height: number): Line[] {
  if (height <= 0) return [];
  const entries = model.entries(s.focus);
  const title: Line = [run(`events${s.focus !== null ? ` of ${s.focus}` : ''}`, { bold: true }), run(` (${entries.length}; ↑/↓ scroll)`, { dim: true })];
  const rows = height - 1;
  if (rows <= 0) return [title];
  const cur = lastAtOrBefore(entries, s.cursorUs);
  const curT = cur >= 0 ? (entries[cur] as LogEntry).tUs : Number.NaN;
  // the cursor's entry sits about two thirds down; ↑ scrolls back
  const before = Math.ceil(rows * 0.66);
  let start = Math.max(0, cur - before + 1 - s.logScroll);
  start = Math.min(start, Math.max(0, entries.length - rows));
  const ww = Math.min(12, Math.max(4, ...entries.slice(start, start + rows).map((e) => e.who.length)));
  const out: Line[] = [title];
  for (let i = start; i < Math.min(entries.length, start + rows); i++) {
    const e = entries[i] as LogEntry;
    const future = e.tUs > s.cursorUs;
    const here = e.tUs === curT;
    out.push([
      run(here ? '▸' : ' ', { color: 'cyan', bold: true }),
      run(`${padStart(fmtTime(e.tUs), 9)} `, { dim: !here }),
      run(`${padEnd(e.who, ww)} `, future ? { dim: true } : { bold: here }),
      run(e.text, future ? { dim: true } : here ? { ...(TONE[e.tone] ?? {}), bold: true } : TONE[e.tone]),
    ]);
  }
  if (entries.length === 0) out.push([run('  (no events)', { dim: true })]);
  return out;
}

// ---- help ------------------------------------------------------------------------------------------

const KEYS: [string, string][] = [
  ['space', 'play / pause'],
  ['+ / -', 'faster / slower (0.1x-100x)'],
  ['→ n / ← p', 'next / previous event'],
  ['i / I', 'next / previous incident'],
  ['f / F', 'next / previous fault'],
  ['g', 'seek: 41.2s 1m30s +5s, Enter'],
  ['1-9 / tab', 'focus a node (0: none)'],
  ['↑ / ↓', 'scroll the event log'],
  ['PgUp PgDn', 'a tenth of the run back/on'],
  ['Home End', 'start / end of the run'],
  ['any key', 'close this help'],
  ['q Esc ^C', 'quit'],
];

function helpLines(height: number, cols: number): Line[] {
  const roles: RoleKind[] = ['primary', 'standby-leader', 'replica', 'demoting', 'diverged', 'starting', 'crash-recovery', 'stopping', 'stopped', 'crashed', 'rewinding', 'cloning', 'down'];
  const legend: Line[] = [];
  for (let i = 0; i < roles.length; i += 2) {
    const cell = (k: RoleKind | undefined): Line => {
      if (!k) return [];
      const g = ROLE_GLYPH[k];
      return [run(g.ch, { color: g.color, bold: true }), run(` ${padEnd(g.word, 15)}`)];
    };
    legend.push([...cell(roles[i]), ...cell(roles[i + 1])]);
  }
  legend.push([run('patroni ', { dim: true }), run('P', { color: 'yellow' }), run(' paused '), run('X', { color: 'red' }), run(' crashed '), run('S', { color: 'gray' }), run(' stopped')]);
  legend.push([run('leader  ', { dim: true }), run('1', { color: 'green' }), run('-9 node holding the key, '), run('-', { color: 'yellow' }), run(' none')]);
  legend.push([run('clients ', { dim: true }), run('▁▇', { color: 'green' }), run(' acked, '), run('x', { color: 'red' }), run(' failed, '), run('?', { color: 'yellow' }), run(' unknown')]);
  legend.push([run('bands   ', { dim: true }), run('=', { color: 'yellow' }), run(' fault, '), run('!', { color: 'red' }), run(' incident'), run('   ▲ cursor', { color: 'cyan' })]);
  const keyLines: Line[] = KEYS.map(([k, d]) => [run(padEnd(k, 11), { bold: true, color: 'cyan' }), run(d)]);
  const out: Line[] = [[run('keys', { bold: true }), run(' '.repeat(Math.max(1, Math.floor(cols / 2) - 4))), run('lanes', { bold: true })], []];
  const half = Math.floor(cols / 2);
  for (let i = 0; i < Math.max(keyLines.length, legend.length); i++) {
    out.push([...fit(keyLines[i] ?? [], half), ...(legend[i] ?? [])]);
  }
  const notes: [string, string][] = [
    ['panel', 'per node: role, timeline, LSN, lag behind the primary;'],
    ['', 'the leader key, quorum, partition groups ({a} | {b}),'],
    ['', 'client outcomes in the last second, faults, incidents'],
    ['events', "Patroni's HA cycle lines, roles, leader key, faults,"],
    ['', 'client errors, incidents; ▸ marks the cursor\'s instant'],
  ];
  out.push([], ...notes.map(([k, t]): Line => [run(padEnd(k, 8), { dim: true }), run(t)]));
  return out.slice(0, Math.max(0, height));
}

// ---- the whole screen --------------------------------------------------------------------------------

/** Lay the screen out for `size`: exactly `size.rows` lines, none wider than `size.cols`. */
export function buildScreen(model: ReplayModel, s: ReplayState, size: ScreenSize, opts: { color?: boolean } = {}): Screen {
  const cols = Math.max(MIN_COLS, size.cols);
  const rows = Math.max(1, size.rows);
  const color = opts.color ?? true;
  const lw = labelWidth(model);
  const scale = scaleOf(model, cols - lw);
  const c = cursorAt(model.timeline, s.cursorUs / 1000);
  const header = [headerLine(model, s, cols)];
  const status = [statusLine(s)];
  let left = rows - header.length - status.length;
  // lanes (not under the help): as many fault rows as fit, fewer when the screen is short
  let laneLines: Line[] = [];
  if (!s.help) {
    const allLanes = buildLanes(model, scale, { maxFaultRows: rows >= 30 ? 4 : rows >= 20 ? 2 : 1 });
    const cursorCol = scale.colOf(s.cursorUs);
    laneLines = [axisLine(scale, lw), ...allLanes.map((l) => laneLine(l, lw, cursorCol, s.focus, color)), caretLine(scale, lw, s.cursorUs)];
    if (laneLines.length > left) laneLines = laneLines.slice(0, Math.max(0, left - 1)).concat(left > 0 ? [caretLine(scale, lw, s.cursorUs)] : []);
  }
  left -= laneLines.length;
  let panel: Line[] = [];
  let focus: Line[] = [];
  let log: Line[] = [];
  let help: Line[] = [];
  if (s.help) {
    help = helpLines(left, cols);
    left -= help.length;
  } else {
    const nl = nodeLines(model, s, c);
    const cl = clusterLines(model, s, c);
    const leftW = Math.max(...nl.map((l) => l.reduce((n, r) => n + [...r.text].length, 0)), 0);
    const split = cols >= 100 || leftW + 30 <= cols;
    if (split) {
      const lwPanel = Math.min(leftW + 2, cols - 30);
      const h = Math.max(nl.length, Math.min(cl.length, 6));
      for (let i = 0; i < h; i++) panel.push([...fit(nl[i] ?? [], lwPanel), run('│ ', { dim: true }), ...(cl[i] ?? [])]);
    } else panel = [...nl, ...cl];
    // keep at least three log lines when the panel would eat them all
    if (panel.length > left - 4) panel = panel.slice(0, Math.max(0, left - 4));
    left -= panel.length;
    focus = focusLines(model, s, c).slice(0, Math.max(0, left - 3));
    left -= focus.length;
    log = logLines(model, s, left);
    left -= log.length;
  }
  const pad: Line[] = Array.from({ length: Math.max(0, left) }, () => []);
  const f = (ls: Line[]): Line[] => ls.map((l) => compact(fit(l, cols)));
  return { header: f(header), lanes: f(laneLines), panel: f(panel), focus: f(focus), log: f([...log, ...(s.help ? [] : pad)]), help: f([...help, ...(s.help ? pad : [])]), status: f(status) };
}

/** Every line of a screen, top to bottom. */
export function screenLines(sc: Screen): Line[] {
  return [...sc.header, ...sc.lanes, ...sc.panel, ...sc.focus, ...sc.log, ...sc.help, ...sc.status];
}
