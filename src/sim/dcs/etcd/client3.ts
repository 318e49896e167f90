// Patroni's etcd v3 backend in the Patroni process: a port of `patroni/dcs/etcd3.py` (Etcd3,
// PatroniEtcd3Client, KVCache) on top of the failover HTTP client (failover.ts).
//  - One lease per Patroni process (`create_lease` blocks until granted, like Etcd3.__init__);
//    leader and member keys are attached to it. Keepalive at most once per loop_wait unless forced
//    (update_leader forces); a keepalive reporting the lease gone grants a new one.
//  - Reads come from the KVCache: a serializable range over the cluster prefix, then a watch from
//    that revision on the base member. get_cluster waits up to retry_timeout for the cache to be
//    ready, else DCSError. The cache is dropped when the base member changes, a CAS txn fails, or
//    a request saw a newer raft term than the cache's (StaleEtcdNode).
//  - The HA event is set when the leader key's value changes or it is deleted, when /status
//    changes and I am not the leader, or when /config changes (KVCache._process_event).
import { RemoteError } from '../../net/network.js';
import type { Process } from '../../host/process.js';
import { Signal } from '../../host/process.js';
import type { Task } from '../../kernel/task.js';
import { Deferred } from '../../kernel/task.js';
import type { StreamEnd } from '../../net/network.js';
import { AbstractDCS, DCSError, type DcsTiming, type StatusValue } from '../abstract.js';
import type { Cluster, DynamicConfigValue, FailoverValue, HistoryLine, KeyVersion, Leader, MemberData, SyncValue } from '../cluster.js';
import { clusterFromNodes, KEYS, sameJson, type KvNode } from '../raft/kvcluster.js';
import { StreamKeepalive, patroniKeepalive } from '../raft/keepalive.js';
import { Retry, RetryFailedError } from '../raft/retry.js';
import { EtcdConnectionFailed, EtcdException, EtcdFailoverClient, EtcdServerError, type Endpoint } from './failover.js';
import type { KeyValue, OpResponse, TxnOp, TxnRequest } from './mvcc.js';
import { LEASE_NOT_FOUND } from './mvcc.js';
import { EtcdLeaseGrant, EtcdLeaseKeepAlive, EtcdRange, EtcdTxn, EtcdWatch, GRPC, type EtcdMember, type WatchS2C } from './server.js';

/** `Etcd3Error` */
export class Etcd3Error extends DCSError {
  constructor(message: string) {
    super(message);
    this.name = 'Etcd3Error';
  }
}

class ReturnFalse extends Error {}

function isLeaseNotFound(e: unknown): boolean {
  return e instanceof EtcdServerError && e.error === LEASE_NOT_FOUND;
}

interface TxnResult {
  succeeded: boolean;
  responses: OpResponse[];
  revision: number;
}

/** The watch-built cache of the cluster prefix (KVCache). */
class KvCache {
  ready = false;
  readonly readySignal: Signal;
  objects = new Map<string, KeyValue>();
  raftTerm = 0;
  private end: StreamEnd<{ t: 'create'; key: string; prefix: boolean; startRevision: number }, WatchS2C> | null = null;
  private ended: Deferred<void> | null = null;
  private killed = false;

  constructor(private readonly dcs: Etcd3) {
    this.readySignal = new Signal(dcs.proc);
  }

  setReady(v: boolean): void {
    this.ready = v;
    if (v) this.readySignal.set();
    else this.readySignal.clear();
  }

  set(kv: KeyValue, overwrite: boolean): [boolean, KeyValue | undefined] {
    const old = this.objects.get(kv.key);
    const ret = !old || old.modRevision < kv.modRevision;
    if (ret || (overwrite && old && old.modRevision === kv.modRevision)) this.objects.set(kv.key, kv);
    return [ret, old];
  }

  delete(key: string, modRevision: number): [boolean, KeyValue | undefined] {
    const old = this.objects.get(key);
    const ret = old !== undefined && old.modRevision < modRevision;
    if (ret) this.objects.delete(key);
    return [!old || ret, old];
  }

  /** `KVCache.kill_stream` */
  kill(): void {
    this.killed = true;
    if (this.end) this.end.close();
    this.ended?.resolve();
  }

  /** `KVCache.is_ready` (call with the condition "held"): drops a cache older than a seen term. */
  isReady(): boolean {
    if (this.ready && this.dcs.http.isStaleTerm(this.raftTerm)) {
      this.setReady(false);
      this.kill();
    }
    return this.ready;
  }

