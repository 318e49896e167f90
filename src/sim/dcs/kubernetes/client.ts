// Patroni's Kubernetes backend (a port of `patroni/dcs/kubernetes.py`, ConfigMap mode):
//  - objects <scope>-leader / -config / -failover / -sync (ConfigMaps) and one Pod per member
//    (annotation "status"), read from two watch-built ObjectCaches; get_cluster waits for them up
//    to retry_timeout;
//  - the leader record (annotations leader, ttl, renewTime, acquireTime, transitions) has no
//    server-side expiry: each observer remembers *its own* wall-clock time when it last saw the
//    record change and treats the leader as gone once that time + ttl has passed; a pure expiry
//    produces no watch event, so replicas notice at their next cycle;
//  - every leader write is a PATCH with metadata.resourceVersion (409 Conflict on a race);
//    update_leader requires the cached leader object to name us, re-reads and retries once on 409;
//  - member pods never expire.
import { NetError, RemoteError } from '../../net/network.js';
import type { Process } from '../../host/process.js';
import type { Task } from '../../kernel/task.js';
import { Deferred } from '../../kernel/task.js';
import { Signal } from '../../host/process.js';
import { AbstractDCS, DCSError, type DcsTiming, type StatusValue } from '../abstract.js';
import { Cluster, ClusterConfig, Leader, Member, Status, SyncState, type DynamicConfigValue, type FailoverValue, type HistoryLine, type KeyVersion, type MemberData, type SyncValue } from '../cluster.js';
import { failoverFromNode, historyFromNode, memberFromNode, sameJson } from '../raft/kvcluster.js';
import { Retry, RetryFailedError } from '../raft/retry.js';
import { StreamKeepalive, patroniKeepalive } from '../raft/keepalive.js';
import { K8sApi, K8sWatch, type K8sKind, type K8sObject, type K8sRequest, type K8sResponse, type KubeApiServer } from './apiserver.js';

export class KubernetesError extends DCSError {
  constructor(message: string) {
    super(message);
    this.name = 'KubernetesError';
  }
}

class K8sException extends Error {}
class K8sConnectionFailed extends K8sException {}
class ApiException extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}
class RetriableApiException extends ApiException {}

const RETRIABLE = new Set([500, 503, 504]);

class ObjectCache {
  ready = false;
  objects = new Map<string, K8sObject>();
  readonly readySignal: Signal;

  constructor(
    private readonly dcs: Kubernetes,
    readonly kind: K8sKind,
  ) {
    this.readySignal = new Signal(dcs.proc);
  }

  set(o: K8sObject): [boolean, K8sObject | undefined] {
    const old = this.objects.get(o.name);
    const ret = !old || Number(old.resourceVersion) < Number(o.resourceVersion);
    if (ret) this.objects.set(o.name, o);
    return [ret, old];
  }

  *run(): Task<void> {
    for (;;) {
      try {
        const r = (yield* this.dcs.retryRun((rt) => this.dcs.api({ op: 'list', kind: this.kind }, rt))) as { items: K8sObject[]; resourceVersion: string };
        this.objects = new Map(r.items.map((o) => [o.name, o]));
        this.ready = true;
        this.readySignal.set();
        yield* this.watch(r.resourceVersion);
      } catch {
        yield* this.dcs.proc.sleep(1_000_000);
      } finally {
        this.ready = false;
        this.readySignal.clear();
      }
    }
  }

  private *watch(rv: string): Task<void> {
    const d = this.dcs;
    const server = d.baseServer;
    const end = yield* d.proc.net.connect(d.proc, server, K8sWatch, d.retryTimeoutS * 1e6);
    const ended = new Deferred<void>();
    const ka = new StreamKeepalive(d.proc, server.host, patroniKeepalive(d.ttlS, d.loopWaitS + d.retryTimeoutS), () => {
      end.close();
      ended.resolve();
    });
    end.onMessage((ev) => {
      ka.received();
      if (ev.type === 'ERROR') {
        ended.resolve();
        return;
      }
      this.processEvent(ev.type, ev.object);
    });
    end.onClose(() => ended.resolve());
    end.send({ kind: this.kind, resourceVersion: rv });
    yield* ended.wait();
    ka.stop();
    end.close();
  }

