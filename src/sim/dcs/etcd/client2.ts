// Patroni's etcd v2 backend (a port of `patroni/dcs/etcd.py Etcd` over python-etcd):
//  - keys with server-side TTL: leader `write(prevExist=False, ttl)`, update `write(prevValue=me,
//    ttl)` falling back to acquire on KeyNotFound, delete `delete(prevValue=me)`, members `set(ttl)`;
//  - the daemon reads with quorum=False (served by whichever member it asks, possibly stale);
//  - Retry(deadline=retry_timeout, max_delay=1) retries EtcdLeaderElectionInProgress (301) and
//    EtcdRaftInternal (300); connection failures across every endpoint become DCSError;
//  - watch: a long poll on the leader key from the leader's version (any event wakes it: a renewal
//    by compareAndSwap too, so replicas cycle right after each leader heartbeat).
import type { Process } from '../../host/process.js';
import type { Task } from '../../kernel/task.js';
import { AbstractDCS, DCSError, type DcsTiming, type StatusValue } from '../abstract.js';
import type { Cluster, DynamicConfigValue, FailoverValue, HistoryLine, KeyVersion, Leader, MemberData, SyncValue } from '../cluster.js';
import { Cluster as ClusterClass } from '../cluster.js';
import { clusterFromNodes, KEYS, type KvNode } from '../raft/kvcluster.js';
import { Retry, RetryFailedError } from '../raft/retry.js';
import { EtcdConnectionFailed, EtcdException, EtcdFailoverClient, EtcdServerError, type Endpoint } from './failover.js';
import { Etcd2Delete, Etcd2Get, Etcd2Set, Etcd2Watch, type EtcdMember } from './server.js';
import { V2, type V2Event, type V2Node } from './v2store.js';

export class EtcdError extends DCSError {
  constructor(message: string) {
    super(message);
    this.name = 'EtcdError';
  }
}

const isCode = (e: unknown, code: number): boolean => e instanceof EtcdServerError && e.code === code;

export class Etcd2 extends AbstractDCS {
  readonly http: EtcdFailoverClient;
  private readonly retryProto: Retry;
  private doNotWatch = false;

  constructor(
    proc: Process,
    name: string,
    timing: DcsTiming,
    endpoints: readonly EtcdMember[],
    readonly prefix: string,
  ) {
    super(proc, name, timing);
    const eps: Endpoint[] = endpoints.map((m) => ({ name: m.name, proc: m }));
    this.http = new EtcdFailoverClient(proc, eps, proc.sim.rng(`patroni:${name}:etcd2:machines`), timing.retryTimeoutMs / 1000);
    this.retryProto = new Retry(proc, proc.sim.rng(`patroni:${name}:etcd2:retry`), {
      deadlineS: timing.retryTimeoutMs / 1000,
      maxDelayS: 1,
      maxTries: -1,
      retryOn: (e) => isCode(e, V2.LeaderElect) || isCode(e, V2.RaftInternal),
    });
  }

  private get ttlS(): number {
    return Math.floor(this.timing.ttlMs / 1000);
  }

  override setTtl(ttlMs: number): void {
    this.doNotWatch = Math.floor(ttlMs / 1000) !== this.ttlS;
    super.setTtl(ttlMs);
  }

  override setRetryTimeout(retryTimeoutMs: number): void {
    super.setRetryTimeout(retryTimeoutMs);
    this.retryProto.deadlineS = retryTimeoutMs / 1000;
    this.http.readTimeoutS = retryTimeoutMs / 1000;
  }

  private *retryRun<T>(fn: (r: Retry) => Task<T>): Task<T> {
    const r = this.retryProto.copy();
    return yield* r.run(() => fn(r));
  }

  private *get(key: string, recursive: boolean, retry: Retry | null): Task<{ nodes: V2Node[]; etcdIndex: number }> {
    const proc = this.proc;
    return yield* this.http.execute(function* (ep, timeoutUs) {
      const r = yield* proc.net.call(proc, ep.proc, Etcd2Get, { key, recursive, quorum: false }, { timeoutUs, respBytes: 1024 });
      return { value: { nodes: r.nodes, etcdIndex: r.etcdIndex }, raftTerm: r.raftTerm };
    }, retry);
  }

