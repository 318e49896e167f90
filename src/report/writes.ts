// The write index: one compact row per client write (by write id), filled from `client.invoke`,
// `pg.write` and `client.complete` as they stream by. Columnar plain arrays, so a long run costs a
// few numbers per write and nothing per other record.

export type WriteOutcome = 'pending' | 'ok' | 'fail' | 'info';
const OUTCOMES: WriteOutcome[] = ['pending', 'ok', 'fail', 'info'];

/** One write, as the detectors see it (built on demand from the table). */
export interface WriteRow {
  writeId: number;
  client: string | null;
  /** NaN when the invoke was not recorded. */
  invokeUs: number;
  completeUs: number;
  outcome: WriteOutcome;
  /** The server that answered (client.complete.node), or null. */
  ackNode: string | null;
  /** pg.write: where and when it became durable locally; NaN / null when never committed. */
  commitUs: number;
  commitNode: string | null;
  branch: number;
  timeline: number;
  lsn: number;
  /** True time at which crash recovery on its writer discarded it (NaN: never). */
  crashLostUs: number;
}

/** A growable column of doubles. */
class F64Col {
  a = new Float64Array(1024);
  grow(n: number): void {
    if (n <= this.a.length) return;
    let cap = this.a.length;
    while (cap < n) cap *= 2;
    const b = new Float64Array(cap);
    b.set(this.a);
    this.a = b;
  }
}

/** A growable column of 32-bit integers. */
class I32Col {
  a = new Int32Array(1024);
  grow(n: number): void {
    if (n <= this.a.length) return;
    let cap = this.a.length;
    while (cap < n) cap *= 2;
    const b = new Int32Array(cap);
    b.set(this.a);
    this.a = b;
  }
}

export class WriteTable {
  private readonly names: string[] = [];
  private readonly nameIdx = new Map<string, number>();
  /** writeId → row + 1 for small non-negative integer ids (dense per run), else the map. */
  private readonly rowDense: number[] = [];
  private readonly rowOf = new Map<number, number>();
  private n = 0;
  private readonly idCol = new F64Col();
  private readonly clientCol = new I32Col();
  private readonly invokeCol = new F64Col();
  private readonly completeCol = new F64Col();
  private readonly outcomeCol = new I32Col();
  private readonly ackNodeCol = new I32Col();
  private readonly commitCol = new F64Col();
  private readonly commitNodeCol = new I32Col();
  private readonly branchCol = new F64Col();
  private readonly timelineCol = new F64Col();
  private readonly lsnCol = new F64Col();
  private readonly crashLostCol = new F64Col();
  /** Rows per (writer node, branch) in commit order, for crash-recovery marking. */
  private readonly byWriterBranch = new Map<string, number[]>();

  private intern(s: string | undefined | null): number {
    if (s === undefined || s === null) return -1;
    let i = this.nameIdx.get(s);
    if (i === undefined) {
      i = this.names.length;
      this.names.push(s);
      this.nameIdx.set(s, i);
    }
    return i;
  }

  private find(writeId: number): number | undefined {
    if (Number.isInteger(writeId) && writeId >= 0 && writeId < 0x7fffffff) {
      const r = this.rowDense[writeId];
      return r === undefined || r === 0 ? undefined : r - 1;
    }
    return this.rowOf.get(writeId);
  }

  private row(writeId: number): number {
    const found = this.find(writeId);
    if (found !== undefined) return found;
    const r = this.n++;
    if (Number.isInteger(writeId) && writeId >= 0 && writeId < 0x7fffffff) {
      while (this.rowDense.length < writeId) this.rowDense.push(0);
      this.rowDense[writeId] = r + 1;
    } else this.rowOf.set(writeId, r);
    const n = this.n;
    // every column has the same capacity: grow them all only when the first is full
    if (n > this.idCol.a.length) {
      for (const c of [this.idCol, this.invokeCol, this.completeCol, this.commitCol, this.branchCol, this.timelineCol, this.lsnCol, this.crashLostCol]) c.grow(n);
      for (const c of [this.clientCol, this.outcomeCol, this.ackNodeCol, this.commitNodeCol]) c.grow(n);
    }
    this.idCol.a[r] = writeId;
    this.clientCol.a[r] = -1;
    this.invokeCol.a[r] = Number.NaN;
    this.completeCol.a[r] = Number.NaN;
    this.outcomeCol.a[r] = 0;
    this.ackNodeCol.a[r] = -1;
    this.commitCol.a[r] = Number.NaN;
    this.commitNodeCol.a[r] = -1;
    this.branchCol.a[r] = -1;
    this.timelineCol.a[r] = -1;
    this.lsnCol.a[r] = -1;
    this.crashLostCol.a[r] = Number.NaN;
    return r;
  }

