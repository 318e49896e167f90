// A Redis server (seed D5): a single-threaded key-value server that is either the master or an
// asynchronous replica. What matters for a leader lock on it:
//  - writes are acknowledged by the master alone and shipped to replicas afterwards (replication
//    is asynchronous; a promoted replica lacks whatever had not reached it);
//  - key expiry is judged by the master's wall clock (absolute PXAT times, propagated as such since
//    Redis 7): a clock jump on the master expires keys early or late; replicas never expire keys,
//    they wait for the master's DEL (and, once promoted, judge by their own clock);
//  - `min-replicas-to-write N` / `min-replicas-max-lag S` make the master refuse writes when fewer
//    than N replicas acknowledged within S seconds (this closes part of the partition hole);
//  - REPLICAOF (sent by Sentinel) turns a master into a replica: it drops its client connections
//    and, if its history diverged from its new master, its whole data set at the full resync;
//  - persistence: `aof` (appendfsync everysec: a crash loses up to 1 s), `rdb` (a snapshot every
//    60 s, simplified from the default save points), or `none` (a restart comes back empty).
import { Process } from '../../host/process.js';
import type { Host } from '../../host/host.js';
import type { Task } from '../../kernel/task.js';
import type { StreamEnd } from '../../net/network.js';
import { trueTimeAtWall } from '../memory/clocks.js';
import { StoreUnavailable } from '../memory/errors.js';
import { conditionHolds, type PutCondition } from '../memory/kvDcs.js';
import { ServerJudgedLease, storeEvent } from '../memory/serverLease.js';
import {
  ERR,
  RedisCasDel,
  RedisCasSet,
  RedisInfo,
  RedisLoad,
  RedisLockRelease,
  RedisLockRenew,
  RedisPublishHello,
  RedisPubSub,
  RedisRepl,
  RedisReplicaOf,
  RedisRole,
  RedisSetNx,
  SentinelHello,
  type Effect,
  type Hello,
  type InfoReply,
  type OnConnection,
  type RedisValue,
  type ReplToMaster,
  type ReplToReplica,
} from './protocol.js';

export type Persistence = 'aof' | 'rdb' | 'none';

export interface RedisServerOptions {
  store: string;
  member: string;
  /** The master it starts replicating from (its redis.conf `replicaof`), or null for the master. */
  replicaOf: string | null;
  persistence: Persistence;
  minReplicasToWrite: number;
  minReplicasMaxLagS: number;
  replicaPriority: number;
  /** Find another server of the deployment by member name. */
  lookup: (member: string) => RedisServer | undefined;
  /** The Sentinels subscribed to `__sentinel__:hello` on this server. */
  sentinels: () => readonly Process[];
}

/** CPU time of one command or small Lua script (µs). */
const COMMAND_US = 60;
const CRON_US = 100_000; // hz 10: active expiry cycle
const PING_REPLICAS_US = 10_000_000; // repl-ping-replica-period 10
const REPL_TIMEOUT_US = 60_000_000; // repl-timeout 60
const REPL_CONNECT_US = 5_000_000;
const BACKLOG_EFFECTS = 10_000; // repl-backlog-size, counted in effects
const LEADER_SUFFIX = '/leader';

interface ReplicaLink {
  end: StreamEnd<ReplToReplica, ReplToMaster>;
  ackOffset: number;
  lastAckMonoUs: number;
}

export class RedisServer extends Process {
  // ---- disk: survives a crash (per the persistence mode) ---------------------------------------
  private disk: [string, RedisValue][] = [];
  private configMaster: string | null;
  private readonly leases = new Map<string, ServerJudgedLease>();
  // ---- memory ------------------------------------------------------------------------------------
  readonly data = new Map<string, RedisValue>();
  private rev = 0;
  private roleNow: 'master' | 'replica' = 'master';
  private masterName: string | null = null;
  private replId = '';
  private replId2 = '';
  private offset = 0;
  private secondOffset = -1;
  private replBacklog: { offset: number; effect: Effect }[] = [];
  private replicaLinks: ReplicaLink[] = [];
  private subscribers: { end: StreamEnd<{ event: string; key: string }, { subscribe: string }>; key: string }[] = [];
  private connId = 0;
  private roleEpoch = 0;
  private linkUp = false;
  private linkDownSinceMonoUs = 0;
  private replLink: StreamEnd<ReplToMaster, ReplToReplica> | null = null;
  private runId = '';

  constructor(
    host: Host,
    readonly opts: RedisServerOptions,
  ) {
    super(host, 'redis');
    this.configMaster = opts.replicaOf;
  }

