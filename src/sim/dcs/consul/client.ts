// Patroni's Consul backend in the Patroni process: a port of `patroni/dcs/consul.py` talking to
// the local Consul agent (python-consul over HTTP, read timeout retry_timeout/3).
//  - One session per Patroni process: name scope-name, lock_delay 0.001 s, behavior delete, TTL
//    ttl/2 ("Consul multiplies the TTL by 2x"); renewed at most once per loop_wait unless forced.
//  - Leader and member keys are acquired with the session; update_leader renews the session and,
//    when the cluster shows the key under another session (our session was re-created), deletes it
//    with cas and re-acquires it, ignoring both results: it returns bool(session).
//  - Reads use the configured consistency (default `default`); watch is a blocking query on the
//    leader key with index = leader.ModifyIndex.
import { NetError, RemoteError } from '../../net/network.js';
import type { Process } from '../../host/process.js';
import type { Task } from '../../kernel/task.js';
import { AbstractDCS, DCSError, type DcsTiming, type StatusValue } from '../abstract.js';
import type { Cluster, DynamicConfigValue, FailoverValue, HistoryLine, KeyVersion, Leader, MemberData, SyncValue } from '../cluster.js';
import { clusterFromNodes, KEYS, sameJson, type KvNode } from '../raft/kvcluster.js';
import { Retry, RetryFailedError } from '../raft/retry.js';
import { ConsulHttp, type ConsulAgent, type ConsulRequest, type ConsulResponse, type Consistency } from './server.js';
import type { KvEntry } from './state.js';

export class ConsulError extends DCSError {
  constructor(message: string) {
    super(message);
    this.name = 'ConsulError';
  }
}

/** python-consul's ConsulException family. */
class ConsulException extends Error {}
class ConsulInternalError extends ConsulException {}
class InvalidSession extends ConsulException {}
class NotFound extends ConsulException {}
class ReturnFalse extends Error {}

function isTransport(e: unknown): boolean {
  return e instanceof NetError;
}

export class Consul extends AbstractDCS {
  private session: string | null = null;
  private lastSessionRefreshUs = 0;
  private doNotWatch = false;
  private readonly retryProto: Retry;
  private startedIncarnation = -1;
  consistency: Consistency;

  constructor(
    proc: Process,
    name: string,
    timing: DcsTiming,
    private readonly agent: ConsulAgent,
    readonly prefix: string,
    private readonly scope: string,
    consistency: Consistency = 'default',
  ) {
    super(proc, name, timing);
    this.consistency = consistency;
    this.retryProto = new Retry(proc, proc.sim.rng(`patroni:${name}:consul:retry`), {
      deadlineS: timing.retryTimeoutMs / 1000,
      maxDelayS: 1,
      maxTries: -1,
      retryOn: (e) => e instanceof ConsulInternalError || isTransport(e),
    });
  }

  /** The session this client holds (for tests). */
  get sessionId(): string | null {
    return this.session;
  }

  private get sessionTtlS(): number {
    return this.timing.ttlMs / 1000 / 2;
  }

  override setTtl(ttlMs: number): void {
    const changed = ttlMs !== this.timing.ttlMs;
    super.setTtl(ttlMs);
    if (changed) {
      this.session = null;
      this.doNotWatch = true;
    }
  }

  override setRetryTimeout(retryTimeoutMs: number): void {
    super.setRetryTimeout(retryTimeoutMs);
    this.retryProto.deadlineS = retryTimeoutMs / 1000;
  }

  // ---- HTTP to the agent ---------------------------------------------------------------------------

  private *http(req: ConsulRequest, timeoutUs?: number): Task<ConsulResponse> {
    try {
      return yield* this.proc.net.call(this.proc, this.agent, ConsulHttp, req, { timeoutUs: timeoutUs ?? (this.timing.retryTimeoutMs * 1000) / 3, respBytes: 512 });
    } catch (e) {
      if (e instanceof RemoteError) {
        const body = String((e.body as { body?: string } | undefined)?.body ?? e.message);
        if (e.status === 404) throw new NotFound(body);
        if (body.startsWith('invalid session')) throw new InvalidSession(body);
        throw new ConsulInternalError(`${e.status} ${body}`);
      }
      throw e;
    }
  }

  private *kvGet(key: string, recurse: boolean, consistency: Consistency): Task<{ index: number; entries: KvEntry[] | null }> {
    return (yield* this.http({ op: 'kvGet', key, recurse, consistency })) as { index: number; entries: KvEntry[] | null };
  }

  private *kvPut(key: string, value: string, opts: { cas?: KeyVersion | null; acquire?: string | null } = {}): Task<boolean> {
    const r = (yield* this.http({ op: 'kvPut', key, value, cas: opts.cas === undefined || opts.cas === null ? null : Number(opts.cas), acquire: opts.acquire ?? null })) as { ok: boolean };
    return r.ok;
  }

  private *kvDelete(key: string, cas: KeyVersion | null = null): Task<boolean> {
    const r = (yield* this.http({ op: 'kvDelete', key, cas: cas === null ? null : Number(cas) })) as { ok: boolean };
    return r.ok;
  }

