// The client history in Jepsen's terms: every operation is one `client.invoke` followed by exactly
// one `client.complete` (ok: acknowledged; fail: certainly not applied; info: unknown). Write ids are
// unique and increasing across the run (one allocator per simulation); operation numbers are per
// client. At the end of a run, operations still pending complete as `info`.
import type { Sim } from '../kernel/sim.js';
import type { ClientOutcome } from '../history/records.js';

export interface CompleteFields {
  outcome: ClientOutcome;
  node?: string;
  timeline?: number;
  lsn?: number;
  error?: string;
  sawWriteId?: number;
}

interface Pending {
  client: string;
  op: number;
}

export class ClientHistory {
  private nextWriteId = 1;
  private readonly opCounters = new Map<string, number>();
  /** Operations in flight: client → op number → operation (no string key per operation). */
  private readonly pending = new Map<string, Map<number, Pending>>();
  private pendingOps = 0;
  private closed = false;

  constructor(readonly sim: Sim) {}

  /** A new write id: unique and increasing across the whole run. */
  allocateWriteId(): number {
    return this.nextWriteId++;
  }

  /** Begin an operation; returns its number (per client). */
  invoke(client: string, type: 'write' | 'read', writeId?: number): number {
    const op = (this.opCounters.get(client) ?? 0) + 1;
    this.opCounters.set(client, op);
    if (this.closed) return op;
    const rec: { client: string; op: number; type: 'write' | 'read'; writeId?: number } = { client, op, type };
    if (writeId !== undefined) rec.writeId = writeId;
    this.sim.trace.emit('client.invoke', rec);
    let ops = this.pending.get(client);
    if (ops === undefined) {
      ops = new Map();
      this.pending.set(client, ops);
    }
    ops.set(op, { client, op });
    this.pendingOps++;
    return op;
  }

  /** End an operation (exactly once; later calls for the same op are ignored). */
  complete(client: string, op: number, f: CompleteFields): void {
    const ops = this.pending.get(client);
    if (ops === undefined || !ops.delete(op)) return;
    this.pendingOps--;
    const rec: { client: string; op: number } & CompleteFields = { client, op, outcome: f.outcome };
    if (f.node !== undefined) rec.node = f.node;
    if (f.timeline !== undefined) rec.timeline = f.timeline;
    if (f.lsn !== undefined) rec.lsn = f.lsn;
    if (f.error !== undefined) rec.error = f.error;
    if (f.sawWriteId !== undefined) rec.sawWriteId = f.sawWriteId;
    this.sim.trace.emit('client.complete', rec);
  }

  get pendingCount(): number {
    return this.pendingOps;
  }

  /** End of run: every pending operation completes as info; nothing is recorded afterwards. */
  finish(reason = 'run ended while the operation was pending'): void {
    const ps = [...this.pending.values()].flatMap((ops) => [...ops.values()]).sort((a, b) => (a.client < b.client ? -1 : a.client > b.client ? 1 : a.op - b.op));
    for (const p of ps) this.complete(p.client, p.op, { outcome: 'info', error: reason });
    this.closed = true;
  }
}

const histories = new WeakMap<Sim, ClientHistory>();

/** The client history of a simulation (created on first use). */
export function clientHistory(sim: Sim): ClientHistory {
  let h = histories.get(sim);
  if (h === undefined) {
    h = new ClientHistory(sim);
    histories.set(sim, h);
  }
  return h;
}
