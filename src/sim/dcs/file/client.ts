// The Patroni-side client of the file store: files in a directory on an NFS mount, read and written
// through the host's NFS client (its attribute/data cache and its hard or soft mount semantics),
// with Patroni's deadline around each operation.
//
// The lock, as a careful engineer would build it on a file system that offers no compare-and-swap
// beyond exclusive create:
//  - the lock is a series of generation files `leader.<n>`; the highest one is the current lock;
//    its content names the holder and the holder's wall-clock expiry;
//  - acquire: read the directory; if the current lock is live by MY clock, fail; else create
//    `leader.<n+1>` with O_EXCL (atomic at the server: of several racers exactly one wins). A stale
//    lock is superseded, never removed, so no racer can delete a lock another just took;
//  - renew: read the directory; if the current lock is mine, rewrite its content with a new
//    expiry. Read-check-write: between the read and the write another node may create n+1 (it
//    judged mine expired); I then renew a superseded file and believe I hold the lock;
//  - release: rewrite my current lock as released.
// Nothing on the server expires anything: every reader judges expiry by its own wall clock from
// the timestamp the writer put in the file, so a reader whose clock runs ahead takes the lock early.
//
// I/O runs in worker threads the Patroni side waits on for at most the operation's deadline: on a
// hard mount a request to an unreachable server is retransmitted forever (the worker stays blocked
// and its request may land long after Patroni gave up); a soft mount fails with EIO after
// `retrans` retransmissions.
import type { Process } from '../../host/process.js';
import type { Timer } from '../../kernel/sim.js';
import { suspend, type FiberResult, type Task } from '../../kernel/task.js';
import { NetError, type Service } from '../../net/network.js';
import type { DcsTiming } from '../abstract.js';
import type { KeyVersion } from '../cluster.js';
import { trueTimeAtWall } from '../memory/clocks.js';
import { StoreUnavailable } from '../memory/errors.js';
import { basePath, KEY, type KvEntry } from '../memory/keys.js';
import { FlatKvDCS, type PutCondition } from '../memory/kvDcs.js';
import { withRetry } from '../memory/retry.js';
import { NfsCreate, NfsRead, NfsReadDir, NfsRemove, NfsWrite, type NfsEntry, type NfsRequest } from './protocol.js';
import type { NfsServer } from './server.js';

export interface NfsMountOptions {
  /** Close-to-open consistency (Linux default): every open revalidates with the server. `nocto` turns it off. */
  cto: boolean;
  /** Attribute cache lifetime (`actimeo`): how long cached data is trusted without asking the server. */
  actimeoMs: number;
  /** `hard` (default): retransmit forever; `soft`: fail with EIO after `retrans` retransmissions. */
  hard: boolean;
  /** `timeo`: the RPC timeout before a retransmission (Linux TCP default 60 s), growing linearly. */
  timeoMs: number;
  retrans: number;
}

export const DEFAULT_MOUNT: NfsMountOptions = { cto: true, actimeoMs: 3000, hard: true, timeoMs: 60_000, retrans: 2 };

/** The Linux NFS client's maximum retransmission timeout (600 s). */
const MAX_TIMEO_US = 600_000_000;
/** Pause before reconnecting to a server that refused the connection. */
const RECONNECT_US = 3_000_000;

const LEADER_FILE = /^leader\.(\d+)$/;

interface LeaderContent {
  holder: string;
  /** The writer's wall clock (µs) at which the lock expires. */
  exp: number;
  released?: boolean;
}

interface CurrentLock {
  gen: number;
  path: string;
  changeId: number;
  content: LeaderContent | null;
}

function leaderPath(base: string, gen: number): string {
  return `${base}leader.${String(gen).padStart(12, '0')}`;
}

function parse<T>(s: string): T | null {
  try {
    return JSON.parse(s) as T;
  } catch {
    return null;
  }
}

export class FileDCS extends FlatKvDCS {
  private readonly base: string;
  private xid = 0;
  /** The NFS client's cache of this mount (per path; the directory listing separately). */
  private readonly cache = new Map<string, { content: string; changeId: number; atMonoUs: number }>();
  private listing: { entries: NfsEntry[]; atMonoUs: number } | null = null;
  /** Lock version this reader last judged expired (recorded once). */
  private judged: string | null = null;