  *run(): Task<void> {
    for (;;) {
      try {
        yield* this.buildCache();
      } catch {
        yield* this.dcs.proc.sleep(1_000_000);
      }
    }
  }

  private *buildCache(): Task<void> {
    const d = this.dcs;
    const prefix = d.prefix;
    const r = yield* d.retryRun(() => d.rangeOn(prefix, true));
    this.objects = new Map(r.kvs.map((kv) => [kv.key, kv]));
    this.raftTerm = r.raftTerm;
    this.killed = false;
    this.setReady(true);
    try {
      yield* this.doWatch(r.revision);
    } catch {
      // logged as 'watchprefix failed' by Patroni
    } finally {
      this.setReady(false);
      this.end?.close();
      this.end = null;
    }
  }

  private *doWatch(revision: number): Task<void> {
    const d = this.dcs;
    if (this.killed) return;
    const ep = d.http.baseEndpoint;
    const end = yield* d.proc.net.connect(d.proc, ep.proc, EtcdWatch, d.http.readTimeoutS * 1e6);
    if (this.killed) {
      end.close();
      return;
    }
    this.end = end;
    const ended = new Deferred<void>();
    this.ended = ended;
    const ka = new StreamKeepalive(d.proc, ep.proc.host, patroniKeepalive(d.ttlS, d.loopWaitS + d.retryTimeoutS), () => {
      end.close();
      ended.resolve();
    });
    end.onMessage((m) => {
      ka.received();
      if (m.t === 'canceled') {
        ended.resolve();
        return;
      }
      // KVCache._process_message: StaleEtcdNodeGuard on the stream's own headers
      if (m.header.raftTerm < this.raftTerm) {
        ended.resolve();
        return;
      }
      this.raftTerm = m.header.raftTerm;
      if (m.t === 'events') for (const ev of m.events) this.processEvent(ev.type, ev.kv);
    });
    end.onClose(() => ended.resolve());
    end.send({ t: 'create', key: d.prefix, prefix: true, startRevision: revision });
    yield* ended.wait();
    ka.stop();
  }

  private processEvent(type: 'PUT' | 'DELETE', kv: KeyValue): void {
    const d = this.dcs;
    const [success, old] = type === 'DELETE' ? this.delete(kv.key, kv.modRevision) : this.set(kv, true);
    if (!success) return;
    const oldValue = old?.value;
    const newValue = type === 'DELETE' ? undefined : kv.value;
    const key = kv.key;
    const statusKey = key === d.prefix + KEYS.status || key === d.prefix + KEYS.optime;
    const valueChanged =
      oldValue !== newValue &&
      (key === d.prefix + KEYS.leader ||
        (statusKey && newValue !== undefined) ||
        (key === d.prefix + KEYS.config && oldValue !== undefined && newValue !== undefined));
    if (valueChanged && (!statusKey || this.objects.get(d.prefix + KEYS.leader)?.value !== d.name)) d.event.set();
  }
}

export class Etcd3 extends AbstractDCS {
  readonly http: EtcdFailoverClient;
  readonly prefix: string;
  private readonly retryProto: Retry;
  private lease: number | null = null;
  private lastLeaseRefreshUs = 0;
  private doNotWatch = false;
  private cache: KvCache | null = null;
  private startedIncarnation = -1;

  constructor(proc: Process, name: string, timing: DcsTiming, endpoints: readonly EtcdMember[], prefix: string) {
    super(proc, name, timing);
    this.prefix = prefix;
    const eps: Endpoint[] = endpoints.map((m) => ({ name: m.name, proc: m }));
    this.http = new EtcdFailoverClient(proc, eps, proc.sim.rng(`patroni:${name}:etcd3:machines`), timing.retryTimeoutMs / 1000);
    // Retry(deadline=retry_timeout, max_delay=1, max_tries=-1, retry_exceptions=(DeadlineExceeded, FailedPrecondition))
    this.retryProto = new Retry(proc, proc.sim.rng(`patroni:${name}:etcd3:retry`), {
      deadlineS: timing.retryTimeoutMs / 1000,
      maxDelayS: 1,
      maxTries: -1,
      retryOn: (e) => e instanceof EtcdServerError && (e.code === GRPC.DeadlineExceeded || e.code === GRPC.FailedPrecondition),
    });
    // PatroniEtcd3Client.set_base_uri restarts the watcher
    this.http.onBaseChange = () => this.cache?.kill();
  }

