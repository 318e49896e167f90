// The Patroni-side Redis client, as a Sentinel-aware client library behaves (redis-py `Sentinel`
// and the Sentinel client guidelines): ask the Sentinels in order for the master's address, skip a
// Sentinel that does not know or flags the master down, move the one that answered to the front;
// connect and check ROLE; on a connection error, READONLY or a killed connection, forget the
// master and discover again. Patroni's retry wraps every operation.
//
// Watch: keyspace notifications on the leader key over a pub/sub connection to the master (wakes
// on every SET / PEXPIRE / DEL / expiry of the key); a pub/sub message is lost if the connection
// drops, and then the watch falls back to a plain wait.
import type { Process } from '../../host/process.js';
import type { Timer } from '../../kernel/sim.js';
import { suspend, type Task } from '../../kernel/task.js';
import { NetError, type Service, type StreamEnd } from '../../net/network.js';
import type { DcsTiming } from '../abstract.js';
import type { KeyVersion } from '../cluster.js';
import { StoreUnavailable } from '../memory/errors.js';
import { basePath, KEY, type KvEntry } from '../memory/keys.js';
import { FlatKvDCS, type PutCondition } from '../memory/kvDcs.js';
import { withRetry } from '../memory/retry.js';
import {
  ERR,
  RedisCasDel,
  RedisCasSet,
  RedisLoad,
  RedisLockRelease,
  RedisLockRenew,
  RedisPubSub,
  RedisRole,
  RedisSetNx,
  SentinelGetMaster,
  type OnConnection,
} from './protocol.js';
import type { Sentinel } from './sentinel.js';
import type { RedisServer } from './server.js';

export class RedisDCS extends FlatKvDCS {
  private readonly base: string;
  private readonly sentinels: Sentinel[];
  private conn: { server: RedisServer; connId: number } | null = null;

  constructor(
    proc: Process,
    name: string,
    timing: DcsTiming,
    store: string,
    scope: string,
    namespace: string,
    sentinels: readonly Sentinel[],
    private readonly lookup: (member: string) => RedisServer | undefined,
    private readonly sentinelTimeoutMs: number,
    requestTimeoutMs: number | undefined,
  ) {
    super(proc, name, timing, store, requestTimeoutMs);
    this.base = basePath(namespace, scope);
    this.sentinels = [...sentinels];
  }

  /** The master this client is connected to now (for tests and explanations). */
  get connectedTo(): string | null {
    return this.conn?.server.member ?? null;
  }

  /** `Sentinel.discover_master`, then the ROLE check of the guidelines. */
  private *discover(budgetUs: number): Task<{ server: RedisServer; connId: number }> {
    const errors: string[] = [];
    const perSentinelUs = Math.max(100_000, Math.min(this.sentinelTimeoutMs * 1000, budgetUs / Math.max(1, this.sentinels.length)));
    for (let i = 0; i < this.sentinels.length; i++) {
      const s = this.sentinels[i] as Sentinel;
      let master: string;
      try {
        const r = yield* this.proc.net.call(this.proc, s, SentinelGetMaster, {}, { timeoutUs: perSentinelUs });
        if ('idontknow' in r) {
          errors.push(`${s.sentinelName}: IDONTKNOW`);
          continue;
        }
        if (r.sdown || r.odown) {
          errors.push(`${s.sentinelName}: master ${r.master} is ${r.odown ? 'o_down' : 's_down'}`);
          continue;
        }
        master = r.master;
      } catch (e) {
        if (!(e instanceof NetError)) throw e;
        errors.push(`${s.sentinelName}: ${e.code}`);
        continue;
      }
      // redis-py: the Sentinel that answered goes to the front of the list
      if (i > 0) {
        this.sentinels.splice(i, 1);
        this.sentinels.unshift(s);
      }
      const server = this.lookup(master);
      if (!server) continue;
      try {
        const role = yield* this.proc.net.call(this.proc, server, RedisRole, {}, { timeoutUs: perSentinelUs });
        if (role.role === 'master') return { server, connId: role.connId };
        errors.push(`${master}: ROLE is ${role.role}`);
      } catch (e) {
        if (!(e instanceof NetError)) throw e;
        errors.push(`${master}: ${e.code}`);
      }
    }
    throw new StoreUnavailable(`MasterNotFoundError: no master found (${errors.join('; ')})`);
  }

  private *exec<Req extends OnConnection, Resp>(what: string, svc: Service<Req, Resp>, req: Omit<Req, 'connId' | 'sentWallUs'>): Task<Resp> {
    return yield* withRetry(this.proc, this.rng, `${this.store} ${what}`, this.retrySpec(), (timeoutUs) => this.attempt(svc, req, timeoutUs));
  }

