// A PostgreSQL server used as Patroni's store (seed D6): one table, statements that take CPU time
// and a WAL fsync to commit, a clock (`now()`) that alone enforces lease expiry, and optionally an
// asynchronous streaming standby. A simple model of our own (not the PostgreSQL model of src/sim/pg):
// what matters here is that it is one server, that it commits durably, and that it is down when
// it is down.
import { Process } from '../../host/process.js';
import type { Host } from '../../host/host.js';
import type { Task } from '../../kernel/task.js';
import type { StreamEnd } from '../../net/network.js';
import { trueTimeAtWall } from '../memory/clocks.js';
import { StoreUnavailable } from '../memory/errors.js';
import { conditionHolds } from '../memory/kvDcs.js';
import { ServerJudgedLease, storeEvent } from '../memory/serverLease.js';
import {
  CONNECTION_LOST,
  PgDelete,
  PgHello,
  PgLease,
  PgLoad,
  PgPut,
  PgRelease,
  PgWal,
  READ_ONLY,
  type OnConnection,
  type PgRow,
  type WalMessage,
} from './protocol.js';

/** Time to parse, plan and run one small statement (µs): a few hundred microseconds. */
const STATEMENT_US: readonly [number, number] = [200, 800];
/** `wal_receiver_timeout` (60 s) and `wal_retrieve_retry_interval` (5 s) defaults. */
const WAL_RECEIVER_TIMEOUT_US = 60_000_000;
const WAL_RETRY_US = 5_000_000;
/** The walsender sends a keepalive when idle for half of `wal_sender_timeout` (60 s). */
const WAL_KEEPALIVE_US = 30_000_000;

export interface PgStoreServerOptions {
  store: string;
  member: string;
  role: 'primary' | 'standby';
  /** The primary a standby streams from. */
  upstream?: PgStoreServer;
  /** Told when the server starts, stops or is promoted (the deployment tracks store health). */
  onChange?: () => void;
}

export class PgStoreServer extends Process {
  // ---- on disk: survives crashes --------------------------------------------------------------
  readonly rows = new Map<string, PgRow>();
  private rev = 0;
  private recovery: boolean;
  /** Bumped by each promotion (a new timeline). */
  timeline = 1;
  private readonly leases = new Map<string, ServerJudgedLease>();
  // ---- memory -----------------------------------------------------------------------------------
  private connId = 0;
  private senders: StreamEnd<WalMessage, { kind: 'start' }>[] = [];
  private receiver: StreamEnd<{ kind: 'start' }, WalMessage> | null = null;
  private lastWalMonoUs = 0;
  private readonly rng;

  constructor(
    host: Host,
    readonly opts: PgStoreServerOptions,
  ) {
    super(host, 'pgstore');
    this.recovery = opts.role === 'standby';
    this.rng = host.sim.rng(`pgstore:${opts.member}:statements`);
  }

  get inRecovery(): boolean {
    return this.recovery;
  }

  get member(): string {
    return this.opts.member;
  }

  protected onStart(): void {
    // every life has new connections: clients on the old ones get "server closed the connection"
    this.connId = this.incarnation * 1000 + this.timeline;
    this.senders = [];
    this.receiver = null;
    const net = this.net;
    net.listen(this, PgHello, () => this.hello());
    net.listen(this, PgLoad, (r) => this.load(r));
    net.listen(this, PgPut, (r) => this.put(r));
    net.listen(this, PgDelete, (r) => this.del(r));
    net.listen(this, PgLease, (r, from) => this.lease(r, from));
    net.listen(this, PgRelease, (r) => this.release(r));
    net.listenStream(this, PgWal, (end) => this.acceptWalSender(end));
    for (const l of this.leases.values()) l.resume();
    if (this.recovery) this.spawn('walreceiver', this.walReceiver());
    else this.spawn('walsender-keepalive', this.keepalive());
    this.opts.onChange?.();
  }

  protected override onExit(): void {
    this.opts.onChange?.();
  }