  constructor(
    proc: Process,
    name: string,
    timing: DcsTiming,
    store: string,
    scope: string,
    namespace: string,
    private readonly server: NfsServer,
    private readonly mount: NfsMountOptions,
    requestTimeoutMs: number | undefined,
  ) {
    super(proc, name, timing, store, requestTimeoutMs);
    this.base = basePath(namespace, scope);
  }

  /** A careful engineer waits for the whole retry_timeout on a blocked NFS call, not a third of it. */
  protected override retrySpec(): { deadlineMs: number; requestTimeoutMs: number } {
    const s = super.retrySpec();
    return { deadlineMs: s.deadlineMs, requestTimeoutMs: Math.max(s.requestTimeoutMs, s.deadlineMs) };
  }

  // ---- the NFS client ------------------------------------------------------------------------

  /** One NFS call in a worker: retransmitted per the mount options; the caller waits `budgetUs` at most. */
  private *nfs<Req extends NfsRequest, Resp>(svc: Service<Req, Resp>, req: Omit<Req, 'client' | 'xid'>, budgetUs: number): Task<Resp> {
    const full = { ...req, client: this.name, xid: ++this.xid } as Req;
    const worker = this.proc.spawn(`nfs ${svc.name}`, this.rpc(svc, full), () => undefined);
    const r = yield* waitFor(this.proc, worker.onDone.bind(worker), budgetUs);
    if (r === null) throw new StoreUnavailable(`nfs: server ${this.server.member} not responding, still trying`);
    if (!r.ok) throw r.error;
    return r.value;
  }

  private *rpc<Req, Resp>(svc: Service<Req, Resp>, req: Req): Task<Resp> {
    for (let attempt = 1; ; attempt++) {
      const timeoUs = Math.min(MAX_TIMEO_US, this.mount.timeoMs * 1000 * attempt);
      try {
        return yield* this.proc.net.call(this.proc, this.server, svc, req, { timeoutUs: timeoUs });
      } catch (e) {
        if (!(e instanceof NetError)) throw e;
        if (!this.mount.hard && attempt > this.mount.retrans) throw new StoreUnavailable(`nfs: ${svc.name} failed with EIO (soft mount, server not responding)`);
        if (e.code !== 'timeout') yield* this.proc.sleep(RECONNECT_US);
      }
    }
  }

  private fresh(atMonoUs: number): boolean {
    return !this.mount.cto && this.proc.monoUs() - atMonoUs < this.mount.actimeoMs * 1000;
  }

  private *readDir(budgetUs: number): Task<NfsEntry[]> {
    if (this.listing && this.fresh(this.listing.atMonoUs)) return this.listing.entries;
    const r = yield* this.nfs(NfsReadDir, { prefix: this.base }, budgetUs);
    const at = this.proc.monoUs();
    this.listing = { entries: r.entries, atMonoUs: at };
    for (const [p, content, changeId] of r.entries) this.cache.set(p, { content, changeId, atMonoUs: at });
    return r.entries;
  }

  private *readFile(path: string, budgetUs: number): Task<{ content: string; changeId: number } | null> {
    const c = this.cache.get(path);
    if (c && this.fresh(c.atMonoUs)) return c;
    const r = yield* this.nfs(NfsRead, { path }, budgetUs);
    if ('enoent' in r) {
      this.cache.delete(path);
      return null;
    }
    this.cache.set(path, { content: r.content, changeId: r.changeId, atMonoUs: this.proc.monoUs() });
    return r;
  }

  /** Our own writes update our cache (and our cached listing). */
  private remember(path: string, content: string | null, changeId: number): void {
    const at = this.proc.monoUs();
    if (content === null) this.cache.delete(path);
    else this.cache.set(path, { content, changeId, atMonoUs: at });
    if (this.listing) {
      const rest = this.listing.entries.filter((e) => e[0] !== path);
      if (content !== null) rest.push([path, content, changeId]);
      rest.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      this.listing = { entries: rest, atMonoUs: this.listing.atMonoUs };
    }
  }

