// A message-level Raft core, run by the member processes of the quorum stores (etcd, Consul
// servers, the etcd behind a Kubernetes API server, and — modelled on the same core — ZooKeeper's
// ZAB ensemble). It follows etcd's raft library (go.etcd.io/raft, `raft.go`) closely:
//  - logical ticks on the host's monotonic clock (`tickUs`); followers campaign after a randomized
//    election timeout in [electionTicks, 2·electionTicks) ticks without hearing from a leader
//    (`raft.resetRandomizedElectionTimeout`);
//  - optional pre-vote (`raft.campaign(campaignPreElection)`) and check-quorum (a leader that has
//    not heard from a majority within an election timeout steps down, `raft.stepLeader MsgCheckQuorum`;
//    a follower that heard from a leader within the election timeout ignores vote requests,
//    "lease" in `raft.Step`);
//  - a replicated log committed by a majority, only entries of the leader's own term counting
//    (`raft.maybeCommit`), a no-op entry appended on becoming leader;
//  - read index (`raft.readOnly`, ReadOnlySafe): the leader records its commit index and confirms
//    leadership with a heartbeat round acknowledged by a majority;
//  - persistence: term, vote, log, snapshot and commit index live on the member's disk and survive
//    crashes; everything else is memory. Writing entries or a new term/vote takes an fsync of the
//    host's disk, during which the member's raft loop is blocked (`etcdserver/raft.go`: the Ready
//    loop saves to the WAL synchronously), so a stalled disk delays heartbeats as in real life.
// Messages travel as datagrams between member hosts (rafthttp drops messages when a stream is
// broken; raft retries by itself), so a cut link or a dead peer loses them.
import type { Timer } from '../../kernel/sim.js';
import type { Rng } from '../../kernel/rng.js';
import { suspend, type Task } from '../../kernel/task.js';
import type { Micros } from '../../kernel/time.js';
import type { Process } from '../../host/process.js';

export interface RaftTiming {
  /** One logical tick of the raft clock (etcd: --heartbeat-interval, 100 ms). */
  tickUs: Micros;
  /** Leader sends heartbeats every this many ticks (etcd: 1). */
  heartbeatTicks: number;
  /** Base election timeout in ticks (etcd: --election-timeout / --heartbeat-interval = 10). */
  electionTicks: number;
  /**
   * Spread of the randomized election timeout in ticks: the timeout is drawn in
   * [electionTicks, electionTicks + randomTicks). etcd: randomTicks = electionTicks.
   */
  randomTicks: number;
  /** Ticks without a majority after which a leader steps down (etcd: electionTicks). */
  checkQuorumTicks: number;
  preVote: boolean;
  checkQuorum: boolean;
  /**
   * Ticks before the first campaign after the member starts (default: the randomized election
   * timeout). ZooKeeper servers start LOOKING and elect at once.
   */
  bootElectionTicks?: number;
}

export interface RaftEntry<C> {
  term: number;
  /** null: the leader's no-op entry at the start of its term. */
  cmd: C | null;
  /** Proposal id, so that the member that took the request can answer it when applied. */
  pid: string | null;
}

interface Snapshot {
  index: number;
  term: number;
  data: unknown;
}

/** What a member keeps on its disk: survives crashes and restarts. */
export class RaftDisk<C> {
  term = 0;
  votedFor: string | null = null;
  /** Persisted commit index (etcd's HardState.Commit). */
  commit = 0;
  /** Entries from index `snapshot.index + 1` on. */
  entries: RaftEntry<C>[] = [];
  snapshot: Snapshot = { index: 0, term: 0, data: null };
}

/** The replicated state machine of a product (etcd's mvcc + lessor, ZK's data tree, ...). */
export interface RaftStateMachine<C> {
  /** Apply a committed command; the return value goes to the member that proposed it. */
  apply(cmd: C, index: number, term: number): unknown;
  snapshot(): unknown;
  /** Rebuild from a snapshot (null: empty). */
  restore(data: unknown): void;
}

export interface RaftHooks {
  /** This member became leader (true) or stopped being leader (false). */
  onRoleChange?(isLeader: boolean, term: number): void;
  /** The member learned of a (possibly new) leader. */
  onLeaderKnown?(leader: string | null, term: number): void;
  /** Entries up to `index` were applied. */
  onApplied?(index: number): void;
}

