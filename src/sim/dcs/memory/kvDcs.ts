// The part of a Patroni DCS client that is the same for every flat key-value store: how Patroni's
// methods map onto "load every key under the prefix", "put a key under a condition", "delete a key
// under a condition" and the four leader-lock operations. Each store (memory, Redis, PostgreSQL,
// DynamoDB, file) implements those primitives with its own protocol, retries and expiry rules.
//
// Error contract, as Patroni's shipped backends behave (`patroni/dcs/etcd.py`: `_load_cluster`,
// `attempt_to_acquire_leader` and `_update_leader` raise `EtcdError` (a DCSError) when the store
// cannot be reached; every other write is wrapped in `catch_etcd_errors` and returns False):
//  - loadCluster, attemptToAcquireLeader, updateLeaderKey: throw DCSError after retry_timeout;
//  - every other write: false (the agent sees the same as a failed condition);
//  - a failed condition (compare-and-set, create-if-absent) is false, never an error.
import type { Process } from '../../host/process.js';
import type { Rng } from '../../kernel/rng.js';
import type { Task } from '../../kernel/task.js';
import { AbstractDCS, DCSError, type DcsTiming, type StatusValue } from '../abstract.js';
import type { Cluster, DynamicConfigValue, FailoverValue, HistoryLine, KeyVersion, Leader, MemberData, SyncValue } from '../cluster.js';
import { clusterFromEntries, KEY, memberKey, type KvEntry } from './keys.js';
import type { RetrySpec } from './retry.js';

/** The condition of a conditional write (etcd's prevExist / prevIndex, as Patroni uses them). */
export type PutCondition =
  | { kind: 'any' }
  /** Create only if absent (`prevExist=False`). */
  | { kind: 'absent' }
  /** Overwrite only if present (`prevExist=True`). */
  | { kind: 'present' }
  /** Overwrite only if the key is still at `version` (`prevIndex`). */
  | { kind: 'version'; version: KeyVersion };

export function versionCondition(version: KeyVersion | null): PutCondition {
  // `Etcd.set_config_value`: prevIndex=version or 0, and etcd treats prevIndex=0 as "no condition"
  return version === null || version === 0 || version === '' ? { kind: 'any' } : { kind: 'version', version };
}

export interface KvClientOptions {
  /** Per-request timeout of the store's client library. Default: max(1 s, retry_timeout / 3). */
  requestTimeoutMs?: number;
}

export abstract class FlatKvDCS extends AbstractDCS {
  protected readonly rng: Rng;

  constructor(
    proc: Process,
    name: string,
    timing: DcsTiming,
    /** Trace label of the store. */
    readonly store: string,
    private readonly requestTimeoutMs: number | undefined,
  ) {
    super(proc, name, timing);
    this.rng = proc.sim.rng(`dcs:${store}:${name}:client`);
  }

  /**
   * Wait for the HA event, and clear it, as every backend Patroni ships does in its `watch`
   * (`finally: self.event.clear()` in patroni/dcs/etcd3.py, etcd.py, consul.py, zookeeper.py,
   * kubernetes.py, raft.py). `AbstractDCS.watch` alone never clears it: after one wakeup (an async
   * action finishing calls `Ha.wakeup`) every later watch would return at once and the HA loop
   * would spin at one instant of virtual time.
   */
  override *watch(leaderVersion: KeyVersion | null, timeoutMs: number): Task<boolean> {
    try {
      return yield* super.watch(leaderVersion, timeoutMs);
    } finally {
      this.event.clear();
    }
  }

  /** The retry policy for one operation, from the current retry_timeout. */
  protected retrySpec(): RetrySpec {
    const dflt = Math.max(1000, this.retryTimeoutMs / 3);
    return { deadlineMs: this.retryTimeoutMs, requestTimeoutMs: this.requestTimeoutMs ?? dflt };
  }

  // ---- store primitives (each throws DCSError when the store cannot be reached in time) -------

  /** Every live entry under the scope prefix, by relative key. */
  protected abstract loadEntries(): Task<Map<string, KvEntry>>;
  /** Write `key` if `cond` holds. Returns the new version, or false if the condition failed. */
  protected abstract putKey(key: string, value: string, cond: PutCondition, ttlMs?: number): Task<KeyVersion | false>;
  /** Delete `key` if `cond` holds. */
  protected abstract deleteKey(key: string, cond: PutCondition): Task<boolean>;
  /** Create the leader lock for me if nobody holds it. */
  protected abstract lockAcquire(): Task<boolean>;
  /** Refresh my leader lock (and re-create it if it vanished and nobody took it, as etcd/raft do). */
  protected abstract lockRenew(): Task<boolean>;
  /** Remove my leader lock if it is still mine. */
  protected abstract lockRelease(): Task<boolean>;
  /** Write the leader lock for me unconditionally (bootstrap). */
  protected abstract lockForce(): Task<boolean>;

  // ---- tracing ----------------------------------------------------------------------------------

