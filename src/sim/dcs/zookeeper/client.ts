// Patroni's ZooKeeper backend (a port of `patroni/dcs/zookeeper.py`) over a kazoo-like client:
//  - one session per Patroni process, timeout = ttl (the server clamps it); kazoo pings when idle
//    every read_timeout/2, Patroni's read_timeout being max(loop_wait - 2, 2) s; an unanswered ping
//    or a failed request drops the connection (SUSPENDED); kazoo reconnects to the next server
//    (connect timeout max(1, loop_wait/2) s, connection_retry backoff up to 1 s) and resumes the
//    *same* session if the ensemble still has it, else starts a new one (LOST);
//  - while not connected every request fails at once with SessionExpiredError (Patroni's
//    PatroniKazooClient._call); the command retry (deadline retry_timeout) retries connection loss
//    and session expiry;
//  - leader and member znodes are ephemeral; update_leader only re-creates the leader znode when
//    its ephemeralOwner is not our session, otherwise returns True without contacting ZooKeeper;
//    delete_leader restarts the client (closes the session: every ephemeral node goes);
//  - watches on the leader and config znodes, and any connection state change, set the HA event.
import { NetError } from '../../net/network.js';
import { Signal, type Process } from '../../host/process.js';
import type { Task } from '../../kernel/task.js';
import { AbstractDCS, DCSError, type DcsTiming, type StatusValue } from '../abstract.js';
import type { Cluster, DynamicConfigValue, FailoverValue, HistoryLine, KeyVersion, Leader, MemberData, SyncValue } from '../cluster.js';
import { clusterFromNodes, KEYS, sameJson, type KvNode } from '../raft/kvcluster.js';
import { Retry, RetryFailedError } from '../raft/retry.js';
import { ZkClose, ZkConnect, ZkError, ZkPing, ZkRead, ZkWrite, type ZkServer, type ZkWatchTarget } from './server.js';
import type { ZkCmd, ZkResult, Znode } from './tree.js';

export class ZooKeeperError extends DCSError {
  constructor(message: string) {
    super(message);
    this.name = 'ZooKeeperError';
  }
}

/** kazoo exceptions */
class KazooError extends Error {}
class ConnectionLoss extends KazooError {}
class SessionExpiredError extends KazooError {}
class NodeExistsError extends KazooError {}
class NoNodeError extends KazooError {}
class BadVersionError extends KazooError {}

export type KazooState = 'CONNECTING' | 'CONNECTED';

export class ZooKeeper extends AbstractDCS implements ZkWatchTarget {
  kazooState: KazooState = 'CONNECTING';
  sessionId = 0;
  private server: ZkServer | null = null;
  private hostIdx = 0;
  private readonly hosts: ZkServer[];
  private readonly retryProto: Retry;
  private readonly connRng;
  private drop: Signal;
  private startedIncarnation = -1;
  private lastMemberData: MemberData | null = null;

  constructor(
    proc: Process,
    name: string,
    timing: DcsTiming,
    servers: readonly ZkServer[],
    readonly prefix: string,
    private readonly registerSession: (id: number, c: ZooKeeper) => void,
  ) {
    super(proc, name, timing);
    const rng = proc.sim.rng(`patroni:${name}:zk:hosts`);
    const h = [...servers];
    for (let i = h.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      const t = h[i] as ZkServer;
      h[i] = h[j] as ZkServer;
      h[j] = t;
    }
    this.hosts = h;
    this.connRng = proc.sim.rng(`patroni:${name}:zk:conn`);
    this.drop = new Signal(proc);
    // KazooRetry(max_delay=1, max_tries=-1, deadline=retry_timeout): ConnectionLoss, OperationTimeout, SessionExpired
    this.retryProto = new Retry(proc, proc.sim.rng(`patroni:${name}:zk:retry`), {
      deadlineS: timing.retryTimeoutMs / 1000,
      maxDelayS: 1,
      maxJitterS: 0.4,
      maxTries: -1,
      retryOn: (e) => e instanceof ConnectionLoss || e instanceof SessionExpiredError,
    });
  }

