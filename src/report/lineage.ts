// The final authoritative history: the WAL lineage of the node that is primary at the end of the
// run, as PostgreSQL's timeline history files define it. A branch in the lineage contributes its
// WAL up to the LSN where the next branch of the lineage forked from it (the promotion's
// `switchLsn`); the final branch contributes everything its writer committed. A write is in the
// final history iff it was committed (`pg.write`) on a lineage branch at or before that branch's
// cut-off and crash recovery on its writer did not discard it.
//
// This is the reference semantics the PostgreSQL model's own end-of-run snapshot must agree with;
// `WriteOracle` lets a caller substitute that snapshot (`containsWrite`) when it is available.
import { BranchMap, containsWrite as pgContainsWrite } from '../sim/pg/lineage.js';
import type { BranchInfo, History } from './history.js';
import { contained, type WriteRow } from './writes.js';

export interface WriteOracle {
  /** Whether the write is part of the final authoritative history. */
  containsWrite(writeId: number): boolean;
}

export interface FinalLineage {
  /** The node whose data is authoritative at the end, or null when no node ever was primary. */
  node: string | null;
  /** Why this node: "the only primary at the end", "no primary at the end: the last primary", ... */
  why: string;
  branch: number | null;
  /** Branch → highest LSN of it in the lineage (Infinity for the final branch). */
  cutoff: Map<number, number>;
  /** Branches from the root to the final one. */
  chain: number[];
}

function lastWritableEnd(h: History, node: string): number {
  const w = h.writable[node] ?? [];
  return w.length > 0 ? (w[w.length - 1] as { toUs: number }).toUs : Number.NEGATIVE_INFINITY;
}

function lastWritableStart(h: History, node: string): number {
  const w = h.writable[node] ?? [];
  return w.length > 0 ? (w[w.length - 1] as { fromUs: number }).fromUs : Number.NEGATIVE_INFINITY;
}

/** The branch a node was on when it last was a writable primary. */
function primaryBranch(h: History, node: string): number | null {
  const spans = h.pg[node] ?? [];
  for (let i = spans.length - 1; i >= 0; i--) {
    const s = spans[i];
    if (s && s.v.state === 'running' && !s.v.inRecovery && s.v.branch >= 0) return s.v.branch;
  }
  return null;
}

/** Choose the authoritative node and compute its lineage. */
export function finalLineage(h: History): FinalLineage {
  const primaries = h.pgNodes.filter((n) => lastWritableEnd(h, n) >= h.endUs && (h.writable[n]?.length ?? 0) > 0);
  let node: string | null = null;
  let why = '';
  if (primaries.length === 1) {
    node = primaries[0] as string;
    why = `${node} is the primary at the end of the run`;
  } else if (primaries.length > 1) {
    // still split at the end: the leader-key holder wins, else the most recent promotion
    const holder = finalLeaderHolder(h);
    if (holder !== null && primaries.includes(holder)) {
      node = holder;
      why = `${primaries.join(' and ')} were both primary at the end; ${holder} held the leader key`;
    } else {
      node = [...primaries].sort((a, b) => lastWritableStart(h, b) - lastWritableStart(h, a) || (a < b ? -1 : 1))[0] as string;
      why = `${primaries.join(' and ')} were both primary at the end; ${node} was promoted last`;
    }
  } else {
    const ever = h.pgNodes.filter((n) => (h.writable[n]?.length ?? 0) > 0);
    if (ever.length > 0) {
      node = [...ever].sort((a, b) => lastWritableEnd(h, b) - lastWritableEnd(h, a) || (a < b ? -1 : 1))[0] as string;
      why = `no primary at the end of the run; ${node} was the last one`;
    } else why = 'no node was ever primary';
  }
  const cutoff = new Map<number, number>();
  const chain: number[] = [];
  const branch = node !== null ? primaryBranch(h, node) : null;
  if (branch !== null) {
    const byId = new Map<number, BranchInfo>(h.branches.map((b) => [b.branch, b]));
    let cur: number | null = branch;
    let upTo = Number.POSITIVE_INFINITY;
    const seen = new Set<number>();
    while (cur !== null && !seen.has(cur)) {
      seen.add(cur);
      cutoff.set(cur, upTo);
      chain.unshift(cur);
      const info = byId.get(cur);
      if (!info || info.parentBranch === null) break;
      upTo = info.switchLsn;
      cur = info.parentBranch;
    }
  }
  return { node, why, branch, cutoff, chain };
}

export function finalLeaderHolder(h: History): string | null {
  // the authoritative store track (no "@server") that changed last
  let best: { t: number; holder: string | null } | null = null;
  for (const [key, spans] of Object.entries(h.leader)) {
    if (key.includes('@')) continue;
    const last = spans[spans.length - 1];
    if (last && (best === null || last.fromUs > best.t)) best = { t: last.fromUs, holder: last.v.holder };
  }
  return best?.holder ?? null;
}