export type ProposeOutcome = { ok: true; result: unknown; index: number } | { ok: false; error: 'dropped' | 'timeout' };

type Msg<C> =
  | { t: 'app'; term: number; from: string; prevIndex: number; prevTerm: number; entries: RaftEntry<C>[]; commit: number }
  | { t: 'appResp'; term: number; from: string; index: number; reject: boolean; hint: number }
  | { t: 'hb'; term: number; from: string; commit: number; ctx: number }
  | { t: 'hbResp'; term: number; from: string; ctx: number }
  | { t: 'vote'; pre: boolean; term: number; from: string; lastIndex: number; lastTerm: number }
  | { t: 'voteResp'; pre: boolean; term: number; from: string; granted: boolean }
  | { t: 'prop'; term: number; from: string; cmd: C; pid: string }
  | { t: 'propDropped'; term: number; from: string; pid: string }
  | { t: 'readIdx'; term: number; from: string; rid: number }
  | { t: 'readIdxResp'; term: number; from: string; rid: number; index: number }
  | { t: 'snap'; term: number; from: string; snapshot: Snapshot };

export type RaftRole = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** How a member reaches its peers: a peer's RaftNode, if that peer's process is alive. */
export interface RaftTransport<C> {
  peerIds: readonly string[];
  /** Send to a peer (datagram: may be lost). */
  send(to: string, msg: RaftMessage<C>, bytes: number): void;
}

export type RaftMessage<C> = Msg<C>;

interface Progress {
  match: number;
  next: number;
  recentActive: boolean;
  ackedCtx: number;
}

interface PendingRead {
  ctx: number;
  index: number;
  /** Local resume or a remote requester. */
  local: ((index: number) => void) | null;
  remote: { from: string; rid: number } | null;
}

const MAX_ENTRIES_PER_MSG = 64;
const COMPACT_KEEP = 500;
const COMPACT_HARD_CAP = 5000;

export class RaftNode<C> {
  // ---- volatile state (one life of the process) ----
  role: RaftRole = 'follower';
  leader: string | null = null;
  private commit = 0;
  private applied = 0;
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTicks = 0;
  private votes = new Map<string, boolean>();
  private progress = new Map<string, Progress>();
  private proposals = new Map<string, (o: ProposeOutcome) => void>();
  private readSeq = 0;
  private pendingReads: PendingRead[] = [];
  /** Reads requested before the leader committed an entry of its term. */
  private readsAwaitingCommit: PendingRead[] = [];
  private localReads = new Map<number, (index: number) => void>();
  private readRid = 0;
  private applyWaiters: { index: number; fn: () => void }[] = [];
  private pidSeq = 0;
  private blockedUntilUs = 0;
  private deferred: (() => void)[] = [];
  private drainTimer: Timer | null = null;
  private tickTimer: Timer | null = null;
  private readonly tickFn = (): void => this.tick();
  private running = false;

  constructor(
    readonly proc: Process,
    readonly id: string,
    private readonly transport: RaftTransport<C>,
    readonly timing: RaftTiming,
    readonly disk: RaftDisk<C>,
    private readonly sm: RaftStateMachine<C>,
    private readonly rng: Rng,
    private readonly hooks: RaftHooks = {},
  ) {}

  // ---- life cycle ------------------------------------------------------------------------------

  /** A new life of the member: rebuild memory from the disk and start ticking. */
  start(): void {
    this.role = 'follower';
    this.leader = null;
    this.votes = new Map();
    this.progress = new Map();
    this.proposals = new Map();
    this.pendingReads = [];
    this.readsAwaitingCommit = [];
    this.localReads = new Map();
    this.applyWaiters = [];
    this.deferred = [];
    this.blockedUntilUs = 0;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    // etcd replays the WAL on restart: the state machine is rebuilt from the snapshot and the
    // committed entries (etcdserver/bootstrap.go); here the same, synchronously.
    const snap = this.disk.snapshot;
    this.sm.restore(snap.data);
    this.applied = snap.index;
    this.commit = Math.max(this.disk.commit, snap.index);
    this.resetRandomizedElectionTimeout();
    if (this.timing.bootElectionTicks !== undefined) this.randomizedElectionTicks = this.timing.bootElectionTicks + Math.floor(this.rng.next() * Math.max(1, this.timing.randomTicks));
    this.running = true;
    this.applyCommitted();
    this.scheduleTick();
  }

