// Timeline forks relative to the final lineage, and what became of the WAL each node held past a
// fork: rewound (pg_rewind), re-cloned away (pg_basebackup / reinit), lost in crash recovery, or
// still diverged at the end of the run. Shared by the divergence and lost-write detectors.
import type { BranchInfo } from '../history.js';
import { fmtAt, fmtLsn } from '../incident.js';
import { branchTable, forkOf, type ForkPoint } from '../lineage.js';
import { ownerAt } from '../../sim/pg/lineage.js';
import type { WriteRow } from '../writes.js';
import type { DetectorContext } from './context.js';

export type FateKind = 'rewound' | 're-cloned' | 'still-diverged' | 'moved-on' | 'gone';

export interface Fate {
  node: string;
  branch: number;
  kind: FateKind;
  /** When it was resolved (null: still diverged at the end). */
  tUs: number | null;
  /** A clause: "pg1 was rewound at 68 s". */
  text: string;
}

/** What became of `node`'s copy of `branch` (held past a fork) after `afterUs`. */
export function fateOf(ctx: DetectorContext, node: string, branch: number, afterUs: number, forkLsn?: number): Fate {
  const { h } = ctx;
  const rew = h.rewinds.find((r) => r.node === node && r.ok && r.fromBranch === branch && r.tUs >= afterUs);
  const failed = h.rewinds.filter((r) => r.node === node && !r.ok && r.fromBranch === branch && r.tUs >= afterUs && (rew === undefined || r.tUs < rew.tUs));
  const clone = h.clones.find((c) => c.node === node && c.ok && c.tUs >= afterUs && (c.discardedBranch === branch || c.discardedBranch === null));
  const failNote = failed.length > 0 ? ` after pg_rewind failed${failed[0]?.reason ? ` (${failed[0].reason})` : ''}` : '';
  if (rew && (!clone || rew.tUs <= clone.tUs)) {
    return { node, branch, kind: 'rewound', tUs: rew.tUs, text: `${node} was rewound at ${fmtAt(rew.tUs)}${failNote}, discarding its WAL past ${fmtLsn(rew.forkLsn)}` };
  }
  if (clone) {
    return { node, branch, kind: 're-cloned', tUs: clone.tUs, text: `${node} was re-cloned from ${clone.source} at ${fmtAt(clone.tUs)}${failNote}, replacing its data directory` };
  }
  const spans = h.pg[node] ?? [];
  const last = spans[spans.length - 1];
  const snap = h.snapshot?.nodes.find((n) => n.node === node);
  if (snap && forkLsn !== undefined) {
    // the PostgreSQL model's end-of-run snapshot says where the node's WAL really is
    const table = branchTable(h);
    const holds = snap.branch > 0 && table.has(snap.branch) && table.has(branch) && Math.max(snap.walEndLsn, snap.flushLsn) > forkLsn && ownerAt(table, snap.branch, forkLsn + 1) === branch;
    if (holds) return { node, branch, kind: 'still-diverged', tUs: null, text: `${node} still holds them at the end (diverged: it needs pg_rewind or a reinit)${failNote}` };
    if (snap.branch <= 0) return { node, branch, kind: 'gone', tUs: last?.fromUs ?? null, text: `${node}'s data directory was removed` };
    const moved = spans.find((s) => s.fromUs >= afterUs && s.v.branch !== branch && s.v.branch >= 0);
    return { node, branch, kind: 'moved-on', tUs: moved?.fromUs ?? null, text: `${node} no longer holds them at the end (it is on timeline ${snap.timeline}), with no rewind or clone recorded` };
  }
  if (last && last.v.branch === branch && last.v.state !== 'uninitialized') {
    return { node, branch, kind: 'still-diverged', tUs: null, text: `${node} still holds them at the end (diverged: it needs pg_rewind or a reinit)${failNote}` };
  }
  if (last && last.v.state === 'uninitialized') {
    return { node, branch, kind: 'gone', tUs: last.fromUs, text: `${node}'s data directory was removed at ${fmtAt(last.fromUs)}` };
  }
  const moved = spans.find((s) => s.fromUs >= afterUs && s.v.branch !== branch && s.v.branch >= 0);
  return {
    node,
    branch,
    kind: 'moved-on',
    tUs: moved?.fromUs ?? null,
    text: moved ? `${node} moved to timeline ${moved.v.timeline} at ${fmtAt(moved.fromUs)} with no rewind or clone recorded` : `${node}'s copy has no recorded fate`,
  };
}