  private *set(key: string, value: string, o: { ttlS?: number | null; prevExist?: boolean | null; prevValue?: string | null; prevIndex?: number }, retry: Retry | null): Task<V2Event> {
    const proc = this.proc;
    const req = { key, value, ttlS: o.ttlS ?? null, prevExist: o.prevExist ?? null, prevValue: o.prevValue ?? null, prevIndex: o.prevIndex ?? 0 };
    return yield* this.http.execute(function* (ep, timeoutUs) {
      const r = yield* proc.net.call(proc, ep.proc, Etcd2Set, req, { timeoutUs });
      return { value: r.event, raftTerm: r.raftTerm };
    }, retry);
  }

  private *del(key: string, o: { prevValue?: string | null; prevIndex?: number }, retry: Retry | null): Task<V2Event> {
    const proc = this.proc;
    const req = { key, prevValue: o.prevValue ?? null, prevIndex: o.prevIndex ?? 0 };
    return yield* this.http.execute(function* (ep, timeoutUs) {
      const r = yield* proc.net.call(proc, ep.proc, Etcd2Delete, req, { timeoutUs });
      return { value: r.event, raftTerm: r.raftTerm };
    }, retry);
  }

  /** `catch_etcd_errors` */
  private *catchEtcd(task: Task<boolean>): Task<boolean> {
    try {
      return yield* task;
    } catch (e) {
      if (e instanceof RetryFailedError || e instanceof EtcdException) return false;
      if (e instanceof DCSError) throw e;
      throw new EtcdError('unexpected error');
    }
  }

  /** `_run_and_handle_exceptions` + `catch_return_false_exception` */
  private *guarded(task: Task<boolean>): Task<boolean> {
    try {
      return yield* task;
    } catch (e) {
      if (e instanceof RetryFailedError || e instanceof EtcdConnectionFailed) throw new EtcdError(e.message);
      if (e instanceof EtcdException) return false;
      if (e instanceof DCSError) throw e;
      throw new EtcdError('unexpected error');
    }
  }

  protected *loadCluster(): Task<Cluster> {
    let r: { nodes: V2Node[]; etcdIndex: number };
    try {
      r = yield* this.retryRun((rt) => this.get(this.prefix, true, rt));
    } catch (e) {
      if (isCode(e, V2.KeyNotFound)) return ClusterClass.empty();
      throw new EtcdError('Etcd is not responding properly');
    }
    const nodes = new Map<string, KvNode>();
    for (const n of r.nodes) nodes.set(n.key.slice(this.prefix.length), { value: n.value, version: n.modifiedIndex, session: n.ttlS });
    const c = clusterFromNodes(nodes);
    const l = nodes.get(KEYS.leader);
    if (c.leader && l) {
      // Etcd._cluster_from_nodes: the leader's version is the index to watch from
      const version = r.etcdIndex > Number(l.version) ? r.etcdIndex : Number(l.version) + 1;
      const leader = new (c.leader.constructor as typeof Leader)(version, c.leader.session, c.leader.member);
      return new ClusterClass(c.initialize, c.config, leader, c.status, c.members, c.failover, c.sync, c.history, c.failsafe);
    }
    return c;
  }

  *touchMember(data: MemberData): Task<boolean> {
    return yield* this.catchEtcd(
      function* (this: Etcd2) {
        yield* this.set(this.prefix + KEYS.members + this.name, JSON.stringify(data), { ttlS: this.ttlS }, null);
        return true;
      }.call(this),
    );
  }

  *takeLeader(): Task<boolean> {
    return yield* this.catchEtcd(
      function* (this: Etcd2) {
        yield* this.retryRun((r) => this.set(this.prefix + KEYS.leader, this.name, { ttlS: this.ttlS }, r));
        return true;
      }.call(this),
    );
  }

  private *doAttemptToAcquire(): Task<boolean> {
    try {
      yield* this.retryRun((r) => this.set(this.prefix + KEYS.leader, this.name, { ttlS: this.ttlS, prevExist: false }, r));
      return true;
    } catch (e) {
      if (isCode(e, V2.NodeExist)) return false;
      throw e;
    }
  }

  *attemptToAcquireLeader(): Task<boolean> {
    return yield* this.guarded(this.doAttemptToAcquire());
  }

  protected *updateLeaderKey(_leader: Leader): Task<boolean> {
    return yield* this.guarded(
      function* (this: Etcd2) {
        try {
          yield* this.retryRun((r) => this.set(this.prefix + KEYS.leader, this.name, { ttlS: this.ttlS, prevValue: this.name }, r));
          return true;
        } catch (e) {
          if (isCode(e, V2.KeyNotFound)) return yield* this.doAttemptToAcquire();
          throw e;
        }
      }.call(this),
    );
  }

