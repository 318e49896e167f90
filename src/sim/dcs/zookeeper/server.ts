// A ZooKeeper server of an ensemble, modelled on the shared quorum core (see docs/fidelity.md for
// where ZAB's observable behaviour matches Raft's and where it is simplified):
//  - timing from tickTime (2 s): the leader pings followers every tickTime/2; a follower that has
//    not heard from the leader for syncLimit × tickTime (5 × 2 s) starts an election; a leader that
//    has not heard from a quorum for syncLimit ticks gives up leadership; the election itself
//    (FastLeaderElection) converges quickly and picks the most up-to-date server;
//  - a server that is neither leading nor following a leader serves no client: connections are
//    closed and new ones refused (read-only mode is off by default);
//  - reads are served from the connected server's own tree (possibly stale); writes are forwarded
//    to the leader and committed by a quorum;
//  - sessions: the *leader's* SessionTracker expires a session `timeout` after its last touch, in
//    buckets of tickTime; every client request or ping touches the session (followers pass touches
//    on to the leader); a new leader restarts every session's timeout. Expiry is a committed
//    closeSession that removes the session's ephemeral znodes.
import type { Host } from '../../host/host.js';
import { Process, type ExitReason } from '../../host/process.js';
import { RemoteError, service } from '../../net/network.js';
import type { Task } from '../../kernel/task.js';
import { RaftDisk, RaftNode, type RaftTiming } from '../raft/core.js';
import type { QuorumStoreRecorder } from '../raft/records.js';
import { datagramTransport, type RaftPeer } from '../raft/transport.js';
import { ZkTree, type ZkCmd, type ZkResult, type Znode, type ZnodeChange } from './tree.js';

export const ZkConnect = service<{ sessionId: number; timeoutMs: number }, { sessionId: number; timeoutMs: number }>('zk.connect');
export const ZkPing = service<{ sessionId: number }, { ok: true }>('zk.ping');
export const ZkRead = service<{ sessionId: number; prefix: string; watch: string[] }, { nodes: Znode[] }>('zk.read');
export const ZkWrite = service<{ sessionId: number; cmd: ZkCmd }, ZkResult>('zk.write');
export const ZkClose = service<{ sessionId: number }, { ok: true }>('zk.close');

/** Delivered to the client process when a watched znode changes. */
export interface ZkWatchTarget {
  sessionId: number;
  proc: Process;
  fire(path: string): void;
}

export function zkRaftTiming(tickTimeMs = 2000, syncLimit = 5): RaftTiming {
  // the raft clock ticks at 1/10 of tickTime so that elections can be staggered finely; the leader
  // pings every tickTime/2; LOOKING after syncLimit × tickTime without the leader
  const tickUs = (tickTimeMs * 1000) / 10;
  const electionTicks = syncLimit * 10;
  return { tickUs, heartbeatTicks: 5, electionTicks, randomTicks: 3, checkQuorumTicks: electionTicks, preVote: true, checkQuorum: true, bootElectionTicks: 1 };
}

export interface ZkEnsembleContext {
  store: string;
  leaderKeys: ReadonlySet<string>;
  recorder: QuorumStoreRecorder;
  timing: RaftTiming;
  tickTimeMs: number;
  servers(): readonly ZkServer[];
  roleChanged(): void;
  watchTarget(sessionId: number): ZkWatchTarget | undefined;
}

export class ZkError extends RemoteError {
  constructor(readonly code: string) {
    super(code, code === 'ConnectionLoss' ? 503 : 400, { code });
    this.name = 'ZkError';
  }
}

export class ZkServer extends Process {
  readonly disk = new RaftDisk<ZkCmd>();
  raft: RaftNode<ZkCmd> | null = null;
  tree = new ZkTree();
  /** Leader only: session → expiry (local monotonic µs). */
  private expiry = new Map<number, number>();
  private watches = new Map<string, Set<number>>();
  private sessionSeq = 0;
  private checkArmed = false;

  constructor(
    host: Host,
    name: string,
    readonly index: number,
    private readonly ctx: ZkEnsembleContext,
  ) {
    super(host, name);
  }

  get serving(): boolean {
    const r = this.raft;
    return r !== null && (r.isLeader || (r.role === 'follower' && r.leader !== null));
  }

  private get tickUs(): number {
    return this.ctx.tickTimeMs * 1000;
  }

