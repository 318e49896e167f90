// The DCS contract Patroni's HA loop talks to: a port of `patroni/dcs/__init__.py AbstractDCS`.
// The generic parts (update_leader writing /status and /failsafe only when changed, delete_leader,
// manual_failover, write_sync_state, the cluster cache, the default watch) live here; each backend
// implements the abstract methods with its own client protocol against its own simulated servers.
//
// Every method is a Task running in the Patroni process: it takes simulated time, and it throws
// `DCSError` when the store cannot be reached within retry_timeout (connectivity), while a failed
// compare-and-swap simply returns false — exactly the distinction Patroni relies on.
import type { Task } from '../kernel/task.js';
import { Signal, type Process } from '../host/process.js';
import {
  Cluster,
  type DynamicConfigValue,
  type FailoverValue,
  type HistoryLine,
  type KeyVersion,
  type Leader,
  type MemberData,
  SyncState,
  type SyncValue,
} from './cluster.js';

/** `patroni/exceptions.py DCSError`: the store could not be reached or could not answer. */
export class DCSError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DCSError';
  }
}

/** The timing knobs the DCS client takes from Patroni's dynamic config (`AbstractDCS.set_ttl` etc.). */
export interface DcsTiming {
  ttlMs: number;
  loopWaitMs: number;
  retryTimeoutMs: number;
}

export interface StatusValue {
  optime: number;
  retain_slots?: string[];
}

declare module '../kernel/trace.js' {
  interface TraceMap {
    /** One Patroni-side DCS operation and its outcome (for the replay and for explanations). */
    'dcs.op': { node: string; op: string; ok: boolean; error?: string };
  }
}

export abstract class AbstractDCS {
  /** `AbstractDCS.event`: set by watches and by the REST API to wake the HA loop. */
  readonly event: Signal;
  protected timing: DcsTiming;
  private cachedCluster: Cluster | null = null;
  private cachedValidTillUs = 0;
  private lastSeenUs = 0;
  private lastStatus: StatusValue = { optime: 0 };
  private lastFailsafe: Record<string, string> | null = null;

  constructor(
    /** The Patroni process this client library runs in. */
    readonly proc: Process,
    /** This member's name (`AbstractDCS._name`). */
    readonly name: string,
    timing: DcsTiming,
  ) {
    this.event = new Signal(proc);
    this.timing = { ...timing };
  }

  // ---- timing -----------------------------------------------------------------------------

  get ttlMs(): number {
    return this.timing.ttlMs;
  }
  get loopWaitMs(): number {
    return this.timing.loopWaitMs;
  }
  get retryTimeoutMs(): number {
    return this.timing.retryTimeoutMs;
  }

  /** `AbstractDCS.set_ttl` (backends override to re-grant leases, restart sessions...). */
  setTtl(ttlMs: number): void {
    this.timing.ttlMs = ttlMs;
  }
  setRetryTimeout(retryTimeoutMs: number): void {
    this.timing.retryTimeoutMs = retryTimeoutMs;
  }
  setLoopWait(loopWaitMs: number): void {
    this.timing.loopWaitMs = loopWaitMs;
  }

  /** `AbstractDCS.reload_config` */
  reloadConfig(t: DcsTiming): void {
    this.setLoopWait(t.loopWaitMs);
    this.setTtl(t.ttlMs);
    this.setRetryTimeout(t.retryTimeoutMs);
  }

  /** Wall clock of the Patroni host, in microseconds (`time.time()`). */
  protected wallUs(): number {
    return this.proc.wallUs();
  }

  // ---- reading ------------------------------------------------------------------------------

  /** Backend: read the whole cluster prefix. Throws DCSError if it cannot. */
  protected abstract loadCluster(): Task<Cluster>;

  /** `AbstractDCS.get_cluster`: load, cache for ttl, remember /status and /failsafe. */
  *getCluster(): Task<Cluster> {
    let cluster: Cluster;
    try {
      cluster = yield* this.loadCluster();
    } catch (e) {
      this.resetCluster();
      throw e;
    }
    const now = this.wallUs();
    this.cachedCluster = cluster;
    this.cachedValidTillUs = now + this.timing.ttlMs * 1000;
    this.lastSeenUs = now;
    this.lastStatus = { optime: cluster.status.last_lsn };
    this.lastFailsafe = cluster.failsafe;
    return cluster;
  }

  /** `AbstractDCS.cluster`: the last view, or null once older than ttl (used by the REST API). */
  get cluster(): Cluster | null {
    return this.cachedValidTillUs > this.wallUs() ? this.cachedCluster : null;
  }

  get lastSeenMs(): number {
    return this.lastSeenUs / 1000;
  }

  resetCluster(): void {
    this.cachedCluster = null;
    this.cachedValidTillUs = 0;
  }

  /** `AbstractDCS.failsafe`: the last /failsafe value read or written. */
  get failsafe(): Record<string, string> | null {
    return this.lastFailsafe;
  }