  private *retryRun<T>(fn: (r: Retry) => Task<T>, retry?: Retry): Task<T> {
    const r = retry ?? this.retryProto.copy();
    return yield* r.run(() => fn(r));
  }

  // ---- sessions ---------------------------------------------------------------------------------

  /** `Consul._do_refresh_session` */
  private *doRefreshSession(force = false): Task<boolean> {
    if (!force && this.session !== null && this.lastSessionRefreshUs + this.timing.loopWaitMs * 1000 > this.proc.wallUs()) return false;
    if (this.session !== null) {
      try {
        yield* this.http({ op: 'sessionRenew', id: this.session });
      } catch (e) {
        if (!(e instanceof NotFound)) throw e;
        this.session = null;
      }
    }
    const ret = this.session === null;
    if (ret) {
      const r = (yield* this.http({ op: 'sessionCreate', name: `${this.scope}-${this.name}`, ttlS: this.sessionTtlS, lockDelayS: 0.001, behavior: 'delete' })) as { id: string };
      this.session = r.id;
    }
    this.lastSessionRefreshUs = this.proc.wallUs();
    return ret;
  }

  /** `Consul.refresh_session` */
  private *refreshSession(): Task<boolean> {
    try {
      return yield* this.retryRun(() => this.doRefreshSession());
    } catch (e) {
      if (!(e instanceof ConsulException || e instanceof RetryFailedError || isTransport(e))) throw e;
    }
    throw new ConsulError('Failed to renew/create session');
  }

  private *ensureStarted(): Task<void> {
    if (this.startedIncarnation === this.proc.incarnation) return;
    this.startedIncarnation = this.proc.incarnation;
    this.session = null;
    // Consul.__init__ → create_session: "waiting on consul" every 5 s
    while (this.session === null) {
      try {
        yield* this.refreshSession();
      } catch (e) {
        if (!(e instanceof ConsulError)) throw e;
        yield* this.proc.sleep(5_000_000);
      }
    }
  }

  /** `_run_and_handle_exceptions` */
  private *guarded<T>(task: Task<T>): Task<T> {
    try {
      return yield* task;
    } catch (e) {
      if (e instanceof RetryFailedError || e instanceof InvalidSession || isTransport(e)) throw new ConsulError(e instanceof Error ? e.message : String(e));
      if (e instanceof ConsulException) throw new ReturnFalse();
      throw e;
    }
  }

  /** `catch_consul_errors` */
  private *catchConsul(task: Task<boolean>): Task<boolean> {
    try {
      return yield* task;
    } catch (e) {
      if (e instanceof RetryFailedError || e instanceof ConsulException || isTransport(e)) return false;
      throw e;
    }
  }

  private *catchReturnFalse(task: Task<boolean>): Task<boolean> {
    try {
      return yield* task;
    } catch (e) {
      if (e instanceof ReturnFalse) return false;
      throw e;
    }
  }

  // ---- AbstractDCS --------------------------------------------------------------------------------

  protected *loadCluster(): Task<Cluster> {
    yield* this.ensureStarted();
    let r: { index: number; entries: KvEntry[] | null };
    try {
      r = yield* this.retryRun(() => this.kvGet(this.prefix, true, this.consistency));
    } catch {
      throw new ConsulError('Consul is not responding properly');
    }
    const nodes = new Map<string, KvNode>();
    for (const e of r.entries ?? []) nodes.set(e.key.slice(this.prefix.length), { value: e.value, version: e.modifyIndex, session: e.session });
    return clusterFromNodes(nodes);
  }

  *touchMember(data: MemberData): Task<boolean> {
    yield* this.ensureStarted();
    return yield* this.catchConsul(
      function* (this: Consul) {
        const member = this.cluster?.get_member(this.name, false) ?? null;
        let createMember: boolean;
        try {
          createMember = yield* this.refreshSession();
        } catch (e) {
          if (e instanceof DCSError) return false;
          throw e;
        }
        const key = this.prefix + KEYS.members + this.name;
        if (member && (createMember || member.session !== this.session)) {
          yield* this.kvDelete(key);
          createMember = true;
        }
        if (!createMember && member && sameJson(data, member.data)) return true;
        try {
          yield* this.kvPut(key, JSON.stringify(data), { acquire: this.session });
          return true;
        } catch (e) {
          if (e instanceof InvalidSession) {
            this.session = null;
            return false;
          }
          return false;
        }
      }.call(this),
    );
  }

  /** `Consul._do_attempt_to_acquire_leader` */
  private *doAttemptToAcquire(retry: Retry): Task<boolean> {
    const key = this.prefix + KEYS.leader;
    try {
      return yield* retry.run(() => this.kvPut(key, this.name, { acquire: this.session }));
    } catch (e) {
      if (!(e instanceof InvalidSession)) throw e;
      this.session = null;
      if (!retry.ensureDeadline(0)) return false;
      yield* retry.run(() => this.doRefreshSession());
      retry.ensureDeadline(1, new ConsulError('_do_attempt_to_acquire_leader timeout'));
      return yield* retry.run(() => this.kvPut(key, this.name, { acquire: this.session }));
    }
  }