/** A fork of the history: the lineage continued one way, some nodes held WAL going another. */
export interface Fork {
  point: ForkPoint;
  /** The lineage branch's timeline number. */
  timeline: number;
  /** Branches holding WAL past the fork that the lineage does not contain. */
  losing: { branch: number; timeline: number; writes: WriteRow[]; maxLsn: number; holders: string[] }[];
  /** When the fork happened (the winning promotion, else the first losing write). */
  atUs: number;
}

function key(p: ForkPoint): string {
  return `${p.lineageBranch}@${p.forkLsn}`;
}

/** Every fork with WAL past it on some node (from writes, rewinds, clones and LSN samples). */
export function findForks(ctx: DetectorContext): Fork[] {
  const { h, lineage } = ctx;
  if (lineage.branch === null) return [];
  const byId = new Map<number, BranchInfo>(h.branches.map((b) => [b.branch, b]));
  const forks = new Map<string, Fork>();
  const ensure = (p: ForkPoint, branch: number): Fork['losing'][number] => {
    const k = key(p);
    let f = forks.get(k);
    if (!f) {
      f = { point: p, timeline: byId.get(p.lineageBranch)?.timeline ?? -1, losing: [], atUs: p.winner?.atUs ?? Number.POSITIVE_INFINITY };
      forks.set(k, f);
    }
    let l = f.losing.find((x) => x.branch === branch);
    if (!l) {
      l = { branch, timeline: byId.get(branch)?.timeline ?? -1, writes: [], maxLsn: p.forkLsn, holders: [] };
      f.losing.push(l);
    }
    return l;
  };
  const addHolder = (l: Fork['losing'][number], node: string): void => {
    if (!l.holders.includes(node)) l.holders.push(node);
  };
  for (const w of h.writes.rows()) {
    if (w.commitNode === null || !Number.isNaN(w.crashLostUs)) continue;
    const c = lineage.cutoff.get(w.branch);
    if (c !== undefined && w.lsn <= c) continue;
    const p = forkOf(h, lineage, w);
    if (!p) continue;
    const l = ensure(p, w.branch);
    l.writes.push(w);
    if (w.lsn > l.maxLsn) l.maxLsn = w.lsn;
    addHolder(l, w.commitNode);
  }
  // nodes that discarded WAL past a fork without client writes there (rewinds, clones)
  for (const r of h.rewinds) {
    const p = forkOf(h, lineage, { branch: r.fromBranch, lsn: r.discardedUpToLsn });
    if (!p || r.discardedUpToLsn <= p.forkLsn) continue;
    const c = lineage.cutoff.get(r.fromBranch);
    if (c !== undefined && r.discardedUpToLsn <= c) continue;
    const l = ensure(p, r.fromBranch);
    if (r.discardedUpToLsn > l.maxLsn) l.maxLsn = r.discardedUpToLsn;
    addHolder(l, r.node);
  }
  for (const cl of h.clones) {
    if (cl.discardedBranch === null || cl.discardedUpToLsn === undefined) continue;
    const p = forkOf(h, lineage, { branch: cl.discardedBranch, lsn: cl.discardedUpToLsn });
    if (!p || cl.discardedUpToLsn <= p.forkLsn) continue;
    const c = lineage.cutoff.get(cl.discardedBranch);
    if (c !== undefined && cl.discardedUpToLsn <= c) continue;
    addHolder(ensure(p, cl.discardedBranch), cl.node);
  }
  // replicas that received WAL past the fork on a losing branch
  for (const f of forks.values()) {
    for (const l of f.losing) {
      for (const [node, samples] of Object.entries(h.lsn)) {
        if (l.holders.includes(node)) continue;
        const past = samples.some((s) => s.branch === l.branch && Math.max(s.flushLsn, s.receiveLsn ?? 0, s.replayLsn ?? 0) > f.point.forkLsn);
        if (past) addHolder(l, node);
      }
    }
  }
  for (const f of forks.values()) {
    for (const l of f.losing) {
      l.writes.sort((a, b) => a.lsn - b.lsn || a.writeId - b.writeId);
      const first = l.writes[0];
      if (first && first.commitUs < f.atUs && f.point.winner === null) f.atUs = first.commitUs;
    }
    if (!Number.isFinite(f.atUs)) f.atUs = Math.min(...f.losing.flatMap((l) => l.writes.map((w) => w.commitUs)), h.endUs);
  }
  return [...forks.values()].sort((a, b) => a.atUs - b.atUs);
}