  private traceOp(op: string, ok: boolean, error?: string): void {
    const rec: { node: string; op: string; ok: boolean; error?: string } = { node: this.name, op, ok };
    if (error !== undefined) rec.error = error;
    this.proc.sim.trace.emit('dcs.op', rec);
  }

  /** Run a critical operation: DCSError propagates (Patroni's HA loop handles it). */
  private *critical<T>(op: string, task: Task<T>): Task<T> {
    try {
      const r = yield* task;
      this.traceOp(op, r !== false);
      return r;
    } catch (e) {
      if (e instanceof DCSError) this.traceOp(op, false, e.message);
      throw e;
    }
  }

  /** Run a best-effort write: a DCSError becomes false (`catch_etcd_errors`). */
  private *bestEffort<T>(op: string, task: Task<T | false>): Task<T | false> {
    try {
      const r = yield* task;
      this.traceOp(op, r !== false);
      return r;
    } catch (e) {
      if (!(e instanceof DCSError)) throw e;
      this.traceOp(op, false, e.message);
      return false;
    }
  }

  // ---- AbstractDCS ------------------------------------------------------------------------------

  protected *loadCluster(): Task<Cluster> {
    const entries = yield* this.critical('get_cluster', this.loadEntries());
    return clusterFromEntries(entries);
  }

  *attemptToAcquireLeader(): Task<boolean> {
    return yield* this.critical('attempt_to_acquire_leader', this.lockAcquire());
  }

  protected *updateLeaderKey(_leader: Leader): Task<boolean> {
    return yield* this.critical('update_leader', this.lockRenew());
  }

  protected *deleteLeaderKey(_leader: Leader): Task<boolean> {
    return (yield* this.bestEffort('delete_leader', this.lockRelease())) === true;
  }

  *takeLeader(): Task<boolean> {
    return (yield* this.bestEffort('take_leader', this.lockForce())) === true;
  }

  *touchMember(data: MemberData): Task<boolean> {
    // `Etcd.touch_member`: json.dumps(data) with the member ttl
    const r = yield* this.bestEffort('touch_member', this.putKey(memberKey(this.name), JSON.stringify(data), { kind: 'any' }, this.ttlMs));
    return r !== false;
  }

  *initialize(createNew: boolean, sysid: string): Task<boolean> {
    // `Etcd.initialize`: write(initialize, sysid, prevExist=(not create_new))
    const cond: PutCondition = createNew ? { kind: 'absent' } : { kind: 'present' };
    return (yield* this.bestEffort('initialize', this.putKey(KEY.initialize, sysid, cond))) !== false;
  }

  *cancelInitialization(): Task<boolean> {
    return (yield* this.bestEffort('cancel_initialization', this.deleteKey(KEY.initialize, { kind: 'any' }))) === true;
  }

  *setFailoverValue(value: FailoverValue, version: KeyVersion | null): Task<boolean> {
    const r = yield* this.bestEffort('set_failover_value', this.putKey(KEY.failover, JSON.stringify(value), versionCondition(version)));
    return r !== false;
  }

  *setConfigValue(value: DynamicConfigValue, version: KeyVersion | null): Task<boolean> {
    const r = yield* this.bestEffort('set_config_value', this.putKey(KEY.config, JSON.stringify(value), versionCondition(version)));
    return r !== false;
  }

  protected *setSyncStateValue(value: SyncValue, version: KeyVersion | null): Task<KeyVersion | false> {
    return yield* this.bestEffort('set_sync_state_value', this.putKey(KEY.sync, JSON.stringify(value), versionCondition(version)));
  }

  *deleteSyncState(version: KeyVersion | null): Task<boolean> {
    return (yield* this.bestEffort('delete_sync_state', this.deleteKey(KEY.sync, versionCondition(version)))) === true;
  }

  *setHistoryValue(value: HistoryLine[]): Task<boolean> {
    return (yield* this.bestEffort('set_history_value', this.putKey(KEY.history, JSON.stringify(value), { kind: 'any' }))) !== false;
  }

  protected *writeStatusValue(value: StatusValue): Task<boolean> {
    return (yield* this.bestEffort('write_status', this.putKey(KEY.status, JSON.stringify(value), { kind: 'any' }))) !== false;
  }

  protected *writeFailsafeValue(value: Record<string, string>): Task<boolean> {
    return (yield* this.bestEffort('write_failsafe', this.putKey(KEY.failsafe, JSON.stringify(value), { kind: 'any' }))) !== false;
  }
}

/** Does an existing entry (or its absence) satisfy `cond`? `version` is the entry's current version. */
export function conditionHolds(cond: PutCondition, existing: { version: KeyVersion } | undefined): boolean {
  switch (cond.kind) {
    case 'any':
      return true;
    case 'absent':
      return existing === undefined;
    case 'present':
      return existing !== undefined;
    case 'version':
      return existing !== undefined && String(existing.version) === String(cond.version);
  }
}