  *attemptToAcquireLeader(): Task<boolean> {
    yield* this.ensureStarted();
    return yield* this.catchReturnFalse(
      function* (this: Consul) {
        const retry = this.retryProto.copy();
        yield* this.guarded(retry.run(() => this.doRefreshSession()));
        retry.ensureDeadline(1, new ConsulError('attempt_to_acquire_leader timeout'));
        return yield* this.guarded(this.doAttemptToAcquire(retry));
      }.call(this),
    );
  }

  *takeLeader(): Task<boolean> {
    return yield* this.attemptToAcquireLeader();
  }

  protected *updateLeaderKey(leader: Leader): Task<boolean> {
    yield* this.ensureStarted();
    return yield* this.catchReturnFalse(
      function* (this: Consul) {
        const retry = this.retryProto.copy();
        yield* this.guarded(retry.run(() => this.doRefreshSession(true)));
        if (this.session !== null && leader.session !== this.session) {
          retry.ensureDeadline(1, new ConsulError('update_leader timeout'));
          // "Recreating the leader key due to session mismatch": results are ignored
          yield* this.guarded(this.kvDelete(this.prefix + KEYS.leader, leader.version));
          retry.ensureDeadline(0.5, new ConsulError('update_leader timeout'));
          yield* this.guarded(this.kvPut(this.prefix + KEYS.leader, this.name, { acquire: this.session }));
        }
        return this.session !== null;
      }.call(this),
    );
  }

  protected *deleteLeaderKey(leader: Leader): Task<boolean> {
    return yield* this.catchConsul(this.kvDelete(this.prefix + KEYS.leader, leader.version));
  }

  *initialize(createNew: boolean, sysid: string): Task<boolean> {
    return yield* this.catchConsul(this.retryRun(() => this.kvPut(this.prefix + KEYS.initialize, sysid, createNew ? { cas: 0 } : {})));
  }

  *cancelInitialization(): Task<boolean> {
    return yield* this.catchConsul(this.retryRun(() => this.kvDelete(this.prefix + KEYS.initialize)));
  }

  *setFailoverValue(value: FailoverValue, version: KeyVersion | null): Task<boolean> {
    return yield* this.catchConsul(this.kvPut(this.prefix + KEYS.failover, JSON.stringify(value), { cas: version }));
  }

  *setConfigValue(value: DynamicConfigValue, version: KeyVersion | null): Task<boolean> {
    return yield* this.catchConsul(this.kvPut(this.prefix + KEYS.config, JSON.stringify(value), { cas: version }));
  }

  protected *setSyncStateValue(value: SyncValue, version: KeyVersion | null): Task<KeyVersion | false> {
    let out: KeyVersion | false = false;
    const text = JSON.stringify(value);
    yield* this.catchConsul(
      function* (this: Consul) {
        const retry = this.retryProto.copy();
        const ok = yield* retry.run(() => this.kvPut(this.prefix + KEYS.sync, text, { cas: version }));
        if (ok) {
          // "We have no other choice, only read after write"
          if (!retry.ensureDeadline(0.5)) return false;
          const r = yield* this.retryRun(() => this.kvGet(this.prefix + KEYS.sync, false, 'consistent'));
          const e = r.entries?.[0];
          if (e && e.value === text) out = e.modifyIndex;
        }
        return true;
      }.call(this),
    );
    return out;
  }

  *deleteSyncState(version: KeyVersion | null): Task<boolean> {
    return yield* this.catchConsul(this.retryRun(() => this.kvDelete(this.prefix + KEYS.sync, version)));
  }

  *setHistoryValue(value: HistoryLine[]): Task<boolean> {
    return yield* this.catchConsul(this.kvPut(this.prefix + KEYS.history, JSON.stringify(value)));
  }

  protected *writeStatusValue(value: StatusValue): Task<boolean> {
    return yield* this.catchConsul(this.kvPut(this.prefix + KEYS.status, JSON.stringify(value)));
  }

  protected *writeFailsafeValue(value: Record<string, string>): Task<boolean> {
    return yield* this.catchConsul(this.kvPut(this.prefix + KEYS.failsafe, JSON.stringify(value)));
  }

  /** `Consul.watch`: a blocking query on the leader key while at least 1 s is left. */
  override *watch(leaderVersion: KeyVersion | null, timeoutMs: number): Task<boolean> {
    this.lastSessionRefreshUs = 0;
    if (this.doNotWatch) {
      this.doNotWatch = false;
      return true;
    }
    let timeoutS = timeoutMs / 1000;
    if (leaderVersion !== null) {
      const endUs = this.proc.wallUs() + timeoutS * 1e6;
      while (timeoutS >= 1) {
        try {
          const waitS = timeoutS;
          const r = (yield* this.http(
            { op: 'kvGet', key: this.prefix + KEYS.leader, recurse: false, consistency: this.consistency, index: Number(leaderVersion), waitS },
            (waitS + Math.max(waitS / 15, 1)) * 1e6,
          )) as { index: number };
          return String(r.index) !== String(leaderVersion);
        } catch (e) {
          if (!(e instanceof ConsulException || isTransport(e))) throw e;
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
