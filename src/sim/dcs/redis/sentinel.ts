// Redis Sentinel, following sentinel.c (Redis 7): every Sentinel PINGs each instance every second
// and reads INFO every 10 s (every second during a failover); an instance silent for
// `down-after-milliseconds` is subjectively down (SDOWN); a master is objectively down (ODOWN) when
// `quorum` Sentinels (counting this one) say so through SENTINEL IS-MASTER-DOWN-BY-ADDR; an ODOWN
// master starts a failover attempt with a new epoch; the attempt needs the votes of a majority of
// all Sentinels (and at least `quorum`); the leader promotes the best replica (priority, then
// replication offset, then run id) with REPLICAOF NO ONE and, once INFO shows it as master,
// publishes the new configuration (config epoch) in hello messages that travel through the Redis
// instances' `__sentinel__:hello` channel; the other Sentinels adopt the highest config epoch.
// A returning old master, or a replica following the wrong master, is reconfigured with REPLICAOF
// after 8 s (4 hello periods). Sentinel's clock is the wall clock (mstime()); a jump of more than
// 2 s between timer runs puts it in TILT mode for 30 s, during which it does not act.
//
// Simplified: the instances and Sentinels are known from the deployment (no discovery through
// INFO and hellos); a failover reconfigures all remaining replicas at once (parallel-syncs is
// ignored) and ends when every reachable replica follows the new master (or at failover-timeout).
import { Process } from '../../host/process.js';
import type { Host } from '../../host/host.js';
import type { Rng } from '../../kernel/rng.js';
import type { Task } from '../../kernel/task.js';
import {
  RedisInfo,
  RedisPublishHello,
  RedisReplicaOf,
  SentinelFailover,
  SentinelGetMaster,
  SentinelHello,
  SentinelIsMasterDown,
  type Hello,
  type InfoReply,
} from './protocol.js';
import type { RedisServer } from './server.js';
import { storeEvent } from '../memory/serverLease.js';

const PING_PERIOD_MS = 1000;
const INFO_PERIOD_MS = 10_000;
const ASK_PERIOD_MS = 1000;
const PUBLISH_PERIOD_MS = 2000;
const ELECTION_TIMEOUT_MS = 10_000;
const MAX_DESYNC_MS = 1000;
const TILT_TRIGGER_MS = 2000;
const TILT_PERIOD_MS = 30_000;
const SLAVE_RECONF_RETRY_MS = 10_000;

export interface SentinelOptions {
  store: string;
  name: string;
  /** Every Redis instance of the group (member names). */
  instances: readonly string[];
  initialMaster: string;
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  lookup: (member: string) => RedisServer | undefined;
  peers: () => readonly Sentinel[];
  /** The group's health changed in this Sentinel's view (for `dcs.quorum`). */
  onEvent: (e: { kind: 'odown' | 'switch'; master: string; epoch: number; by: string }) => void;
}

interface InstanceView {
  name: string;
  lastAvailMs: number;
  linkDown: boolean;
  pending: boolean;
  lastPingMs: number;
  infoRefreshMs: number;
  role: 'master' | 'replica' | null;
  roleReportedMs: number;
  reportedMaster: string | null;
  masterChangedMs: number;
  linkUp: boolean;
  linkDownMs: number;
  offset: number;
  priority: number;
  runId: string;
  sdown: boolean;
  sdownSinceMs: number;
  reconfSentMs: number;
}

interface PeerView {
  masterDown: boolean;
  leader: string | null;
  leaderEpoch: number;
  lastReplyMs: number;
  pending: boolean;
}

type FailoverState = 'none' | 'wait-start' | 'select' | 'send-noone' | 'wait-promotion' | 'reconf';

export class Sentinel extends Process {
  // ---- config file (rewritten on every change): survives restarts --------------------------------
  private currentEpoch = 0;
  private configEpoch = 0;
  private master: string;
  private vote: { leader: string | null; epoch: number } = { leader: null, epoch: 0 };
  // ---- memory ------------------------------------------------------------------------------------
  private views = new Map<string, InstanceView>();
  private peerViews = new Map<string, PeerView>();
  private odown = false;
  private failover: {
    state: FailoverState;
    epoch: number;
    stateChangeMs: number;
    promoted: string | null;
    forced: boolean;
  } = { state: 'none', epoch: 0, stateChangeMs: 0, promoted: null, forced: false };
  private failoverStartMs = Number.NEGATIVE_INFINITY;
  private tiltUntilMs = Number.NEGATIVE_INFINITY;
  private lastTimerMs = 0;
  private lastHelloMs = Number.NEGATIVE_INFINITY;
  private readonly rng: Rng;

