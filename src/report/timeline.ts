// The timeline model: lanes derived from the history, shared by the HTML report and the terminal
// replay. Plain data in virtual milliseconds:
//  - per node: its role over time (primary, replica, standby leader, diverged, starting, stopping,
//    stopped, crashed, crash recovery, rewinding, cloning, uninitialized, down), its Patroni
//    agent's state when not running (paused, crashed, stopped), and its LSN / lag samples;
//  - the leader-key holder per store, the DCS quorum per store;
//  - faults as bands (one row each, packed), partitions as the groups of hosts that could talk;
//  - client outcomes per time bucket; incidents; point events (promotions, rewinds, clones,
//    watchdog, operator actions).
import type { History, LsnSample, PgStateValue } from './history.js';
import type { Incident } from './incident.js';
import { fmtLsn } from './incident.js';
import { spanAt, type Span } from './intervals.js';
import { GroundTruth } from './truth.js';

export type RoleKind =
  | 'primary'
  | 'replica'
  | 'standby-leader'
  /** A primary shutting down because Patroni is demoting it (not a plain stop or restart). */
  | 'demoting'
  | 'diverged'
  | 'starting'
  | 'stopping'
  | 'stopped'
  | 'crashed'
  | 'crash-recovery'
  | 'rewinding'
  | 'cloning'
  | 'uninitialized'
  | 'down'
  | 'unknown';

export interface Segment<K extends string = string> {
  fromMs: number;
  toMs: number;
  kind: K;
  /** Short text for a tooltip or a cell. */
  label: string;
}

export interface LsnPoint {
  tMs: number;
  lsn: number;
  /** Bytes behind the primary's latest flush sample (0 for the primary; null if unknown). */
  lagBytes: number | null;
}

export interface NodeLane {
  name: string;
  role: Segment<RoleKind>[];
  /** The Patroni agent when not running. */
  agent: Segment<'paused' | 'crashed' | 'stopped'>[];
  lsn: LsnPoint[];
}

export interface FaultBand extends Segment<string> {
  id: string;
  /** Row in the fault lane (packed so bands never overlap). */
  row: number;
}

export interface PartitionEpoch {
  fromMs: number;
  toMs: number;
  /** Groups of hosts connected both ways (connected components; one group for a partial cut). */
  groups: string[][];
  /** The cut links among them: "a x b" (both ways) or "a > b" (one way), sorted. */
  cuts: string[];
}

export interface TimelineEvent {
  tMs: number;
  node?: string;
  kind: 'promote' | 'rewind' | 'clone' | 'recovery' | 'watchdog' | 'operation' | 'phase';
  text: string;
}

export interface Timeline {
  startMs: number;
  endMs: number;
  nodes: NodeLane[];
  leader: { store: string; segments: Segment<'held' | 'free'>[] }[];
  quorum: { store: string; segments: Segment<'ok' | 'lost'>[] }[];
  faults: FaultBand[];
  faultRows: number;
  partitions: PartitionEpoch[];
  clients: { tMs: number; widthMs: number; ok: number; fail: number; info: number }[];
  incidents: { id: string; kind: string; severity: string; fromMs: number; toMs: number; nodes: string[]; explanation: string }[];
  events: TimelineEvent[];
}

const ms = (us: number): number => Math.round(us) / 1000;

const DEMOTE_MESSAGE = /demot/i;

/**
 * A primary's shutdown that Patroni began in order to demote it (patroni/ha.py `Ha.demote`). The
 * HA cycle reports it as "demoted self because ..." when a synchronous demote returns (the first
 * cycle line after the stop began, since the loop is blocked meanwhile), or as "switchover:
 * demoting myself" / "demoting self because ..." just before an asynchronous one starts.
 */
function isDemote(h: History, node: string, stop: Span<PgStateValue>): boolean {
  const cycles = h.cycles[node] ?? [];
  let before: (typeof cycles)[number] | undefined;
  for (const c of cycles) {
    if (c.fromUs < stop.fromUs) {
      before = c;
      continue;
    }
    // a synchronous demote reports when it returns: soon after the server is down
    if (c.fromUs <= stop.toUs + DEMOTE_REPORT_US && DEMOTE_MESSAGE.test(c.v.message)) return true;
    break;
  }
  return before !== undefined && stop.fromUs - before.lastUs <= DEMOTE_ASYNC_US && DEMOTE_MESSAGE.test(before.v.message);
}
/** How long after the server stopped a synchronous demote's cycle line may come (restart as replica). */
const DEMOTE_REPORT_US = 10_000_000;
/** How long before the stop an asynchronous demote's cycle line may come. */
const DEMOTE_ASYNC_US = 2_000_000;