  get member(): string {
    return this.opts.member;
  }

  get role(): 'master' | 'replica' {
    return this.roleNow;
  }

  get replicationOffset(): number {
    return this.offset;
  }

  // ---- life ----------------------------------------------------------------------------------

  protected onStart(): void {
    this.runId = `${this.opts.member}-${this.incarnation}`;
    this.data.clear();
    if (this.opts.persistence !== 'none') for (const [k, v] of this.disk) this.data.set(k, { ...v });
    this.rev = 0;
    for (const v of this.data.values()) this.rev = Math.max(this.rev, v.version);
    for (const [k, l] of this.leases) {
      const cur = l.current;
      const v = this.data.get(k);
      if (cur && v && v.value === cur.holder && this.configMaster === null) l.resume();
      else l.forget();
    }
    // a restarted instance has a new replication id: its replicas (and itself, as a replica) full-resync
    this.replId = `${this.opts.member}:${this.incarnation}:0`;
    this.replId2 = '';
    this.offset = 0;
    this.secondOffset = -1;
    this.replBacklog = [];
    this.replicaLinks = [];
    this.subscribers = [];
    this.replLink = null;
    this.linkUp = false;
    this.linkDownSinceMonoUs = this.monoUs();
    this.roleNow = this.configMaster === null ? 'master' : 'replica';
    this.masterName = this.configMaster;
    this.newConnections();
    const net = this.net;
    net.listen(this, RedisRole, () => this.roleCmd());
    net.listen(this, RedisLoad, (r) => this.loadCmd(r));
    net.listen(this, RedisSetNx, (r, from) => this.write(r, () => this.setCmd(r, from)));
    net.listen(this, RedisLockRenew, (r, from) => this.write(r, () => this.renewCmd(r, from)));
    net.listen(this, RedisLockRelease, (r) => this.write(r, () => this.releaseCmd(r)));
    net.listen(this, RedisCasSet, (r) => this.write(r, () => this.casSetCmd(r)));
    net.listen(this, RedisCasDel, (r) => this.write(r, () => this.casDelCmd(r)));
    net.listen(this, RedisInfo, () => this.infoCmd());
    net.listen(this, RedisReplicaOf, (r) => this.replicaOfCmd(r.master));
    net.listen(this, RedisPublishHello, (h) => this.publishHello(h));
    net.listenStream(this, RedisPubSub, (end) => this.acceptSubscriber(end));
    net.listenStream(this, RedisRepl, (end) => this.acceptReplica(end));
    this.spawn('cron', this.cron());
    if (this.roleNow === 'replica') this.spawn('replication', this.replicate(this.roleEpoch));
  }

  /** New client connections: everyone connected before must reconnect (restart, CLIENT KILL on role change). */
  private newConnections(): void {
    this.roleEpoch++;
    this.connId = this.incarnation * 100_000 + this.roleEpoch;
    for (const s of this.subscribers) s.end.close();
    this.subscribers = [];
  }

  private leaseOf(key: string): ServerJudgedLease {
    let l = this.leases.get(key);
    if (!l) {
      l = new ServerJudgedLease(this, this.opts.store, this.opts.member);
      this.leases.set(key, l);
    }
    return l;
  }

  private forgetLeases(): void {
    for (const l of this.leases.values()) l.forget();
  }

  // ---- the data set --------------------------------------------------------------------------

  private expired(v: RedisValue): boolean {
    return v.expireAtWallUs !== null && this.wallUs() >= v.expireAtWallUs;
  }

  /** Read a key: a master deletes a logically expired key on access; a replica just hides it. */
  private get(key: string): RedisValue | undefined {
    const v = this.data.get(key);
    if (!v) return undefined;
    if (!this.expired(v)) return v;
    if (this.roleNow === 'master') this.expireKey(key);
    return undefined;
  }

  private expireKey(key: string): void {
    this.propagate({ op: 'del', key });
    this.notify(key, 'expired');
  }

  /** Apply an effect here and ship it to the replicas (asynchronously: after the reply is sent). */
  private propagate(e: Effect): void {
    this.applyEffect(e);
    this.offset++;
    this.replBacklog.push({ offset: this.offset, effect: e });
    if (this.replBacklog.length > BACKLOG_EFFECTS) this.replBacklog.shift();
    const msg: ReplToReplica = { effects: [{ offset: this.offset, effect: e }] };
    for (const r of this.replicaLinks) r.end.send(msg);
  }