  // ---- the leader key -----------------------------------------------------------------------

  /** Backend: atomically create the leader key with my name. False if it exists; DCSError if unreachable. */
  abstract attemptToAcquireLeader(): Task<boolean>;

  /** Backend: refresh my leader key (compare-and-swap on my ownership). */
  protected abstract updateLeaderKey(leader: Leader): Task<boolean>;

  /** Backend: delete my leader key (compare-and-swap). */
  protected abstract deleteLeaderKey(leader: Leader): Task<boolean>;

  /** Backend: create the leader key unconditionally (bootstrap only). */
  abstract takeLeader(): Task<boolean>;

  /** `AbstractDCS.acquire_leader_lock` */
  *acquireLeaderLock(): Task<boolean> {
    return yield* this.attemptToAcquireLeader();
  }

  /** `AbstractDCS.update_leader`: CAS the key; on success write /status and /failsafe if they changed. */
  *updateLeader(cluster: Cluster, lastLsn: number | null, failsafe: Record<string, string> | null): Task<boolean> {
    const leader = cluster.leader;
    if (!leader) return false;
    const ret = yield* this.updateLeaderKey(leader);
    if (ret && lastLsn) yield* this.writeStatus({ optime: lastLsn });
    if (ret && failsafe !== null) yield* this.writeFailsafe(failsafe);
    return ret;
  }

  /** `AbstractDCS.delete_leader`: write /status.optime first, then CAS-delete the key. */
  *deleteLeader(leader: Leader | null, lastLsn: number | null = null): Task<boolean> {
    if (lastLsn) yield* this.writeStatus({ optime: lastLsn });
    if (!leader) return false;
    return yield* this.deleteLeaderKey(leader);
  }

  // ---- other keys ---------------------------------------------------------------------------

  /** Backend: write my member key (with the backend's expiry: ttl, lease, session, ephemeral...). */
  abstract touchMember(data: MemberData): Task<boolean>;

  /** Backend: create (create_new) or set the initialize key atomically. */
  abstract initialize(createNew: boolean, sysid: string): Task<boolean>;

  abstract cancelInitialization(): Task<boolean>;

  /** Backend: write the failover key (CAS on `version` if given). */
  abstract setFailoverValue(value: FailoverValue, version: KeyVersion | null): Task<boolean>;

  /** Backend: write the config key (CAS on `version` if given). */
  abstract setConfigValue(value: DynamicConfigValue, version: KeyVersion | null): Task<boolean>;

  /** Backend: write the sync key (CAS on `version`). Returns the new version, or false. */
  protected abstract setSyncStateValue(value: SyncValue, version: KeyVersion | null): Task<KeyVersion | false>;

  abstract deleteSyncState(version: KeyVersion | null): Task<boolean>;

  abstract setHistoryValue(value: HistoryLine[]): Task<boolean>;

  protected abstract writeStatusValue(value: StatusValue): Task<boolean>;

  protected abstract writeFailsafeValue(value: Record<string, string>): Task<boolean>;

  /** `AbstractDCS.manual_failover` */
  *manualFailover(leader: string | null, candidate: string | null, scheduledAt: number | null = null, version: KeyVersion | null = null): Task<boolean> {
    const v: FailoverValue = {};
    if (leader) v.leader = leader;
    if (candidate) v.member = candidate;
    if (scheduledAt !== null) v.scheduled_at = scheduledAt;
    return yield* this.setFailoverValue(v, version);
  }

  /** `AbstractDCS.write_sync_state` */
  *writeSyncState(leader: string | null, syncStandby: readonly string[] | null, quorum: number | null, version: KeyVersion | null = null): Task<SyncState | null> {
    const value: SyncValue = {
      leader,
      quorum,
      sync_standby: syncStandby && syncStandby.length > 0 ? [...syncStandby].sort().join(',') : null,
    };
    const ret = yield* this.setSyncStateValue(value, version);
    return ret === false ? null : SyncState.fromValue(ret, value);
  }

  /** `AbstractDCS.write_status`: only when changed. */
  *writeStatus(value: StatusValue): Task<void> {
    if (value.optime === this.lastStatus.optime) return;
    if (yield* this.writeStatusValue(value)) this.lastStatus = { ...value };
  }

  /** `AbstractDCS.write_failsafe`: only when changed. */
  *writeFailsafe(value: Record<string, string>): Task<void> {
    if (this.lastFailsafe !== null && sameRecord(this.lastFailsafe, value)) return;
    if (yield* this.writeFailsafeValue(value)) this.lastFailsafe = { ...value };
  }

  /**
   * `AbstractDCS.watch`: wait up to `timeoutMs` for the event. Backends that can watch the leader
   * key override this (etcd long-poll, ZK watches, Consul blocking queries...).
   */
  *watch(_leaderVersion: KeyVersion | null, timeoutMs: number): Task<boolean> {
    yield* this.event.wait(timeoutMs * 1000);
    return this.event.isSet;
  }
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => a[k] === b[k]);
}