  /** The process ended; timers die with its incarnation. */
  stop(): void {
    this.running = false;
  }

  get term(): number {
    return this.disk.term;
  }

  get isLeader(): boolean {
    return this.role === 'leader';
  }

  get commitIndex(): number {
    return this.commit;
  }

  get appliedIndex(): number {
    return this.applied;
  }

  get lastIndex(): number {
    return this.disk.snapshot.index + this.disk.entries.length;
  }

  private quorum(): number {
    return Math.floor((this.transport.peerIds.length + 1) / 2) + 1;
  }

  private lastTerm(): number {
    return this.termAt(this.lastIndex);
  }

  /** Term of the entry at `index` (-1 if compacted away or beyond the log). */
  private termAt(index: number): number {
    const snap = this.disk.snapshot;
    if (index === snap.index) return snap.term;
    if (index < snap.index) return -1;
    const e = this.disk.entries[index - snap.index - 1];
    return e === undefined ? -1 : e.term;
  }

  private entryAt(index: number): RaftEntry<C> | undefined {
    return this.disk.entries[index - this.disk.snapshot.index - 1];
  }

  // ---- ticks -------------------------------------------------------------------------------------

  private scheduleTick(): void {
    this.tickTimer = this.proc.after(this.timing.tickUs, this.tickFn);
  }

  private tick(): void {
    if (!this.running) return;
    this.scheduleTick();
    // (the test of blocked() first, so that a tick of a free loop makes no closure)
    if (this.proc.sim.nowUs < this.blockedUntilUs && this.blocked(() => this.tickBody())) return;
    this.tickBody();
  }

  private tickBody(): void {
    if (this.role === 'leader') {
      this.heartbeatElapsed++;
      this.electionElapsed++;
      if (this.timing.checkQuorum && this.electionElapsed >= this.timing.checkQuorumTicks) {
        this.electionElapsed = 0;
        // raft.stepLeader MsgCheckQuorum: step down without a recently active majority
        let active = 1;
        for (const p of this.progress.values()) {
          if (p.recentActive) active++;
          p.recentActive = false;
        }
        if (active < this.quorum()) {
          this.becomeFollower(this.term, null);
          return;
        }
      }
      if (this.heartbeatElapsed >= this.timing.heartbeatTicks) {
        this.heartbeatElapsed = 0;
        this.broadcastHeartbeat();
      }
      return;
    }
    this.electionElapsed++;
    if (this.electionElapsed >= this.randomizedElectionTicks) {
      this.electionElapsed = 0;
      this.campaign(this.timing.preVote);
    }
  }

  private resetRandomizedElectionTimeout(): void {
    const spread = Math.max(1, this.timing.randomTicks);
    this.randomizedElectionTicks = this.timing.electionTicks + Math.floor(this.rng.next() * spread);
  }

  // ---- the member's raft loop blocked by an fsync -------------------------------------------------

  /** If the raft loop is blocked by a pending fsync, queue `fn` for when it is free. */
  private blocked(fn: () => void): boolean {
    if (this.proc.sim.nowUs >= this.blockedUntilUs) return false;
    this.deferred.push(fn);
    if (this.drainTimer === null) {
      this.drainTimer = this.proc.after(this.localUntil(this.blockedUntilUs), () => this.drain());
    }
    return true;
  }

  private localUntil(trueUs: number): number {
    // a local delay whose true length reaches `trueUs` (the disk is judged in true time)
    const d = trueUs - this.proc.sim.nowUs;
    // rounded up (and at least 1 µs) so that a drifting clock cannot make the timer fire early forever
    return d <= 0 ? 1 : Math.ceil(d * (1 + this.proc.host.clock.driftPpm / 1e6)) + 1;
  }

  private drain(): void {
    this.drainTimer = null;
    if (!this.running) return;
    while (this.deferred.length > 0) {
      if (this.proc.sim.nowUs < this.blockedUntilUs) {
        this.drainTimer = this.proc.after(this.localUntil(this.blockedUntilUs), () => this.drain());
        return;
      }
      const fn = this.deferred.shift() as () => void;
      fn();
    }
  }