  private applyEffect(e: Effect): void {
    if (e.op === 'set') {
      this.data.set(e.key, { ...e.value });
      this.rev = Math.max(this.rev, e.value.version);
    } else if (e.op === 'pexpireat') {
      const v = this.data.get(e.key);
      if (v) this.data.set(e.key, { ...v, expireAtWallUs: e.expireAtWallUs, version: e.version });
      this.rev = Math.max(this.rev, e.version);
    } else {
      this.data.delete(e.key);
    }
  }

  private notify(key: string, event: string): void {
    for (const s of this.subscribers) if (s.key === key) s.end.send({ event, key });
  }

  private checkConnection(req: OnConnection): void {
    if (req.connId !== this.connId) throw new StoreUnavailable(`${this.opts.member}: ${ERR.connection}`);
  }

  /** `refreshGoodSlavesCount`: replicas whose last ACK is at most min-replicas-max-lag seconds old. */
  private goodReplicas(): number {
    const now = this.monoUs();
    return this.replicaLinks.filter((r) => now - r.lastAckMonoUs <= this.opts.minReplicasMaxLagS * 1_000_000).length;
  }

  /** A write command: READONLY on a replica, NOREPLICAS when min-replicas-to-write is not met. */
  private *write<T>(req: OnConnection, run: () => T): Task<T> {
    this.checkConnection(req);
    yield* this.sleep(COMMAND_US);
    this.checkConnection(req);
    if (this.roleNow !== 'master') throw new StoreUnavailable(`${this.opts.member}: ${ERR.readonly}`);
    if (this.opts.minReplicasToWrite > 0 && this.goodReplicas() < this.opts.minReplicasToWrite) {
      throw new StoreUnavailable(`${this.opts.member}: ${ERR.noreplicas}`);
    }
    return run();
  }

  private expiryFromNow(pxMs: number): number {
    return this.wallUs() + pxMs * 1000;
  }

  // ---- commands --------------------------------------------------------------------------------

  // eslint-disable-next-line require-yield
  private *roleCmd(): Task<{ role: 'master' | 'replica'; connId: number }> {
    return { role: this.roleNow, connId: this.connId };
  }

  private *loadCmd(req: OnConnection & { prefix: string }): Task<{ entries: [string, string, number][] }> {
    this.checkConnection(req);
    yield* this.sleep(COMMAND_US);
    const out: [string, string, number][] = [];
    for (const k of [...this.data.keys()].sort()) {
      if (!k.startsWith(req.prefix)) continue;
      const v = this.get(k);
      if (v) out.push([k, v.value, v.version]);
    }
    return { entries: out };
  }

  /** The holder relies on the lock until its own clock reads its send time + ttl. */
  private beliefEnd(from: Process, sentWallUs: number, pxMs: number): number {
    return trueTimeAtWall(from.host, this.sim.nowUs, sentWallUs + pxMs * 1000);
  }

  /** SET key me NX PX ttl (nx) or SET key me PX ttl (take). */
  private setCmd(req: OnConnection & { key: string; value: string; pxMs: number; nx: boolean }, from: Process): { ok: boolean } {
    if (req.nx && this.get(req.key)) return { ok: false };
    const exp = this.expiryFromNow(req.pxMs);
    this.propagate({ op: 'set', key: req.key, value: { value: req.value, version: this.rev + 1, expireAtWallUs: exp } });
    this.notify(req.key, 'set');
    if (req.key.endsWith(LEADER_SUFFIX)) this.leaseOf(req.key).granted(req.value, req.nx ? 'acquired' : 'taken', exp, this.beliefEnd(from, req.sentWallUs, req.pxMs));
    return { ok: true };
  }

  /** The renew script: PEXPIRE if mine; SET PX if the key is gone; else nothing. */
  private renewCmd(req: OnConnection & { key: string; me: string; pxMs: number }, from: Process): { ok: boolean } {
    const cur = this.get(req.key);
    if (cur && cur.value !== req.me) return { ok: false };
    const exp = this.expiryFromNow(req.pxMs);
    if (cur) {
      this.propagate({ op: 'pexpireat', key: req.key, expireAtWallUs: exp, version: this.rev + 1 });
      this.notify(req.key, 'expire');
    } else {
      this.propagate({ op: 'set', key: req.key, value: { value: req.me, version: this.rev + 1, expireAtWallUs: exp } });
      this.notify(req.key, 'set');
    }
    this.leaseOf(req.key).granted(req.me, cur ? 'updated' : 'acquired', exp, this.beliefEnd(from, req.sentWallUs, req.pxMs));
    return { ok: true };
  }