  get ttlS(): number {
    return Math.floor(this.timing.ttlMs / 1000);
  }
  get loopWaitS(): number {
    return this.timing.loopWaitMs / 1000;
  }
  get retryTimeoutS(): number {
    return this.timing.retryTimeoutMs / 1000;
  }

  /** The lease this client holds (for tests). */
  get leaseId(): number | null {
    return this.lease;
  }

  override setTtl(ttlMs: number): void {
    const changed = Math.floor(ttlMs / 1000) !== this.ttlS;
    super.setTtl(ttlMs);
    this.doNotWatch = changed;
    if (changed) this.lease = null;
  }

  override setRetryTimeout(retryTimeoutMs: number): void {
    super.setRetryTimeout(retryTimeoutMs);
    this.retryProto.deadlineS = retryTimeoutMs / 1000;
    this.http.readTimeoutS = retryTimeoutMs / 1000;
  }

  // ---- plumbing ------------------------------------------------------------------------------

  /** `AbstractEtcd.retry` */
  *retryRun<T>(fn: (r: Retry) => Task<T>): Task<T> {
    const r = this.retryProto.copy();
    return yield* r.run(() => fn(r));
  }

  /** A fresh copy of the retry policy (for methods that share one deadline across calls). */
  private newRetry(): Retry {
    return this.retryProto.copy();
  }

  /** The process life this client belongs to: a restarted Patroni starts from scratch. */
  private *ensureStarted(): Task<void> {
    if (this.startedIncarnation === this.proc.incarnation) return;
    this.startedIncarnation = this.proc.incarnation;
    this.lease = null;
    this.lastLeaseRefreshUs = 0;
    const cache = new KvCache(this);
    this.cache = cache;
    this.proc.spawn(`${this.name}: etcd3 KVCache`, cache.run());
    // Etcd3.__init__ → create_lease: loops "waiting on etcd" every 5 s until a lease is granted
    while (this.lease === null) {
      try {
        yield* this.refreshLease();
      } catch (e) {
        if (!(e instanceof Etcd3Error)) throw e;
        yield* this.proc.sleep(5_000_000);
      }
    }
  }

  private *rpc<R>(exec: (ep: Endpoint, timeoutUs: number) => Task<{ value: R; raftTerm: number | null }>, retry: Retry | null): Task<R> {
    return yield* this.http.execute(exec, retry);
  }

  *rangeOn(key: string, prefix: boolean, serializable = true, retry: Retry | null = null): Task<{ kvs: KeyValue[]; revision: number; raftTerm: number }> {
    const proc = this.proc;
    return yield* this.rpc(function* (ep, timeoutUs) {
      const r = yield* proc.net.call(proc, ep.proc, EtcdRange, { key, prefix, serializable }, { timeoutUs, respBytes: 512 });
      return { value: { kvs: r.kvs, revision: r.header.revision, raftTerm: r.header.raftTerm }, raftTerm: r.header.raftTerm };
    }, retry);
  }

  /** `Etcd3Client.txn` (+ PatroniEtcd3Client: cache update, watcher restart on a failed CAS). */
  private *txn(req: TxnRequest, retry: Retry | null, hasFailureBranch = false): Task<TxnResult | null> {
    const proc = this.proc;
    const r = yield* this.rpc(function* (ep, timeoutUs) {
      const x = yield* proc.net.call(proc, ep.proc, EtcdTxn, { txn: req }, { timeoutUs, reqBytes: 256 });
      return { value: { succeeded: x.succeeded, responses: x.responses, revision: x.header.revision }, raftTerm: x.header.raftTerm };
    }, retry);
    // PatroniEtcd3Client.call_rpc: apply our own successful write to the cache
    const nestedOk = hasFailureBranch && r.responses[0]?.succeeded === true;
    if (this.cache && (r.succeeded || nestedOk)) {
      const ops = req.success;
      for (const op of ops) {
        if ('put' in op) {
          const old = this.cache.objects.get(op.put.key);
          this.cache.set(
            { key: op.put.key, value: op.put.value, lease: op.put.lease, modRevision: r.revision, createRevision: old?.createRevision ?? r.revision, version: (old?.version ?? 0) + 1 },
            false,
          );
        } else if ('del' in op && !op.del.prefix) this.cache.delete(op.del.key, r.revision);
      }
    }
    if (!hasFailureBranch && !r.succeeded) {
      this.cache?.kill();
      return null;
    }
    return r;
  }