function roleAt(h: History, truth: GroundTruth, node: string, t: number): RoleKind {
  if (!truth.hostUp(node, t)) return 'down';
  const span = spanAt(h.pg[node] ?? [], t);
  const s = span?.v;
  if (!span || !s) return 'unknown';
  if (s.state === 'stopping' && !s.inRecovery && isDemote(h, node, span)) return 'demoting';
  if (s.state === 'running') {
    if (!s.inRecovery) return 'primary';
    const rep = spanAt(h.replication[node] ?? [], t)?.v;
    if (rep?.status === 'diverged') return 'diverged';
    const cyc = (h.cycles[node] ?? []).find((c) => c.fromUs <= t && t < c.toUs);
    if (cyc && /standby.?leader/i.test(cyc.v.role)) return 'standby-leader';
    return 'replica';
  }
  return s.state;
}

/**
 * The timeline a node's WAL is on at t. A standby that follows its upstream onto a new timeline
 * records no new pg.state, so a streaming standby is on its upstream's timeline (recursively).
 */
function timelineAt(h: History, node: string, t: number, depth = 0): number | undefined {
  const s = spanAt(h.pg[node] ?? [], t)?.v;
  if (!s) return undefined;
  if (s.inRecovery && depth < 4) {
    const rep = spanAt(h.replication[node] ?? [], t)?.v;
    if (rep?.status === 'streaming' && rep.upstream !== null && rep.upstream !== node && h.pg[rep.upstream] !== undefined) {
      const up = timelineAt(h, rep.upstream, t, depth + 1);
      if (up !== undefined) return up;
    }
  }
  return s.timeline;
}

const ROLE_LABEL: Record<RoleKind, string> = {
  primary: 'primary',
  replica: 'replica',
  'standby-leader': 'standby leader',
  demoting: 'demoting',
  diverged: 'diverged replica',
  starting: 'starting',
  stopping: 'stopping',
  stopped: 'stopped',
  crashed: 'crashed',
  'crash-recovery': 'crash recovery',
  rewinding: 'pg_rewind',
  cloning: 'pg_basebackup',
  uninitialized: 'no data',
  down: 'host down',
  unknown: '',
};

function segmentsOf<K extends string>(points: readonly number[], fromUs: number, toUs: number, f: (t: number) => K, label: (k: K, t: number) => string): Segment<K>[] {
  const cuts = [fromUs, ...points.filter((p) => p > fromUs && p < toUs), toUs].sort((a, b) => a - b);
  const out: Segment<K>[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const a = cuts[i] as number;
    const b = cuts[i + 1] as number;
    if (b <= a) continue;
    const k = f(a);
    const lb = label(k, a);
    const last = out[out.length - 1];
    if (last && last.kind === k && last.label === lb && last.toMs === ms(a)) last.toMs = ms(b);
    else out.push({ fromMs: ms(a), toMs: ms(b), kind: k, label: lb });
  }
  return out;
}

function spanPoints(...tracks: (readonly Span<unknown>[] | undefined)[]): number[] {
  const out: number[] = [];
  for (const t of tracks) for (const s of t ?? []) out.push(s.fromUs, s.toUs);
  return out;
}

function lsnLane(h: History, node: string, primaryFlush: (t: number) => number | null): LsnPoint[] {
  return (h.lsn[node] ?? []).map((s: LsnSample) => {
    const pos = Math.max(s.flushLsn, s.receiveLsn ?? 0, s.replayLsn ?? 0);
    const isPrimary = s.receiveLsn === undefined && s.replayLsn === undefined;
    const pf = primaryFlush(s.tUs);
    return { tMs: ms(s.tUs), lsn: pos, lagBytes: isPrimary ? 0 : pf === null ? null : Math.max(0, pf - (s.replayLsn ?? pos)) };
  });
}

/** The cut links between powered hosts at t: "a x b" both ways, "a > b" one way. */
function cutsAt(truth: GroundTruth, t: number): string[] {
  const hosts = truth.hosts.filter((x) => truth.hostUp(x, t)).sort();
  const out: string[] = [];
  for (let i = 0; i < hosts.length; i++) {
    for (let j = i + 1; j < hosts.length; j++) {
      const a = hosts[i] as string;
      const b = hosts[j] as string;
      const ab = truth.canSend(a, b, t);
      const ba = truth.canSend(b, a, t);
      if (!ab && !ba) out.push(`${a} x ${b}`);
      else if (!ab) out.push(`${a} > ${b}`);
      else if (!ba) out.push(`${b} > ${a}`);
    }
  }
  return out;
}

