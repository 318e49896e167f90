// Consul servers (Raft, the FSM in state.ts, session timers on the leader) and the Consul agent
// that runs on every Patroni host and forwards its HTTP API to a server.
//  - Raft timing is hashicorp/raft's scaled by raft_multiplier (default 5): heartbeat timeout and
//    election timeout 5 s (randomized up to 2×), leader lease 2.5 s; heartbeats every 500 ms.
//  - Writes and default/consistent reads are forwarded to the leader; a server with no leader holds
//    the request up to RPCHoldTimeout (7 s), then answers 500 "No cluster leader". `stale` reads are
//    served by any server from its own state, with or without a leader. `consistent` reads verify
//    leadership with a quorum round (VerifyLeader ≈ read index); `default` trusts the leader's view.
//  - Session TTL: the leader invalidates a session 2 × TTL after its last renewal
//    (sessionTTLMultiplier); on a leader change every session timer restarts at 2 × TTL
//    (initializeSessionTimers). Invalidation goes through Raft and deletes the session's locks
//    (behavior=delete) after which a lock-delay blocks re-acquisition.
//  - Blocking queries wait on the serving server until the key's index passes the given one, or
//    `wait` plus up to wait/16 of jitter.
import type { Host } from '../../host/host.js';
import { Process } from '../../host/process.js';
import { NetError, RemoteError, service } from '../../net/network.js';
import type { Task } from '../../kernel/task.js';
import { suspend } from '../../kernel/task.js';
import { RaftDisk, RaftNode, type RaftTiming } from '../raft/core.js';
import type { QuorumStoreRecorder } from '../raft/records.js';
import { datagramTransport, type RaftPeer } from '../raft/transport.js';
import { ConsulState, type ConsulCmd, type ConsulResult, type KvChange, type KvEntry } from './state.js';

export type Consistency = 'default' | 'consistent' | 'stale';

export type ConsulRequest =
  | { op: 'kvGet'; key: string; recurse: boolean; consistency: Consistency; index?: number; waitS?: number }
  | { op: 'kvPut'; key: string; value: string; cas: number | null; acquire: string | null }
  | { op: 'kvDelete'; key: string; cas: number | null }
  | { op: 'sessionCreate'; name: string; ttlS: number; lockDelayS: number; behavior: 'release' | 'delete' }
  | { op: 'sessionRenew'; id: string };

export type ConsulResponse = { index: number; entries: KvEntry[] | null } | { ok: boolean } | { id: string };

/** The agent's HTTP API (localhost:8500). */
export const ConsulHttp = service<ConsulRequest, ConsulResponse>('consul.http');
/** Server RPC (agent → server, server → leader). */
const ConsulRpc = service<{ req: ConsulRequest; forwarded: boolean }, ConsulResponse>('consul.rpc');

const RPC_HOLD_TIMEOUT_US = 7_000_000;

export function consulRaftTiming(raftMultiplier = 5): RaftTiming {
  // hashicorp/raft DefaultConfig: HeartbeatTimeout 1 s, ElectionTimeout 1 s, LeaderLeaseTimeout 500 ms,
  // each × raft_multiplier; the leader heartbeats every HeartbeatTimeout/10
  const tickUs = 100_000 * raftMultiplier;
  return { tickUs, heartbeatTicks: 1, electionTicks: 10, randomTicks: 10, checkQuorumTicks: 5, preVote: false, checkQuorum: true };
}

export interface ConsulClusterContext {
  store: string;
  leaderKeys: ReadonlySet<string>;
  recorder: QuorumStoreRecorder;
  timing: RaftTiming;
  servers(): readonly ConsulServer[];
  roleChanged(): void;
}

function consulError(status: number, body: string): RemoteError {
  return new RemoteError(body, status, { status, body });
}

export class ConsulServer extends Process {
  readonly disk = new RaftDisk<ConsulCmd>();
  raft: RaftNode<ConsulCmd> | null = null;
  fsm = new ConsulState();
  /** Leader only: session id → expiry on this host's monotonic clock. */
  private sessionExpiry = new Map<string, number>();
  private kvWaiters: (() => void)[] = [];
  private sessionSeq = 0;

  constructor(
    host: Host,
    name: string,
    readonly index: number,
    private readonly ctx: ConsulClusterContext,
  ) {
    super(host, name);
  }