  get sessionIdForTests(): number {
    return this.sessionId;
  }

  /** kazoo read timeout as Patroni overrides it: max(loop_wait - 2, 2) s. */
  private get readTimeoutUs(): number {
    return Math.max(this.timing.loopWaitMs / 1000 - 2, 2) * 1e6;
  }

  private get connectTimeoutUs(): number {
    return Math.max(1, this.timing.loopWaitMs / 1000 / 2) * 1e6;
  }

  override setRetryTimeout(retryTimeoutMs: number): void {
    super.setRetryTimeout(retryTimeoutMs);
    this.retryProto.deadlineS = retryTimeoutMs / 1000;
  }

  /** A watched znode changed (ZkWatchTarget). */
  fire(path: string): void {
    // Patroni's _watcher
    if (path.startsWith(this.prefix)) this.event.set();
  }

  get proc2(): Process {
    return this.proc;
  }

  // ---- the connection -----------------------------------------------------------------------------

  private ensureStarted(): void {
    if (this.startedIncarnation === this.proc.incarnation) return;
    this.startedIncarnation = this.proc.incarnation;
    this.sessionId = 0;
    this.kazooState = 'CONNECTING';
    this.server = null;
    this.drop = new Signal(this.proc);
    this.proc.spawn(`${this.name}: kazoo connection`, this.connectionLoop());
  }

  private connectionLost(expired: boolean): void {
    if (this.kazooState === 'CONNECTED') this.event.set(); // watchers see the state change
    this.kazooState = 'CONNECTING';
    this.server = null;
    if (expired) this.sessionId = 0;
    this.hostIdx = (this.hostIdx + 1) % this.hosts.length;
    this.drop.set();
  }

  private *connectionLoop(): Task<void> {
    let delayS = 0.1;
    for (;;) {
      const s = this.hosts[this.hostIdx] as ZkServer;
      try {
        const r = yield* this.proc.net.call(this.proc, s, ZkConnect, { sessionId: this.sessionId, timeoutMs: this.timing.ttlMs }, { timeoutUs: this.connectTimeoutUs });
        if (this.sessionId !== r.sessionId) this.event.set();
        this.sessionId = r.sessionId;
        this.registerSession(r.sessionId, this);
        this.server = s;
        this.kazooState = 'CONNECTED';
        this.drop.clear();
        delayS = 0.1;
      } catch (e) {
        if (e instanceof ZkError && e.code === 'SessionExpired') {
          // KazooState.LOST: start a new session at once
          this.sessionId = 0;
          this.event.set();
          continue;
        }
        this.hostIdx = (this.hostIdx + 1) % this.hosts.length;
        yield* this.proc.sleep((delayS + this.connRng.int(0, 40) / 100) * 1e6);
        delayS = Math.min(1, delayS * 2);
        continue;
      }
      // connected: ping when idle every read_timeout/2; an unanswered ping drops the connection
      for (;;) {
        const dropped = yield* this.drop.wait(this.readTimeoutUs / 2);
        if (dropped || this.kazooState !== 'CONNECTED') break;
        try {
          yield* this.proc.net.call(this.proc, s, ZkPing, { sessionId: this.sessionId }, { timeoutUs: this.readTimeoutUs / 2 });
        } catch (e) {
          this.connectionLost(e instanceof ZkError && e.code === 'SessionExpired');
          break;
        }
      }
      this.drop.clear();
    }
  }

  /** One request on the current connection. */
  private *request<R>(fn: (s: ZkServer) => Task<R>): Task<R> {
    this.ensureStarted();
    const s = this.server;
    if (this.kazooState !== 'CONNECTED' || s === null) throw new SessionExpiredError('not connected');
    try {
      return yield* fn(s);
    } catch (e) {
      if (e instanceof NetError || (e instanceof ZkError && e.code === 'ConnectionLoss')) {
        if (this.server === s) this.connectionLost(false);
        throw new ConnectionLoss(e.message);
      }
      if (e instanceof ZkError && e.code === 'SessionExpired') {
        if (this.server === s) this.connectionLost(true);
        throw new SessionExpiredError(e.message);
      }
      throw e;
    }
  }