/** Whether a committed write row is in the lineage. */
export function inLineage(l: FinalLineage, w: WriteRow): boolean {
  if (w.commitNode === null || !Number.isNaN(w.crashLostUs)) return false;
  const c = l.cutoff.get(w.branch);
  return c !== undefined && contained(w.lsn, c);
}

/** The default oracle: the lineage semantics above. */
export function lineageOracle(h: History, l: FinalLineage = finalLineage(h)): WriteOracle {
  return {
    containsWrite(writeId: number): boolean {
      const w = h.writes.get(writeId);
      return w !== undefined && inLineage(l, w);
    },
  };
}

/** The PostgreSQL model's branch table, rebuilt from the history's branches. */
export function branchTable(h: History): BranchMap {
  const t = new BranchMap();
  for (const b of h.branches) {
    t.add({ id: b.branch, timeline: b.timeline, parent: b.parentBranch, switchLsn: b.switchLsn, creator: b.node, sysid: '', createdAtUs: b.atUs, reason: b.reason ?? '' });
  }
  return t;
}

/**
 * The oracle from the PostgreSQL model's end-of-run `pg.snapshot`: the final node's WAL tip (its
 * branch; up to its flushed position, or everything it wrote while it is still running) judged with
 * the model's own `containsWrite` (src/sim/pg/lineage.ts). Null when the run emitted no snapshot or
 * the snapshot does not cover the final node. Equivalent to `lineageOracle` except at the final
 * branch's tip, where it uses the recorded position instead of "everything".
 */
export function snapshotOracle(h: History, l: FinalLineage): WriteOracle | null {
  if (!h.snapshot || l.node === null) return null;
  const snap = h.snapshot.nodes.find((n) => n.node === l.node);
  if (!snap || snap.branch <= 0) return null;
  const table = branchTable(h);
  if (!table.has(snap.branch)) return null;
  const lsn = snap.state === 'running' ? Math.max(snap.flushLsn, snap.walEndLsn) : snap.flushLsn;
  return {
    containsWrite(writeId: number): boolean {
      const w = h.writes.get(writeId);
      if (!w || w.commitNode === null || !Number.isNaN(w.crashLostUs) || !table.has(w.branch)) return false;
      return pgContainsWrite(table, { branch: snap.branch, lsn }, { branch: w.branch, lsn: w.lsn });
    },
  };
}

/** The branches from `branch` up to its root, as [branch, parent, grandparent, ...]. */
export function ancestry(h: History, branch: number): BranchInfo[] {
  const byId = new Map<number, BranchInfo>(h.branches.map((b) => [b.branch, b]));
  const out: BranchInfo[] = [];
  const seen = new Set<number>();
  let cur: number | null = branch;
  while (cur !== null && !seen.has(cur)) {
    seen.add(cur);
    const info = byId.get(cur);
    if (!info) break;
    out.push(info);
    cur = info.parentBranch;
  }
  return out;
}

/**
 * Where a losing branch left the lineage: the lineage branch it hangs from, the LSN it forked at,
 * and the promotion that created the lineage's continuation past that point (null if none: the
 * lineage simply ends there).
 */
export interface ForkPoint {
  /** The lineage branch where the histories part. */
  lineageBranch: number;
  /** LSN on `lineageBranch` up to which both histories agree. */
  forkLsn: number;
  /** The promotion (lineage child of `lineageBranch`) that continued the authoritative history. */
  winner: BranchInfo | null;
}

/** The fork point of a write that is not in the lineage (null if its branch shares no ancestor). */
export function forkOf(h: History, l: FinalLineage, w: { branch: number; lsn: number }): ForkPoint | null {
  const byId = new Map<number, BranchInfo>(h.branches.map((b) => [b.branch, b]));
  const winnerChildOf = (b: number): BranchInfo | null => {
    const i = l.chain.indexOf(b);
    const next = i >= 0 ? l.chain[i + 1] : undefined;
    return next !== undefined ? (byId.get(next) ?? null) : null;
  };
  const own = l.cutoff.get(w.branch);
  if (own !== undefined) return { lineageBranch: w.branch, forkLsn: own, winner: winnerChildOf(w.branch) };
  // climb the losing branch's ancestry until it meets the lineage
  let child: BranchInfo | undefined = byId.get(w.branch);
  const seen = new Set<number>();
  while (child && child.parentBranch !== null && !seen.has(child.branch)) {
    seen.add(child.branch);
    const p = child.parentBranch;
    const pc = l.cutoff.get(p);
    if (pc !== undefined) return { lineageBranch: p, forkLsn: Math.min(pc, child.switchLsn), winner: winnerChildOf(p) };
    child = byId.get(p);
  }
  return null;
}
