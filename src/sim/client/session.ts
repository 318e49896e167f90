// The client side of a PostgreSQL connection (libpq): open a session to a server or to a proxy that
// speaks the same protocol (HAProxy in TCP mode), run queries one at a time, and classify failures
// the way an application must: a server error is a definite failure; a connection that dies or a
// timeout while COMMIT is in flight leaves the outcome unknown.
import type { Task } from '../kernel/task.js';
import type { Process } from '../host/process.js';
import { NetError, type StreamEnd } from '../net/network.js';
import { connectWithSynRetries } from '../pg/connect.js';
import { PgSession, PgSqlError, type SessionC2S, type SessionS2C, type SqlQuery, type SqlResult } from '../pg/sql.js';
import { Completion } from '../pg/wait.js';

/** The connection failed or died; for a query in flight, its outcome is unknown. */
export class ConnectionLost extends Error {
  constructor(
    message: string,
    /** True if a query was in flight when it happened. */
    readonly inFlight: boolean,
  ) {
    super(message);
    this.name = 'ConnectionLost';
  }
}

/** The client gave up waiting for an answer. */
export class QueryTimeout extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryTimeout';
  }
}

/** What the client does when its query timeout fires. */
export type TimeoutAction =
  /** Close the connection (most application timeouts): the server may still commit. */
  | 'disconnect'
  /**
   * Send a cancel request and wait for the answer (statement_timeout, JDBC setQueryTimeout): a
   * COMMIT waiting for a standby then returns success with a WARNING — acknowledged, not replicated.
   */
  | 'cancel'
  /**
   * Send a cancel request and give up at once (Go's pgx on context cancellation): the server ends
   * the wait and the commit becomes visible locally, while the client reports an unknown outcome.
   */
  | 'cancel-and-close';

export interface ConnectOptions {
  /** libpq connect_timeout (local µs). null: the kernel's SYN retries (~127 s). */
  connectTimeoutUs: number | null;
}

let sessionIds = 0;

export class PgClientSession {
  private nextId = 1;
  private readonly pending = new Map<number, Completion<SqlResult>>();
  private dead: string | null = null;
  readonly id = ++sessionIds;

  private constructor(
    readonly proc: Process,
    private readonly end: StreamEnd<SessionC2S, SessionS2C>,
    /** The server that answered the startup (through a proxy: the backend behind it). */
    readonly node: string,
    /** pg_is_in_recovery() as reported at connection time (libpq's in_hot_standby). */
    readonly inRecoveryAtConnect: boolean,
  ) {
    end.onMessage((m) => this.onMessage(m));
    end.onClose((r) => this.lost(`server closed the connection unexpectedly (${r})`));
  }

  /** Open a session to `target` (a postmaster, or a proxy in front of one). */
  static *open(proc: Process, target: Process, opts: ConnectOptions, user = 'app'): Task<PgClientSession> {
    let end: StreamEnd<SessionC2S, SessionS2C>;
    try {
      end =
        opts.connectTimeoutUs === null
          ? yield* connectWithSynRetries(proc, target, PgSession)
          : yield* connectWithSynRetries(proc, target, PgSession, opts.connectTimeoutUs);
    } catch (e) {
      const why = e instanceof NetError ? (e.code === 'refused' ? 'Connection refused' : e.code === 'timeout' ? 'timeout expired' : 'Connection reset') : String(e);
      throw new ConnectionLost(`connection to server at "${target.host.name}" failed: ${why}`, false);
    }
    const ready = new Completion<{ node: string; inRecovery: boolean }>();
    end.onMessage((m) => {
      if (m.t === 'ready') ready.resolve({ node: m.node, inRecovery: m.inRecovery });
      else if (m.t === 'fatal') ready.reject(new PgSqlError(m.err.code, `FATAL: ${m.err.message}`));
    });
    end.onClose((r) => ready.reject(new ConnectionLost(`server closed the connection unexpectedly (${r})`, false)));
    end.send({ t: 'startup', user });
    const timeoutUs = opts.connectTimeoutUs ?? 127_000_000;
    let hello: { node: string; inRecovery: boolean };
    try {
      hello = yield* ready.wait(proc.host, timeoutUs, () => new ConnectionLost(`connection to server at "${target.host.name}" failed: timeout expired`, false));
    } catch (e) {
      end.close();
      throw e;
    }
    return new PgClientSession(proc, end, hello.node, hello.inRecovery);
  }

  get alive(): boolean {
    return this.dead === null && this.end.open;
  }

  private onMessage(m: SessionS2C): void {
    switch (m.t) {
      case 'result': {
        const c = this.pending.get(m.id);
        this.pending.delete(m.id);
        c?.resolve(m.r);
        return;
      }
      case 'error': {
        const c = this.pending.get(m.id);
        this.pending.delete(m.id);
        c?.reject(new PgSqlError(m.err.code, `ERROR: ${m.err.message}`));
        return;
      }
      case 'fatal':
        this.lost(`FATAL: ${m.err.message}`);
        return;
      case 'ready':
        return;
    }
  }

  private lost(why: string): void {
    if (this.dead !== null) return;
    this.dead = why;
    const ps = [...this.pending.values()];
    this.pending.clear();
    for (const c of ps) c.reject(new ConnectionLost(why, true));
  }

  /**
   * Run one query. Throws PgSqlError (the server refused: certainly not applied), ConnectionLost
   * (inFlight: outcome unknown) or QueryTimeout (outcome unknown).
   */
  *query(q: SqlQuery, timeoutUs: number | null, onTimeout: TimeoutAction = 'disconnect'): Task<SqlResult> {
    if (this.dead !== null || !this.end.open) throw new ConnectionLost(this.dead ?? 'connection closed', false);
    const id = this.nextId++;
    const c = new Completion<SqlResult>();
    this.pending.set(id, c);
    this.end.send({ t: 'query', id, q });
    if ((onTimeout === 'cancel' || onTimeout === 'cancel-and-close') && timeoutUs !== null) {
      try {
        return yield* c.wait(this.proc.host, timeoutUs, () => new QueryTimeout('canceling statement due to statement timeout'));
      } catch (e) {
        if (!(e instanceof QueryTimeout)) throw e;
      }
      this.end.send({ t: 'cancel', id });
      if (onTimeout === 'cancel-and-close') {
        this.close();
        throw new QueryTimeout('query cancelled after timeout; connection closed');
      }
      // give the server a moment to answer the cancel (a COMMIT in its sync wait then returns
      // success with a WARNING); if nothing comes, give up on the connection
      try {
        return yield* c.wait(this.proc.host, 5_000_000, () => new QueryTimeout('cancel request not answered'));
      } catch (e) {
        if (e instanceof QueryTimeout) this.close();
        throw e;
      }
    }
    try {
      return yield* c.wait(this.proc.host, timeoutUs, () => new QueryTimeout('query timed out'));
    } catch (e) {
      if (e instanceof QueryTimeout) this.close();
      throw e;
    }
  }

  /** The connection was reset under us (e.g. the VIP moved and the new holder sent RST). */
  abort(why: string): void {
    this.lost(why);
    this.end.close();
  }

  close(): void {
    if (this.dead === null) this.dead = 'closed by client';
    this.pending.clear();
    this.end.close();
  }
}