  get size(): number {
    return this.n;
  }

  has(writeId: number): boolean {
    return this.find(writeId) !== undefined;
  }

  invoke(writeId: number, client: string, tUs: number): void {
    const r = this.row(writeId);
    this.clientCol.a[r] = this.intern(client);
    this.invokeCol.a[r] = tUs;
  }

  complete(writeId: number, outcome: 'ok' | 'fail' | 'info', tUs: number, node: string | undefined): void {
    const r = this.row(writeId);
    this.completeCol.a[r] = tUs;
    this.outcomeCol.a[r] = OUTCOMES.indexOf(outcome);
    this.ackNodeCol.a[r] = this.intern(node);
  }

  commit(writeId: number, node: string, branch: number, timeline: number, lsn: number, tUs: number): void {
    const r = this.row(writeId);
    this.commitCol.a[r] = tUs;
    this.commitNodeCol.a[r] = this.intern(node);
    this.branchCol.a[r] = branch;
    this.timelineCol.a[r] = timeline;
    this.lsnCol.a[r] = lsn;
    const key = `${node}|${branch}`;
    let list = this.byWriterBranch.get(key);
    if (!list) {
      list = [];
      this.byWriterBranch.set(key, list);
    }
    list.push(r);
  }

  /**
   * Crash recovery on `node` replayed its branch `branch` only up to `replayedToLsn`: its own
   * commits on that branch past it (recorded before now) are gone. Returns the write ids lost.
   */
  crashLose(node: string, branch: number, replayedToLsn: number, tUs: number): number[] {
    const list = this.byWriterBranch.get(`${node}|${branch}`);
    if (!list) return [];
    const lost: number[] = [];
    const keep: number[] = [];
    for (const r of list) {
      if (Number.isNaN(this.crashLostCol.a[r] as number) && !contained(this.lsnCol.a[r] as number, replayedToLsn)) {
        this.crashLostCol.a[r] = tUs;
        lost.push(this.idCol.a[r] as number);
      } else keep.push(r);
    }
    this.byWriterBranch.set(`${node}|${branch}`, keep);
    return lost;
  }

  get(writeId: number): WriteRow | undefined {
    const r = this.find(writeId);
    return r === undefined ? undefined : this.at(r);
  }

  /** Row `r` (0 ≤ r < size), in order of first sight. */
  at(r: number): WriteRow {
    const name = (i: number): string | null => (i >= 0 ? (this.names[i] as string) : null);
    return {
      writeId: this.idCol.a[r] as number,
      client: name(this.clientCol.a[r] as number),
      invokeUs: this.invokeCol.a[r] as number,
      completeUs: this.completeCol.a[r] as number,
      outcome: OUTCOMES[this.outcomeCol.a[r] as number] as WriteOutcome,
      ackNode: name(this.ackNodeCol.a[r] as number),
      commitUs: this.commitCol.a[r] as number,
      commitNode: name(this.commitNodeCol.a[r] as number),
      branch: this.branchCol.a[r] as number,
      timeline: this.timelineCol.a[r] as number,
      lsn: this.lsnCol.a[r] as number,
      crashLostUs: this.crashLostCol.a[r] as number,
    };
  }

  *rows(): IterableIterator<WriteRow> {
    for (let r = 0; r < this.n; r++) yield this.at(r);
  }

  /** Write ids in order of first sight. */
  get ids(): number[] {
    return Array.from(this.idCol.a.subarray(0, this.n));
  }
}

/**
 * Whether a commit recorded at `lsn` is part of WAL that runs up to `upToLsn`. `pg.write.lsn` is the
 * commit record's end position (what a client waits to be flushed or replicated), so a commit is
 * included when it ends at or before the cut-off.
 */
export function contained(lsn: number, upToLsn: number): boolean {
  return lsn <= upToLsn;
}