  /** Entries or hard state were written: the loop waits for the fsync. */
  private fsync(): void {
    const now = this.proc.sim.nowUs;
    const d = this.proc.host.disk.fsyncDelayUs(now);
    const until = Math.max(now, this.blockedUntilUs) + d;
    this.blockedUntilUs = until;
  }

  // ---- sending -------------------------------------------------------------------------------------

  private send(to: string, msg: Msg<C>, bytes = 64): void {
    if (this.proc.sim.nowUs < this.blockedUntilUs) {
      // messages produced by this Ready go out after the WAL write (etcdserver/raft.go)
      this.blocked(() => this.transport.send(to, msg, bytes));
      return;
    }
    this.transport.send(to, msg, bytes);
  }

  private broadcastHeartbeat(): void {
    const ctx = this.readSeq;
    for (const [peer, pr] of this.progress) {
      this.send(peer, { t: 'hb', term: this.term, from: this.id, commit: Math.min(pr.match, this.commit), ctx });
    }
  }

  private sendAppend(peer: string, pr: Progress): void {
    const snap = this.disk.snapshot;
    if (pr.next <= snap.index) {
      this.send(peer, { t: 'snap', term: this.term, from: this.id, snapshot: snap }, 4096);
      pr.next = snap.index + 1;
      return;
    }
    const prevIndex = pr.next - 1;
    const prevTerm = this.termAt(prevIndex);
    const last = this.lastIndex;
    const end = Math.min(last, prevIndex + MAX_ENTRIES_PER_MSG);
    const entries: RaftEntry<C>[] = [];
    for (let i = prevIndex + 1; i <= end; i++) entries.push(this.entryAt(i) as RaftEntry<C>);
    this.send(peer, { t: 'app', term: this.term, from: this.id, prevIndex, prevTerm, entries, commit: this.commit }, 64 + 256 * entries.length);
    // optimistic pipelining (raft Progress in StateReplicate)
    if (entries.length > 0) pr.next = end + 1;
  }

  private broadcastAppend(): void {
    for (const [peer, pr] of this.progress) this.sendAppend(peer, pr);
  }

  // ---- role changes -----------------------------------------------------------------------------

  private setTerm(term: number): void {
    if (term === this.disk.term) return;
    this.disk.term = term;
    this.disk.votedFor = null;
    this.fsync();
  }

  private becomeFollower(term: number, leader: string | null): void {
    const wasLeader = this.role === 'leader';
    this.setTerm(term);
    this.role = 'follower';
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.progress = new Map();
    this.failPendingReads();
    const changed = this.leader !== leader;
    this.leader = leader;
    if (wasLeader) this.hooks.onRoleChange?.(false, this.term);
    if (changed) this.hooks.onLeaderKnown?.(leader, this.term);
  }

  private campaign(pre: boolean): void {
    if (pre) {
      // raft.becomePreCandidate: no term change, no vote persisted
      this.role = 'pre-candidate';
      this.setLeader(null);
    } else {
      this.setTerm(this.term + 1);
      this.disk.votedFor = this.id;
      this.fsync();
      this.role = 'candidate';
      this.setLeader(null);
    }
    this.resetRandomizedElectionTimeout();
    this.votes = new Map([[this.id, true]]);
    if (this.votes.size >= this.quorum()) {
      if (pre) this.campaign(false);
      else this.becomeLeader();
      return;
    }
    const term = pre ? this.term + 1 : this.term;
    const lastIndex = this.lastIndex;
    const lastTerm = this.lastTerm();
    for (const peer of this.transport.peerIds) this.send(peer, { t: 'vote', pre, term, from: this.id, lastIndex, lastTerm });
  }

  private setLeader(l: string | null): void {
    if (this.leader === l) return;
    this.leader = l;
    this.hooks.onLeaderKnown?.(l, this.term);
  }