  protected onStart(): void {
    this.fsm = new ConsulState();
    this.sessionExpiry = new Map();
    this.kvWaiters = [];
    const peers: RaftPeer<ConsulCmd>[] = this.ctx
      .servers()
      .filter((s) => s !== this)
      .map((s) => ({ id: s.name, proc: s, node: () => s.raft }));
    this.fsm.onChange = (c, index) => this.onKvChange(c, index);
    this.fsm.onSession = (kind, id) => {
      if (kind === 'create' && this.raft?.isLeader) this.resetSessionTimer(id);
      if (kind === 'destroy') this.sessionExpiry.delete(id);
    };
    const raft = new RaftNode<ConsulCmd>(
      this,
      this.name,
      datagramTransport(this, peers, 'consul.raft'),
      this.ctx.timing,
      this.disk,
      this.fsm,
      this.sim.rng(`raft:${this.ctx.store}:${this.name}:election`),
      {
        onRoleChange: (isLeader) => {
          if (isLeader) this.initializeSessionTimers();
          else this.sessionExpiry.clear();
          this.ctx.roleChanged();
        },
        onLeaderKnown: () => this.ctx.roleChanged(),
        onApplied: (index) => {
          this.ctx.recorder.appliedThrough(index);
          this.wakeKvWaiters();
        },
      },
    );
    this.raft = raft;
    raft.start();
    this.net.listen(this, ConsulRpc, (r) => this.serve(r.req, r.forwarded));
  }

  protected override onExit(): void {
    this.raft = null;
    this.ctx.roleChanged();
  }

  // ---- sessions (leader) ---------------------------------------------------------------------------

  private initializeSessionTimers(): void {
    this.sessionExpiry.clear();
    for (const id of [...this.fsm.sessions.keys()].sort()) this.resetSessionTimer(id);
    this.reportLeaderSession();
  }

  private resetSessionTimer(id: string): void {
    const s = this.fsm.sessions.get(id);
    if (!s) return;
    const ttlUs = s.ttlS * 2 * 1e6; // sessionTTLMultiplier
    const exp = this.monoUs() + ttlUs;
    this.sessionExpiry.set(id, exp);
    this.after(ttlUs + 1, () => this.sessionTimerFired(id));
  }

  private sessionTimerFired(id: string): void {
    const exp = this.sessionExpiry.get(id);
    if (exp === undefined || !this.raft?.isLeader || exp > this.monoUs()) return;
    this.spawn(`invalidate ${id}`, this.invalidate(id));
  }

  private *invalidate(id: string): Task<void> {
    for (let attempt = 0; attempt < 6 && this.raft?.isLeader && this.fsm.sessions.has(id); attempt++) {
      const o = yield* this.raft.propose({ op: 'sessionDestroy', id, invalidated: true, nowWallUs: this.wallUs() }, RPC_HOLD_TIMEOUT_US);
      if (o.ok) return;
      yield* this.sleep(1_000_000 * 2 ** attempt);
    }
  }

  /** True time at which the leader will invalidate `session` (latest over those who think they lead). */
  sessionExpiryTrueUs(session: string): number | undefined {
    let best: number | undefined;
    for (const s of this.ctx.servers()) {
      const exp = s.alive && s.raft?.isLeader ? s.sessionExpiry.get(session) : undefined;
      if (exp === undefined) continue;
      const t = this.sim.nowUs + s.host.clock.trueDelayFor(exp - s.monoUs());
      if (best === undefined || t > best) best = t;
    }
    if (best !== undefined) return best;
    const ttl = this.fsm.sessions.get(session)?.ttlS ?? 0;
    return this.sim.nowUs + 2 * ttl * 1e6 + 2 * this.ctx.timing.electionTicks * this.ctx.timing.tickUs;
  }

  private reportLeaderSession(): void {
    const rec = this.ctx.recorder;
    if (rec.holder === null || typeof rec.leaseOfHolder !== 'string' || rec.leaseOfHolder === '') return;
    rec.leader(rec.holder, 'updated', this.sessionExpiryTrueUs(rec.leaseOfHolder));
  }