  private *put(key: string, value: string, lease: number | null, opts: { createRevision?: number; modRevision?: KeyVersion | null }, retry: Retry | null): Task<TxnResult | null> {
    const put: TxnOp = { put: { key, value, lease: lease ?? 0 } };
    const compare: TxnRequest['compare'] = [];
    if (opts.createRevision !== undefined) compare.push({ key, target: 'CREATE', createRevision: opts.createRevision });
    else if (opts.modRevision !== undefined && opts.modRevision !== null) compare.push({ key, target: 'MOD', modRevision: Number(opts.modRevision) });
    return yield* this.txn({ compare, success: [put], failure: [] }, retry);
  }

  private *deleteRange(key: string, modRevision: KeyVersion | null, retry: Retry | null): Task<TxnResult | null> {
    const compare: TxnRequest['compare'] = modRevision !== null ? [{ key, target: 'MOD', modRevision: Number(modRevision) }] : [];
    return yield* this.txn({ compare, success: [{ del: { key, prefix: false } }], failure: [] }, retry);
  }

  private *leaseGrant(retry: Retry | null): Task<number> {
    const proc = this.proc;
    const ttlS = this.ttlS;
    return yield* this.rpc(function* (ep, timeoutUs) {
      const r = yield* proc.net.call(proc, ep.proc, EtcdLeaseGrant, { ttlS }, { timeoutUs });
      return { value: r.id, raftTerm: r.header.raftTerm };
    }, retry);
  }

  private *leaseKeepalive(id: number, retry: Retry | null): Task<number | null> {
    const proc = this.proc;
    try {
      return yield* this.rpc(function* (ep, timeoutUs) {
        const r = yield* proc.net.call(proc, ep.proc, EtcdLeaseKeepAlive, { id }, { timeoutUs });
        return { value: r.ttlS, raftTerm: r.header.raftTerm };
      }, retry);
    } catch (e) {
      // the gateway answers a keepalive on an unknown lease with result.TTL absent
      if (isLeaseNotFound(e)) return null;
      throw e;
    }
  }

  /** `Etcd3._do_refresh_lease` */
  private *doRefreshLease(force: boolean, retry: Retry | null): Task<boolean> {
    if (!force && this.lease !== null && this.lastLeaseRefreshUs + this.timing.loopWaitMs * 1000 > this.proc.wallUs()) return false;
    if (this.lease !== null) {
      const ttl = yield* this.leaseKeepalive(this.lease, retry);
      if (!ttl) this.lease = null;
    }
    const ret = this.lease === null;
    if (ret) this.lease = yield* this.leaseGrant(retry);
    this.lastLeaseRefreshUs = this.proc.wallUs();
    return ret;
  }

  /** `Etcd3.refresh_lease` */
  private *refreshLease(): Task<boolean> {
    try {
      return yield* this.retryRun((r) => this.doRefreshLease(false, r));
    } catch (e) {
      if (!(e instanceof EtcdException || e instanceof RetryFailedError)) throw e;
    }
    throw new Etcd3Error('Failed to keepalive/grant lease');
  }

  /** `_run_and_handle_exceptions` */
  private *guarded<T>(fn: () => Task<T>): Task<T> {
    try {
      return yield* fn();
    } catch (e) {
      if (e instanceof RetryFailedError || e instanceof EtcdConnectionFailed) throw new Etcd3Error(e.message);
      if (e instanceof EtcdException) throw new ReturnFalse();
      if (e instanceof DCSError) throw e;
      throw new Etcd3Error('unexpected error');
    }
  }

  /** `catch_etcd_errors` */
  private *catchEtcd(task: Task<boolean>): Task<boolean> {
    try {
      return yield* task;
    } catch (e) {
      if (e instanceof RetryFailedError || e instanceof EtcdException) return false;
      if (e instanceof DCSError) throw e;
      if (e instanceof RemoteError) return false;
      throw new Etcd3Error('unexpected error');
    }
  }

  /** `catch_return_false_exception` */
  private *catchReturnFalse(task: Task<boolean>): Task<boolean> {
    try {
      return yield* task;
    } catch (e) {
      if (e instanceof ReturnFalse) return false;
      throw e;
    }
  }