  private *write(cmd: ZkCmd, timeoutUs?: number): Task<ZkResult> {
    const r = yield* this.request((s) => this.proc.net.call(this.proc, s, ZkWrite, { sessionId: this.sessionId, cmd }, { timeoutUs: timeoutUs ?? this.readTimeoutUs }));
    if (r.code === 'NodeExists') throw new NodeExistsError(cmd.op);
    if (r.code === 'NoNode') throw new NoNodeError(cmd.op);
    if (r.code === 'BadVersion') throw new BadVersionError(cmd.op);
    if (r.code === 'SessionExpired') throw new SessionExpiredError(cmd.op);
    return r;
  }

  private *retryRun<T>(fn: () => Task<T>): Task<T> {
    return yield* this.retryProto.copy().run(fn);
  }

  private *create(path: string, data: string, ephemeral: boolean, timeoutUs?: number): Task<ZkResult> {
    return yield* this.write({ op: 'create', path, data, ephemeral, session: this.sessionId }, timeoutUs);
  }

  // ---- AbstractDCS ----------------------------------------------------------------------------------

  protected *loadCluster(): Task<Cluster> {
    this.ensureStarted();
    let nodes: Znode[];
    try {
      nodes = (yield* this.retryRun(() =>
        this.request((s) => this.proc.net.call(this.proc, s, ZkRead, { sessionId: this.sessionId, prefix: this.prefix, watch: [this.prefix + KEYS.leader, this.prefix + KEYS.config] }, { timeoutUs: this.readTimeoutUs, respBytes: 1024 })),
      )).nodes;
    } catch {
      throw new ZooKeeperError('ZooKeeper in not responding properly');
    }
    const m = new Map<string, KvNode>();
    for (const n of nodes) m.set(n.path.slice(this.prefix.length), { value: n.data, version: n.version, session: n.ephemeralOwner === 0 ? null : n.ephemeralOwner });
    return clusterFromNodes(m);
  }

  *attemptToAcquireLeader(): Task<boolean> {
    try {
      yield* this.retryRun(() => this.create(this.prefix + KEYS.leader, this.name, true));
      return true;
    } catch (e) {
      if (e instanceof RetryFailedError) throw new ZooKeeperError(e.message);
      return false;
    }
  }

  *takeLeader(): Task<boolean> {
    return yield* this.attemptToAcquireLeader();
  }

  protected *updateLeaderKey(leader: Leader): Task<boolean> {
    if (this.sessionId !== 0 && this.sessionId !== leader.session) {
      // "Recreating the leader ZNode due to ownership mismatch"
      try {
        yield* this.retryRun(() => this.write({ op: 'delete', path: this.prefix + KEYS.leader, version: -1 }));
      } catch (e) {
        if (e instanceof RetryFailedError) throw new ZooKeeperError(e.message);
        if (!(e instanceof NoNodeError)) return false;
      }
      try {
        yield* this.retryRun(() => this.create(this.prefix + KEYS.leader, this.name, true));
      } catch (e) {
        if (e instanceof RetryFailedError) throw new ZooKeeperError(e.message);
        return false;
      }
    }
    return true;
  }

  protected *deleteLeaderKey(_leader: Leader): Task<boolean> {
    // client.restart(): stop (closes the session) and start a new one
    const s = this.server;
    if (s && this.kazooState === 'CONNECTED') {
      try {
        yield* this.proc.net.call(this.proc, s, ZkClose, { sessionId: this.sessionId }, { timeoutUs: this.readTimeoutUs });
      } catch {
        // the session will expire instead
      }
    }
    this.connectionLost(true);
    return true;
  }

  /** `_set_or_create` */
  private *setOrCreate(key: string, value: string, version: KeyVersion | null, retry: boolean, doNotCreateEmpty = false): Task<number | boolean> {
    const once = (): Task<ZkResult> => this.write({ op: 'set', path: key, data: value, version: version === null ? -1 : Number(version) }, retry ? undefined : 1_000_000);
    try {
      const r = retry ? yield* this.retryRun(once) : yield* once();
      return r.stat?.version ?? 0;
    } catch (e) {
      if (e instanceof NoNodeError) {
        if (doNotCreateEmpty && value === '') return true;
        if (version === null) {
          try {
            if (retry) yield* this.retryRun(() => this.create(key, value, false));
            else yield* this.create(key, value, false, 1_000_000);
            return 0;
          } catch {
            return false;
          }
        }
        return false;
      }
      return false;
    }
  }