  protected *deleteLeaderKey(_leader: Leader): Task<boolean> {
    return yield* this.catchEtcd(
      function* (this: Etcd2) {
        yield* this.del(this.prefix + KEYS.leader, { prevValue: this.name }, null);
        return true;
      }.call(this),
    );
  }

  *initialize(createNew: boolean, sysid: string): Task<boolean> {
    return yield* this.catchEtcd(
      function* (this: Etcd2) {
        yield* this.retryRun((r) => this.set(this.prefix + KEYS.initialize, sysid, { prevExist: !createNew }, r));
        return true;
      }.call(this),
    );
  }

  *cancelInitialization(): Task<boolean> {
    return yield* this.catchEtcd(
      function* (this: Etcd2) {
        yield* this.retryRun((r) => this.del(this.prefix + KEYS.initialize, {}, r));
        return true;
      }.call(this),
    );
  }

  private *writeSimple(key: string, value: string, prevIndex: KeyVersion | null, retry: boolean): Task<V2Event | null> {
    try {
      const idx = prevIndex === null ? 0 : Number(prevIndex);
      return retry ? yield* this.retryRun((r) => this.set(key, value, { prevIndex: idx }, r)) : yield* this.set(key, value, { prevIndex: idx }, null);
    } catch (e) {
      if (e instanceof RetryFailedError || e instanceof EtcdException) return null;
      throw e;
    }
  }

  *setFailoverValue(value: FailoverValue, version: KeyVersion | null): Task<boolean> {
    return (yield* this.writeSimple(this.prefix + KEYS.failover, JSON.stringify(value), version, false)) !== null;
  }

  *setConfigValue(value: DynamicConfigValue, version: KeyVersion | null): Task<boolean> {
    return (yield* this.writeSimple(this.prefix + KEYS.config, JSON.stringify(value), version, false)) !== null;
  }

  protected *setSyncStateValue(value: SyncValue, version: KeyVersion | null): Task<KeyVersion | false> {
    const ev = yield* this.writeSimple(this.prefix + KEYS.sync, JSON.stringify(value), version, true);
    return ev ? ev.node.modifiedIndex : false;
  }

  *deleteSyncState(version: KeyVersion | null): Task<boolean> {
    return yield* this.catchEtcd(
      function* (this: Etcd2) {
        yield* this.retryRun((r) => this.del(this.prefix + KEYS.sync, { prevIndex: version === null ? 0 : Number(version) }, r));
        return true;
      }.call(this),
    );
  }

  *setHistoryValue(value: HistoryLine[]): Task<boolean> {
    return (yield* this.writeSimple(this.prefix + KEYS.history, JSON.stringify(value), null, false)) !== null;
  }

  protected *writeStatusValue(value: StatusValue): Task<boolean> {
    return (yield* this.writeSimple(this.prefix + KEYS.status, JSON.stringify(value), null, false)) !== null;
  }

  protected *writeFailsafeValue(value: Record<string, string>): Task<boolean> {
    return (yield* this.writeSimple(this.prefix + KEYS.failsafe, JSON.stringify(value), null, false)) !== null;
  }

  /** `Etcd.watch`: long poll on the leader key while at least 1 s is left. */
  override *watch(leaderVersion: KeyVersion | null, timeoutMs: number): Task<boolean> {
    if (this.doNotWatch) {
      this.doNotWatch = false;
      return true;
    }
    let timeoutS = timeoutMs / 1000;
    if (leaderVersion !== null) {
      const endUs = this.proc.wallUs() + timeoutS * 1e6;
      const proc = this.proc;
      const key = this.prefix + KEYS.leader;
      while (timeoutS >= 1) {
        try {
          const ev = yield* this.http.execute(function* (ep, tUs) {
            const r = yield* proc.net.call(proc, ep.proc, Etcd2Watch, { key, waitIndex: Number(leaderVersion) }, { timeoutUs: tUs });
            return { value: r.event, raftTerm: r.raftTerm };
          }, null, timeoutS + 0.5);
          if (ev.action === 'compareAndSwap') yield* this.proc.sleep(10_000);
          return true;
        } catch (e) {
          if (isCode(e, V2.EventIndexCleared)) return true;
          // a timed-out long poll (EtcdWatchTimedOut) ends the watch
          if (e instanceof EtcdException && !(e instanceof EtcdServerError)) return false;
        }
        timeoutS = (endUs - this.proc.wallUs()) / 1e6;
      }
    }
    try {
      yield* this.event.wait(Math.max(0, timeoutS) * 1e6);
      return this.event.isSet;
    } finally {
      this.event.clear();
    }
  }
}