  constructor(
    host: Host,
    readonly opts: SentinelOptions,
  ) {
    super(host, 'redis-sentinel');
    this.master = opts.initialMaster;
    this.rng = host.sim.rng(`redis-sentinel:${opts.name}`);
  }

  get sentinelName(): string {
    return this.opts.name;
  }

  /** This Sentinel's view: the master it names and the config epoch of that configuration. */
  get view(): { master: string; configEpoch: number; currentEpoch: number } {
    return { master: this.currentMasterAddress(), configEpoch: this.configEpoch, currentEpoch: this.currentEpoch };
  }

  private event(event: string, detail?: string): void {
    storeEvent(this, this.opts.store, this.opts.name, event, detail === undefined ? {} : { detail });
  }

  private nowMs(): number {
    return this.wallUs() / 1000;
  }

  protected onStart(): void {
    this.views = new Map();
    this.peerViews = new Map();
    this.odown = false;
    this.failover = { state: 'none', epoch: 0, stateChangeMs: 0, promoted: null, forced: false };
    this.failoverStartMs = Number.NEGATIVE_INFINITY;
    this.tiltUntilMs = Number.NEGATIVE_INFINITY;
    this.lastTimerMs = this.nowMs();
    this.resetViews();
    const net = this.net;
    net.listen(this, SentinelGetMaster, () => this.getMasterCmd());
    net.listen(this, SentinelIsMasterDown, (r) => this.isMasterDownCmd(r));
    net.listen(this, SentinelHello, (h) => this.helloCmd(h));
    net.listen(this, SentinelFailover, () => this.failoverCmd());
    this.spawn('sentinel-timer', this.timer());
  }

  private resetViews(): void {
    const now = this.nowMs();
    this.views = new Map();
    for (const name of this.opts.instances) {
      this.views.set(name, {
        name,
        lastAvailMs: now,
        linkDown: false,
        pending: false,
        lastPingMs: Number.NEGATIVE_INFINITY,
        infoRefreshMs: Number.NEGATIVE_INFINITY,
        role: null,
        roleReportedMs: now,
        reportedMaster: null,
        masterChangedMs: now,
        linkUp: false,
        linkDownMs: 0,
        offset: 0,
        priority: 100,
        runId: '',
        sdown: false,
        sdownSinceMs: 0,
        reconfSentMs: Number.NEGATIVE_INFINITY,
      });
    }
  }

  private masterView(): InstanceView {
    return this.views.get(this.master) as InstanceView;
  }

  private peers(): Sentinel[] {
    return this.opts.peers().filter((p) => p !== this);
  }

  private peerView(name: string): PeerView {
    let v = this.peerViews.get(name);
    if (!v) {
      v = { masterDown: false, leader: null, leaderEpoch: 0, lastReplyMs: Number.NEGATIVE_INFINITY, pending: false };
      this.peerViews.set(name, v);
    }
    return v;
  }

  /** `sentinelGetCurrentMasterAddress`: during the reconfiguration phase, the promoted replica. */
  private currentMasterAddress(): string {
    return this.failover.state === 'reconf' && this.failover.promoted ? this.failover.promoted : this.master;
  }

  private inTilt(): boolean {
    return this.nowMs() < this.tiltUntilMs;
  }

  // ---- the timer (sentinelTimer, ~10 Hz) ----------------------------------------------------