  private becomeLeader(): void {
    this.role = 'leader';
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.progress = new Map();
    const last = this.lastIndex;
    for (const peer of this.transport.peerIds) this.progress.set(peer, { match: 0, next: last + 1, recentActive: false, ackedCtx: -1 });
    this.setLeader(this.id);
    // raft.becomeLeader appends an empty entry of the new term
    this.appendLocal({ term: this.term, cmd: null, pid: null });
    this.hooks.onRoleChange?.(true, this.term);
    this.broadcastAppend();
    this.maybeCommit();
  }

  // ---- the log ------------------------------------------------------------------------------------

  private appendLocal(e: RaftEntry<C>): void {
    this.disk.entries.push(e);
    this.fsync();
  }

  private maybeCommit(): boolean {
    const matches = [this.lastIndex];
    for (const p of this.progress.values()) matches.push(p.match);
    matches.sort((a, b) => b - a);
    const q = matches[this.quorum() - 1] as number;
    if (q > this.commit && this.termAt(q) === this.term) {
      this.commit = q;
      this.disk.commit = q;
      this.applyCommitted();
      this.releaseReadsAwaitingCommit();
      return true;
    }
    return false;
  }

  private applyCommitted(): void {
    while (this.applied < this.commit) {
      const idx = this.applied + 1;
      const e = this.entryAt(idx);
      if (e === undefined) break;
      this.applied = idx;
      let result: unknown = undefined;
      if (e.cmd !== null) result = this.sm.apply(e.cmd, idx, e.term);
      if (e.pid !== null) {
        const w = this.proposals.get(e.pid);
        if (w) {
          this.proposals.delete(e.pid);
          w({ ok: true, result, index: idx });
        }
      }
    }
    this.hooks.onApplied?.(this.applied);
    if (this.applyWaiters.length > 0) {
      const ready = this.applyWaiters.filter((w) => w.index <= this.applied);
      if (ready.length > 0) {
        this.applyWaiters = this.applyWaiters.filter((w) => w.index > this.applied);
        for (const w of ready) w.fn();
      }
    }
    this.maybeCompact();
  }

  private maybeCompact(): void {
    const entries = this.disk.entries;
    if (entries.length <= COMPACT_KEEP * 2) return;
    // raftStorage.CreateSnapshot + Compact. The state machine can only snapshot its current state,
    // so we compact up to `applied`: on a leader once every follower has it (or the log is too long;
    // laggards then get the snapshot, as in etcd).
    const upTo = this.applied;
    const snap = this.disk.snapshot;
    if (upTo <= snap.index) return;
    if (this.role === 'leader' && entries.length < COMPACT_HARD_CAP) {
      for (const p of this.progress.values()) if (p.match < upTo) return;
    }
    const term = this.termAt(upTo);
    this.disk.entries = entries.slice(upTo - snap.index);
    this.disk.snapshot = { index: upTo, term, data: this.sm.snapshot() };
  }

  // ---- receiving --------------------------------------------------------------------------------

  /** A message from a peer arrived (called in this process, by the transport). */
  receive(m: Msg<C>): void {
    if (!this.running) return;
    if (this.blocked(() => this.step(m))) return;
    this.step(m);
  }

