// The Patroni-side client of the PostgreSQL store: libpq with a multi-host connection string and
// `target_session_attrs=read-write` (it tries the hosts in order and keeps the first that is not in
// recovery), one statement per round trip on that connection, Patroni's retry around each
// operation. When the store is down every call fails, after retry_timeout, with a DCSError.
import type { Process } from '../../host/process.js';
import type { Task } from '../../kernel/task.js';
import { NetError, type Service } from '../../net/network.js';
import type { DcsTiming } from '../abstract.js';
import type { KeyVersion } from '../cluster.js';
import { StoreUnavailable } from '../memory/errors.js';
import { basePath, KEY, type KvEntry } from '../memory/keys.js';
import { FlatKvDCS, type PutCondition } from '../memory/kvDcs.js';
import { withRetry } from '../memory/retry.js';
import { PgDelete, PgHello, PgLease, PgLoad, PgPut, PgRelease, type OnConnection } from './protocol.js';
import type { PgStoreServer } from './server.js';

export class PgStoreDCS extends FlatKvDCS {
  private readonly base: string;
  private conn: { server: PgStoreServer; connId: number } | null = null;

  constructor(
    proc: Process,
    name: string,
    timing: DcsTiming,
    store: string,
    scope: string,
    namespace: string,
    /** The hosts of the connection string, in order. */
    private readonly servers: readonly PgStoreServer[],
    requestTimeoutMs: number | undefined,
  ) {
    super(proc, name, timing, store, requestTimeoutMs);
    this.base = basePath(namespace, scope);
  }

  /** libpq: try each host in order (connect_timeout split between them); keep the first read-write one. */
  private *connect(timeoutUs: number): Task<{ server: PgStoreServer; connId: number }> {
    const perHostUs = Math.max(500_000, timeoutUs / this.servers.length);
    const errors: string[] = [];
    for (const s of this.servers) {
      try {
        const r = yield* this.proc.net.call(this.proc, s, PgHello, {}, { timeoutUs: perHostUs });
        if (r.inRecovery) {
          errors.push(`${s.member}: server is in hot standby mode`);
          continue;
        }
        return { server: s, connId: r.connId };
      } catch (e) {
        if (!(e instanceof NetError)) throw e;
        errors.push(`${s.member}: ${e.message}`);
      }
    }
    throw new StoreUnavailable(`could not connect to a read-write server (${errors.join('; ')})`);
  }

  /** One statement under Patroni's retry: reconnect after any connection-level failure. */
  private *exec<Req extends OnConnection, Resp>(what: string, svc: Service<Req, Resp>, req: Omit<Req, 'connId' | 'sentWallUs'>): Task<Resp> {
    return yield* withRetry(this.proc, this.rng, `${this.store} ${what}`, this.retrySpec(), (timeoutUs) => this.attempt(svc, req, timeoutUs));
  }

  private *attempt<Req extends OnConnection, Resp>(svc: Service<Req, Resp>, req: Omit<Req, 'connId' | 'sentWallUs'>, timeoutUs: number): Task<Resp> {
    if (this.conn === null) this.conn = yield* this.connect(timeoutUs);
    const c = this.conn;
    try {
      return yield* this.proc.net.call(this.proc, c.server, svc, { ...req, connId: c.connId, sentWallUs: this.proc.wallUs() } as Req, { timeoutUs });
    } catch (e) {
      if (e instanceof NetError || e instanceof StoreUnavailable) this.conn = null;
      throw e;
    }
  }

  protected *loadEntries(): Task<Map<string, KvEntry>> {
    const r = yield* this.exec('load', PgLoad, { prefix: this.base });
    const out = new Map<string, KvEntry>();
    for (const [k, version, value] of r.rows) out.set(k.slice(this.base.length), { value, version });
    return out;
  }

  protected *putKey(key: string, value: string, cond: PutCondition, ttlMs?: number): Task<KeyVersion | false> {
    const req: { key: string; value: string; cond: PutCondition; ttlMs?: number } = { key: this.base + key, value, cond };
    if (ttlMs !== undefined) req.ttlMs = ttlMs;
    return (yield* this.exec('put', PgPut, req)).version;
  }

  protected *deleteKey(key: string, cond: PutCondition): Task<boolean> {
    return (yield* this.exec('delete', PgDelete, { key: this.base + key, cond })).ok;
  }

  protected *lockAcquire(): Task<boolean> {
    return (yield* this.exec('acquire', PgLease, { key: this.base + KEY.leader, holder: this.name, ttlMs: this.ttlMs, take: false })).ok;
  }

  /** The same upsert: `WHERE value = $me OR expires_at < now()` renews, or re-takes a lapsed lease. */
  protected *lockRenew(): Task<boolean> {
    return yield* this.lockAcquire();
  }

  protected *lockRelease(): Task<boolean> {
    return (yield* this.exec('release', PgRelease, { key: this.base + KEY.leader, holder: this.name })).ok;
  }

  protected *lockForce(): Task<boolean> {
    return (yield* this.exec('take', PgLease, { key: this.base + KEY.leader, holder: this.name, ttlMs: this.ttlMs, take: true })).ok;
  }
}