  private processEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', o: K8sObject): void {
    const d = this.dcs;
    let success: boolean;
    let old: K8sObject | undefined;
    let newValue: string | undefined;
    const annotation = o.name === d.leaderPath ? 'leader' : o.name === d.configPath ? 'config' : '';
    if (type === 'DELETED') {
      old = this.objects.get(o.name);
      success = !old || Number(old.resourceVersion) < Number(o.resourceVersion);
      if (old && success) this.objects.delete(o.name);
    } else {
      [success, old] = this.set(o);
      if (success) newValue = o.annotations[annotation];
    }
    if (!success || this.kind === 'pod') return;
    const oldValue = old?.annotations[annotation];
    const changed = oldValue !== newValue && (o.name !== d.configPath || (oldValue !== undefined && newValue !== undefined));
    // "Do not wake up HA loop if we run as leader and received leader object update event"
    if (changed || (o.name === d.leaderPath && d.name !== newValue)) d.event.set();
  }
}

export class Kubernetes extends AbstractDCS {
  private readonly servers: KubeApiServer[];
  private base = 0;
  private readonly retryProto: Retry;
  private pods: ObjectCache | null = null;
  private kinds: ObjectCache | null = null;
  private startedIncarnation = -1;
  private leaderObservedRecord: Record<string, string> = {};
  private leaderObservedTimeUs: number | null = null;
  private leaderResourceVersion: string | null = null;
  private doNotWatch = false;
  readonly leaderPath: string;
  readonly configPath: string;
  private readonly failoverPath: string;
  private readonly syncPath: string;