  private step(m: Msg<C>): void {
    if (!this.running) return;
    const term = this.term;
    if (m.term > term) {
      if (m.t === 'vote' || m.t === 'voteResp') {
        if (m.t === 'vote') {
          // raft.Step: ignore a vote request within the leader lease (check quorum)
          const inLease = this.timing.checkQuorum && this.leader !== null && this.electionElapsed < this.timing.electionTicks;
          if (inLease) return;
        }
        // pre-vote requests and granted pre-vote responses never change our term (raft.Step)
        const keepTerm = m.t === 'vote' ? m.pre : m.pre && m.granted;
        if (!keepTerm) this.becomeFollower(m.term, null);
      } else if (m.t === 'app' || m.t === 'hb' || m.t === 'snap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, null);
      }
    } else if (m.term < term) {
      if ((this.timing.checkQuorum || this.timing.preVote) && (m.t === 'hb' || m.t === 'app')) {
        // tell the stale leader about the new term so it steps down
        this.send(m.from, { t: 'appResp', term: this.term, from: this.id, index: 0, reject: true, hint: 0 });
      } else if (m.t === 'vote' && m.pre) {
        this.send(m.from, { t: 'voteResp', pre: true, term: this.term, from: this.id, granted: false });
      }
      if (m.t !== 'prop' && m.t !== 'readIdx' && m.t !== 'propDropped' && m.t !== 'readIdxResp') return;
    }

    switch (m.t) {
      case 'vote':
        this.handleVote(m);
        return;
      case 'voteResp':
        this.handleVoteResp(m);
        return;
      case 'app':
        this.handleAppend(m);
        return;
      case 'appResp':
        this.handleAppendResp(m);
        return;
      case 'hb':
        this.handleHeartbeat(m);
        return;
      case 'hbResp':
        this.handleHeartbeatResp(m);
        return;
      case 'snap':
        this.handleSnapshot(m);
        return;
      case 'prop':
        this.handleForwardedProposal(m);
        return;
      case 'propDropped': {
        const w = this.proposals.get(m.pid);
        if (w) {
          this.proposals.delete(m.pid);
          w({ ok: false, error: 'dropped' });
        }
        return;
      }
      case 'readIdx':
        this.handleReadIndexRequest(m);
        return;
      case 'readIdxResp': {
        const fn = this.localReads.get(m.rid);
        if (fn) {
          this.localReads.delete(m.rid);
          fn(m.index);
        }
        return;
      }
    }
  }

  private handleVote(m: Extract<Msg<C>, { t: 'vote' }>): void {
    const d = this.disk;
    const canVote = d.votedFor === m.from || (d.votedFor === null && this.leader === null) || (m.pre && m.term > this.term);
    const upToDate = m.lastTerm > this.lastTerm() || (m.lastTerm === this.lastTerm() && m.lastIndex >= this.lastIndex);
    if (canVote && upToDate) {
      if (!m.pre) {
        this.electionElapsed = 0;
        d.votedFor = m.from;
        this.fsync();
      }
      this.send(m.from, { t: 'voteResp', pre: m.pre, term: m.term, from: this.id, granted: true });
    } else {
      this.send(m.from, { t: 'voteResp', pre: m.pre, term: this.term, from: this.id, granted: false });
    }
  }

  private handleVoteResp(m: Extract<Msg<C>, { t: 'voteResp' }>): void {
    const want = m.pre ? 'pre-candidate' : 'candidate';
    if (this.role !== want) return;
    this.votes.set(m.from, m.granted);
    let yes = 0;
    let no = 0;
    for (const g of this.votes.values()) {
      if (g) yes++;
      else no++;
    }
    if (yes >= this.quorum()) {
      if (m.pre) this.campaign(false);
      else this.becomeLeader();
    } else if (no >= this.quorum()) {
      this.becomeFollower(this.term, null);
    }
  }

  private handleAppend(m: Extract<Msg<C>, { t: 'app' }>): void {
    this.electionElapsed = 0;
    if (this.role !== 'follower') this.becomeFollower(m.term, m.from);
    this.setLeader(m.from);
    if (m.prevIndex < this.commit) {
      this.send(m.from, { t: 'appResp', term: this.term, from: this.id, index: this.commit, reject: false, hint: 0 });
      return;
    }
    const localPrevTerm = this.termAt(m.prevIndex);
    if (localPrevTerm !== m.prevTerm) {
      this.send(m.from, { t: 'appResp', term: this.term, from: this.id, index: m.prevIndex, reject: true, hint: Math.min(this.lastIndex, m.prevIndex - 1) });
      return;
    }
    // append, truncating a conflicting suffix (raftLog.maybeAppend)
    let idx = m.prevIndex;
    let wrote = false;
    for (const e of m.entries) {
      idx++;
      const t = this.termAt(idx);
      if (t === e.term) continue;
      if (t !== -1) {
        // conflict: drop our suffix from idx on
        this.disk.entries.length = idx - this.disk.snapshot.index - 1;
      }
      this.disk.entries.push(e);
      wrote = true;
    }
    if (wrote) this.fsync();
    const lastNew = m.prevIndex + m.entries.length;
    const newCommit = Math.min(m.commit, lastNew);
    if (newCommit > this.commit) {
      this.commit = newCommit;
      this.disk.commit = newCommit;
      this.applyCommitted();
    }
    this.send(m.from, { t: 'appResp', term: this.term, from: this.id, index: lastNew, reject: false, hint: 0 });
  }