  /** `pg_ctl promote`: leave recovery, start a new timeline, stop streaming. Not fenced in any way. */
  promote(): boolean {
    if (!this.running || !this.recovery) return false;
    this.recovery = false;
    this.timeline++;
    this.connId = this.incarnation * 1000 + this.timeline;
    this.receiver?.close();
    this.receiver = null;
    this.spawn('walsender-keepalive', this.keepalive());
    storeEvent(this, this.opts.store, this.opts.member, 'promoted', { detail: `timeline ${this.timeline}` });
    this.opts.onChange?.();
    return true;
  }

  /** Ground truth: the live holder of `key` by this server's clock. */
  holderOf(key: string): string | null {
    const r = this.rows.get(key);
    if (!r || !this.live(r)) return null;
    return r.value;
  }

  private live(r: PgRow): boolean {
    return r.expiresAtWallUs === null || r.expiresAtWallUs > this.wallUs();
  }

  private leaseOf(key: string): ServerJudgedLease {
    let l = this.leases.get(key);
    if (!l) {
      l = new ServerJudgedLease(this, this.opts.store, this.opts.member);
      this.leases.set(key, l);
    }
    return l;
  }

  // ---- statements ------------------------------------------------------------------------------

  private checkConnection(req: OnConnection): void {
    if (req.connId !== this.connId) throw new StoreUnavailable(`${this.opts.member}: ${CONNECTION_LOST}`);
  }

  private *statement(): Task<void> {
    yield* this.sleep(this.rng.uniform(STATEMENT_US[0], STATEMENT_US[1]));
  }

  /** A write: the statement, then the commit's WAL flush (slow when the disk stalls). */
  private *writeStatement(req: OnConnection): Task<number> {
    this.checkConnection(req);
    if (this.recovery) throw new StoreUnavailable(`${this.opts.member}: ${READ_ONLY}`);
    // now() is the transaction's start time on this server's wall clock
    const nowWallUs = this.wallUs();
    yield* this.statement();
    yield* this.sleep(this.host.disk.fsyncDelayUs(this.sim.nowUs));
    this.checkConnection(req);
    if (this.recovery) throw new StoreUnavailable(`${this.opts.member}: ${READ_ONLY}`);
    return nowWallUs;
  }

  private commit(key: string, row: PgRow | null): void {
    this.rev++;
    if (row) this.rows.set(key, row);
    else this.rows.delete(key);
    for (const s of this.senders) s.send({ kind: 'change', key, row, rev: this.rev });
  }

  // eslint-disable-next-line require-yield
  private *hello(): Task<{ inRecovery: boolean; connId: number }> {
    return { inRecovery: this.recovery, connId: this.connId };
  }

  private *load(req: OnConnection & { prefix: string }): Task<{ rows: [string, number, string][] }> {
    this.checkConnection(req);
    yield* this.statement();
    const out: [string, number, string][] = [];
    for (const [k, r] of this.rows) if (k.startsWith(req.prefix) && this.live(r)) out.push([k, r.version, r.value]);
    out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return { rows: out };
  }

  private *put(req: OnConnection & { key: string; value: string; cond: import('../memory/kvDcs.js').PutCondition; ttlMs?: number }): Task<{ version: number | false }> {
    const nowWallUs = yield* this.writeStatement(req);
    const cur = this.rows.get(req.key);
    const existing = cur && this.live(cur) ? cur : undefined;
    if (!conditionHolds(req.cond, existing)) return { version: false };
    const row: PgRow = { value: req.value, version: this.rev + 1, expiresAtWallUs: req.ttlMs === undefined ? null : nowWallUs + req.ttlMs * 1000 };
    this.commit(req.key, row);
    return { version: row.version };
  }

  private *del(req: OnConnection & { key: string; cond: import('../memory/kvDcs.js').PutCondition }): Task<{ ok: boolean }> {
    yield* this.writeStatement(req);
    const cur = this.rows.get(req.key);
    const existing = cur && this.live(cur) ? cur : undefined;
    if (!existing || !conditionHolds(req.cond, existing)) return { ok: false };
    this.commit(req.key, null);
    return { ok: true };
  }