  private *timer(): Task<void> {
    for (;;) {
      // sentinelTimer: "continuously change the frequency of the timer interrupt in order to
      // desynchronize every Sentinel from every other" (hz = 10 + rand() % 10)
      yield* this.sleep(Math.round(1_000_000 / (10 + this.rng.int(0, 9))));
      const now = this.nowMs();
      const delta = now - this.lastTimerMs;
      this.lastTimerMs = now;
      // sentinelCheckTiltCondition: the wall clock went back or jumped (or we were stopped)
      if (delta < 0 || delta > TILT_TRIGGER_MS) {
        if (!this.inTilt()) this.event('+tilt', `timer delta ${delta.toFixed(0)} ms`);
        this.tiltUntilMs = now + TILT_PERIOD_MS;
      }
      this.tick(now);
    }
  }

  private tick(now: number): void {
    for (const v of this.views.values()) {
      if (!v.pending && now - v.lastPingMs >= PING_PERIOD_MS) this.probe(v);
    }
    if (this.inTilt()) return;
    for (const v of this.views.values()) this.checkSdown(v, now);
    const m = this.masterView();
    if (m.sdown) this.askPeers(now, false);
    this.checkOdown();
    if (this.odown && this.failover.state === 'none' && now - this.failoverStartMs >= 2 * this.opts.failoverTimeoutMs) this.startFailover(false);
    this.runFailover(now);
    if (now - this.lastHelloMs >= PUBLISH_PERIOD_MS) {
      this.lastHelloMs = now;
      this.sendHellos();
    }
  }

  private probe(v: InstanceView): void {
    const server = this.opts.lookup(v.name);
    if (!server) return;
    v.pending = true;
    v.lastPingMs = this.nowMs();
    this.spawn(
      'ping',
      this.probeTask(v, server),
      () => undefined,
    );
  }

  private *probeTask(v: InstanceView, server: RedisServer): Task<void> {
    try {
      const info = yield* this.net.call(this, server, RedisInfo, {}, { timeoutUs: Math.min(this.opts.downAfterMs, 10_000) * 1000 });
      v.pending = false;
      v.linkDown = false;
      v.lastAvailMs = this.nowMs();
      const period = this.infoPeriodFor(v);
      if (this.nowMs() - v.infoRefreshMs >= period) this.refreshInfo(v, info);
    } catch {
      v.pending = false;
      v.linkDown = true;
    }
  }

  /** INFO every 10 s; every 1 s for a replica while its master is down or failing over. */
  private infoPeriodFor(v: InstanceView): number {
    if (v.name === this.master) return INFO_PERIOD_MS;
    const m = this.masterView();
    return this.odown || m.sdown || this.failover.state !== 'none' || !v.linkUp ? 1000 : INFO_PERIOD_MS;
  }

  private checkSdown(v: InstanceView, now: number): void {
    const silent = now - v.lastAvailMs > this.opts.downAfterMs;
    const wrongRole = v.name === this.master && v.role === 'replica' && now - v.roleReportedMs > this.opts.downAfterMs + 2 * INFO_PERIOD_MS;
    if (silent || wrongRole) {
      if (!v.sdown) {
        v.sdown = true;
        v.sdownSinceMs = now;
      }
    } else v.sdown = false;
  }

  /** sentinelRefreshInstanceInfo (the parts that matter here). */
  private refreshInfo(v: InstanceView, info: InfoReply): void {
    const now = this.nowMs();
    v.infoRefreshMs = now;
    if (info.role !== v.role) {
      v.role = info.role;
      v.roleReportedMs = now;
    }
    if (info.master !== v.reportedMaster) {
      v.reportedMaster = info.master;
      v.masterChangedMs = now;
    }
    v.linkUp = info.linkUp;
    v.linkDownMs = info.linkDownMs;
    v.offset = info.offset;
    v.priority = info.replicaPriority;
    v.runId = info.runId;
    if (this.inTilt()) return;
    const f = this.failover;
    // the promoted replica now reports itself as master: the failover succeeded
    if (f.state === 'wait-promotion' && f.promoted === v.name && info.role === 'master') {
      this.configEpoch = f.epoch;
      this.event('+promoted-slave', `${v.name} epoch ${f.epoch}`);
      this.setFailoverState('reconf');
      this.opts.onEvent({ kind: 'switch', master: v.name, epoch: f.epoch, by: this.opts.name });
      this.sendHellos();
      return;
    }
    if (v.name === this.master || f.state !== 'none') return;
    const waitMs = PUBLISH_PERIOD_MS * 4;
    // an instance we know as a replica reports master (an old master back): make it a replica
    const sane = this.masterLooksSane();
    if (info.role === 'master' && sane && now - v.roleReportedMs > waitMs && now - v.reconfSentMs > SLAVE_RECONF_RETRY_MS) {
      this.sendReplicaOf(v, this.master);
      return;
    }
    // a replica following some other master
    if (info.role === 'replica' && info.master !== this.master && sane && now - v.masterChangedMs > waitMs && now - v.reconfSentMs > SLAVE_RECONF_RETRY_MS) {
      this.sendReplicaOf(v, this.master);
    }
  }