  private releaseCmd(req: { key: string; me: string }): { ok: boolean } {
    const cur = this.get(req.key);
    if (!cur || cur.value !== req.me) return { ok: false };
    this.propagate({ op: 'del', key: req.key });
    this.notify(req.key, 'del');
    const l = this.leaseOf(req.key);
    if (l.current?.holder === req.me) l.deleted();
    return { ok: true };
  }

  private casSetCmd(req: { key: string; value: string; cond: PutCondition; pxMs?: number }): { version: number | false } {
    const cur = this.get(req.key);
    if (!conditionHolds(req.cond, cur)) return { version: false };
    const version = this.rev + 1;
    const exp = req.pxMs === undefined ? null : this.expiryFromNow(req.pxMs);
    this.propagate({ op: 'set', key: req.key, value: { value: req.value, version, expireAtWallUs: exp } });
    return { version };
  }

  private casDelCmd(req: { key: string; cond: PutCondition }): { ok: boolean } {
    const cur = this.get(req.key);
    if (!cur || !conditionHolds(req.cond, cur)) return { ok: false };
    this.propagate({ op: 'del', key: req.key });
    return { ok: true };
  }

  // eslint-disable-next-line require-yield
  private *infoCmd(): Task<InfoReply> {
    return {
      member: this.opts.member,
      role: this.roleNow,
      master: this.masterName,
      linkUp: this.roleNow === 'replica' && this.linkUp,
      linkDownMs: this.roleNow === 'replica' && !this.linkUp ? (this.monoUs() - this.linkDownSinceMonoUs) / 1000 : 0,
      offset: this.offset,
      replicaPriority: this.opts.replicaPriority,
      runId: this.runId,
    };
  }

  // eslint-disable-next-line require-yield
  private *replicaOfCmd(master: string | null): Task<{ ok: boolean }> {
    if (master === null) {
      if (this.roleNow === 'master') return { ok: true };
      // REPLICAOF NO ONE: keep the data, start a new replication history (PSYNC2: the old id is
      // kept as replid2 so the other replicas can continue partially)
      this.roleNow = 'master';
      this.masterName = null;
      this.configMaster = null;
      this.replId2 = this.replId;
      this.secondOffset = this.offset + 1;
      this.replId = `${this.opts.member}:${this.incarnation}:${this.roleEpoch + 1}`;
      this.replLink?.close();
      this.replLink = null;
      this.newConnections();
      storeEvent(this, this.opts.store, this.opts.member, 'replicaof-no-one', { detail: `offset ${this.offset}` });
      return { ok: true };
    }
    if (this.roleNow === 'replica' && this.masterName === master) return { ok: true };
    this.roleNow = 'replica';
    this.masterName = master;
    this.configMaster = master;
    this.linkUp = false;
    this.linkDownSinceMonoUs = this.monoUs();
    for (const r of this.replicaLinks) r.end.close();
    this.replicaLinks = [];
    this.replLink?.close();
    this.replLink = null;
    this.forgetLeases();
    this.newConnections();
    storeEvent(this, this.opts.store, this.opts.member, 'replicaof', { detail: master });
    this.spawn('replication', this.replicate(this.roleEpoch));
    return { ok: true };
  }

  /** PUBLISH __sentinel__:hello — pushed to every subscribed Sentinel that can be reached. */
  // eslint-disable-next-line require-yield
  private *publishHello(h: Hello): Task<{ receivers: number }> {
    const sentinels = this.opts.sentinels();
    for (const s of sentinels) {
      this.spawn('hello-push', this.pushHello(s, h), () => undefined);
    }
    return { receivers: sentinels.length };
  }

  private *pushHello(s: Process, h: Hello): Task<void> {
    try {
      yield* this.net.call(this, s, SentinelHello, h, { timeoutUs: 2_000_000 });
    } catch {
      // a pub/sub message to a subscriber we cannot reach is lost
    }
  }

  private acceptSubscriber(end: StreamEnd<{ event: string; key: string }, { subscribe: string }>): void {
    end.onMessage((m) => {
      this.subscribers.push({ end, key: m.subscribe });
    });
    end.onClose(() => {
      this.subscribers = this.subscribers.filter((s) => s.end !== end);
    });
  }

  // ---- replication: master side -------------------------------------------------------------