  // ---- AbstractDCS ------------------------------------------------------------------------------

  protected *loadCluster(): Task<Cluster> {
    yield* this.ensureStarted();
    const cache = this.cache as KvCache;
    try {
      // PatroniEtcd3Client._wait_cache(read_timeout)
      const stopUs = this.proc.wallUs() + this.http.readTimeoutS * 1e6;
      while (!cache.isReady()) {
        const leftUs = stopUs - this.proc.wallUs();
        if (leftUs <= 0) throw new RetryFailedError('Exceeded retry deadline');
        yield* cache.readySignal.wait(leftUs);
      }
    } catch {
      throw new Etcd3Error('Etcd is not responding properly');
    }
    const nodes = new Map<string, KvNode>();
    for (const kv of cache.objects.values()) {
      if (!kv.key.startsWith(this.prefix)) continue;
      nodes.set(kv.key.slice(this.prefix.length), { value: kv.value, version: kv.modRevision, session: kv.lease === 0 ? null : kv.lease });
    }
    return clusterFromNodes(nodes);
  }

  *touchMember(data: MemberData): Task<boolean> {
    yield* this.ensureStarted();
    return yield* this.catchEtcd(
      function* (this: Etcd3) {
        try {
          yield* this.refreshLease();
        } catch (e) {
          if (e instanceof Etcd3Error) return false;
          throw e;
        }
        const member = this.cluster?.get_member(this.name, false) ?? null;
        if (member && member.session === this.lease && sameJson(data, member.data)) return true;
        try {
          return (yield* this.put(this.prefix + KEYS.members + this.name, JSON.stringify(data), this.lease, {}, null)) !== null;
        } catch (e) {
          if (isLeaseNotFound(e)) {
            this.lease = null;
            return false;
          }
          throw e;
        }
      }.call(this),
    );
  }

  *takeLeader(): Task<boolean> {
    yield* this.ensureStarted();
    return yield* this.catchEtcd(
      function* (this: Etcd3) {
        return (yield* this.retryRun((r) => this.put(this.prefix + KEYS.leader, this.name, this.lease, {}, r))) !== null;
      }.call(this),
    );
  }

  /** `Etcd3._do_attempt_to_acquire_leader` */
  private *doAttemptToAcquire(retry: Retry): Task<boolean> {
    const key = this.prefix + KEYS.leader;
    try {
      return (yield* retry.run(() => this.put(key, this.name, this.lease, { createRevision: 0 }, retry))) !== null;
    } catch (e) {
      if (!isLeaseNotFound(e)) throw e;
      this.lease = null;
      if (!retry.ensureDeadline(0)) return false;
      yield* retry.run(() => this.doRefreshLease(false, retry));
      retry.ensureDeadline(1, new Etcd3Error('_do_attempt_to_acquire_leader timeout'));
      return (yield* retry.run(() => this.put(key, this.name, this.lease, { createRevision: 0 }, retry))) !== null;
    }
  }

  *attemptToAcquireLeader(): Task<boolean> {
    yield* this.ensureStarted();
    return yield* this.catchReturnFalse(
      function* (this: Etcd3) {
        const retry = this.newRetry();
        yield* this.guarded(() => retry.run(() => this.doRefreshLease(false, retry)));
        retry.ensureDeadline(1, new Etcd3Error('attempt_to_acquire_leader timeout'));
        return yield* this.guarded(() => this.doAttemptToAcquire(retry));
      }.call(this),
    );
  }

  protected *updateLeaderKey(leader: Leader): Task<boolean> {
    yield* this.ensureStarted();
    return yield* this.catchReturnFalse(
      function* (this: Etcd3) {
        const retry = this.newRetry();
        yield* this.guarded(() => retry.run(() => this.doRefreshLease(true, retry)));
        if (this.lease !== null && leader.session !== this.lease) {
          retry.ensureDeadline(1, new Etcd3Error('update_leader timeout'));
          const key = this.prefix + KEYS.leader;
          const put: TxnOp = { put: { key, value: this.name, lease: this.lease } };
          // first hope we still own the key; else try to create it in a nested txn
          const req: TxnRequest = {
            compare: [{ key, target: 'VALUE', value: this.name }],
            success: [put],
            failure: [{ txn: { compare: [{ key, target: 'CREATE', createRevision: 0 }], success: [put], failure: [] } }],
          };
          const r = yield* this.guarded(() => retry.run(() => this.txn(req, retry, true)));
          return Boolean(r && (r.succeeded || r.responses[0]?.succeeded));
        }
        return this.lease !== null;
      }.call(this),
    );
  }