  /** sentinelMasterLooksSane */
  private masterLooksSane(): boolean {
    const m = this.masterView();
    return m.role === 'master' && !m.sdown && !this.odown && this.nowMs() - m.infoRefreshMs < 2 * INFO_PERIOD_MS;
  }

  private sendReplicaOf(v: InstanceView, master: string | null): void {
    const server = this.opts.lookup(v.name);
    if (!server) return;
    v.reconfSentMs = this.nowMs();
    this.spawn(
      'replicaof',
      (function* (self: Sentinel): Task<void> {
        try {
          yield* self.net.call(self, server, RedisReplicaOf, { master }, { timeoutUs: 5_000_000 });
        } catch {
          // the reply is discarded in Sentinel anyway; the outcome is observed through INFO
        }
      })(this),
      () => undefined,
    );
  }

  // ---- agreement: ODOWN and the leader election ----------------------------------------------

  private askPeers(now: number, force: boolean): void {
    for (const p of this.peers()) {
      const pv = this.peerView(p.sentinelName);
      if (now - pv.lastReplyMs > ASK_PERIOD_MS * 5) {
        pv.masterDown = false;
        pv.leader = null;
      }
      if (pv.pending) continue;
      if (!force && now - pv.lastReplyMs < ASK_PERIOD_MS) continue;
      pv.pending = true;
      const req = { master: this.master, epoch: this.currentEpoch, runId: this.failover.state !== 'none' ? this.opts.name : null };
      this.spawn(
        'ask',
        (function* (self: Sentinel): Task<void> {
          try {
            const r = yield* self.net.call(self, p, SentinelIsMasterDown, req, { timeoutUs: 1_000_000 });
            pv.lastReplyMs = self.nowMs();
            pv.masterDown = r.down;
            if (r.leader !== null) {
              pv.leader = r.leader;
              pv.leaderEpoch = r.leaderEpoch;
            }
          } catch {
            // no answer: its opinion ages out after 5 s
          }
          pv.pending = false;
        })(this),
        () => undefined,
      );
    }
  }

  private checkOdown(): void {
    const m = this.masterView();
    let votes = 0;
    if (m.sdown) {
      votes = 1;
      for (const p of this.peers()) if (this.peerView(p.sentinelName).masterDown) votes++;
    }
    const odown = m.sdown && votes >= this.opts.quorum;
    if (odown && !this.odown) {
      this.event('+odown', `${this.master} #quorum ${votes}/${this.opts.quorum}`);
      this.opts.onEvent({ kind: 'odown', master: this.master, epoch: this.currentEpoch, by: this.opts.name });
    }
    this.odown = odown;
  }

  /** sentinelVoteLeader */
  private voteLeader(reqEpoch: number, runId: string): { leader: string | null; epoch: number } {
    if (reqEpoch > this.currentEpoch) this.currentEpoch = reqEpoch;
    if (this.vote.epoch < reqEpoch && this.currentEpoch <= reqEpoch) {
      this.vote = { leader: runId, epoch: this.currentEpoch };
      if (runId !== this.opts.name) this.failoverStartMs = this.nowMs() + this.rng.int(0, MAX_DESYNC_MS - 1);
    }
    return this.vote;
  }

