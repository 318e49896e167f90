// The run-wide WAL registry: every timeline branch ever created and a compact index of every write
// (write id -> branch, LSN). One per simulation. It is ground truth kept *outside* the servers: a
// server knows its own WAL by (branch, LSN) positions only, so replication ships LSN ranges and no
// per-write data is copied between nodes. Whether a node holds a write is derived (lineage.ts).
//
// The registry mirrors the `pg.initdb`, `pg.promote` and `pg.write` records exactly, so a detector
// may rebuild it from the trace (BranchMap + WriteIndex) or, in-process, read this one.
import type { Sim } from '../kernel/sim.js';
import './records.js';
import { type Branch, type BranchTable, type Lineage, type WriteLocation, containsWrite } from './lineage.js';

/** A growable column of numbers in a typed array (compact: a day of writes is millions of rows). */
class Column<A extends Float64Array | Int32Array> {
  length = 0;
  constructor(
    public data: A,
    private readonly make: (n: number) => A,
  ) {}

  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = this.make(Math.max(16, this.data.length * 2));
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }

  at(i: number): number {
    return this.data[i] as number;
  }

  /** Write at index `i`, growing (zero-filled) as needed. */
  setAt(i: number, v: number): void {
    while (this.length <= i) this.push(0);
    this.data[i] = v;
  }
}

const f64 = (n: number): Float64Array => new Float64Array(n);
const i32 = (n: number): Int32Array => new Int32Array(n);

/** Per-branch write log: commit LSNs in increasing order, with a running max of write ids. */
class BranchWrites {
  readonly lsns = new Column(f64(0), f64);
  readonly ids = new Column(i32(0), i32);
  readonly prefixMax = new Column(i32(0), i32);

  get length(): number {
    return this.ids.length;
  }

  add(lsn: number, writeId: number): void {
    const n = this.ids.length;
    const prev = n > 0 ? this.prefixMax.at(n - 1) : 0;
    this.lsns.push(lsn);
    this.ids.push(writeId);
    this.prefixMax.push(writeId > prev ? writeId : prev);
  }

  /** Index of the last write with lsn <= bound, or -1. */
  lastAtOrBefore(bound: number): number {
    const a = this.lsns.data;
    let lo = 0;
    let hi = this.lsns.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((a[mid] as number) <= bound) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }
}

export class WalRegistry implements BranchTable {
  private readonly branches: Branch[] = [];
  private readonly writesByBranch: BranchWrites[] = [];
  /** writeId -> branch (0 = unknown) and LSN; dense columns, since write ids are dense per run. */
  private readonly writeBranch = new Column(i32(0), i32);
  private readonly writeLsn = new Column(f64(0), f64);
  /** Highest LSN ever inserted on each branch (by its one writer), per branch id - 1. */
  private readonly heads: number[] = [];
  private sysidSeq = 0;

  constructor(readonly sim: Sim) {}

  branch(id: number): Branch {
    const b = this.branches[id - 1];
    if (b === undefined) throw new Error(`unknown WAL branch ${id}`);
    return b;
  }

  allBranches(): readonly Branch[] {
    return this.branches;
  }

  /** A new database system identifier (initdb): unique per run, deterministic. */
  newSysid(wallUs: number): string {
    // PostgreSQL: (seconds << 32) | (microseconds << 12) | (pid & 0xFFF) (xlog.c BootStrapXLOG).
    // Here: the initdb host's wall-clock seconds (offset to a plausible epoch) and a run-wide sequence.
    const secs = BigInt(1_700_000_000 + Math.max(0, Math.floor(wallUs / 1e6)));
    const seq = BigInt(++this.sysidSeq);
    return ((secs << 32n) | (seq << 12n)).toString();
  }

  /** Create a branch (initdb root, or a promotion). */
  addBranch(fields: Omit<Branch, 'id' | 'createdAtUs'>): Branch {
    const b: Branch = { ...fields, id: this.branches.length + 1, createdAtUs: this.sim.nowUs };
    this.branches.push(b);
    this.writesByBranch.push(new BranchWrites());
    this.heads.push(b.switchLsn);
    this.sim.trace.emit('pg.branch', {
      node: b.creator,
      branch: b.id,
      parentBranch: b.parent,
      timeline: b.timeline,
      switchLsn: b.switchLsn,
      sysid: b.sysid,
      reason: b.reason,
    });
    return b;
  }