  protected onStart(): void {
    this.tree = new ZkTree();
    this.expiry = new Map();
    this.watches = new Map();
    this.checkArmed = false;
    const peers: RaftPeer<ZkCmd>[] = this.ctx
      .servers()
      .filter((s) => s !== this)
      .map((s) => ({ id: s.name, proc: s, node: () => s.raft }));
    this.tree.onChange = (c, zxid) => this.onChange(c, zxid);
    this.tree.onSession = (kind, id) => {
      if (kind === 'create' && this.raft?.isLeader) this.touchLocal(id);
      if (kind === 'close') this.expiry.delete(id);
    };
    const raft = new RaftNode<ZkCmd>(this, this.name, datagramTransport(this, peers, 'zk.zab'), this.ctx.timing, this.disk, this.tree, this.sim.rng(`raft:${this.ctx.store}:${this.name}:election`), {
      onRoleChange: (isLeader) => {
        if (isLeader) this.startSessionTracker();
        else this.expiry.clear();
        this.ctx.roleChanged();
      },
      onLeaderKnown: () => this.ctx.roleChanged(),
      onApplied: (i) => this.ctx.recorder.appliedThrough(i),
    });
    this.raft = raft;
    raft.start();
    this.net.listen(this, ZkConnect, (r) => this.serveConnect(r.sessionId, r.timeoutMs));
    this.net.listen(this, ZkPing, (r) => this.servePing(r.sessionId));
    this.net.listen(this, ZkRead, (r) => this.serveRead(r.sessionId, r.prefix, r.watch));
    this.net.listen(this, ZkWrite, (r) => this.serveWrite(r.sessionId, r.cmd));
    this.net.listen(this, ZkClose, (r) => this.serveClose(r.sessionId));
  }

  protected override onExit(_why: ExitReason): void {
    this.raft = null;
    this.ctx.roleChanged();
  }

  // ---- sessions --------------------------------------------------------------------------------------

  /** SessionTrackerImpl.roundToNextInterval */
  private roundUp(localUs: number): number {
    return (Math.floor(localUs / this.tickUs) + 1) * this.tickUs;
  }

  private startSessionTracker(): void {
    this.expiry.clear();
    for (const id of [...this.tree.sessions.keys()].sort((a, b) => a - b)) this.touchLocal(id);
    if (!this.checkArmed) {
      this.checkArmed = true;
      this.after(this.tickUs, () => this.checkExpiry());
    }
    const rec = this.ctx.recorder;
    if (rec.holder !== null && typeof rec.leaseOfHolder === 'number' && rec.leaseOfHolder !== 0) rec.leader(rec.holder, 'updated', this.sessionExpiryTrueUs(rec.leaseOfHolder));
  }

  private touchLocal(id: number): void {
    const t = this.tree.sessions.get(id);
    if (t === undefined) return;
    this.expiry.set(id, this.roundUp(this.monoUs() + t * 1000));
    const rec = this.ctx.recorder;
    if (rec.leaseOfHolder === id && rec.holder !== null) rec.leader(rec.holder, 'updated', this.sessionExpiryTrueUs(id));
  }

  /** A follower passes a touch on to the leader (in its pings to the leader). */
  private touch(id: number): void {
    const raft = this.raft;
    if (!raft) return;
    if (raft.isLeader) {
      this.touchLocal(id);
      return;
    }
    const leader = this.ctx.servers().find((s) => s.name === raft.leader);
    if (!leader || leader === this) return;
    this.net.sendDatagram(this.host, leader.host, 'zk.touch', 16, () => {
      if (leader.alive) leader.post(() => leader.raft?.isLeader && leader.touchLocal(id), leader.incarnation);
    });
  }

  private checkExpiry(): void {
    if (!this.raft?.isLeader) {
      this.checkArmed = false;
      return;
    }
    this.after(this.tickUs, () => this.checkExpiry());
    const now = this.monoUs();
    for (const [id, exp] of [...this.expiry].sort((a, b) => a[0] - b[0])) {
      if (exp > now) continue;
      this.expiry.delete(id);
      const raft = this.raft;
      this.spawn(`expire session ${id}`, (function* () {
        yield* raft.propose({ op: 'closeSession', id, expired: true }, 10_000_000);
      })());
    }
  }