  private handleAppendResp(m: Extract<Msg<C>, { t: 'appResp' }>): void {
    if (this.role !== 'leader') return;
    const pr = this.progress.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    if (m.reject) {
      pr.next = Math.max(pr.match + 1, Math.min(pr.next - 1, m.hint + 1));
      this.sendAppend(m.from, pr);
      return;
    }
    if (m.index > pr.match) {
      pr.match = m.index;
      if (pr.next <= m.index) pr.next = m.index + 1;
      if (this.maybeCommit()) {
        // raft.stepLeader: a commit advance is broadcast at once
        this.broadcastAppend();
      } else if (pr.match < this.lastIndex) {
        this.sendAppend(m.from, pr);
      }
    }
  }

  private handleHeartbeat(m: Extract<Msg<C>, { t: 'hb' }>): void {
    this.electionElapsed = 0;
    if (this.role !== 'follower') this.becomeFollower(m.term, m.from);
    this.setLeader(m.from);
    if (m.commit > this.commit && m.commit <= this.lastIndex) {
      this.commit = m.commit;
      this.disk.commit = m.commit;
      this.applyCommitted();
    }
    this.send(m.from, { t: 'hbResp', term: this.term, from: this.id, ctx: m.ctx }, 32);
  }

  private handleHeartbeatResp(m: Extract<Msg<C>, { t: 'hbResp' }>): void {
    if (this.role !== 'leader') return;
    const pr = this.progress.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    if (m.ctx > pr.ackedCtx) pr.ackedCtx = m.ctx;
    if (pr.match < this.lastIndex) this.sendAppend(m.from, pr);
    if (this.pendingReads.length > 0) this.advanceReads();
  }

  private handleSnapshot(m: Extract<Msg<C>, { t: 'snap' }>): void {
    this.electionElapsed = 0;
    this.setLeader(m.from);
    const s = m.snapshot;
    if (s.index <= this.commit) {
      this.send(m.from, { t: 'appResp', term: this.term, from: this.id, index: this.commit, reject: false, hint: 0 });
      return;
    }
    this.disk.snapshot = s;
    this.disk.entries = [];
    this.disk.commit = s.index;
    this.fsync();
    this.sm.restore(s.data);
    this.commit = s.index;
    this.applied = s.index;
    this.hooks.onApplied?.(this.applied);
    this.send(m.from, { t: 'appResp', term: this.term, from: this.id, index: s.index, reject: false, hint: 0 });
  }

  // ---- proposals -------------------------------------------------------------------------------

  private handleForwardedProposal(m: Extract<Msg<C>, { t: 'prop' }>): void {
    if (this.role !== 'leader') {
      if (this.leader !== null && this.leader !== m.from && this.leader !== this.id) {
        this.send(this.leader, m);
      } else {
        this.send(m.from, { t: 'propDropped', term: this.term, from: this.id, pid: m.pid });
      }
      return;
    }
    this.appendLocal({ term: this.term, cmd: m.cmd, pid: m.pid });
    this.broadcastAppend();
    this.maybeCommit();
  }

  /**
   * Propose a command at this member and wait until this member applied it (its result), the
   * proposal was dropped (no leader known: `raft.stepFollower` "no leader at term; dropping
   * proposal"), or `timeoutLocalUs` passed (etcd: "request timed out", the entry may still commit).
   */
  *propose(cmd: C, timeoutLocalUs: Micros): Task<ProposeOutcome> {
    const pid = `${this.id}:${this.proc.incarnation}:${++this.pidSeq}`;
    let timer: Timer | null = null;
    return yield* suspend<ProposeOutcome>({
      start: (resume) => {
        const finish = (o: ProposeOutcome): void => {
          timer?.cancel();
          this.proposals.delete(pid);
          resume.ok(o);
        };
        if (!this.running) {
          finish({ ok: false, error: 'dropped' });
          return;
        }
        this.proposals.set(pid, finish);
        timer = this.proc.after(timeoutLocalUs, () => finish({ ok: false, error: 'timeout' }));
        const doPropose = (): void => {
          if (this.role === 'leader') {
            this.appendLocal({ term: this.term, cmd, pid });
            this.broadcastAppend();
            this.maybeCommit();
          } else if (this.leader !== null) {
            this.send(this.leader, { t: 'prop', term: this.term, from: this.id, cmd, pid }, 256);
          } else {
            finish({ ok: false, error: 'dropped' });
          }
        };
        if (!this.blocked(doPropose)) doPropose();
      },
      abort: () => {
        timer?.cancel();
        this.proposals.delete(pid);
      },
    });
  }

