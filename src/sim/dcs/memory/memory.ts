// The memory store (seed D9): Patroni's keys in one process's memory. It is what a test double or
// a single-node demo would use: no network, no latency, no failure other than the process itself
// (a crash loses everything). It is only correct for a single node: with two Patroni nodes each
// would have its own memory, see an empty cluster and take the leader lock. Deployments refuse
// that, unless the scenario sets `allowSplit: true` to watch the split happen.
//
// Expiry is judged by the owning process's monotonic clock (what an in-process TTL map would use).
import type { Process } from '../../host/process.js';
import { done, type Task } from '../../kernel/task.js';
import type { DcsTiming } from '../abstract.js';
import type { KeyVersion } from '../cluster.js';
import { trueTimeAtMono } from './clocks.js';
import { KEY, type KvEntry } from './keys.js';
import { conditionHolds, FlatKvDCS, type PutCondition } from './kvDcs.js';

interface MemoryEntry {
  value: string;
  version: number;
  /** Owner's monotonic clock reading at which the entry expires, or null. */
  expiresMonoUs: number | null;
}

/** One process's memory: the keys of one scope. Emptied when that process's life ends. */
export class MemoryKv {
  readonly entries = new Map<string, MemoryEntry>();
  private rev = 0;
  private incarnation: number;

  constructor(
    /** The process whose memory this is. */
    readonly owner: Process,
    /** Member name of the owner (the `server` of its lock records). */
    readonly ownerName: string,
    readonly store: string,
  ) {
    this.incarnation = owner.incarnation;
  }

  /** Memory does not survive the process: a new life starts with an empty store. */
  private checkLife(): void {
    if (this.owner.incarnation === this.incarnation) return;
    this.incarnation = this.owner.incarnation;
    const held = this.entries.get(KEY.leader);
    this.entries.clear();
    if (held) this.record(held.value, 'lost');
  }

  private expired(e: MemoryEntry): boolean {
    return e.expiresMonoUs !== null && this.owner.monoUs() >= e.expiresMonoUs;
  }

  /** The live entry at `key` (expired entries are dropped on access, like a lazy TTL map). */
  get(key: string): MemoryEntry | undefined {
    this.checkLife();
    const e = this.entries.get(key);
    if (e && this.expired(e)) {
      this.entries.delete(key);
      if (key === KEY.leader) this.record(e.value, 'expired');
      return undefined;
    }
    return e;
  }

  put(key: string, value: string, ttlMs: number | undefined): MemoryEntry {
    this.checkLife();
    const e: MemoryEntry = { value, version: ++this.rev, expiresMonoUs: ttlMs === undefined ? null : this.owner.monoUs() + ttlMs * 1000 };
    this.entries.set(key, e);
    return e;
  }

  delete(key: string): void {
    this.checkLife();
    this.entries.delete(key);
  }

  live(): Map<string, KvEntry> {
    this.checkLife();
    const out = new Map<string, KvEntry>();
    for (const k of [...this.entries.keys()]) {
      const e = this.get(k);
      if (e) out.set(k, { value: e.value, version: e.version });
    }
    return out;
  }

  /** Ground truth: the current holder of the leader key, if any. */
  holder(): string | null {
    if (!this.owner.alive) return null;
    const e = this.entries.get(KEY.leader);
    if (!e || this.owner.incarnation !== this.incarnation || this.expired(e)) return null;
    return e.value;
  }

  /** A `dcs.leader` record for this store; `server` is the owner (each split store is its own authority). */
  record(holder: string | null, reason: 'acquired' | 'updated' | 'expired' | 'deleted' | 'taken' | 'lost', expiresMonoUs?: number): void {
    const sim = this.owner.sim;
    const rec: { store: string; server: string; holder: string | null; reason: typeof reason; expiresAtUs?: number } = {
      store: this.store,
      server: this.ownerName,
      holder,
      reason,
    };
    if (expiresMonoUs !== undefined) rec.expiresAtUs = trueTimeAtMono(this.owner.host, sim.nowUs, expiresMonoUs);
    sim.trace.emit('dcs.leader', rec);
  }
}

/** The client: every call is a map access in the same process, with no latency and no failure. */
export class MemoryDCS extends FlatKvDCS {
  constructor(
    proc: Process,
    name: string,
    timing: DcsTiming,
    store: string,
    readonly kv: MemoryKv,
  ) {
    super(proc, name, timing, store, undefined);
  }

  protected loadEntries(): Task<Map<string, KvEntry>> {
    return done(this.kv.live());
  }

  protected putKey(key: string, value: string, cond: PutCondition, ttlMs?: number): Task<KeyVersion | false> {
    if (!conditionHolds(cond, this.kv.get(key))) return done(false);
    return done(this.kv.put(key, value, ttlMs).version);
  }

  protected deleteKey(key: string, cond: PutCondition): Task<boolean> {
    const e = this.kv.get(key);
    if (!e || !conditionHolds(cond, e)) return done(false);
    this.kv.delete(key);
    if (key === KEY.leader) this.kv.record(e.value, 'deleted');
    return done(true);
  }

  private grant(reason: 'acquired' | 'updated' | 'taken'): boolean {
    const e = this.kv.put(KEY.leader, this.name, this.ttlMs);
    this.kv.record(this.name, reason, e.expiresMonoUs ?? undefined);
    return true;
  }

  protected lockAcquire(): Task<boolean> {
    if (this.kv.get(KEY.leader)) return done(false);
    return done(this.grant('acquired'));
  }

  protected lockRenew(): Task<boolean> {
    const e = this.kv.get(KEY.leader);
    if (e && e.value !== this.name) return done(false);
    // `Raft._update_leader`: prevValue=me, and if the key is gone, try to acquire it again
    return done(this.grant(e ? 'updated' : 'acquired'));
  }

  protected lockRelease(): Task<boolean> {
    return this.deleteIfMine();
  }

  private *deleteIfMine(): Task<boolean> {
    const e = this.kv.get(KEY.leader);
    if (!e || e.value !== this.name) return false;
    return yield* this.deleteKey(KEY.leader, { kind: 'version', version: e.version });
  }

  protected lockForce(): Task<boolean> {
    return done(this.grant('taken'));
  }
}