  sessionExpiryTrueUs(id: number): number | undefined {
    let best: number | undefined;
    for (const s of this.ctx.servers()) {
      const exp = s.alive && s.raft?.isLeader ? s.expiry.get(id) : undefined;
      if (exp === undefined) continue;
      const t = this.sim.nowUs + s.host.clock.trueDelayFor(exp - s.monoUs());
      if (best === undefined || t > best) best = t;
    }
    if (best !== undefined) return best;
    const t = this.tree.sessions.get(id) ?? 0;
    return this.sim.nowUs + t * 1000 + this.ctx.timing.electionTicks * this.ctx.timing.tickUs + this.tickUs;
  }

  // ---- requests ------------------------------------------------------------------------------------

  private requireServing(): void {
    if (!this.serving) throw new ZkError('ConnectionLoss');
  }

  private *propose(cmd: ZkCmd): Task<ZkResult> {
    const raft = this.raft;
    if (!raft) throw new ZkError('ConnectionLoss');
    const o = yield* raft.propose(cmd, 2 * this.ctx.timing.electionTicks * this.ctx.timing.tickUs);
    if (!o.ok) throw new ZkError('ConnectionLoss');
    return o.result as ZkResult;
  }

  private *serveConnect(sessionId: number, timeoutMs: number): Task<{ sessionId: number; timeoutMs: number }> {
    this.requireServing();
    // the server clamps the timeout to [2, 20] × tickTime
    const t = Math.min(20 * this.ctx.tickTimeMs, Math.max(2 * this.ctx.tickTimeMs, timeoutMs));
    if (sessionId !== 0) {
      if (!this.tree.sessions.has(sessionId)) throw new ZkError('SessionExpired');
      this.touch(sessionId);
      return { sessionId, timeoutMs: this.tree.sessions.get(sessionId) ?? t };
    }
    const id = (this.index + 1) * 2 ** 40 + this.incarnation * 2 ** 24 + ++this.sessionSeq;
    const r = yield* this.propose({ op: 'createSession', id, timeoutMs: t });
    if (r.code !== 'ok') throw new ZkError('ConnectionLoss');
    return { sessionId: id, timeoutMs: t };
  }

  // eslint-disable-next-line require-yield
  private *servePing(sessionId: number): Task<{ ok: true }> {
    this.requireServing();
    if (!this.tree.sessions.has(sessionId)) throw new ZkError('SessionExpired');
    this.touch(sessionId);
    return { ok: true };
  }

  // eslint-disable-next-line require-yield
  private *serveRead(sessionId: number, prefix: string, watch: string[]): Task<{ nodes: Znode[] }> {
    this.requireServing();
    this.touch(sessionId);
    for (const p of watch) {
      let s = this.watches.get(p);
      if (!s) {
        s = new Set();
        this.watches.set(p, s);
      }
      s.add(sessionId);
    }
    const nodes: Znode[] = [];
    for (const n of this.tree.nodes.values()) if (n.path.startsWith(prefix)) nodes.push({ ...n });
    return { nodes };
  }

  private *serveWrite(sessionId: number, cmd: ZkCmd): Task<ZkResult> {
    this.requireServing();
    this.touch(sessionId);
    return yield* this.propose(cmd);
  }

  private *serveClose(sessionId: number): Task<{ ok: true }> {
    this.requireServing();
    yield* this.propose({ op: 'closeSession', id: sessionId, expired: false });
    return { ok: true };
  }

  private onChange(c: ZnodeChange, zxid: number): void {
    const ws = this.watches.get(c.path);
    if (ws) {
      // one-shot data watches of this server's clients
      this.watches.delete(c.path);
      for (const id of [...ws].sort((a, b) => a - b)) {
        const t = this.ctx.watchTarget(id);
        if (!t) continue;
        this.net.sendDatagram(this.host, t.proc.host, 'zk.watch', 32, () => {
          if (t.proc.alive) t.proc.post(() => t.fire(c.path), t.proc.incarnation);
        });
      }
    }
    if (!this.ctx.leaderKeys.has(c.path) || !this.ctx.recorder.isNew(zxid)) return;
    const rec = this.ctx.recorder;
    if (c.after) {
      const holder = c.after.data;
      const reason = c.before === null ? 'acquired' : c.before.data === holder ? 'updated' : 'taken';
      rec.leaseOfHolder = c.after.ephemeralOwner;
      rec.leader(holder, reason, c.after.ephemeralOwner !== 0 ? this.sessionExpiryTrueUs(c.after.ephemeralOwner) : undefined);
    } else if (c.before) {
      rec.leaseOfHolder = 0;
      rec.leader(c.before.data, c.cause === 'session-expired' ? 'expired' : 'deleted');
    }
  }
}