  private onKvChange(c: KvChange, index: number): void {
    if (!this.ctx.leaderKeys.has(c.key) || !this.ctx.recorder.isNew(index)) return;
    const rec = this.ctx.recorder;
    if (c.after && c.after.session !== null) {
      const holder = c.after.value;
      const reason = c.before === null || c.before.session === null ? 'acquired' : c.before.value === holder ? 'updated' : 'taken';
      rec.leaseOfHolder = c.after.session;
      rec.leader(holder, reason, this.sessionExpiryTrueUs(c.after.session));
    } else if (c.after) {
      // a value without a lock: nobody holds it
      if (c.before?.session) {
        rec.leaseOfHolder = '';
        rec.leader(c.before.value, 'lost');
      }
    } else if (c.before) {
      rec.leaseOfHolder = '';
      rec.leader(c.before.value, c.cause === 'session-invalidated' ? 'expired' : 'deleted');
    }
  }

  // ---- requests ------------------------------------------------------------------------------------

  private *waitForLeader(): Task<ConsulServer | null> {
    const deadline = this.monoUs() + RPC_HOLD_TIMEOUT_US;
    for (;;) {
      const raft = this.raft;
      if (!raft) return null;
      if (raft.isLeader) return this;
      const l = raft.leader;
      const s = l ? this.ctx.servers().find((x) => x.name === l) : undefined;
      if (s) return s;
      if (this.monoUs() >= deadline) return null;
      yield* this.sleep(100_000);
    }
  }

  private *serve(req: ConsulRequest, forwarded: boolean): Task<ConsulResponse> {
    if (req.op === 'kvGet' && req.consistency === 'stale') return yield* this.kvGet(req);
    // rpc.go forward/forwardLeader: wait for a leader and retry a failed forward after a random
    // stagger of up to RPCHoldTimeout/16, until RPCHoldTimeout has passed
    const firstUs = this.monoUs();
    for (;;) {
      const leader = yield* this.waitForLeader();
      if (leader === null) throw consulError(500, 'No cluster leader');
      if (leader === this) break;
      if (forwarded) throw consulError(500, 'No cluster leader');
      const timeoutUs = req.op === 'kvGet' && req.index !== undefined ? (((req.waitS ?? 300) * 17) / 16) * 1e6 + 1e6 : RPC_HOLD_TIMEOUT_US;
      try {
        return yield* this.net.call(this, leader, ConsulRpc, { req, forwarded: true }, { timeoutUs });
      } catch (e) {
        if (!(e instanceof NetError)) throw e;
        if (this.monoUs() - firstUs >= RPC_HOLD_TIMEOUT_US) throw consulError(500, `rpc error: ${e.message}`);
        yield* this.sleep(Math.max(1_000, this.sim.rng(`consul:${this.name}:stagger`).uniform(0, RPC_HOLD_TIMEOUT_US / 16)));
      }
    }
    switch (req.op) {
      case 'kvGet':
        if (req.consistency === 'consistent') {
          const ok = yield* (this.raft as RaftNode<ConsulCmd>).readIndex(RPC_HOLD_TIMEOUT_US);
          if (!ok) throw consulError(500, 'No cluster leader');
        }
        return yield* this.kvGet(req);
      case 'kvPut':
        return yield* this.write({ op: 'kvPut', key: req.key, value: req.value, cas: req.cas, acquire: req.acquire, nowWallUs: this.wallUs() });
      case 'kvDelete':
        return yield* this.write({ op: 'kvDelete', key: req.key, cas: req.cas });
      case 'sessionCreate': {
        const id = `${this.name}-${this.incarnation}-${++this.sessionSeq}`;
        yield* this.write({ op: 'sessionCreate', session: { id, name: req.name, ttlS: req.ttlS, lockDelayUs: req.lockDelayS * 1e6, behavior: req.behavior } });
        return { id };
      }
      case 'sessionRenew': {
        if (!this.fsm.sessions.has(req.id)) throw consulError(404, `Session id '${req.id}' not found`);
        this.resetSessionTimer(req.id);
        const rec = this.ctx.recorder;
        if (rec.leaseOfHolder === req.id && rec.holder !== null) rec.leader(rec.holder, 'updated', this.sessionExpiryTrueUs(req.id));
        return { ok: true };
      }
    }
  }

  private *write(cmd: ConsulCmd): Task<{ ok: boolean }> {
    const raft = this.raft;
    if (!raft) throw consulError(500, 'No cluster leader');
    const o = yield* raft.propose(cmd, RPC_HOLD_TIMEOUT_US);
    if (!o.ok) throw consulError(500, o.error === 'dropped' ? 'No cluster leader' : 'timed out enqueuing operation');
    const r = o.result as ConsulResult;
    if (r.error === 'invalid session') throw consulError(500, 'invalid session');
    return { ok: r.ok };
  }