export function buildTimeline(h: History, incidents: readonly Incident[] = []): Timeline {
  const truth = new GroundTruth(h);
  const from = h.startUs;
  const to = Math.max(h.endUs, from + 1);
  // the primary's flush samples, for lag
  const flushes: { tUs: number; lsn: number }[] = [];
  for (const samples of Object.values(h.lsn)) for (const s of samples) if (s.receiveLsn === undefined && s.replayLsn === undefined) flushes.push({ tUs: s.tUs, lsn: s.flushLsn });
  flushes.sort((a, b) => a.tUs - b.tUs);
  const primaryFlush = (t: number): number | null => {
    let lo = 0;
    let hi = flushes.length - 1;
    let ans: number | null = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const f = flushes[mid] as { tUs: number; lsn: number };
      if (f.tUs <= t) {
        ans = f.lsn;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  };
  const nodes: NodeLane[] = h.pgNodes.map((n) => {
    // a standby's timeline follows its upstream's, so every node's server and replication changes count
    const pts = spanPoints(h.power[n], h.cycles[n], ...Object.values(h.pg), ...Object.values(h.replication));
    const role = segmentsOf<RoleKind>(pts, from, to, (t) => roleAt(h, truth, n, t), (k, t) => {
      const tl = timelineAt(h, n, t);
      return tl !== undefined && k !== 'down' && k !== 'unknown' ? `${ROLE_LABEL[k]} · timeline ${tl}` : ROLE_LABEL[k];
    }).filter((s) => s.kind !== 'unknown');
    const agent: Segment<'paused' | 'crashed' | 'stopped'>[] = [];
    for (const s of truth.patroniSpans(n)) {
      if (s.v === 'running') continue;
      agent.push({ fromMs: ms(s.fromUs), toMs: ms(s.toUs), kind: s.v, label: `Patroni ${s.v}` });
    }
    return { name: n, role, agent, lsn: lsnLane(h, n, primaryFlush) };
  });
  const leader = Object.entries(h.leader).map(([store, spans]) => ({
    store,
    segments: spans.map((s) => ({ fromMs: ms(s.fromUs), toMs: ms(s.toUs), kind: s.v.holder === null ? ('free' as const) : ('held' as const), label: s.v.holder ?? `no leader (${s.v.reason})` })),
  }));
  const quorum = Object.entries(h.quorum).map(([store, spans]) => ({
    store,
    segments: spans.map((s) => ({ fromMs: ms(s.fromUs), toMs: ms(s.toUs), kind: s.v.ok ? ('ok' as const) : ('lost' as const), label: s.v.ok ? `quorum${s.v.leader ? ` · leader ${s.v.leader}` : ''}${s.v.term !== undefined ? ` · term ${s.v.term}` : ''}` : 'no quorum' })),
  }));
  // faults packed into rows
  const rowsEnd: number[] = [];
  const faults: FaultBand[] = [...h.faults]
    .sort((a, b) => a.fromUs - b.fromUs || a.toUs - b.toUs)
    .map((f) => {
      let row = rowsEnd.findIndex((end) => end <= f.fromUs);
      if (row < 0) {
        row = rowsEnd.length;
        rowsEnd.push(0);
      }
      rowsEnd[row] = Math.max(f.toUs, f.fromUs + 1);
      return { id: f.id, fromMs: ms(f.fromUs), toMs: ms(Math.max(f.toUs, f.fromUs)), kind: f.kind, label: f.what, row };
    });
  // partitions: the connectivity groups at each change of the cut lists or of power
  const pts = [from, ...h.netFaults.flatMap((f) => [f.fromUs, f.toUs]), ...spanPoints(...Object.values(h.power))].filter((x) => x >= from && x < to);
  const cuts = [...new Set(pts)].sort((a, b) => a - b);
  const partitions: PartitionEpoch[] = [];
  for (let i = 0; i < cuts.length; i++) {
    const a = cuts[i] as number;
    const b = i + 1 < cuts.length ? (cuts[i + 1] as number) : to;
    if (b <= a) continue;
    const cutLinks = cutsAt(truth, a);
    if (cutLinks.length === 0) continue;
    const groups = truth.partitionGroups(a);
    const last = partitions[partitions.length - 1];
    if (last && last.toMs === ms(a) && JSON.stringify(last.cuts) === JSON.stringify(cutLinks) && JSON.stringify(last.groups) === JSON.stringify(groups)) last.toMs = ms(b);
    else partitions.push({ fromMs: ms(a), toMs: ms(b), groups, cuts: cutLinks });
  }
  const events: TimelineEvent[] = [];
  for (const b of h.branches) if (b.promoted) events.push({ tMs: ms(b.atUs), node: b.node, kind: 'promote', text: `${b.node} promoted: timeline ${b.timeline} from ${fmtLsn(b.switchLsn)}` });
  for (const r of h.rewinds) events.push({ tMs: ms(r.tUs), node: r.node, kind: 'rewind', text: `${r.node} pg_rewind ${r.ok ? `to ${fmtLsn(r.forkLsn)}` : `failed${r.reason ? `: ${r.reason}` : ''}`}` });
  for (const c of h.clones) events.push({ tMs: ms(c.tUs), node: c.node, kind: 'clone', text: `${c.node} ${c.ok ? 're-cloned' : 'clone failed'} from ${c.source}` });
  for (const r of h.recoveries) events.push({ tMs: ms(r.tUs), node: r.node, kind: 'recovery', text: `${r.node} crash recovery to ${fmtLsn(r.replayedToLsn)}${r.lostWrites.length > 0 ? `, ${r.lostWrites.length} writes lost` : ''}` });
  for (const w of h.watchdog) events.push({ tMs: ms(w.tUs), node: w.node, kind: 'watchdog', text: `${w.node} watchdog ${w.event}` });
  for (const o of h.operations) {
    const e: TimelineEvent = { tMs: ms(o.tUs), kind: 'operation', text: `${o.operation}${o.ok ? '' : ' (refused)'}: ${o.message}` };
    if (o.node !== undefined) e.node = o.node;
    events.push(e);
  }
  for (const p of h.phases) events.push({ tMs: ms(p.tUs), kind: 'phase', text: `phase: ${p.phase}` });
  events.sort((a, b) => a.tMs - b.tMs);
  return {
    startMs: ms(from),
    endMs: ms(to),
    nodes,
    leader,
    quorum,
    faults,
    faultRows: rowsEnd.length,
    partitions,
    clients: h.clientBuckets.map((b) => ({ tMs: ms(b.tUs), widthMs: ms(b.widthUs), ok: b.ok, fail: b.fail, info: b.info })),
    incidents: incidents.map((i) => ({ id: i.id, kind: i.kind, severity: i.severity, fromMs: i.startMs, toMs: i.endMs, nodes: i.nodes, explanation: i.explanation })),
    events,
  };
}

/** What the lanes say at one instant (the replay cursor). */
export interface TimelineCursor {
  tMs: number;
  roles: Record<string, RoleKind | null>;
  leader: Record<string, string | null>;
  quorum: Record<string, boolean | null>;
  partition: string[][] | null;
  faults: FaultBand[];
  incidents: Timeline['incidents'];
  /** The role segment's label per node ("primary · timeline 2"), null outside any segment. */
  labels: Record<string, string | null>;
  /** The Patroni agent when not running (paused, crashed, stopped), per node. */
  agent: Record<string, 'paused' | 'crashed' | 'stopped' | null>;
  /** The latest LSN sample at or before the cursor, per node (null before the first). */
  lsn: Record<string, LsnPoint | null>;
  /** The partition epoch at the cursor (groups and cut links), null when nothing is cut. */
  epoch: PartitionEpoch | null;
}

/** The last point with `tMs <= t` in a list sorted by time. */
function lastAtOrBefore<P extends { tMs: number }>(xs: readonly P[], t: number): P | null {
  let lo = 0;
  let hi = xs.length - 1;
  let ans: P | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const x = xs[mid] as P;
    if (x.tMs <= t) {
      ans = x;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

function segAt<K extends string>(segs: readonly Segment<K>[], tMs: number): Segment<K> | undefined {
  return segs.find((s) => s.fromMs <= tMs && tMs < s.toMs);
}

export function cursorAt(t: Timeline, tMs: number): TimelineCursor {
  const epoch = t.partitions.find((p) => p.fromMs <= tMs && tMs < p.toMs) ?? null;
  return {
    tMs,
    roles: Object.fromEntries(t.nodes.map((n) => [n.name, segAt(n.role, tMs)?.kind ?? null])),
    leader: Object.fromEntries(t.leader.map((l) => [l.store, (() => {
      const s = segAt(l.segments, tMs);
      return s && s.kind === 'held' ? s.label : null;
    })()])),
    quorum: Object.fromEntries(t.quorum.map((q) => [q.store, segAt(q.segments, tMs) ? segAt(q.segments, tMs)?.kind === 'ok' : null])),
    partition: epoch?.groups ?? null,
    faults: t.faults.filter((f) => f.fromMs <= tMs && tMs < f.toMs),
    incidents: t.incidents.filter((i) => i.fromMs <= tMs && tMs <= i.toMs),
    labels: Object.fromEntries(t.nodes.map((n) => [n.name, segAt(n.role, tMs)?.label ?? null])),
    agent: Object.fromEntries(t.nodes.map((n) => [n.name, segAt(n.agent, tMs)?.kind ?? null])),
    lsn: Object.fromEntries(t.nodes.map((n) => [n.name, lastAtOrBefore(n.lsn, tMs)])),
    epoch,
  };
}