  /** The lease upsert: `... WHERE patroni_kv.value = $me OR patroni_kv.expires_at < now()` (or unconditional for take). */
  private *lease(req: OnConnection & { key: string; holder: string; ttlMs: number; take: boolean }, from: Process): Task<{ ok: boolean }> {
    const nowWallUs = yield* this.writeStatement(req);
    const cur = this.rows.get(req.key);
    const curLive = cur !== undefined && (cur.expiresAtWallUs === null || cur.expiresAtWallUs > nowWallUs);
    if (!req.take && cur && curLive && cur.value !== req.holder) return { ok: false };
    const expiresAtWallUs = nowWallUs + req.ttlMs * 1000;
    this.commit(req.key, { value: req.holder, version: this.rev + 1, expiresAtWallUs });
    const reason = req.take ? 'taken' : cur && curLive && cur.value === req.holder ? 'updated' : 'acquired';
    // the holder relies on the lease until its own clock reads send time + ttl
    const beliefEndUs = trueTimeAtWall(from.host, this.sim.nowUs, req.sentWallUs + req.ttlMs * 1000);
    this.leaseOf(req.key).granted(req.holder, reason, expiresAtWallUs, beliefEndUs);
    return { ok: true };
  }

  private *release(req: OnConnection & { key: string; holder: string }): Task<{ ok: boolean }> {
    yield* this.writeStatement(req);
    const cur = this.rows.get(req.key);
    if (!cur || cur.value !== req.holder) return { ok: false };
    this.commit(req.key, null);
    const l = this.leaseOf(req.key);
    if (l.current?.holder === req.holder) l.deleted();
    return { ok: true };
  }

  // ---- streaming replication ---------------------------------------------------------------

  private acceptWalSender(end: StreamEnd<WalMessage, { kind: 'start' }>): void {
    end.onMessage(() => {
      if (this.recovery) {
        end.close();
        return;
      }
      this.senders.push(end);
      end.send({ kind: 'snapshot', rows: [...this.rows], rev: this.rev });
    });
    end.onClose(() => {
      this.senders = this.senders.filter((s) => s !== end);
    });
  }

  private *keepalive(): Task<void> {
    const inc = this.incarnation;
    while (this.incarnation === inc && !this.recovery) {
      yield* this.sleep(WAL_KEEPALIVE_US);
      for (const s of this.senders) s.send({ kind: 'keepalive' });
    }
  }

  private *walReceiver(): Task<void> {
    const upstream = this.opts.upstream;
    if (!upstream) return;
    while (this.recovery) {
      try {
        const end = yield* this.net.connect(this, upstream, PgWal, WAL_RETRY_US);
        this.receiver = end;
        this.lastWalMonoUs = this.monoUs();
        let open = true;
        end.onMessage((m) => {
          this.lastWalMonoUs = this.monoUs();
          if (!this.recovery) return;
          if (m.kind === 'snapshot') {
            this.rows.clear();
            for (const [k, r] of m.rows) this.rows.set(k, r);
            this.rev = m.rev;
          } else if (m.kind === 'change') {
            if (m.row) this.rows.set(m.key, m.row);
            else this.rows.delete(m.key);
            this.rev = m.rev;
          }
        });
        end.onClose(() => {
          open = false;
        });
        end.send({ kind: 'start' });
        // wal_receiver_timeout: a silent upstream is given up after 60 s
        while (open && this.recovery && this.monoUs() - this.lastWalMonoUs < WAL_RECEIVER_TIMEOUT_US) {
          yield* this.sleep(1_000_000);
        }
        end.close();
        this.receiver = null;
      } catch {
        // connect failed: retry after wal_retrieve_retry_interval
      }
      if (this.recovery) yield* this.sleep(WAL_RETRY_US);
    }
  }
}
