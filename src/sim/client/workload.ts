// Client workloads: writers that INSERT one row per operation at a configured rate, and readers
// that record the newest write they can see. Each client is a single-threaded process with one
// connection (a pool of one): it reuses its session until it breaks, then asks its router for a
// new one. Every attempt is one operation in the history; a retry is a new operation with a new
// write id (the application re-submits; whether both land is exactly what the history shows).
import type { Task } from '../kernel/task.js';
import { Process } from '../host/process.js';
import type { Host } from '../host/host.js';
import type { ClientOutcome } from '../history/records.js';
import { PgSqlError, SQLSTATE } from '../pg/sql.js';
import { clientHistory } from './history.js';
import type { Router } from './router.js';
import { ConnectionLost, QueryTimeout, type PgClientSession, type TimeoutAction } from './session.js';

export type RetryPolicy =
  | { kind: 'none' }
  /** Retry a failed or unknown write up to `attempts` more times, waiting backoff × multiplier^i. */
  | { kind: 'retry'; attempts: number; backoffMs: number; multiplier?: number; retryUnknown?: boolean };

export interface ClientOptions {
  /** The client's name in the history. */
  name: string;
  router: Router;
  /** Operations per second (one at a time: a slow operation delays the next). */
  ratePerSec: number;
  /** 'fixed' spacing, or 'poisson' arrivals from the stream `client:<name>:arrivals`. */
  arrivals?: 'fixed' | 'poisson';
  /** Client-side timeout per operation (ms); null: none. Default 5000. */
  timeoutMs?: number | null;
  /** What the timeout does. Default 'disconnect'. */
  timeoutAction?: TimeoutAction;
  retry?: RetryPolicy;
  /** WAL bytes per write (default: the server's). */
  writeBytes?: number;
  /** Stop issuing operations at this true time (µs). */
  stopAtUs?: number;
}

abstract class ClientProcess extends Process {
  protected session: PgClientSession | null = null;

  constructor(
    host: Host,
    readonly opts: ClientOptions,
  ) {
    super(host, opts.name);
  }

  protected onStart(): void {
    this.session = null;
    this.spawn(`${this.opts.name} loop`, this.loop());
  }

  protected override onExit(): void {
    this.session?.close();
    this.session = null;
  }

  private *loop(): Task<void> {
    const o = this.opts;
    const intervalUs = 1e6 / o.ratePerSec;
    const rng = this.sim.rng(`client:${o.name}:arrivals`);
    let next = this.monoUs();
    for (;;) {
      const gap = o.arrivals === 'poisson' ? rng.exponential(intervalUs) : intervalUs;
      next += gap;
      const now = this.monoUs();
      if (next > now) yield* this.sleep(next - now);
      else next = now;
      if (o.stopAtUs !== undefined && this.sim.nowUs >= o.stopAtUs) return;
      yield* this.operate();
    }
  }

  protected abstract operate(): Task<void>;

  protected *ensureSession(): Task<PgClientSession> {
    if (this.session !== null && this.session.alive) return this.session;
    this.session = null;
    const s = yield* this.opts.router.connect(this);
    this.session = s;
    return s;
  }

  protected dropSession(): void {
    this.session?.close();
    this.session = null;
  }

  protected get timeoutUs(): number | null {
    const t = this.opts.timeoutMs === undefined ? 5000 : this.opts.timeoutMs;
    return t === null ? null : t * 1000;
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Errors after which the connection is not worth keeping. */
function sessionIsDone(e: PgSqlError): boolean {
  return e.code === SQLSTATE.adminShutdown || e.code === SQLSTATE.cannotConnectNow || e.code === SQLSTATE.crashShutdown;
}

export class Writer extends ClientProcess {
  protected *operate(): Task<void> {
    const policy = this.opts.retry ?? { kind: 'none' };
    for (let attempt = 0; ; attempt++) {
      const outcome = yield* this.writeOnce();
      if (outcome === 'ok' || policy.kind === 'none' || attempt >= policy.attempts) return;
      if (outcome === 'info' && policy.retryUnknown === false) return;
      yield* this.sleep(policy.backoffMs * 1000 * (policy.multiplier ?? 1) ** attempt);
    }
  }

  private *writeOnce(): Task<ClientOutcome> {
    const h = clientHistory(this.sim);
    const name = this.opts.name;
    const writeId = h.allocateWriteId();
    const op = h.invoke(name, 'write', writeId);
    let s: PgClientSession;
    try {
      // the session in hand needs no task (ensureSession would return it at once)
      s = this.session !== null && this.session.alive ? this.session : yield* this.ensureSession();
    } catch (e) {
      // never sent: certainly not applied
      h.complete(name, op, { outcome: 'fail', error: message(e) });
      return 'fail';
    }
    const q: { kind: 'write'; writeId: number; bytes?: number } = { kind: 'write', writeId };
    if (this.opts.writeBytes !== undefined) q.bytes = this.opts.writeBytes;
    try {
      const r = yield* s.query(q, this.timeoutUs, this.opts.timeoutAction ?? 'disconnect');
      if (r.kind !== 'write') throw new Error('unexpected result');
      const f: { outcome: 'ok'; node: string; timeline: number; lsn: number; error?: string } = { outcome: 'ok', node: r.node, timeline: r.timeline, lsn: r.lsn };
      if (r.warning !== undefined) f.error = r.warning;
      h.complete(name, op, f);
      return 'ok';
    } catch (e) {
      if (e instanceof PgSqlError) {
        if (sessionIsDone(e)) this.dropSession();
        h.complete(name, op, { outcome: 'fail', node: s.node, error: e.message });
        return 'fail';
      }
      this.dropSession();
      if (e instanceof ConnectionLost || e instanceof QueryTimeout) {
        const outcome: ClientOutcome = e instanceof ConnectionLost && !e.inFlight ? 'fail' : 'info';
        h.complete(name, op, { outcome, node: s.node, error: e.message });
        return outcome;
      }
      throw e;
    }
  }
}

export class Reader extends ClientProcess {
  protected *operate(): Task<void> {
    const h = clientHistory(this.sim);
    const name = this.opts.name;
    const op = h.invoke(name, 'read');
    let s: PgClientSession;
    try {
      // the session in hand needs no task (ensureSession would return it at once)
      s = this.session !== null && this.session.alive ? this.session : yield* this.ensureSession();
    } catch (e) {
      h.complete(name, op, { outcome: 'fail', error: message(e) });
      return;
    }
    try {
      const r = yield* s.query({ kind: 'read' }, this.timeoutUs, 'disconnect');
      if (r.kind !== 'read') throw new Error('unexpected result');
      h.complete(name, op, { outcome: 'ok', node: r.node, timeline: r.timeline, lsn: r.lsn, sawWriteId: r.sawWriteId });
    } catch (e) {
      if (!(e instanceof PgSqlError)) this.dropSession();
      else if (sessionIsDone(e)) this.dropSession();
      if (e instanceof PgSqlError || e instanceof ConnectionLost || e instanceof QueryTimeout) {
        // a read changes nothing: a failed or timed-out read is a failure, not an unknown
        h.complete(name, op, { outcome: 'fail', node: s.node, error: e.message });
        return;
      }
      throw e;
    }
  }
}