  // ---- linearizable reads (ReadIndex) -------------------------------------------------------------

  /**
   * Confirm a read index (raft ReadOnlySafe) and wait until this member applied up to it.
   * Returns false on timeout or when no leader is known.
   */
  *readIndex(timeoutLocalUs: Micros): Task<boolean> {
    let timer: Timer | null = null;
    let rid = -1;
    const got = yield* suspend<number>({
      start: (resume) => {
        let settled = false;
        const finish = (idx: number): void => {
          if (settled) return;
          settled = true;
          timer?.cancel();
          if (rid >= 0) this.localReads.delete(rid);
          resume.ok(idx);
        };
        if (!this.running) {
          finish(-1);
          return;
        }
        timer = this.proc.after(timeoutLocalUs, () => finish(-1));
        const onIndex = (idx: number): void => {
          if (idx < 0) {
            finish(-1);
            return;
          }
          if (this.applied >= idx) finish(idx);
          else this.applyWaiters.push({ index: idx, fn: () => finish(idx) });
        };
        if (this.role === 'leader') {
          this.leaderRead({ ctx: 0, index: 0, local: onIndex, remote: null });
        } else if (this.leader !== null) {
          rid = ++this.readRid;
          this.localReads.set(rid, onIndex);
          this.send(this.leader, { t: 'readIdx', term: this.term, from: this.id, rid }, 32);
        } else {
          finish(-1);
        }
      },
      abort: () => {
        timer?.cancel();
        if (rid >= 0) this.localReads.delete(rid);
      },
    });
    return got >= 0;
  }

  private handleReadIndexRequest(m: Extract<Msg<C>, { t: 'readIdx' }>): void {
    if (this.role !== 'leader') return; // the requester times out
    this.leaderRead({ ctx: 0, index: 0, local: null, remote: { from: m.from, rid: m.rid } });
  }

  private leaderRead(r: PendingRead): void {
    // raft: a leader serves read index only after committing an entry of its term
    if (this.termAt(this.commit) !== this.term) {
      this.readsAwaitingCommit.push(r);
      return;
    }
    r.ctx = ++this.readSeq;
    r.index = this.commit;
    if (this.quorum() === 1) {
      this.completeRead(r);
      return;
    }
    this.pendingReads.push(r);
    this.broadcastHeartbeat();
  }

  private releaseReadsAwaitingCommit(): void {
    if (this.readsAwaitingCommit.length === 0) return;
    const rs = this.readsAwaitingCommit;
    this.readsAwaitingCommit = [];
    for (const r of rs) this.leaderRead(r);
  }

  private advanceReads(): void {
    const q = this.quorum();
    const still: PendingRead[] = [];
    for (const r of this.pendingReads) {
      let acks = 1;
      for (const p of this.progress.values()) if (p.ackedCtx >= r.ctx) acks++;
      if (acks >= q) this.completeRead(r);
      else still.push(r);
    }
    this.pendingReads = still;
  }

  private completeRead(r: PendingRead): void {
    if (r.local) r.local(r.index);
    else if (r.remote) this.send(r.remote.from, { t: 'readIdxResp', term: this.term, from: this.id, rid: r.remote.rid, index: r.index }, 32);
  }

  private failPendingReads(): void {
    const rs = [...this.pendingReads, ...this.readsAwaitingCommit];
    this.pendingReads = [];
    this.readsAwaitingCommit = [];
    for (const r of rs) if (r.local) r.local(-1);
  }

  /** Ground truth for tests: the state of this member. */
  describe(): { id: string; role: RaftRole; term: number; leader: string | null; commit: number; applied: number; last: number } {
    return { id: this.id, role: this.role, term: this.term, leader: this.leader, commit: this.commit, applied: this.applied, last: this.lastIndex };
  }
}
