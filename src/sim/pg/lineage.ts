// Timeline branches and WAL lineage: pure functions the server model and the detectors share.
//
// PostgreSQL names a line of WAL history by a timeline *number*; a promotion starts timeline
// "highest known + 1" at the promoted server's replay position and writes `<tl>.history`
// (src/backend/access/transam/timeline.c). Two isolated servers can both create "timeline 3": the
// number collides, the histories do not. haywire therefore names every timeline instance by a
// run-wide *branch* id: a branch has a PG timeline number, a parent branch and the switch LSN at
// which it forked. A node's WAL is fully described by (branch, LSN): the WAL up to a position is
// its own branch's records after the switch point, its parent's records before, and so on.
//
// A record "ending at" `lsn` belongs to branch b if lsn > b.switchLsn; a record ending exactly at the
// switch point was written on the parent (the switch point is the end of the last record replayed
// before promotion, xlogrecovery.c: the new timeline begins at EndOfLog).
import type { TimelineHistoryEntry } from './api.js';

export interface Branch {
  /** Run-wide unique id (1, 2, ...). */
  readonly id: number;
  /** The PostgreSQL timeline number. */
  readonly timeline: number;
  /** The branch this one forked from; null for the root of a database system (initdb). */
  readonly parent: number | null;
  /** Where it forked: records ending at or before this LSN are the parent's. 0 for a root. */
  readonly switchLsn: number;
  /** Node that created it (initdb or promote). */
  readonly creator: string;
  /** pg_control system identifier of the database system it belongs to. */
  readonly sysid: string;
  /** True time of creation. */
  readonly createdAtUs: number;
  /** Why (the reason line of the .history file). */
  readonly reason: string;
}

/** Anything that can look a branch up by id (the registry, or a table rebuilt from records). */
export interface BranchTable {
  branch(id: number): Branch;
}

/** A map-backed table, e.g. rebuilt by a detector from `pg.initdb` and `pg.promote` records. */
export class BranchMap implements BranchTable {
  private readonly byId = new Map<number, Branch>();
  add(b: Branch): void {
    this.byId.set(b.id, b);
  }
  has(id: number): boolean {
    return this.byId.has(id);
  }
  branch(id: number): Branch {
    const b = this.byId.get(id);
    if (b === undefined) throw new Error(`unknown WAL branch ${id}`);
    return b;
  }
  all(): Branch[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }
}

/** Where a write's commit record sits: on which branch, ending at which LSN. */
export interface WriteLocation {
  branch: number;
  lsn: number;
}

/** A node's WAL: its tip branch and how far its WAL goes (flush, replay...: the caller chooses). */
export interface Lineage {
  branch: number;
  lsn: number;
}

/** The branch whose own WAL holds the record ending at `lsn` in the lineage of `branchId`. */
export function ownerAt(t: BranchTable, branchId: number, lsn: number): number {
  let b = t.branch(branchId);
  while (b.parent !== null && lsn <= b.switchLsn) b = t.branch(b.parent);
  return b.id;
}

/** The timeline number of the WAL at `lsn` in the lineage of `branchId`. */
export function timelineAt(t: BranchTable, branchId: number, lsn: number): number {
  return t.branch(ownerAt(t, branchId, lsn)).timeline;
}

/**
 * Does a node whose WAL is `lineage` (tip branch, and the LSN up to which it counts: flush for
 * durability, replay for visibility) contain `write`? Derived, never stored per node.
 */
export function containsWrite(t: BranchTable, lineage: Lineage, write: WriteLocation): boolean {
  return write.lsn <= lineage.lsn && ownerAt(t, lineage.branch, write.lsn) === write.branch;
}

/** Branch ids from `branchId` up to its root, tip first. */
export function ancestry(t: BranchTable, branchId: number): number[] {
  const out: number[] = [];
  let b: Branch | null = t.branch(branchId);
  while (b !== null) {
    out.push(b.id);
    b = b.parent === null ? null : t.branch(b.parent);
  }
  return out;
}

/** Is `anc` the same branch as, or an ancestor of, `desc`? */
export function isAncestorOrSelf(t: BranchTable, anc: number, desc: number): boolean {
  let b: Branch | null = t.branch(desc);
  while (b !== null) {
    if (b.id === anc) return true;
    b = b.parent === null ? null : t.branch(b.parent);
  }
  return false;
}

/**
 * The LSN up to which the WAL of branches `a` and `b` is identical (Infinity if a === b; -1 if they
 * belong to different database systems). A node on `a` whose WAL ends at or before this point can
 * continue on `b` without losing anything; past it, the node holds records `b` does not have.
 */
export function commonPrefixLsn(t: BranchTable, a: number, b: number): number {
  if (a === b) return Number.POSITIVE_INFINITY;
  const chainA = ancestry(t, a);
  const chainB = ancestry(t, b);
  const inB = new Set(chainB);
  const ia = chainA.findIndex((id) => inB.has(id));
  if (ia < 0) return -1;
  const lca = chainA[ia] as number;
  const ib = chainB.indexOf(lca);
  const limitA = ia === 0 ? Number.POSITIVE_INFINITY : t.branch(chainA[ia - 1] as number).switchLsn;
  const limitB = ib === 0 ? Number.POSITIVE_INFINITY : t.branch(chainB[ib - 1] as number).switchLsn;
  return Math.min(limitA, limitB);
}

/**
 * The lines of `<timeline>.history` for branch `branchId` (timeline.c writeTimeLineHistory): one line
 * per ancestor timeline, oldest first, with the LSN where that timeline ended. Empty for a root.
 */
export function historyOf(t: BranchTable, branchId: number): TimelineHistoryEntry[] {
  const chain = ancestry(t, branchId);
  const out: TimelineHistoryEntry[] = [];
  for (let i = chain.length - 1; i > 0; i--) {
    const parent = t.branch(chain[i] as number);
    const child = t.branch(chain[i - 1] as number);
    out.push({ timeline: parent.timeline, switchLsn: child.switchLsn, reason: child.reason });
  }
  return out;
}

/** The branch in the lineage of `branchId` that carries timeline number `timeline`, if any. */
export function branchWithTimeline(t: BranchTable, branchId: number, timeline: number): number | null {
  for (const id of ancestry(t, branchId)) if (t.branch(id).timeline === timeline) return id;
  return null;
}

/** "0/16B3F40" — PostgreSQL's LSN notation, for messages. */
export function formatLsn(lsn: number): string {
  const hi = Math.floor(lsn / 0x1_0000_0000);
  const lo = lsn - hi * 0x1_0000_0000;
  return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`;
}