  private indexOf(key: string, recurse: boolean): number {
    if (recurse) {
      let idx = 0;
      for (const e of this.fsm.kv.values()) if (e.key.startsWith(key) && e.modifyIndex > idx) idx = e.modifyIndex;
      return Math.max(idx, this.fsm.kvsIndex);
    }
    return this.fsm.kv.get(key)?.modifyIndex ?? this.fsm.kvsIndex;
  }

  private *kvGet(req: Extract<ConsulRequest, { op: 'kvGet' }>): Task<{ index: number; entries: KvEntry[] | null }> {
    if (req.index !== undefined && req.index > 0) {
      const waitUs = (req.waitS ?? 300) * 1e6;
      // "a small random amount of additional wait time is added ... up to wait/16"
      const jitterUs = this.sim.rng(`consul:${this.name}:wait-jitter`).uniform(0, waitUs / 16);
      const deadline = this.monoUs() + waitUs + jitterUs;
      while (this.indexOf(req.key, req.recurse) <= req.index && this.monoUs() < deadline) {
        yield* this.waitKvChange(deadline - this.monoUs());
        if (!this.raft) break;
      }
    }
    const entries = req.recurse ? [...this.fsm.kv.values()].filter((e) => e.key.startsWith(req.key)).sort((a, b) => (a.key < b.key ? -1 : 1)) : [this.fsm.kv.get(req.key)].filter((e): e is KvEntry => e !== undefined);
    return { index: this.indexOf(req.key, req.recurse), entries: entries.length > 0 ? entries.map((e) => ({ ...e })) : null };
  }

  private *waitKvChange(timeoutUs: number): Task<void> {
    let fn: (() => void) | null = null;
    yield* suspend<void>({
      start: (resume) => {
        const timer = this.after(Math.max(1_000, timeoutUs), () => resume.ok());
        fn = () => {
          timer.cancel();
          resume.ok();
        };
        this.kvWaiters.push(fn);
      },
      abort: () => {
        this.kvWaiters = this.kvWaiters.filter((w) => w !== fn);
      },
    });
  }

  private wakeKvWaiters(): void {
    if (this.kvWaiters.length === 0) return;
    const ws = this.kvWaiters;
    this.kvWaiters = [];
    for (const w of ws) w();
  }
}

/** The Consul agent on a Patroni host: forwards the HTTP API to a server, switching on failure. */
export class ConsulAgent extends Process {
  private current = 0;

  constructor(
    host: Host,
    name: string,
    private readonly servers: () => readonly ConsulServer[],
  ) {
    super(host, name);
  }

  protected onStart(): void {
    this.current = this.sim.rng(`consul-agent:${this.host.name}:server`).int(0, Math.max(0, this.servers().length - 1));
    this.net.listen(this, ConsulHttp, (req) => this.forward(req));
  }

  private *forward(req: ConsulRequest): Task<ConsulResponse> {
    const servers = this.servers();
    const blocking = req.op === 'kvGet' && req.index !== undefined;
    const timeoutUs = blocking ? ((req.waitS ?? 300) * 17) / 16 * 1e6 + 2e6 : RPC_HOLD_TIMEOUT_US + 1e6;
    let lastErr: unknown = null;
    // client.go RPC: on a failed server rotate to the next and retry after a random stagger of up
    // to RPCHoldTimeout/16, until RPCHoldTimeout has passed
    const firstUs = this.monoUs();
    for (;;) {
      for (let i = 0; i < servers.length; i++) {
        const s = servers[(this.current + i) % servers.length] as ConsulServer;
        try {
          const r = yield* this.net.call(this, s, ConsulRpc, { req, forwarded: false }, { timeoutUs });
          this.current = (this.current + i) % servers.length;
          return r;
        } catch (e) {
          if (e instanceof RemoteError) throw e;
          lastErr = e;
        }
      }
      if (this.monoUs() - firstUs >= RPC_HOLD_TIMEOUT_US) break;
      yield* this.sleep(Math.max(1_000, this.sim.rng(`consul-agent:${this.host.name}:stagger`).uniform(0, RPC_HOLD_TIMEOUT_US / 16)));
    }
    throw consulError(500, `rpc error: ${lastErr instanceof Error ? lastErr.message : 'no servers'}`);
  }
}
