// The lanes of the replay, as cells: one column of the terminal covers an equal slice of virtual
// time, and each lane shows what held for most of that slice (roles, the leader key, the quorum),
// or whether anything happened in it at all (faults, incidents: never hidden, at least one column),
// or a sparkline (client outcomes). Pure functions of the model and the width.
import type { RoleKind, Segment } from '../report/timeline.js';
import type { ReplayModel } from './model.js';
import type { Color, Style } from './styled.js';
import { msToUsExact } from './text.js';

export interface Cell {
  ch: string;
  style?: Style;
}

export type LaneKind = 'node' | 'agent' | 'leader' | 'quorum' | 'fault' | 'clients' | 'incidents';

export interface Lane {
  kind: LaneKind;
  label: string;
  /** The node a node or agent lane belongs to. */
  node?: string;
  cells: Cell[];
}

/** Glyph, colour and short name of each role (the help overlay lists them). */
export const ROLE_GLYPH: Record<RoleKind, { ch: string; color?: Color; bold?: boolean; word: string }> = {
  primary: { ch: '█', color: 'green', bold: true, word: 'primary' },
  'standby-leader': { ch: '▓', color: 'cyan', word: 'standby leader' },
  replica: { ch: '─', color: 'blue', word: 'replica' },
  demoting: { ch: '▒', color: 'yellow', word: 'demoting' },
  diverged: { ch: '~', color: 'magenta', bold: true, word: 'diverged' },
  starting: { ch: '░', color: 'gray', word: 'starting' },
  'crash-recovery': { ch: '░', color: 'yellow', word: 'crash recovery' },
  stopping: { ch: ':', color: 'yellow', word: 'stopping' },
  stopped: { ch: '·', color: 'gray', word: 'stopped' },
  crashed: { ch: '×', color: 'red', bold: true, word: 'crashed' },
  rewinding: { ch: '«', color: 'magenta', word: 'pg_rewind' },
  cloning: { ch: '»', color: 'cyan', word: 'pg_basebackup' },
  uninitialized: { ch: ' ', word: 'no data' },
  down: { ch: '_', color: 'red', word: 'host down' },
  unknown: { ch: ' ', word: '' },
};

export const AGENT_GLYPH: Record<'paused' | 'crashed' | 'stopped', { ch: string; color: Color }> = {
  paused: { ch: 'P', color: 'yellow' },
  crashed: { ch: 'X', color: 'red' },
  stopped: { ch: 'S', color: 'gray' },
};

// no full block: that is the primary's glyph
const SPARK = ['▁', '▂', '▃', '▄', '▅', '▆', '▇'];

/** The mapping between columns of the track and virtual time. */
export interface Scale {
  cols: number;
  startUs: number;
  endUs: number;
  /** [from, to) µs of column c. */
  fromUs(c: number): number;
  toUs(c: number): number;
  /** The column holding instant us (clamped to the track). */
  colOf(us: number): number;
}

export function scaleOf(model: ReplayModel, cols: number): Scale {
  const startUs = model.startUs;
  const spanUs = Math.max(1, model.endUs - model.startUs);
  const n = Math.max(1, cols);
  return {
    cols: n,
    startUs,
    endUs: model.endUs,
    fromUs: (c) => startUs + (spanUs * c) / n,
    toUs: (c) => startUs + (spanUs * (c + 1)) / n,
    colOf: (us) => Math.min(n - 1, Math.max(0, Math.floor(((us - startUs) / spanUs) * n))),
  };
}

/** Per column, the kind covering most of it (`null`: mostly nothing). */
function dominant<K extends string>(segs: readonly Segment<K>[], scale: Scale, key: (s: Segment<K>) => string = (s) => s.kind): (string | null)[] {
  const out: (string | null)[] = [];
  let j = 0;
  for (let c = 0; c < scale.cols; c++) {
    const a = scale.fromUs(c);
    const b = scale.toUs(c);
    while (j < segs.length && msToUsExact((segs[j] as Segment<K>).toMs) <= a) j++;
    const cover = new Map<string, number>();
    let covered = 0;
    for (let k = j; k < segs.length; k++) {
      const s = segs[k] as Segment<K>;
      const f = msToUsExact(s.fromMs);
      if (f >= b) break;
      const d = Math.min(b, msToUsExact(s.toMs)) - Math.max(a, f);
      if (d <= 0) continue;
      const kk = key(s);
      cover.set(kk, (cover.get(kk) ?? 0) + d);
      covered += d;
    }
    let best: string | null = null;
    let bestD = b - a - covered; // time with no segment at all
    for (const [kk, d] of cover) {
      if (d > bestD) {
        best = kk;
        bestD = d;
      }
    }
    out.push(best);
  }
  return out;
}

/** Bands (faults, incidents) drawn on any column they touch, with their label inside when it fits. */
function bands(items: readonly { fromUs: number; toUs: number; label: string; cell: Cell }[], scale: Scale): Cell[] {
  const cells: Cell[] = Array.from({ length: scale.cols }, () => ({ ch: ' ' }));
  for (const it of items) {
    const c0 = scale.colOf(it.fromUs);
    const c1 = Math.max(c0, it.toUs > it.fromUs ? scale.colOf(it.toUs - 1) : c0);
    for (let c = c0; c <= c1; c++) cells[c] = { ...it.cell };
    const text = [...it.label];
    if (c1 - c0 + 1 >= text.length + 2) text.forEach((ch, i) => (cells[c0 + 1 + i] = { ch, style: { ...it.cell.style, bold: true } }));
  }
  return cells;
}