  protected *deleteLeaderKey(_leader: Leader): Task<boolean> {
    return yield* this.catchEtcd(
      function* (this: Etcd3) {
        const key = this.prefix + KEYS.leader;
        const r = yield* this.txn({ compare: [{ key, target: 'VALUE', value: this.name }], success: [{ del: { key, prefix: false } }], failure: [] }, null);
        return r !== null;
      }.call(this),
    );
  }

  *initialize(createNew: boolean, sysid: string): Task<boolean> {
    return yield* this.catchEtcd(
      function* (this: Etcd3) {
        const opts = createNew ? { createRevision: 0 } : {};
        return (yield* this.retryRun((r) => this.put(this.prefix + KEYS.initialize, sysid, null, opts, r))) !== null;
      }.call(this),
    );
  }

  *cancelInitialization(): Task<boolean> {
    return yield* this.catchEtcd(
      function* (this: Etcd3) {
        return (yield* this.retryRun((r) => this.deleteRange(this.prefix + KEYS.initialize, null, r))) !== null;
      }.call(this),
    );
  }

  *setFailoverValue(value: FailoverValue, version: KeyVersion | null): Task<boolean> {
    return yield* this.catchEtcd(
      function* (this: Etcd3) {
        return (yield* this.put(this.prefix + KEYS.failover, JSON.stringify(value), null, { modRevision: version }, null)) !== null;
      }.call(this),
    );
  }

  *setConfigValue(value: DynamicConfigValue, version: KeyVersion | null): Task<boolean> {
    return yield* this.catchEtcd(
      function* (this: Etcd3) {
        return (yield* this.put(this.prefix + KEYS.config, JSON.stringify(value), null, { modRevision: version }, null)) !== null;
      }.call(this),
    );
  }

  protected *setSyncStateValue(value: SyncValue, version: KeyVersion | null): Task<KeyVersion | false> {
    let out: KeyVersion | false = false;
    yield* this.catchEtcd(
      function* (this: Etcd3) {
        const r = yield* this.retryRun((rt) => this.put(this.prefix + KEYS.sync, JSON.stringify(value), null, { modRevision: version }, rt));
        out = r ? r.revision : false;
        return true;
      }.call(this),
    );
    return out;
  }

  *deleteSyncState(version: KeyVersion | null): Task<boolean> {
    return yield* this.catchEtcd(
      function* (this: Etcd3) {
        return (yield* this.retryRun((r) => this.deleteRange(this.prefix + KEYS.sync, version, r))) !== null;
      }.call(this),
    );
  }

  *setHistoryValue(value: HistoryLine[]): Task<boolean> {
    return yield* this.catchEtcd(
      function* (this: Etcd3) {
        return (yield* this.put(this.prefix + KEYS.history, JSON.stringify(value), null, {}, null)) !== null;
      }.call(this),
    );
  }

  protected *writeStatusValue(value: StatusValue): Task<boolean> {
    return yield* this.catchEtcd(
      function* (this: Etcd3) {
        return (yield* this.put(this.prefix + KEYS.status, JSON.stringify(value), null, {}, null)) !== null;
      }.call(this),
    );
  }

  protected *writeFailsafeValue(value: Record<string, string>): Task<boolean> {
    return yield* this.catchEtcd(
      function* (this: Etcd3) {
        return (yield* this.put(this.prefix + KEYS.failsafe, JSON.stringify(value), null, {}, null)) !== null;
      }.call(this),
    );
  }

  /** `Etcd3.watch`: waits on the event (set by the KVCache); non-leaders get 0.5 s more. */
  override *watch(leaderVersion: KeyVersion | null, timeoutMs: number): Task<boolean> {
    this.lastLeaseRefreshUs = 0;
    if (this.doNotWatch) {
      this.doNotWatch = false;
      return true;
    }
    const t = leaderVersion ? timeoutMs + 500 : timeoutMs;
    try {
      yield* this.event.wait(t * 1000);
      return this.event.isSet;
    } finally {
      this.event.clear();
    }
  }
}