  /** sentinelGetLeader: a majority of all known Sentinels and at least `quorum` votes. */
  private getLeader(epoch: number): string | null {
    const counts = new Map<string, number>();
    const peers = this.peers();
    for (const p of peers) {
      const pv = this.peerView(p.sentinelName);
      if (pv.leader !== null && pv.leaderEpoch === this.currentEpoch) counts.set(pv.leader, (counts.get(pv.leader) ?? 0) + 1);
    }
    const best = (): [string | null, number] => {
      let w: string | null = null;
      let max = 0;
      for (const [k, n] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
        if (n > max) {
          max = n;
          w = k;
        }
      }
      return [w, max];
    };
    const [w0] = best();
    const myVote = this.voteLeader(epoch, w0 ?? this.opts.name);
    if (myVote.leader !== null && myVote.epoch === epoch) counts.set(myVote.leader, (counts.get(myVote.leader) ?? 0) + 1);
    const [winner, max] = best();
    const voters = peers.length + 1;
    if (winner === null || max < Math.floor(voters / 2) + 1 || max < this.opts.quorum) return null;
    return winner;
  }

  // ---- the failover state machine ------------------------------------------------------------

  private setFailoverState(s: FailoverState): void {
    this.failover.state = s;
    this.failover.stateChangeMs = this.nowMs();
  }

  private startFailover(forced: boolean): void {
    this.currentEpoch++;
    this.failover = { state: 'wait-start', epoch: this.currentEpoch, stateChangeMs: this.nowMs(), promoted: null, forced };
    this.failoverStartMs = this.nowMs() + this.rng.int(0, MAX_DESYNC_MS - 1);
    this.event(forced ? '+failover-forced' : '+try-failover', `${this.master} epoch ${this.currentEpoch}`);
    this.askPeers(this.nowMs(), true);
  }

  private abortFailover(): void {
    this.event('-failover-abort', `state ${this.failover.state}`);
    this.failover = { state: 'none', epoch: this.failover.epoch, stateChangeMs: this.nowMs(), promoted: null, forced: false };
  }

  private runFailover(now: number): void {
    const f = this.failover;
    switch (f.state) {
      case 'none':
        return;
      case 'wait-start': {
        const leader = this.getLeader(f.epoch);
        if (leader !== this.opts.name && !f.forced) {
          if (now - this.failoverStartMs > Math.min(ELECTION_TIMEOUT_MS, this.opts.failoverTimeoutMs)) this.abortFailover();
          return;
        }
        this.event('+elected-leader', `epoch ${f.epoch}`);
        this.setFailoverState('select');
        return;
      }
      case 'select': {
        const r = this.selectReplica(now);
        if (!r) {
          this.abortFailover();
          return;
        }
        f.promoted = r.name;
        this.setFailoverState('send-noone');
        return;
      }
      case 'send-noone': {
        const v = this.views.get(f.promoted as string) as InstanceView;
        if (v.linkDown) {
          if (now - f.stateChangeMs > this.opts.failoverTimeoutMs) this.abortFailover();
          return;
        }
        this.sendReplicaOf(v, null);
        this.setFailoverState('wait-promotion');
        return;
      }
      case 'wait-promotion':
        if (now - f.stateChangeMs > this.opts.failoverTimeoutMs) this.abortFailover();
        return;
      case 'reconf': {
        const promoted = f.promoted as string;
        const timedOut = now - f.stateChangeMs > this.opts.failoverTimeoutMs;
        let pending = 0;
        for (const v of this.views.values()) {
          if (v.name === promoted || v.name === this.master) continue;
          const done = v.role === 'replica' && v.reportedMaster === promoted && v.linkUp;
          if (done || v.sdown) continue;
          pending++;
          if (now - v.reconfSentMs > SLAVE_RECONF_RETRY_MS) this.sendReplicaOf(v, promoted);
        }
        if (pending === 0 || timedOut) this.switchMaster(promoted);
        return;
      }
    }
  }

