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

export class WriteTable {
  private readonly names: string[] = [];
  private readonly nameIdx = new Map<string, number>();
  private readonly rowOf = new Map<number, number>();
  readonly ids: number[] = [];
  private readonly client: number[] = [];
  private readonly invokeUs: number[] = [];
  private readonly completeUs: number[] = [];
  private readonly outcome: number[] = [];
  private readonly ackNode: number[] = [];
  private readonly commitUs: number[] = [];
  private readonly commitNode: number[] = [];
  private readonly branch: number[] = [];
  private readonly timeline: number[] = [];
  private readonly lsn: number[] = [];
  private readonly crashLostUs: number[] = [];
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

  private row(writeId: number): number {
    let r = this.rowOf.get(writeId);
    if (r === undefined) {
      r = this.ids.length;
      this.rowOf.set(writeId, r);
      this.ids.push(writeId);
      this.client.push(-1);
      this.invokeUs.push(Number.NaN);
      this.completeUs.push(Number.NaN);
      this.outcome.push(0);
      this.ackNode.push(-1);
      this.commitUs.push(Number.NaN);
      this.commitNode.push(-1);
      this.branch.push(-1);
      this.timeline.push(-1);
      this.lsn.push(-1);
      this.crashLostUs.push(Number.NaN);
    }
    return r;
  }

  get size(): number {
    return this.ids.length;
  }

  has(writeId: number): boolean {
    return this.rowOf.has(writeId);
  }

  invoke(writeId: number, client: string, tUs: number): void {
    const r = this.row(writeId);
    this.client[r] = this.intern(client);
    this.invokeUs[r] = tUs;
  }

  complete(writeId: number, outcome: 'ok' | 'fail' | 'info', tUs: number, node: string | undefined): void {
    const r = this.row(writeId);
    this.completeUs[r] = tUs;
    this.outcome[r] = OUTCOMES.indexOf(outcome);
    this.ackNode[r] = this.intern(node);
  }

  commit(writeId: number, node: string, branch: number, timeline: number, lsn: number, tUs: number): void {
    const r = this.row(writeId);
    this.commitUs[r] = tUs;
    this.commitNode[r] = this.intern(node);
    this.branch[r] = branch;
    this.timeline[r] = timeline;
    this.lsn[r] = lsn;
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
      if (Number.isNaN(this.crashLostUs[r] as number) && !contained(this.lsn[r] as number, replayedToLsn)) {
        this.crashLostUs[r] = tUs;
        lost.push(this.ids[r] as number);
      } else keep.push(r);
    }
    this.byWriterBranch.set(`${node}|${branch}`, keep);
    return lost;
  }

  get(writeId: number): WriteRow | undefined {
    const r = this.rowOf.get(writeId);
    return r === undefined ? undefined : this.at(r);
  }

  /** Row `r` (0 ≤ r < size), in order of first sight. */
  at(r: number): WriteRow {
    const name = (i: number): string | null => (i >= 0 ? (this.names[i] as string) : null);
    return {
      writeId: this.ids[r] as number,
      client: name(this.client[r] as number),
      invokeUs: this.invokeUs[r] as number,
      completeUs: this.completeUs[r] as number,
      outcome: OUTCOMES[this.outcome[r] as number] as WriteOutcome,
      ackNode: name(this.ackNode[r] as number),
      commitUs: this.commitUs[r] as number,
      commitNode: name(this.commitNode[r] as number),
      branch: this.branch[r] as number,
      timeline: this.timeline[r] as number,
      lsn: this.lsn[r] as number,
      crashLostUs: this.crashLostUs[r] as number,
    };
  }

  *rows(): IterableIterator<WriteRow> {
    for (let r = 0; r < this.ids.length; r++) yield this.at(r);
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