export interface LaneOptions {
  /** At most this many fault rows (more are folded into the last). */
  maxFaultRows?: number;
}

export function buildLanes(model: ReplayModel, scale: Scale, opts: LaneOptions = {}): Lane[] {
  const t = model.timeline;
  const lanes: Lane[] = [];
  const nodeIndex = new Map(model.nodes.map((n, i) => [n, i]));
  for (const n of t.nodes) {
    const kinds = dominant(n.role, scale);
    lanes.push({
      kind: 'node',
      label: n.name,
      node: n.name,
      cells: kinds.map((k) => {
        const g = ROLE_GLYPH[(k ?? 'unknown') as RoleKind];
        const st: Style = {};
        if (g.color) st.color = g.color;
        if (g.bold) st.bold = true;
        return { ch: g.ch, style: st };
      }),
    });
    if (n.agent.length > 0) {
      const ak = dominant(n.agent, scale);
      lanes.push({
        kind: 'agent',
        label: ' patroni',
        node: n.name,
        cells: ak.map((k) => (k === null ? { ch: ' ' } : { ch: AGENT_GLYPH[k as 'paused'].ch, style: { color: AGENT_GLYPH[k as 'paused'].color } })),
      });
    }
  }
  const many = t.leader.length > 1;
  for (const l of t.leader) {
    const holders = dominant(l.segments, scale, (s) => (s.kind === 'held' ? `held:${s.label}` : 'free'));
    lanes.push({
      kind: 'leader',
      label: many ? l.store : 'leader',
      cells: holders.map((h) => {
        if (h === null) return { ch: ' ' };
        if (h === 'free') return { ch: '-', style: { color: 'yellow' } };
        const idx = nodeIndex.get(h.slice(5));
        return { ch: idx !== undefined && idx < 9 ? String(idx + 1) : '?', style: { color: 'green' } };
      }),
    });
  }
  for (const q of t.quorum) {
    const ks = dominant(q.segments, scale);
    lanes.push({
      kind: 'quorum',
      label: t.quorum.length > 1 ? `q:${q.store}` : 'quorum',
      cells: ks.map((k) => (k === 'ok' ? { ch: '━', style: { color: 'green' } } : k === 'lost' ? { ch: 'X', style: { color: 'red', bold: true } } : { ch: ' ' })),
    });
  }
  const maxRows = Math.max(1, opts.maxFaultRows ?? 3);
  const rows = Math.min(maxRows, Math.max(1, t.faultRows));
  for (let r = 0; r < rows; r++) {
    const mine = t.faults.filter((f) => Math.min(f.row, rows - 1) === r);
    lanes.push({
      kind: 'fault',
      label: r === 0 ? 'faults' : '',
      cells: bands(
        mine.map((f) => ({ fromUs: msToUsExact(f.fromMs), toUs: msToUsExact(f.toMs), label: f.label, cell: { ch: '=', style: { color: 'yellow' } } })),
        scale,
      ),
    });
  }
  if (t.clients.length > 0) lanes.push({ kind: 'clients', label: 'clients', cells: clientCells(model, scale) });
  lanes.push({
    kind: 'incidents',
    label: 'incidents',
    cells: bands(
      model.incidents.map((i) => ({
        fromUs: i.fromUs,
        toUs: i.toUs,
        label: i.id,
        cell: { ch: i.severity === 'info' ? 'i' : '!', style: { color: i.severity === 'critical' ? 'red' : i.severity === 'warning' ? 'yellow' : 'blue' } },
      })),
      scale,
    ),
  });
  return lanes;
}

/** Client outcomes per column: a sparkline of acknowledged operations, `x` where any failed, `?` where any ended unknown. */
function clientCells(model: ReplayModel, scale: Scale): Cell[] {
  const ok = new Array<number>(scale.cols).fill(0);
  const fail = new Array<number>(scale.cols).fill(0);
  const info = new Array<number>(scale.cols).fill(0);
  for (const b of model.timeline.clients) {
    // a bucket counts in the column of its middle
    const c = scale.colOf(msToUsExact(b.tMs + b.widthMs / 2));
    ok[c] = (ok[c] as number) + b.ok;
    fail[c] = (fail[c] as number) + b.fail;
    info[c] = (info[c] as number) + b.info;
  }
  const max = Math.max(1, ...ok);
  return ok.map((n, c) => {
    if ((fail[c] as number) > 0 && (fail[c] as number) >= (info[c] as number)) return { ch: 'x', style: { color: 'red', bold: true } };
    if ((info[c] as number) > 0) return { ch: '?', style: { color: 'yellow', bold: true } };
    if (n === 0) return { ch: ' ' };
    return { ch: SPARK[Math.min(SPARK.length - 1, Math.floor((n / max) * (SPARK.length - 1) + 0.5))] as string, style: { color: 'green' } };
  });
}