  private *createExclusive(path: string, content: string, budgetUs: number): Task<number | false> {
    const r = yield* this.nfs(NfsCreate, { path, content, verifier: `${this.name}:${this.xid + 1}` }, budgetUs);
    if ('eexist' in r) return false;
    this.remember(path, content, r.changeId);
    return r.changeId;
  }

  private *writeFile(path: string, content: string, budgetUs: number): Task<number> {
    const r = yield* this.nfs(NfsWrite, { path, content }, budgetUs);
    this.remember(path, content, r.changeId);
    return r.changeId;
  }

  private *removeFile(path: string, budgetUs: number): Task<boolean> {
    const r = yield* this.nfs(NfsRemove, { path }, budgetUs);
    this.remember(path, null, 0);
    return r.ok;
  }

  // ---- operations under the deadline ----------------------------------------------------------

  /** Run a sequence of NFS calls as one operation: `budget()` is what is left of this attempt. */
  private *op<T>(what: string, body: (budget: () => number) => Task<T>): Task<T> {
    return yield* withRetry(this.proc, this.rng, `${this.store} ${what}`, this.retrySpec(), (timeoutUs) => {
      const endMonoUs = this.proc.monoUs() + timeoutUs;
      return body(() => Math.max(1000, endMonoUs - this.proc.monoUs()));
    });
  }

  private currentLock(entries: readonly NfsEntry[]): CurrentLock | null {
    let best: CurrentLock | null = null;
    for (const [p, content, changeId] of entries) {
      const m = LEADER_FILE.exec(p.slice(this.base.length));
      if (!m) continue;
      const gen = Number(m[1]);
      if (best === null || gen > best.gen) best = { gen, path: p, changeId, content: parse<LeaderContent>(content) };
    }
    return best;
  }

  /** Is the lock live, judged by this host's wall clock? Records the judgement when it is not. */
  private live(lock: CurrentLock | null): boolean {
    const c = lock?.content;
    if (!lock || !c) return false;
    if (!c.released && c.exp > this.proc.wallUs()) return true;
    const v = `${lock.gen}:${lock.changeId}`;
    if (!c.released && this.judged !== v) {
      this.judged = v;
      this.proc.sim.trace.emit('dcs.leader', { store: this.store, server: this.name, holder: c.holder, reason: 'expired' });
    }
    return false;
  }

  private grantRecord(reason: 'acquired' | 'updated' | 'taken', expWallUs: number): void {
    const sim = this.proc.sim;
    const expiresAtUs = trueTimeAtWall(this.proc.host, sim.nowUs, expWallUs);
    sim.trace.emit('dcs.leader', { store: this.store, server: this.name, holder: this.name, reason, expiresAtUs });
  }

  private lockContent(): LeaderContent {
    return { holder: this.name, exp: this.proc.wallUs() + this.ttlMs * 1000 };
  }

  protected *loadEntries(): Task<Map<string, KvEntry>> {
    const entries = yield* this.op('read directory', (budget) => this.readDir(budget()));
    const nowWallUs = this.proc.wallUs();
    const out = new Map<string, KvEntry>();
    const lock = this.currentLock(entries);
    if (lock && this.live(lock) && lock.content) out.set(KEY.leader, { value: lock.content.holder, version: lock.changeId });
    for (const [p, content, changeId] of entries) {
      const rel = p.slice(this.base.length);
      if (LEADER_FILE.test(rel)) continue;
      const f = parse<{ v: string; exp: number | null }>(content);
      if (!f || typeof f.v !== 'string') continue;
      if (f.exp !== null && f.exp <= nowWallUs) continue;
      out.set(rel, { value: f.v, version: changeId });
    }
    return out;
  }

  private *acquireBody(budget: () => number): Task<boolean> {
    const lock = this.currentLock(yield* this.readDir(budget()));
    if (this.live(lock)) return false;
    const content = this.lockContent();
    const ok = yield* this.createExclusive(leaderPath(this.base, (lock?.gen ?? 0) + 1), JSON.stringify(content), budget());
    if (ok === false) return false;
    this.grantRecord('acquired', content.exp);
    return true;
  }

  protected *lockAcquire(): Task<boolean> {
    return yield* this.op('acquire lock', (budget) => this.acquireBody(budget));
  }

  protected *lockRenew(): Task<boolean> {
    return yield* this.op('renew lock', (budget) => this.renewBody(budget));
  }