  private *attempt<Req extends OnConnection, Resp>(svc: Service<Req, Resp>, req: Omit<Req, 'connId' | 'sentWallUs'>, timeoutUs: number): Task<Resp> {
    if (this.conn === null) this.conn = yield* this.discover(timeoutUs);
    const c = this.conn;
    try {
      return yield* this.proc.net.call(this.proc, c.server, svc, { ...req, connId: c.connId, sentWallUs: this.proc.wallUs() } as Req, { timeoutUs });
    } catch (e) {
      // NOREPLICAS is the master's answer: keep the connection; anything else means find the master again
      if (e instanceof NetError || (e instanceof StoreUnavailable && !e.message.includes(ERR.noreplicas))) this.conn = null;
      throw e;
    }
  }

  protected *loadEntries(): Task<Map<string, KvEntry>> {
    const r = yield* this.exec('EVAL load', RedisLoad, { prefix: this.base });
    const out = new Map<string, KvEntry>();
    for (const [k, value, version] of r.entries) out.set(k.slice(this.base.length), { value, version });
    return out;
  }

  protected *putKey(key: string, value: string, cond: PutCondition, ttlMs?: number): Task<KeyVersion | false> {
    const req: { key: string; value: string; cond: PutCondition; pxMs?: number } = { key: this.base + key, value, cond };
    if (ttlMs !== undefined) req.pxMs = ttlMs;
    return (yield* this.exec(`EVAL cas ${key}`, RedisCasSet, req)).version;
  }

  protected *deleteKey(key: string, cond: PutCondition): Task<boolean> {
    return (yield* this.exec(`EVAL casdel ${key}`, RedisCasDel, { key: this.base + key, cond })).ok;
  }

  protected *lockAcquire(): Task<boolean> {
    return (yield* this.exec('SET NX PX', RedisSetNx, { key: this.base + KEY.leader, value: this.name, pxMs: this.ttlMs, nx: true })).ok;
  }

  protected *lockRenew(): Task<boolean> {
    return (yield* this.exec('EVAL renew', RedisLockRenew, { key: this.base + KEY.leader, me: this.name, pxMs: this.ttlMs })).ok;
  }

  protected *lockRelease(): Task<boolean> {
    return (yield* this.exec('EVAL release', RedisLockRelease, { key: this.base + KEY.leader, me: this.name })).ok;
  }

  protected *lockForce(): Task<boolean> {
    return (yield* this.exec('SET PX', RedisSetNx, { key: this.base + KEY.leader, value: this.name, pxMs: this.ttlMs, nx: false })).ok;
  }

  /**
   * Subscribe to the leader key's keyspace events on the current master; wake on the first one.
   * The HA event is cleared afterwards, as every shipped backend's watch does (see FlatKvDCS.watch).
   */
  override *watch(leaderVersion: KeyVersion | null, timeoutMs: number): Task<boolean> {
    try {
      const c = this.conn;
      if (leaderVersion === null || c === null) return yield* super.watch(leaderVersion, timeoutMs);
      const startMono = this.proc.monoUs();
      let end: StreamEnd<{ subscribe: string }, { event: string; key: string }>;
      try {
        end = yield* this.proc.net.connect(this.proc, c.server, RedisPubSub, Math.min(timeoutMs * 1000, 1_000_000));
      } catch (e) {
        if (!(e instanceof NetError)) throw e;
        const left = timeoutMs - (this.proc.monoUs() - startMono) / 1000;
        return left > 0 ? yield* super.watch(null, left) : this.event.isSet;
      }
      const key = this.base + KEY.leader;
      end.send({ subscribe: key });
      const leftUs = timeoutMs * 1000 - (this.proc.monoUs() - startMono);
      const woke = yield* waitForMessage(this.proc, end, this.event.isSet ? 0 : leftUs, () => this.event.isSet);
      end.close();
      if (woke === 'closed') {
        const left = timeoutMs - (this.proc.monoUs() - startMono) / 1000;
        return left > 0 ? yield* super.watch(null, left) : this.event.isSet;
      }
      return woke === 'event' || this.event.isSet;
    } finally {
      this.event.clear();
    }
  }
}

/** Wait for the first message on a subscription (or its close, or the timeout). */
function* waitForMessage(
  proc: Process,
  end: StreamEnd<{ subscribe: string }, { event: string; key: string }>,
  timeoutUs: number,
  alreadySet: () => boolean,
): Task<'event' | 'closed' | 'timeout'> {
  if (alreadySet()) return 'event';
  let timer: Timer | null = null;
  let settled = false;
  return yield* suspend<'event' | 'closed' | 'timeout'>({
    start: (resume) => {
      const finish = (v: 'event' | 'closed' | 'timeout'): void => {
        if (settled) return;
        settled = true;
        timer?.cancel();
        resume.ok(v);
      };
      end.onMessage(() => finish('event'));
      end.onClose(() => finish('closed'));
      timer = proc.sim.schedule(proc.host.clock.trueDelayFor(timeoutUs), () => finish('timeout'));
    },
    abort: () => {
      settled = true;
      timer?.cancel();
    },
  });
}