  /**
   * A server on `branch` whose WAL ends at `walEndLsn` is about to insert WAL as a primary. A branch
   * has one writer: if the branch is someone else's, or its writer inserted past `walEndLsn` before
   * losing that tail, ground truth forks a new branch here with the same timeline number (PostgreSQL
   * does not notice: its timeline id stays). Returns the branch to write on.
   */
  claimForWriting(branch: number, walEndLsn: number, node: string, reason: string): number {
    const b = this.branch(branch);
    if (b.creator === node && this.head(b.id) <= walEndLsn) return b.id;
    return this.addBranch({
      timeline: b.timeline,
      parent: b.id,
      switchLsn: walEndLsn,
      creator: node,
      sysid: b.sysid,
      reason: `${reason} (same timeline, new WAL)`,
    }).id;
  }

  /** The end of the WAL ever inserted on `branch` (its writer may have lost part of it since). */
  head(branch: number): number {
    return this.heads[branch - 1] as number;
  }

  /** The branch's writer inserted WAL up to `lsn`. */
  noteHead(branch: number, lsn: number): void {
    if (lsn > (this.heads[branch - 1] as number)) this.heads[branch - 1] = lsn;
  }

  /** Index a write whose commit record was inserted at `lsn` on `branch`. */
  recordWrite(writeId: number, branch: number, lsn: number): void {
    this.writeBranch.setAt(writeId, branch);
    this.writeLsn.setAt(writeId, lsn);
    (this.writesByBranch[branch - 1] as BranchWrites).add(lsn, writeId);
  }

  /** Where write `writeId` was committed, if any server ever inserted it. */
  write(writeId: number): WriteLocation | null {
    if (writeId < 0 || writeId >= this.writeBranch.length) return null;
    const b = this.writeBranch.at(writeId);
    if (b === 0) return null;
    return { branch: b, lsn: this.writeLsn.at(writeId) };
  }

  /** Does the WAL `lineage` contain write `writeId`? */
  contains(lineage: Lineage, writeId: number): boolean {
    const w = this.write(writeId);
    return w !== null && containsWrite(this, lineage, w);
  }

  /** Highest write id among the writes contained in `lineage` (0 if none): what a read there sees. */
  maxWriteIdIn(lineage: Lineage): number {
    let best = 0;
    let b: Branch | null = this.branch(lineage.branch);
    let bound = lineage.lsn;
    while (b !== null) {
      const w = this.writesByBranch[b.id - 1] as BranchWrites;
      const i = w.lastAtOrBefore(bound);
      if (i >= 0) {
        const m = w.prefixMax.at(i);
        if (m > best) best = m;
      }
      if (b.parent === null) break;
      bound = Math.min(bound, b.switchLsn);
      b = this.branch(b.parent);
    }
    return best;
  }

  /** Write ids on `branch` with lsn in (fromLsn, toLsn], in LSN order (for discarded-range reports). */
  writesOnBranchBetween(branch: number, fromLsn: number, toLsn: number): number[] {
    const w = this.writesByBranch[branch - 1] as BranchWrites;
    const out: number[] = [];
    const start = w.lastAtOrBefore(fromLsn) + 1;
    for (let i = start; i < w.length && w.lsns.at(i) <= toLsn; i++) out.push(w.ids.at(i));
    return out;
  }

  get writeCount(): number {
    let n = 0;
    for (const w of this.writesByBranch) n += w.length;
    return n;
  }
}

const registries = new WeakMap<Sim, WalRegistry>();

/** The WAL registry of a simulation (created on first use). */
export function walRegistry(sim: Sim): WalRegistry {
  let r = registries.get(sim);
  if (r === undefined) {
    r = new WalRegistry(sim);
    registries.set(sim, r);
  }
  return r;
}