  constructor(proc: Process, name: string, timing: DcsTiming, servers: readonly KubeApiServer[], scope: string) {
    super(proc, name, timing);
    this.servers = [...servers];
    this.base = proc.sim.rng(`patroni:${name}:k8s:servers`).int(0, Math.max(0, servers.length - 1));
    this.leaderPath = `${scope}-leader`;
    this.configPath = `${scope}-config`;
    this.failoverPath = `${scope}-failover`;
    this.syncPath = `${scope}-sync`;
    this.retryProto = new Retry(proc, proc.sim.rng(`patroni:${name}:k8s:retry`), {
      deadlineS: timing.retryTimeoutMs / 1000,
      maxDelayS: 1,
      maxTries: -1,
      retryOn: (e) => e instanceof RetriableApiException,
    });
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
  get baseServer(): KubeApiServer {
    return this.servers[this.base] as KubeApiServer;
  }

  override setTtl(ttlMs: number): void {
    this.doNotWatch = Math.floor(ttlMs / 1000) !== this.ttlS;
    super.setTtl(ttlMs);
  }

  override setRetryTimeout(retryTimeoutMs: number): void {
    super.setRetryTimeout(retryTimeoutMs);
    this.retryProto.deadlineS = retryTimeoutMs / 1000;
  }

  *retryRun<T>(fn: (r: Retry) => Task<T>, retry?: Retry): Task<T> {
    const r = retry ?? this.retryProto.copy();
    return yield* r.run(() => fn(r));
  }

  /** `K8sClient.ApiClient._calculate_timeouts` */
  private calculateTimeouts(n: number, timeoutS: number): [number, number] {
    let maxRetries = 3 - Math.min(n, 2);
    let retries = 1;
    let nodes = n;
    let per = timeoutS;
    while (nodes > 0) {
      per = timeoutS / nodes;
      if (per >= 1) {
        while (retries < maxRetries && per / (retries + 1) >= 1) retries++;
        per /= retries;
        break;
      }
      nodes--;
      maxRetries = 1;
    }
    return [nodes, per];
  }

  /** `ApiClient.request` + `CoreV1ApiProxy`: failover across API servers, HTTP errors as exceptions. */
  *api(req: K8sRequest, retry: Retry | null): Task<K8sResponse> {
    let servers = [this.baseServer, ...this.servers.filter((s) => s !== this.baseServer)];
    let [, perS] = this.calculateTimeouts(servers.length, this.retryTimeoutS);
    for (;;) {
      for (let i = 0; i < servers.length; i++) {
        const s = servers[i] as KubeApiServer;
        try {
          const r = yield* this.proc.net.call(this.proc, s, K8sApi, req, { timeoutUs: perS * 1e6, respBytes: 1024 });
          if (i > 0) this.base = this.servers.indexOf(s);
          return r;
        } catch (e) {
          if (e instanceof RemoteError) {
            if (RETRIABLE.has(e.status) || (req.op === 'patch' && e.status === 403 && retry !== null)) throw new RetriableApiException(e.status);
            throw new ApiException(e.status);
          }
          if (!(e instanceof NetError)) throw e;
          if (retry === null) {
            if (i + 1 < servers.length) this.base = this.servers.indexOf(servers[i + 1] as KubeApiServer);
            throw new K8sException(`${req.op} request failed`);
          }
        }
      }
      if (retry === null) throw new K8sConnectionFailed('No more API server nodes in the cluster');
      const sleepS = retry.sleeptimeS;
      const remainingS = (retry.stoptimeUs - this.proc.wallUs()) / 1e6 - sleepS;
      const [nodes, t] = this.calculateTimeouts(this.servers.length, remainingS);
      if (nodes === 0) throw new K8sConnectionFailed('No more API server nodes in the cluster');
      yield* this.proc.sleep(sleepS * 1e6);
      retry.updateDelay();
      perS = t;
      servers = servers.slice(0, nodes);
    }
  }

  private ensureStarted(): void {
    if (this.startedIncarnation === this.proc.incarnation) return;
    this.startedIncarnation = this.proc.incarnation;
    this.pods = new ObjectCache(this, 'pod');
    this.kinds = new ObjectCache(this, 'configmap');
    this.proc.spawn(`${this.name}: k8s pods cache`, this.pods.run());
    this.proc.spawn(`${this.name}: k8s kinds cache`, this.kinds.run());
  }

  /** `_patch_or_create` */
  private *patchOrCreate(name: string, annotations: Record<string, string | null>, resourceVersion: string | null, patch: boolean, retry: Retry | null, kind: K8sKind = 'configmap'): Task<K8sObject> {
    const req: K8sRequest = patch || resourceVersion !== null ? { op: 'patch', kind, name, annotations, resourceVersion, upsert: false } : { op: 'create', kind, name, annotations };
    const r = retry ? yield* retry.run(() => this.api(req, retry)) : yield* this.api(req, null);
    const o = (r as { object: K8sObject }).object;
    (kind === 'pod' ? this.pods : this.kinds)?.set(o);
    return o;
  }

  /** `patch_or_create` with `catch_kubernetes_errors` */
  private *patchOrCreateSafe(name: string, annotations: Record<string, string | null>, resourceVersion: string | null, patch: boolean, retry: boolean): Task<K8sObject | false> {
    try {
      return yield* this.patchOrCreate(name, annotations, resourceVersion, patch, retry ? this.retryProto.copy() : null);
    } catch (e) {
      if (e instanceof ApiException && e.status === 409 && resourceVersion !== null) {
        // terminate watchers: could be a sign that the K8s API is in a failed state (not modelled)
      }
      return false;
    }
  }

  private isoNow(): string {
    return String(Math.round(this.proc.wallUs()));
  }

  // ---- reading --------------------------------------------------------------------------------------

  protected *loadCluster(): Task<Cluster> {
    this.ensureStarted();
    const pods = this.pods as ObjectCache;
    const kinds = this.kinds as ObjectCache;
    const stopUs = this.proc.wallUs() + this.retryTimeoutS * 1e6;
    while (!(pods.ready && kinds.ready)) {
      const left = stopUs - this.proc.wallUs();
      if (left <= 0) throw new KubernetesError('Kubernetes API is not responding properly');
      yield* (pods.ready ? kinds : pods).readySignal.wait(left);
    }
    return this.clusterFromNodes(kinds.objects, [...pods.objects.values()]);
  }

  private clusterFromNodes(nodes: Map<string, K8sObject>, pods: K8sObject[]): Cluster {
    const members = pods.sort((a, b) => (a.name < b.name ? -1 : 1)).map((p) => memberFromNode(p.resourceVersion, p.name, null, p.annotations.status ?? ''));
    const cfg = nodes.get(this.configPath);
    const ca = cfg?.annotations ?? {};
    const initialize = ca.initialize ?? null;
    let config: ClusterConfig | null = null;
    let history = null;
    if (cfg) {
      let data: Record<string, unknown> = {};
      try {
        data = JSON.parse(ca.config ?? '{}') as Record<string, unknown>;
      } catch {
        data = {};
      }
      config = new ClusterConfig(cfg.resourceVersion, data, ca.config !== undefined ? cfg.resourceVersion : 0);
      history = historyFromNode(cfg.resourceVersion, ca.history ?? '[]');
    }
    const lobj = nodes.get(this.leaderPath);
    this.leaderResourceVersion = lobj ? lobj.resourceVersion : null;
    const la = lobj?.annotations ?? {};
    const status = la.optime !== undefined ? new Status(Number(la.optime)) : Status.empty();
    let failsafe: Record<string, string> | null = null;
    try {
      const f = JSON.parse(la.failsafe ?? '') as unknown;
      if (f !== null && typeof f === 'object' && !Array.isArray(f)) failsafe = f as Record<string, string>;
    } catch {
      failsafe = null;
    }
    const record: Record<string, string> = {};
    for (const n of ['leader', 'acquireTime', 'ttl', 'renewTime', 'transitions']) if (la[n] !== undefined) record[n] = la[n] as string;
    if ((Object.keys(record).length > 0 || Object.keys(this.leaderObservedRecord).length > 0) && !sameJson(record, this.leaderObservedRecord)) {
      this.leaderObservedRecord = record;
      this.leaderObservedTimeUs = this.proc.wallUs();
    }
    let leaderName: string | undefined = record.leader;
    const ttl = Number(record.ttl ?? this.ttlS) || this.ttlS;
    if (!(lobj && this.leaderObservedTimeUs !== null && this.leaderObservedTimeUs + ttl * 1e6 >= this.proc.wallUs())) leaderName = undefined;
    let leader: Leader | null = null;
    if (lobj) {
      const m = members.find((x) => x.name === leaderName) ?? new Member(-1, leaderName ?? '', null, {});
      leader = new Leader(lobj.resourceVersion, null, m);
    }
    const fo = nodes.get(this.failoverPath);
    const failover = fo ? failoverFromNode(fo.resourceVersion, JSON.stringify(fo.annotations)) : null;
    const sy = nodes.get(this.syncPath);
    const sa = sy?.annotations;
    const sync = SyncState.fromValue(sy ? sy.resourceVersion : null, sa ? { leader: sa.leader ?? null, sync_standby: sa.sync_standby ?? null, quorum: sa.quorum !== undefined ? Number(sa.quorum) : null } : null);
    return new Cluster(initialize, config, leader, status, members, failover, sync, history, failsafe);
  }

  // ---- the leader object ------------------------------------------------------------------------------

  /** `_update_leader_with_retry` */
  private *updateLeaderWithRetry(annotations: Record<string, string | null>, resourceVersion: string | null): Task<boolean> {
    const retry = this.retryProto.copy();
    try {
      return Boolean(yield* this.patchOrCreate(this.leaderPath, annotations, resourceVersion, false, retry));
    } catch (e) {
      if (e instanceof ApiException && !(e instanceof RetriableApiException) && e.status !== 409) return false;
      if (e instanceof RetryFailedError || e instanceof K8sException || e instanceof RetriableApiException) throw new KubernetesError(String(e));
      if (!(e instanceof ApiException)) throw e;
    }
    // 409: re-read directly from the API
    if (!retry.ensureDeadline(1)) return false;
    let kind: K8sObject;
    try {
      kind = ((yield* retry.run(() => this.api({ op: 'get', kind: 'configmap', name: this.leaderPath }, retry))) as { object: K8sObject }).object;
    } catch (e) {
      if (e instanceof RetryFailedError || e instanceof K8sException) throw new KubernetesError(String(e));
      return false;
    }
    this.kinds?.set(kind);
    if (kind.annotations.leader !== this.name || kind.resourceVersion === resourceVersion) return false;
    if (Object.entries(annotations).every(([k, v]) => (v === null ? kind.annotations[k] === undefined : kind.annotations[k] === v))) return true;
    if (!retry.ensureDeadline(0.5)) return false;
    try {
      return Boolean(yield* this.patchOrCreate(this.leaderPath, annotations, kind.resourceVersion, false, retry));
    } catch (e) {
      if (e instanceof RetryFailedError || e instanceof K8sException) throw new KubernetesError(String(e));
      return false;
    }
  }

  override *updateLeader(cluster: Cluster, lastLsn: number | null, failsafe: Record<string, string> | null): Task<boolean> {
    void cluster;
    this.ensureStarted();
    const kind = this.kinds?.objects.get(this.leaderPath);
    const ka = kind?.annotations ?? {};
    if (kind && ka.leader !== this.name) return false;
    const now = this.isoNow();
    const observed = kind ? ka : this.leaderObservedRecord;
    const annotations: Record<string, string | null> = {
      leader: this.name,
      ttl: String(this.ttlS),
      renewTime: now,
      acquireTime: observed.acquireTime ?? now,
      transitions: observed.transitions ?? '0',
    };
    if (lastLsn) annotations.optime = String(lastLsn);
    if (failsafe !== null) annotations.failsafe = Object.keys(failsafe).length > 0 ? JSON.stringify(failsafe) : null;
    return yield* this.updateLeaderWithRetry(annotations, kind ? kind.resourceVersion : null);
  }

  *attemptToAcquireLeader(): Task<boolean> {
    this.ensureStarted();
    const now = this.isoNow();
    const annotations: Record<string, string | null> = { leader: this.name, ttl: String(this.ttlS), renewTime: now, acquireTime: now, transitions: '0' };
    const rec = this.leaderObservedRecord;
    if (Object.keys(rec).length > 0) {
      let transitions = Number.parseInt(rec.transitions ?? '', 10);
      if (!Number.isFinite(transitions)) transitions = 0;
      if (rec.leader !== this.name) transitions++;
      else annotations.acquireTime = rec.acquireTime ?? now;
      annotations.transitions = String(transitions);
    }
    let rv = this.leaderResourceVersion;
    if (rv) {
      const kind = this.kinds?.objects.get(this.leaderPath);
      if (kind && kind.resourceVersion !== rv && Object.keys(annotations).every((k) => kind.annotations[k] === rec[k])) rv = kind.resourceVersion;
    }
    const retry = this.retryProto.copy();
    let ret = false;
    let conflict = false;
    try {
      ret = Boolean(yield* this.patchOrCreate(this.leaderPath, annotations, rv, false, retry));
    } catch (e) {
      if (e instanceof ApiException && !(e instanceof RetriableApiException)) {
        conflict = e.status === 409 && rv !== null;
      } else if (e instanceof RetryFailedError || e instanceof K8sException || e instanceof RetriableApiException) throw new KubernetesError(String(e));
      else throw e;
    }
    if (conflict && retry.ensureDeadline(1)) {
      try {
        const kind = ((yield* retry.run(() => this.api({ op: 'get', kind: 'configmap', name: this.leaderPath }, retry))) as { object: K8sObject }).object;
        if (kind.resourceVersion !== rv && Object.entries(annotations).every(([k, v]) => kind.annotations[k] === v)) ret = true;
      } catch (e) {
        if (e instanceof RetryFailedError || e instanceof K8sException) throw new KubernetesError(String(e));
      }
    }
    return ret;
  }

  *takeLeader(): Task<boolean> {
    return yield* this.attemptToAcquireLeader();
  }

  override *deleteLeader(_leader: Leader | null, lastLsn: number | null = null): Task<boolean> {
    const kind = this.kinds?.objects.get(this.leaderPath);
    let ret = false;
    if (kind && kind.annotations.leader === this.name) {
      const annotations: Record<string, string | null> = { leader: null };
      if (lastLsn) annotations.optime = String(lastLsn);
      ret = Boolean(yield* this.patchOrCreateSafe(this.leaderPath, annotations, kind.resourceVersion, true, false));
      this.resetCluster();
    }
    return ret;
  }

  // eslint-disable-next-line require-yield
  protected *updateLeaderKey(): Task<boolean> {
    throw new Error('unused: Kubernetes overrides update_leader');
  }
  // eslint-disable-next-line require-yield
  protected *deleteLeaderKey(): Task<boolean> {
    throw new Error('unused: Kubernetes overrides delete_leader');
  }

  // ---- other objects -----------------------------------------------------------------------------------

  *touchMember(data: MemberData): Task<boolean> {
    this.ensureStarted();
    const member = this.cluster?.get_member(this.name, false) ?? null;
    if (member && sameJson(data, member.data)) return true;
    try {
      const r = (yield* this.api({ op: 'patch', kind: 'pod', name: this.name, annotations: { status: JSON.stringify(data) }, resourceVersion: null, upsert: true }, null)) as { object: K8sObject };
      this.pods?.set(r.object);
      return true;
    } catch (e) {
      if (e instanceof DCSError) throw e;
      return false;
    }
  }

  private get configResourceVersion(): string | null {
    return this.kinds?.objects.get(this.configPath)?.resourceVersion ?? null;
  }

  *initialize(_createNew: boolean, sysid: string): Task<boolean> {
    const v = this.cluster?.config?.version;
    return Boolean(yield* this.patchOrCreateSafe(this.configPath, { initialize: sysid }, v ? String(v) : null, false, true));
  }

  *cancelInitialization(): Task<boolean> {
    return Boolean(yield* this.patchOrCreateSafe(this.configPath, { initialize: null }, null, true, true));
  }

  *setFailoverValue(value: FailoverValue, version: KeyVersion | null): Task<boolean> {
    const patch = Boolean(this.cluster?.failover?.version);
    const a: Record<string, string | null> = { leader: value.leader ?? null, member: value.member ?? null, scheduled_at: value.scheduled_at !== undefined ? String(value.scheduled_at) : null };
    return Boolean(yield* this.patchOrCreateSafe(this.failoverPath, a, version === null ? null : String(version), Boolean(version) || patch, false));
  }

  *setConfigValue(value: DynamicConfigValue, version: KeyVersion | null): Task<boolean> {
    return Boolean(yield* this.patchOrCreateSafe(this.configPath, { config: JSON.stringify(value) }, version === null ? null : String(version), this.configResourceVersion !== null, false));
  }

  protected *setSyncStateValue(value: SyncValue, version: KeyVersion | null): Task<KeyVersion | false> {
    const a: Record<string, string | null> = { leader: value.leader, sync_standby: value.sync_standby, quorum: value.quorum !== null ? String(value.quorum) : null };
    const r = yield* this.patchOrCreateSafe(this.syncPath, a, version === null ? null : String(version), false, true);
    return r === false ? false : r.resourceVersion;
  }

  *deleteSyncState(version: KeyVersion | null): Task<boolean> {
    return (yield* this.setSyncStateValue({ leader: null, sync_standby: null, quorum: null }, version)) !== false;
  }

  *setHistoryValue(value: HistoryLine[]): Task<boolean> {
    return Boolean(yield* this.patchOrCreateSafe(this.configPath, { history: JSON.stringify(value) }, null, this.configResourceVersion !== null, false));
  }

  // status and failsafe travel with update_leader on Kubernetes
  // eslint-disable-next-line require-yield
  protected *writeStatusValue(_value: StatusValue): Task<boolean> {
    return false;
  }
  // eslint-disable-next-line require-yield
  protected *writeFailsafeValue(_value: Record<string, string>): Task<boolean> {
    return false;
  }

  override *watch(leaderVersion: KeyVersion | null, timeoutMs: number): Task<boolean> {
    if (this.doNotWatch) {
      this.doNotWatch = false;
      return true;
    }
    const t = leaderVersion !== null ? timeoutMs + 500 : timeoutMs;
    try {
      yield* this.event.wait(t * 1000);
      return this.event.isSet;
    } finally {
      this.event.clear();
    }
  }
}
