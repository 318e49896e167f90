// Client errors for the replay's event log. The history keeps client outcomes only as counts per
// time bucket (enough for lanes), but an engineer walking through an incident wants the errors
// themselves: "connection refused", "cannot execute INSERT in a read-only transaction". This
// listener keeps them run-length encoded per client: consecutive completions of one client with
// the same outcome and error are one run; an acknowledged operation ends the run.
import type { TraceRecord } from '../sim/kernel/trace.js';
import '../sim/history/records.js';

export interface ClientErrorRun {
  client: string;
  outcome: 'fail' | 'info';
  error: string;
  /** The server that answered or was tried, when the record says. */
  node?: string;
  fromUs: number;
  lastUs: number;
  count: number;
}

/** At most this many runs are kept (the first ones); `dropped` counts the rest. */
const MAX_RUNS = 20_000;

export class ClientErrorLog {
  private readonly open = new Map<string, ClientErrorRun>();
  private readonly runs: ClientErrorRun[] = [];
  dropped = 0;

  /** A trace listener. */
  readonly push = (rec: TraceRecord): void => {
    if (rec.k !== 'client.complete') return;
    const cur = this.open.get(rec.client);
    if (rec.outcome === 'ok') {
      if (cur) this.open.delete(rec.client);
      return;
    }
    const error = rec.error ?? (rec.outcome === 'fail' ? 'failed' : 'outcome unknown');
    if (cur && cur.outcome === rec.outcome && cur.error === error && cur.node === rec.node) {
      cur.count++;
      cur.lastUs = rec.t;
      return;
    }
    if (this.runs.length >= MAX_RUNS) {
      this.dropped++;
      this.open.delete(rec.client);
      return;
    }
    const run: ClientErrorRun = { client: rec.client, outcome: rec.outcome, error, fromUs: rec.t, lastUs: rec.t, count: 1 };
    if (rec.node !== undefined) run.node = rec.node;
    this.runs.push(run);
    this.open.set(rec.client, run);
  };

  /** The runs, in the order they began. */
  finish(): ClientErrorRun[] {
    this.open.clear();
    return this.runs;
  }
}