  /** sentinelSelectSlave */
  private selectReplica(now: number): InstanceView | null {
    const m = this.masterView();
    const maxMasterDownMs = (m.sdown ? now - m.sdownSinceMs : 0) + this.opts.downAfterMs * 10;
    const infoValidityMs = m.sdown ? PING_PERIOD_MS * 5 : INFO_PERIOD_MS * 3;
    const candidates = [...this.views.values()].filter(
      (v) =>
        v.name !== this.master &&
        !v.sdown &&
        !v.linkDown &&
        v.role === 'replica' &&
        now - v.lastAvailMs <= PING_PERIOD_MS * 5 &&
        v.priority !== 0 &&
        now - v.infoRefreshMs <= infoValidityMs &&
        v.linkDownMs <= maxMasterDownMs,
    );
    candidates.sort((a, b) => a.priority - b.priority || b.offset - a.offset || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
    return candidates[0] ?? null;
  }

  /** sentinelFailoverSwitchToPromotedSlave / sentinelResetMasterAndChangeAddress */
  private switchMaster(newMaster: string): void {
    this.event('+switch-master', `${this.master} -> ${newMaster} (config epoch ${this.configEpoch})`);
    this.master = newMaster;
    this.odown = false;
    this.failover = { state: 'none', epoch: this.failover.epoch, stateChangeMs: this.nowMs(), promoted: null, forced: false };
    this.resetViews();
    this.sendHellos();
  }

  // ---- hellos -------------------------------------------------------------------------------

  private sendHellos(): void {
    const hello: Hello = { sentinel: this.opts.name, currentEpoch: this.currentEpoch, master: this.currentMasterAddress(), configEpoch: this.configEpoch };
    for (const name of this.opts.instances) {
      const server = this.opts.lookup(name);
      if (!server) continue;
      this.spawn(
        'hello',
        (function* (self: Sentinel): Task<void> {
          try {
            yield* self.net.call(self, server, RedisPublishHello, hello, { timeoutUs: 1_000_000 });
          } catch {
            // unreachable instance: the hello does not travel this way
          }
        })(this),
        () => undefined,
      );
    }
  }

  // eslint-disable-next-line require-yield
  private *helloCmd(h: Hello): Task<{ ok: true }> {
    if (h.sentinel === this.opts.name) return { ok: true };
    if (h.currentEpoch > this.currentEpoch) this.currentEpoch = h.currentEpoch;
    // sentinelProcessHelloMessage: a newer configuration for our master wins
    if (h.configEpoch > this.configEpoch) {
      this.configEpoch = h.configEpoch;
      if (h.master !== this.master) this.switchMaster(h.master);
    }
    return { ok: true };
  }

  // ---- commands -------------------------------------------------------------------------------

  // eslint-disable-next-line require-yield
  private *getMasterCmd(): Task<{ master: string; sdown: boolean; odown: boolean } | { idontknow: true }> {
    const m = this.masterView();
    if (!Number.isFinite(m.infoRefreshMs)) return { idontknow: true };
    return { master: this.currentMasterAddress(), sdown: m.sdown, odown: this.odown };
  }

  // eslint-disable-next-line require-yield
  private *isMasterDownCmd(r: { master: string; epoch: number; runId: string | null }): Task<{ down: boolean; leader: string | null; leaderEpoch: number }> {
    const ours = r.master === this.master;
    const down = ours && !this.inTilt() && this.masterView().sdown;
    if (ours && r.runId !== null && !this.inTilt()) {
      const v = this.voteLeader(r.epoch, r.runId);
      return { down, leader: v.leader, leaderEpoch: v.epoch };
    }
    return { down, leader: null, leaderEpoch: 0 };
  }

  /** SENTINEL FAILOVER: pick a replica now and fail over without asking anybody. */
  // eslint-disable-next-line require-yield
  private *failoverCmd(): Task<{ ok: boolean; error?: string }> {
    if (this.failover.state !== 'none') return { ok: false, error: 'INPROG Failover already in progress' };
    if (!this.selectReplica(this.nowMs())) return { ok: false, error: 'NOGOODSLAVE No suitable replica to promote' };
    this.startFailover(true);
    return { ok: true };
  }

  /** For the nemesis and tests: run SENTINEL FAILOVER on this Sentinel directly. */
  manualFailover(): { ok: boolean; error?: string } {
    if (!this.running) return { ok: false, error: 'sentinel not running' };
    if (this.failover.state !== 'none') return { ok: false, error: 'INPROG Failover already in progress' };
    if (!this.selectReplica(this.nowMs())) return { ok: false, error: 'NOGOODSLAVE No suitable replica to promote' };
    this.startFailover(true);
    return { ok: true };
  }
}