  private *renewBody(budget: () => number): Task<boolean> {
    const lock = this.currentLock(yield* this.readDir(budget()));
    if (!lock?.content) return yield* this.acquireBody(budget);
    if (lock.content.holder !== this.name || lock.content.released) return false;
    // my own lease already ran out (by my clock): someone may be taking it; race for n+1 instead
    // (`Etcd._update_leader`: a vanished key is re-acquired, never silently re-written)
    if (lock.content.exp <= this.proc.wallUs()) return yield* this.acquireBody(budget);
    // the race: another node may create leader.<n+1> right now; we would renew a superseded file
    const content = this.lockContent();
    yield* this.writeFile(lock.path, JSON.stringify(content), budget());
    this.grantRecord('updated', content.exp);
    return true;
  }

  protected *lockRelease(): Task<boolean> {
    return yield* this.op('release lock', (budget) => this.releaseBody(budget));
  }

  private *releaseBody(budget: () => number): Task<boolean> {
    const lock = this.currentLock(yield* this.readDir(budget()));
    if (!lock?.content || lock.content.holder !== this.name || lock.content.released) return false;
    yield* this.writeFile(lock.path, JSON.stringify({ ...lock.content, released: true }), budget());
    this.proc.sim.trace.emit('dcs.leader', { store: this.store, server: this.name, holder: this.name, reason: 'deleted' });
    return true;
  }

  protected *lockForce(): Task<boolean> {
    return yield* this.op('take lock', (budget) => this.forceBody(budget));
  }

  private *forceBody(budget: () => number): Task<boolean> {
    const lock = this.currentLock(yield* this.readDir(budget()));
    const content = this.lockContent();
    yield* this.writeFile(leaderPath(this.base, (lock?.gen ?? 0) + 1), JSON.stringify(content), budget());
    this.grantRecord('taken', content.exp);
    return true;
  }

  protected *putKey(key: string, value: string, cond: PutCondition, ttlMs?: number): Task<KeyVersion | false> {
    const path = this.base + key;
    const content = JSON.stringify({ v: value, exp: ttlMs === undefined ? null : this.proc.wallUs() + ttlMs * 1000 });
    return yield* this.op(`write ${key}`, (budget) => this.putBody(path, content, cond, budget));
  }

  private *putBody(path: string, content: string, cond: PutCondition, budget: () => number): Task<KeyVersion | false> {
    if (cond.kind === 'absent') return yield* this.createExclusive(path, content, budget());
    if (cond.kind !== 'any') {
      // read-check-write: no compare-and-swap beyond exclusive create
      const cur = yield* this.readFile(path, budget());
      if (!cur || (cond.kind === 'version' && String(cur.changeId) !== String(cond.version))) return false;
    }
    return yield* this.writeFile(path, content, budget());
  }

  protected *deleteKey(key: string, cond: PutCondition): Task<boolean> {
    const path = this.base + key;
    return yield* this.op(`remove ${key}`, (budget) => this.deleteBody(path, cond, budget));
  }

  private *deleteBody(path: string, cond: PutCondition, budget: () => number): Task<boolean> {
    if (cond.kind === 'absent') return false;
    if (cond.kind === 'version') {
      const cur = yield* this.readFile(path, budget());
      if (!cur || String(cur.changeId) !== String(cond.version)) return false;
    }
    return yield* this.removeFile(path, budget());
  }
}

/** Wait for a worker's result for at most `budgetUs` (local time); null on timeout. */
function* waitFor<T>(proc: Process, onDone: (cb: (r: FiberResult<T>) => void) => void, budgetUs: number): Task<FiberResult<T> | null> {
  let timer: Timer | null = null;
  let settled = false;
  return yield* suspend<FiberResult<T> | null>({
    start: (resume) => {
      onDone((r) => {
        if (settled) return;
        settled = true;
        timer?.cancel();
        resume.ok(r);
      });
      if (settled) return;
      timer = proc.sim.schedule(proc.host.clock.trueDelayFor(budgetUs), () => {
        if (settled) return;
        settled = true;
        resume.ok(null);
      });
    },
    abort: () => {
      settled = true;
      timer?.cancel();
    },
  });
}