  *touchMember(data: MemberData): Task<boolean> {
    this.ensureStarted();
    const key = this.prefix + KEYS.members + this.name;
    let member = this.cluster?.get_member(this.name, false) ?? null;
    const memberData = this.lastMemberData ?? member?.data ?? null;
    if (member && memberData && this.sessionId !== 0 && member.session !== this.sessionId) {
      try {
        yield* this.write({ op: 'delete', path: key, version: -1 }, 1_000_000);
      } catch (e) {
        if (!(e instanceof NoNodeError)) return false;
      }
      member = null;
    }
    const text = JSON.stringify(data);
    if (member && memberData) {
      if (sameJson(data, memberData)) return true;
    } else {
      try {
        yield* this.create(key, text, true, 1_000_000);
        this.lastMemberData = data;
        return true;
      } catch (e) {
        if (!(e instanceof NodeExistsError)) return false;
      }
    }
    try {
      yield* this.write({ op: 'set', path: key, data: text, version: -1 }, 1_000_000);
      this.lastMemberData = data;
      return true;
    } catch {
      return false;
    }
  }

  *initialize(createNew: boolean, sysid: string): Task<boolean> {
    try {
      if (createNew) yield* this.retryRun(() => this.create(this.prefix + KEYS.initialize, sysid, false));
      else yield* this.retryRun(() => this.write({ op: 'set', path: this.prefix + KEYS.initialize, data: sysid, version: -1 }));
      return true;
    } catch (e) {
      if (!createNew && !(e instanceof KazooError)) throw e;
      return false;
    }
  }

  *cancelInitialization(): Task<boolean> {
    try {
      yield* this.retryRun(() => this.write({ op: 'delete', path: this.prefix + KEYS.initialize, version: -1 }));
      return true;
    } catch {
      return false;
    }
  }

  *setFailoverValue(value: FailoverValue, version: KeyVersion | null): Task<boolean> {
    return (yield* this.setOrCreate(this.prefix + KEYS.failover, JSON.stringify(value), version, false)) !== false;
  }

  *setConfigValue(value: DynamicConfigValue, version: KeyVersion | null): Task<boolean> {
    return (yield* this.setOrCreate(this.prefix + KEYS.config, JSON.stringify(value), version, true)) !== false;
  }

  protected *setSyncStateValue(value: SyncValue, version: KeyVersion | null): Task<KeyVersion | false> {
    const r = yield* this.setOrCreate(this.prefix + KEYS.sync, JSON.stringify(value), version, true, true);
    return r === false ? false : r === true ? 0 : r;
  }

  *deleteSyncState(version: KeyVersion | null): Task<boolean> {
    return (yield* this.setOrCreate(this.prefix + KEYS.sync, '{}', version, true, true)) !== false;
  }

  *setHistoryValue(value: HistoryLine[]): Task<boolean> {
    return (yield* this.setOrCreate(this.prefix + KEYS.history, JSON.stringify(value), null, false)) !== false;
  }

  protected *writeStatusValue(value: StatusValue): Task<boolean> {
    return (yield* this.setOrCreate(this.prefix + KEYS.status, JSON.stringify(value), null, false)) !== false;
  }

  protected *writeFailsafeValue(value: Record<string, string>): Task<boolean> {
    return (yield* this.setOrCreate(this.prefix + KEYS.failsafe, JSON.stringify(value), null, false)) !== false;
  }

  override *watch(leaderVersion: KeyVersion | null, timeoutMs: number): Task<boolean> {
    const t = leaderVersion !== null ? timeoutMs + 500 : timeoutMs;
    try {
      yield* this.event.wait(t * 1000);
      return this.event.isSet;
    } finally {
      this.event.clear();
    }
  }
}