  private acceptReplica(end: StreamEnd<ReplToReplica, ReplToMaster>): void {
    let link: ReplicaLink | null = null;
    end.onMessage((m) => {
      if ('ack' in m) {
        if (link) {
          link.ackOffset = m.ack;
          link.lastAckMonoUs = this.monoUs();
        }
        return;
      }
      if (this.roleNow !== 'master') {
        end.close();
        return;
      }
      link = { end, ackOffset: 0, lastAckMonoUs: this.monoUs() };
      this.replicaLinks.push(link);
      const want = m.psync.offset;
      const backlogStart = this.replBacklog[0]?.offset ?? this.offset + 1;
      const sameHistory = m.psync.replId === this.replId || (m.psync.replId === this.replId2 && want <= this.secondOffset);
      if (sameHistory && want >= backlogStart && want <= this.offset + 1) {
        end.send({ cont: { replId: this.replId } });
        const tail = this.replBacklog.filter((b) => b.offset >= want);
        if (tail.length > 0) end.send({ effects: tail });
      } else {
        end.send({ full: { data: [...this.data].map(([k, v]) => [k, { ...v }]), replId: this.replId, offset: this.offset } });
      }
    });
    end.onClose(() => {
      this.replicaLinks = this.replicaLinks.filter((r) => r.end !== end);
    });
  }

  // ---- replication: replica side --------------------------------------------------------------

  private *replicate(epoch: number): Task<void> {
    while (this.roleNow === 'replica' && this.roleEpoch === epoch) {
      const master = this.masterName === null ? undefined : this.opts.lookup(this.masterName);
      if (master) {
        try {
          const end = yield* this.net.connect(this, master, RedisRepl, REPL_CONNECT_US);
          if (this.roleEpoch !== epoch) {
            end.close();
            return;
          }
          yield* this.follow(end, epoch);
        } catch {
          // connection refused or timed out: replicationCron retries every second
        }
      }
      if (this.linkUp && this.roleEpoch === epoch) {
        this.linkUp = false;
        this.linkDownSinceMonoUs = this.monoUs();
      }
      yield* this.sleep(1_000_000);
    }
  }

  /** Stream from the master until the link breaks or times out. */
  private *follow(end: StreamEnd<ReplToMaster, ReplToReplica>, epoch: number): Task<void> {
    this.replLink = end;
    let open = true;
    let lastIoMonoUs = this.monoUs();
    end.onMessage((m) => {
      lastIoMonoUs = this.monoUs();
      if (this.roleEpoch !== epoch) return;
      if ('full' in m) {
        // full resync: the replica's whole data set is replaced by the master's
        storeEvent(this, this.opts.store, this.opts.member, 'full-resync', { detail: `${this.data.size} keys replaced by ${m.full.data.length}` });
        this.data.clear();
        this.rev = 0;
        for (const [k, v] of m.full.data) {
          this.data.set(k, v);
          this.rev = Math.max(this.rev, v.version);
        }
        this.forgetLeases();
        this.replId = m.full.replId;
        this.offset = m.full.offset;
        this.replBacklog = [];
        this.linkUp = true;
      } else if ('cont' in m) {
        this.replId = m.cont.replId;
        this.linkUp = true;
      } else if ('effects' in m) {
        for (const e of m.effects) {
          if (e.offset !== this.offset + 1) continue;
          this.applyEffect(e.effect);
          this.offset = e.offset;
          this.replBacklog.push(e);
          if (this.replBacklog.length > BACKLOG_EFFECTS) this.replBacklog.shift();
        }
      }
    });
    end.onClose(() => {
      open = false;
    });
    end.send({ psync: { replId: this.replId, offset: this.offset + 1 } });
    while (open && this.roleEpoch === epoch && this.monoUs() - lastIoMonoUs < REPL_TIMEOUT_US) {
      yield* this.sleep(1_000_000);
      // REPLCONF ACK <offset>, every second
      if (this.linkUp) end.send({ ack: this.offset });
    }
    end.close();
    if (this.replLink === end) this.replLink = null;
  }

  // ---- cron ------------------------------------------------------------------------------------

  private *cron(): Task<void> {
    let ticks = 0;
    for (;;) {
      yield* this.sleep(CRON_US);
      ticks++;
      if (this.roleNow === 'master') {
        // activeExpireCycle: few keys here, so every expired one goes at once
        for (const [k, v] of [...this.data]) if (this.expired(v)) this.expireKey(k);
        if (ticks % (PING_REPLICAS_US / CRON_US) === 0) for (const r of this.replicaLinks) r.end.send({ ping: true });
        const now = this.monoUs();
        for (const r of [...this.replicaLinks]) if (now - r.lastAckMonoUs > REPL_TIMEOUT_US) r.end.close();
      }
      const every = this.opts.persistence === 'aof' ? 10 : this.opts.persistence === 'rdb' ? 600 : 0;
      if (every > 0 && ticks % every === 0) this.disk = [...this.data].map(([k, v]) => [k, { ...v }]);
    }
  }
}
