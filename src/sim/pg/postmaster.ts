// The postmaster: one PostgreSQL server's processes (backends, WAL writer, checkpointer, startup
// process, walsenders, walreceiver) as one simulated `Process`. Its memory — WAL buffers, waiting
// commits, replication state, the replay position — dies with it; the data directory (datadir.ts)
// is on the host's disk and survives.
//
// Ground truth is emitted as `pg.*` records at the moment things happen (src/sim/history/records.ts).
import type { Timer } from '../kernel/sim.js';
import type { Task } from '../kernel/task.js';
import { Process, type ExitReason } from '../host/process.js';
import type { StreamEnd } from '../net/network.js';
import { RemoteError } from '../net/network.js';
import type { PgServerState } from '../history/records.js';
import type { ClusterInfo, PgSettings, PgUpstream, ReplicationRow, ShutdownMode, SynchronousCommit } from './api.js';
import { RECORD_BYTES, type PgExtraSettings, type PgTimings } from './config.js';
import type { PgDataDir } from './datadir.js';
import { historyOf, branchWithTimeline } from './lineage.js';
import type { WalRegistry } from './registry.js';
import { decideSync, safeParse, type ParsedSsn } from './ssn.js';
import { PgAdmin, PgSession, PgSqlError, SQLSTATE, sqlError, type AdminRequest, type AdminResponse, type SessionC2S, type SessionS2C, type SqlError, type SqlQuery, type SqlResult } from './sql.js';
import { PgCopy, PgReplication, type CopyRequest, type CopyResponse } from './protocol.js';
import { WalSender } from './walsender.js';
import { WalReceiver } from './walreceiver.js';
import './records.js';

export type Phase = 'starting' | 'recovering' | 'running' | 'stopping';

/** What `pg_ctl start` asked for (and what postgresql.conf / standby.signal say). */
export interface StartPlan {
  standby: boolean;
  upstream: PgUpstream | null;
  settings: PgSettings;
}

/** The node-level context a postmaster works in (the `PgServer` that owns it). */
export interface PostmasterHost {
  readonly name: string;
  readonly dd: PgDataDir;
  readonly timings: PgTimings;
  readonly extra: PgExtraSettings;
  readonly registry: WalRegistry;
  /** The postmaster process of the node named `host`, if such a node exists. */
  postmasterOf(host: string): PgPostmaster | null;
  /** Ground-truth state changed (the server emits `pg.state`). */
  stateChanged(state: PgServerState, reason?: string): void;
  /** The last ground-truth state emitted. */
  readonly groundState: PgServerState;
}

type SyncKind = 'write' | 'flush' | 'apply';

/** A COMMIT that has not answered its client yet. */
interface CommitWaiter {
  lsn: number;
  writeId: number;
  session: BackendSession;
  queryId: number;
  mode: SynchronousCommit;
  result: SqlResult;
  cancelRequested: boolean;
  done: boolean;
}

/** One client connection's backend. */
export class BackendSession {
  readonly pending = new Map<number, CommitWaiter>();
  started = false;
  constructor(readonly end: StreamEnd<SessionS2C, SessionC2S>) {}
}

const LOCAL_SQL_US = 100;
/** Replay shorter than this happens at once (no timer): the error is below any network latency. */
const REPLAY_INLINE_US = 20;

export class PgPostmaster extends Process {
  /** Set by the server before each start. */
  plan: StartPlan | null = null;

  // ---- memory (reset at each start) ----------------------------------------------------------
  phase: Phase = 'starting';
  inRecovery = false;
  /** Accepting client connections (ready, or a hot standby that reached consistency). */
  accepting = false;
  settings!: PgSettings;
  /** End of WAL inserted into the WAL buffers (primary). */
  insertLsn = 0;
  replayLsn = 0;
  replayPaused = false;
  startWallUs = 0;
  /** Highest write id visible to new snapshots on this server. */
  visibleMaxWriteId = 0;
  senders: WalSender[] = [];
  receiver: WalReceiver | null = null;
  sessions = new Set<BackendSession>();
  shutdownMode: ShutdownMode | null = null;
  private ssn: ParsedSsn | null = null;
  private flushing = false;
  private walWriterArmed = false;
  private localWaiters: CommitWaiter[] = [];
  private syncQueues: Record<SyncKind, CommitWaiter[]> = { write: [], flush: [], apply: [] };
  private syncPositions: { write: number; flush: number; apply: number } | null = null;
  private replayTimer: Timer | null = null;
  /** Received ranges still to be applied when recovery_min_apply_delay > 0 or feedback was asked. */
  private applyQueue: { toLsn: number; applyAtWallUs: number; feedback: boolean }[] = [];
  private nextSenderSlot = 0;
  private checkpointTimer: Timer | null = null;
  private promoteCheckpointTimer: Timer | null = null;
  private lastCheckpointInsertLsn = 0;
  private promoting = false;
  /** promote.signal seen before the startup process reached standby mode: acted on once it does. */
  private promotePending = false;

  constructor(
    host: import('../host/host.js').Host,
    readonly node: PostmasterHost,
  ) {
    super(host, 'postgres');
  }

  get dd(): PgDataDir {
    return this.node.dd;
  }

  get t(): PgTimings {
    return this.node.timings;
  }

  get timeline(): number {
    return this.dd.branch === 0 ? 0 : this.node.registry.branch(this.dd.branch).timeline;
  }

  /** Writable iff running, out of recovery and not shutting down. */
  get writable(): boolean {
    return this.phase === 'running' && !this.inRecovery;
  }

  // ---- life cycle ------------------------------------------------------------------------------

  protected onStart(): void {
    const plan = this.plan;
    if (plan === null) throw new Error(`postmaster of ${this.node.name} started without a plan`);
    this.phase = 'starting';
    this.inRecovery = plan.standby;
    this.accepting = false;
    this.settings = { ...plan.settings };
    this.ssn = safeParse(this.settings.synchronous_standby_names);
    this.insertLsn = this.dd.walEndLsn;
    this.replayLsn = 0;
    this.replayPaused = false;
    this.startWallUs = this.wallUs();
    this.visibleMaxWriteId = 0;
    this.senders = [];
    this.receiver = null;
    this.sessions = new Set();
    this.shutdownMode = null;
    this.flushing = false;
    this.walWriterArmed = false;
    this.localWaiters = [];
    this.syncQueues = { write: [], flush: [], apply: [] };
    this.syncPositions = null;
    this.replayTimer = null;
    this.applyQueue = [];
    this.nextSenderSlot = 0;
    this.checkpointTimer = null;
    this.promoteCheckpointTimer = null;
    this.promoting = false;
    this.promotePending = false;
    this.dd.standbySignal = plan.standby;
    this.net.listenStream(this, PgSession, (end) => this.acceptSession(end));
    this.net.listen(this, PgAdmin, (req) => this.admin(req));
    this.net.listenStream(this, PgReplication, (end) => {
      const s = new WalSender(this, end, this.nextSenderSlot++);
      this.senders.push(s);
    });
    this.net.listen(this, PgCopy, (req) => this.copy(req));
    this.spawn('startup', this.startup());
  }

  protected override onExit(why: ExitReason): void {
    // WAL still in the buffers is gone (ground truth: remember how far it went)
    if (this.insertLsn > this.dd.walEndLsn) this.dd.lostTailToLsn = Math.max(this.dd.lostTailToLsn, this.insertLsn);
    if (why === 'power-loss') this.dd.losePageCache();
    for (const s of [...this.senders]) s.dispose();
    this.senders = [];
    this.receiver?.dispose('postmaster exited');
    this.receiver = null;
    const crashed = why !== 'exit';
    this.phase = 'starting';
    this.accepting = false;
    this.node.stateChanged(crashed ? 'crashed' : 'stopped', crashed ? (why === 'power-loss' ? 'host lost power' : 'postmaster killed') : 'shut down');
  }

  private emitState(state: PgServerState, reason?: string): void {
    this.node.stateChanged(state, reason);
  }

  /** The startup process: recovery, then primary or standby operation. */
  private *startup(): Task<void> {
    const dd = this.dd;
    const t = this.t;
    this.emitState('starting', this.inRecovery ? 'starting as standby' : 'starting');
    yield* this.sleep(t.startMs * 1000);
    const unclean = !dd.cleanlyShutDown;
    if (unclean) {
      // xlog.c StartupXLOG: "database system was interrupted"; SyncDataDirectory() fsyncs pg_wal first,
      // so what the OS had (written, not fsynced) becomes durable; what was only in WAL buffers is gone.
      dd.flushLsn = dd.walEndLsn;
      this.phase = 'recovering';
      if (!this.inRecovery) {
        dd.control.state = 'in crash recovery';
        this.emitState('crash-recovery', 'crash recovery');
      }
      const bytes = Math.max(0, dd.walEndLsn - dd.control.redoLsn);
      yield* this.sleep(t.recoveryBaseMs * 1000 + (bytes / t.replayBytesPerSec) * 1e6);
      const rec: { node: string; replayedToLsn: number; lostFromLsn?: number } = { node: this.node.name, replayedToLsn: dd.walEndLsn };
      if (dd.lostTailToLsn > dd.walEndLsn) rec.lostFromLsn = dd.walEndLsn;
      this.sim.trace.emit('pg.recovery', rec);
      this.replayLsn = dd.walEndLsn;
    } else if (dd.control.state === 'shut down in recovery') {
      this.replayLsn = Math.max(dd.control.minRecoveryLsn, dd.control.redoLsn);
    } else {
      this.replayLsn = dd.walEndLsn;
    }
    this.insertLsn = dd.walEndLsn;
    if (!this.inRecovery) {
      this.becomeWriter(unclean ? 'crash recovery ended' : 'started as primary');
      if (unclean || dd.control.state === 'shut down in recovery') {
        // end-of-recovery checkpoint (CreateCheckPoint(CHECKPOINT_END_OF_RECOVERY | CHECKPOINT_IMMEDIATE))
        this.writeCheckpoint();
      }
      dd.control.state = 'in production';
      dd.control.minRecoveryLsn = 0;
      dd.control.minRecoveryTli = 0;
      dd.control.walLogHints = this.settings.wal_log_hints;
      this.visibleMaxWriteId = this.node.registry.maxWriteIdIn({ branch: dd.branch, lsn: dd.flushLsn });
      this.phase = 'running';
      this.accepting = true;
      this.emitState('running', 'ready to accept connections');
      this.emitSync();
      this.armCheckpointTimer();
      if (this.localWaiters.length > 0 || this.insertLsn > dd.flushLsn) this.requestFlush();
      return;
    }
    // standby
    dd.control.state = 'in archive recovery';
    dd.control.walLogHints = this.settings.wal_log_hints;
    this.phase = 'running';
    // hot standby: connections once consistent (replayed up to minRecoveryPoint; the model is at it)
    this.accepting = this.settings.hot_standby;
    this.updateStandbyVisibility();
    this.emitState('running', this.settings.hot_standby ? 'ready to accept read-only connections' : 'standby (hot_standby off)');
    this.armCheckpointTimer();
    this.scheduleReplay();
    if (this.plan?.upstream) this.startReceiver(this.plan.upstream);
    if (this.promotePending) this.requestPromote();
  }

  /**
   * This server is about to insert WAL as a primary. If its tip branch is not one it may append to
   * (someone else writes it, or this server lost part of what it had inserted there), ground truth
   * forks a new branch at the local WAL end with the same timeline number: PostgreSQL does not
   * notice, but no other copy of this timeline has what will be written now.
   */
  private becomeWriter(reason: string): void {
    this.dd.branch = this.node.registry.claimForWriting(this.dd.branch, this.dd.walEndLsn, this.node.name, reason);
  }

  // ---- WAL insertion and flushing (primary) ----------------------------------------------------

  /** Insert a record of `bytes`; returns its end LSN. */
  insert(bytes: number): number {
    this.insertLsn += bytes;
    this.node.registry.noteHead(this.dd.branch, this.insertLsn);
    return this.insertLsn;
  }

  /** XLogFlush: one fsync at a time; the next one covers everything inserted meanwhile (group commit). */
  requestFlush(): void {
    if (this.flushing || this.insertLsn <= this.dd.flushLsn) return;
    this.flushing = true;
    const target = this.insertLsn;
    // write() first: the WAL is in the OS page cache, then fsync (its latency from the host's disk)
    if (target > this.dd.walEndLsn) this.dd.walEndLsn = target;
    const delay = this.host.disk.fsyncDelayUs(this.sim.nowUs);
    this.after(delay, () => this.flushDone(target));
  }

  private flushDone(target: number): void {
    this.flushing = false;
    if (target > this.dd.flushLsn) this.dd.flushLsn = target;
    const q = this.localWaiters;
    let i = 0;
    while (i < q.length && (q[i] as CommitWaiter).lsn <= target) i++;
    const ready = q.splice(0, i);
    for (const w of ready) this.afterLocalFlush(w);
    for (const s of this.senders) s.pump();
    if (this.localWaiters.length > 0 || (this.shutdownMode !== null && this.insertLsn > this.dd.flushLsn)) this.requestFlush();
  }

  /** Asynchronous commit: the WAL writer flushes every wal_writer_delay. */
  private armWalWriter(): void {
    if (this.walWriterArmed) return;
    this.walWriterArmed = true;
    this.after(this.node.extra.walWriterDelayMs * 1000, () => {
      this.walWriterArmed = false;
      this.requestFlush();
    });
  }

  // ---- checkpoints ------------------------------------------------------------------------------

  private armCheckpointTimer(): void {
    this.checkpointTimer?.cancel();
    this.checkpointTimer = this.after(this.node.extra.checkpointTimeoutMs * 1000, () => {
      this.checkpointTimer = null;
      if (this.phase !== 'running') return;
      if (this.inRecovery) this.restartpoint();
      else if (this.insertLsn > this.lastCheckpointInsertLsn) this.writeCheckpoint();
      this.armCheckpointTimer();
    });
  }

  /** A checkpoint on a primary: a checkpoint record; pg_control points at it. Returns its start LSN. */
  writeCheckpoint(): number {
    const c = this.dd.control;
    const start = this.insertLsn;
    this.insert(RECORD_BYTES.checkpoint);
    this.lastCheckpointInsertLsn = this.insertLsn;
    c.prevCheckpointLsn = c.checkpointLsn;
    c.checkpointLsn = start;
    c.redoLsn = start;
    c.checkpointTli = this.timeline;
    this.requestFlush();
    return start;
  }

  /** A restartpoint on a standby: the REDO point moves up to what is replayed. */
  private restartpoint(): void {
    const c = this.dd.control;
    c.redoLsn = this.replayLsn;
    c.minRecoveryLsn = Math.max(c.minRecoveryLsn, this.replayLsn);
    c.minRecoveryTli = this.timeline;
  }

  /** CHECKPOINT (immediate). Also ends a spread checkpoint requested by a promotion. */
  *checkpointNow(): Task<void> {
    yield* this.sleep(this.t.immediateCheckpointMs * 1000);
    if (this.phase !== 'running') return;
    if (this.inRecovery) {
      this.restartpoint();
      return;
    }
    this.promoteCheckpointTimer?.cancel();
    this.promoteCheckpointTimer = null;
    this.writeCheckpoint();
  }

  // ---- sessions and the commit path ----------------------------------------------------------

  private acceptSession(end: StreamEnd<SessionS2C, SessionC2S>): void {
    const s = new BackendSession(end);
    end.onMessage((m) => this.onSessionMessage(s, m));
    end.onClose(() => {
      // The backend notices the client is gone only when it next talks to it; a commit waiting for
      // a standby keeps waiting (no client_connection_check_interval by default).
      if (s.pending.size === 0) this.sessions.delete(s);
    });
  }

  /** Why new connections are refused right now (null: accepted). */
  private refusal(): SqlError | null {
    if (this.shutdownMode !== null) return sqlError(SQLSTATE.cannotConnectNow, 'the database system is shutting down');
    if (this.phase !== 'running') return sqlError(SQLSTATE.cannotConnectNow, 'the database system is starting up');
    if (!this.accepting) return sqlError(SQLSTATE.cannotConnectNow, 'the database system is not accepting connections');
    return null;
  }

  private onSessionMessage(s: BackendSession, m: SessionC2S): void {
    if (m.t === 'startup') {
      const r = this.refusal();
      if (r !== null) {
        s.end.send({ t: 'fatal', err: r });
        s.end.close();
        return;
      }
      s.started = true;
      this.sessions.add(s);
      s.end.send({ t: 'ready', node: this.node.name, inRecovery: this.inRecovery });
      return;
    }
    if (!s.started) return;
    if (m.t === 'cancel') {
      const w = s.pending.get(m.id);
      if (w) this.cancelWait(w, 'canceling wait for synchronous replication due to user request');
      return;
    }
    this.runQuery(s, m.id, m.q);
  }

  private reply(s: BackendSession, id: number, r: SqlResult): void {
    s.end.send({ t: 'result', id, r });
  }

  private fail(s: BackendSession, id: number, err: SqlError): void {
    s.end.send({ t: 'error', id, err });
  }

  private runQuery(s: BackendSession, id: number, q: SqlQuery): void {
    if (this.phase !== 'running' || (this.shutdownMode !== null && this.shutdownMode !== 'smart')) {
      this.fail(s, id, sqlError(SQLSTATE.adminShutdown, 'terminating connection due to administrator command'));
      return;
    }
    switch (q.kind) {
      case 'is_in_recovery':
        this.reply(s, id, { kind: 'is_in_recovery', node: this.node.name, inRecovery: this.inRecovery });
        return;
      case 'read':
        this.reply(s, id, this.readResult());
        return;
      case 'write':
        this.write(s, id, q.writeId, q.bytes ?? this.t.defaultWriteBytes);
        return;
    }
  }

  private readResult(): SqlResult {
    const lsn = this.inRecovery ? this.replayLsn : this.dd.flushLsn;
    if (this.inRecovery) this.updateStandbyVisibility();
    return {
      kind: 'read',
      node: this.node.name,
      inRecovery: this.inRecovery,
      timeline: this.timeline,
      branch: this.dd.branch,
      lsn,
      sawWriteId: this.visibleMaxWriteId,
    };
  }

  private write(s: BackendSession, id: number, writeId: number, bytes: number): void {
    if (this.inRecovery) {
      this.fail(s, id, sqlError(SQLSTATE.readOnly, 'cannot execute INSERT in a read-only transaction'));
      return;
    }
    const branch = this.dd.branch;
    const lsn = this.insert(bytes);
    const timeline = this.timeline;
    this.node.registry.recordWrite(writeId, branch, lsn);
    this.sim.trace.emit('pg.write', { node: this.node.name, writeId, branch, timeline, lsn });
    const mode = this.settings.synchronous_commit;
    const result: SqlResult = { kind: 'write', node: this.node.name, lsn, timeline, branch };
    if (mode === 'off') {
      // xact.c RecordTransactionCommit: asynchronous commit returns before the WAL is flushed
      this.makeVisible(writeId);
      this.reply(s, id, result);
      this.armWalWriter();
      return;
    }
    const w: CommitWaiter = { lsn, writeId, session: s, queryId: id, mode, result, cancelRequested: false, done: false };
    s.pending.set(id, w);
    this.localWaiters.push(w);
    this.requestFlush();
  }

  private makeVisible(writeId: number): void {
    if (writeId > this.visibleMaxWriteId) this.visibleMaxWriteId = writeId;
  }

  /** The commit record is flushed locally: wait for standbys if synchronous replication applies. */
  private afterLocalFlush(w: CommitWaiter): void {
    if (w.done) return;
    const kind = this.syncKind(w.mode);
    // syncrep.c SyncRepWaitForLSN: no wait unless synchronous_standby_names is set and the
    // commit level asks for a standby
    if (kind === null || this.ssn === null) {
      this.complete(w);
      return;
    }
    const pos = this.syncPositions;
    if (pos !== null && pos[kind] >= w.lsn) {
      this.complete(w);
      return;
    }
    if (w.cancelRequested) {
      this.cancelWait(w, 'canceling wait for synchronous replication due to user request');
      return;
    }
    this.syncQueues[kind].push(w);
  }

  private syncKind(mode: SynchronousCommit): SyncKind | null {
    switch (mode) {
      case 'remote_write':
        return 'write';
      case 'on':
        return 'flush';
      case 'remote_apply':
        return 'apply';
      default:
        return null;
    }
  }

  /** The commit returns to its client. It becomes visible now (ProcArrayEndTransaction). */
  private complete(w: CommitWaiter, warning?: string): void {
    if (w.done) return;
    w.done = true;
    w.session.pending.delete(w.queryId);
    this.makeVisible(w.writeId);
    const r = warning === undefined || w.result.kind !== 'write' ? w.result : { ...w.result, warning };
    this.reply(w.session, w.queryId, r);
  }

  /** A cancel request: a commit in its sync wait returns success with a WARNING (syncrep.c). */
  private cancelWait(w: CommitWaiter, reason: string): void {
    if (w.done) return;
    const kind = this.syncKind(w.mode);
    const inQueue = kind !== null && this.removeFromSyncQueue(w);
    if (!inQueue) {
      // still flushing locally (interrupts are held): the cancel is acted on at the sync wait
      w.cancelRequested = true;
      return;
    }
    this.sim.trace.emit('pg.syncwait', { node: this.node.name, writeId: w.writeId, lsn: w.lsn, outcome: 'cancelled', reason });
    this.complete(w, `WARNING: ${reason}; the transaction has already committed locally, but might not have been replicated to the standby`);
  }

  private removeFromSyncQueue(w: CommitWaiter): boolean {
    for (const k of ['write', 'flush', 'apply'] as const) {
      const q = this.syncQueues[k];
      const i = q.indexOf(w);
      if (i >= 0) {
        q.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  /** Recompute the synchronous standbys and release the commits they confirm. */
  updateSync(): void {
    if (this.inRecovery) return;
    const ssn = this.ssn;
    if (ssn === null) {
      this.syncPositions = null;
      // SyncRepUpdateSyncStandbysDefined: synchronous replication switched off releases everyone
      for (const k of ['write', 'flush', 'apply'] as const) {
        const q = this.syncQueues[k];
        this.syncQueues[k] = [];
        for (const w of q) this.complete(w);
      }
      return;
    }
    const d = decideSync(
      ssn,
      this.senders.map((s) => s.positions()),
    );
    for (const s of this.senders) s.syncState = d.syncState.get(s.slot) ?? 'async';
    this.syncPositions = d.positions;
    if (d.positions === null) return;
    for (const k of ['write', 'flush', 'apply'] as const) {
      const q = this.syncQueues[k];
      const upTo = d.positions[k];
      let i = 0;
      while (i < q.length && (q[i] as CommitWaiter).lsn <= upTo) i++;
      if (i === 0) continue;
      const ready = q.splice(0, i);
      for (const w of ready) this.complete(w);
    }
  }

  /** Whether any commit is waiting for an apply confirmation (XACT_COMPLETION_APPLY_FEEDBACK). */
  get wantsApplyFeedback(): boolean {
    return this.settings.synchronous_commit === 'remote_apply' || this.syncQueues.apply.length > 0;
  }

  /** Fast shutdown / demote: terminate every backend. Commits waiting for standbys are abandoned. */
  private terminateSessions(reason: string): void {
    const err = sqlError(SQLSTATE.adminShutdown, reason);
    for (const k of ['write', 'flush', 'apply'] as const) {
      for (const w of this.syncQueues[k]) {
        w.done = true;
        this.makeVisible(w.writeId);
        this.sim.trace.emit('pg.syncwait', { node: this.node.name, writeId: w.writeId, lsn: w.lsn, outcome: 'terminated', reason });
      }
      this.syncQueues[k] = [];
    }
    for (const w of this.localWaiters) w.done = true;
    this.localWaiters = [];
    for (const s of this.sessions) {
      s.pending.clear();
      s.end.send({ t: 'fatal', err });
      s.end.close();
    }
    this.sessions.clear();
  }

  // ---- shutdown ---------------------------------------------------------------------------------

  /** SIGTERM (smart), SIGINT (fast), SIGQUIT (immediate). A later, stronger mode overrides. */
  requestShutdown(mode: ShutdownMode): void {
    const rank = { smart: 0, fast: 1, immediate: 2 } as const;
    if (this.shutdownMode !== null && rank[mode] <= rank[this.shutdownMode]) return;
    const first = this.shutdownMode === null;
    this.shutdownMode = mode;
    if (mode === 'immediate') {
      // postmaster.c: SIGQUIT to every child, exit without a checkpoint; pg_control keeps its state
      this.exit('immediate shutdown');
      return;
    }
    this.accepting = false;
    if (first) {
      this.emitState('stopping', `${mode} shutdown`);
      this.spawn('shutdown', this.shutdown());
    } else if (mode === 'fast') {
      this.terminateSessions('terminating connection due to administrator command');
    }
  }

  private *shutdown(): Task<void> {
    const t = this.t;
    // a shutdown during startup: there is nothing to checkpoint beyond what recovery left
    if (this.phase !== 'running') {
      this.exit(`${this.shutdownMode ?? 'fast'} shutdown during startup`);
      return;
    }
    if (this.shutdownMode === 'smart') {
      // smart: no new connections, but existing sessions work on until their clients disconnect
      while (this.sessions.size > 0 && this.shutdownMode === 'smart') yield* this.sleep(100_000);
    }
    this.phase = 'stopping';
    this.terminateSessions('terminating connection due to administrator command');
    const dd = this.dd;
    if (!this.inRecovery) {
      // the shutdown checkpoint: write dirty buffers, then the checkpoint record
      const dirty = Math.max(0, this.insertLsn - dd.control.redoLsn);
      yield* this.sleep(t.shutdownCheckpointBaseMs * 1000 + (dirty / t.checkpointBytesPerSec) * 1e6);
      dd.control.state = 'shutting down';
      const ckpt = this.writeCheckpoint();
      while (dd.flushLsn < this.insertLsn) yield* this.sleep(Math.max(100, this.host.disk.fsyncDelayUs(this.sim.nowUs)));
      dd.control.state = 'shut down';
      dd.control.checkpointLsn = ckpt;
      // walsender.c WalSndDone: send everything including the shutdown checkpoint, wait until the
      // standby confirms it (or the walsender times out), then exit
      for (const s of this.senders) s.pump();
      yield* this.waitSendersDone();
    } else {
      this.receiver?.dispose('shutdown');
      this.receiver = null;
      yield* this.sleep(t.shutdownCheckpointBaseMs * 1000);
      // a shutdown restartpoint: "shut down in recovery", minRecoveryPoint = what is replayed
      if (dd.walEndLsn > dd.flushLsn) dd.flushLsn = dd.walEndLsn; // WalRcvDie flushes what it wrote
      dd.control.state = 'shut down in recovery';
      dd.control.redoLsn = this.replayLsn;
      dd.control.minRecoveryLsn = Math.max(dd.control.minRecoveryLsn, this.replayLsn);
      dd.control.minRecoveryTli = this.timeline;
      for (const s of this.senders) s.pump();
      yield* this.waitSendersDone();
    }
    this.exit(`${this.shutdownMode ?? 'fast'} shutdown complete`);
  }

  private *waitSendersDone(): Task<void> {
    for (;;) {
      const live = this.senders.filter((s) => s.open && !s.confirmedUpTo(this.dd.flushLsn));
      if (live.length === 0) return;
      yield* this.sleep(100_000);
    }
  }

  // ---- promotion -----------------------------------------------------------------------------------

  /** pg_ctl promote: end recovery, start a new timeline at the end of the WAL received. */
  requestPromote(): void {
    if (!this.inRecovery || this.promoting || this.shutdownMode !== null) return;
    if (this.phase !== 'running') {
      this.promotePending = true;
      return;
    }
    this.promoting = true;
    this.spawn('promote', this.promote());
  }

  private *promote(): Task<void> {
    const dd = this.dd;
    const t = this.t;
    // xlogrecovery.c: the walreceiver is shut down (it flushes what it wrote), a pause ends, and
    // everything received is replayed without recovery_min_apply_delay
    this.receiver?.dispose('promotion requested');
    this.receiver = null;
    if (dd.walEndLsn > dd.flushLsn) dd.flushLsn = dd.walEndLsn;
    this.replayPaused = false;
    this.replayTimer?.cancel();
    this.replayTimer = null;
    this.applyQueue = [];
    const remaining = Math.max(0, dd.walEndLsn - this.replayLsn);
    yield* this.sleep((remaining / t.replayBytesPerSec) * 1e6 + t.promoteMs * 1000);
    if (this.shutdownMode !== null) return;
    const reg = this.node.registry;
    const switchLsn = dd.walEndLsn;
    this.replayLsn = switchLsn;
    const parent = reg.branch(dd.branch);
    // findNewestTimeLine + 1: the highest timeline with a history file here, plus one
    const newTl = Math.max(dd.knownMaxTimeline, parent.timeline) + 1;
    const b = reg.addBranch({
      timeline: newTl,
      parent: parent.id,
      switchLsn,
      creator: this.node.name,
      sysid: parent.sysid,
      reason: 'no recovery target specified',
    });
    dd.branch = b.id;
    dd.knownMaxTimeline = newTl;
    this.inRecovery = false;
    this.promoting = false;
    dd.standbySignal = false;
    this.insertLsn = switchLsn;
    this.insert(RECORD_BYTES.endOfRecovery);
    this.lastCheckpointInsertLsn = 0;
    dd.control.state = 'in production';
    dd.control.minRecoveryLsn = 0;
    dd.control.minRecoveryTli = 0;
    this.visibleMaxWriteId = reg.maxWriteIdIn({ branch: dd.branch, lsn: switchLsn });
    this.accepting = true;
    this.sim.trace.emit('pg.promote', { node: this.node.name, timeline: newTl, branch: b.id, parentBranch: parent.id, switchLsn });
    this.emitState('running', 'promoted');
    this.emitSync();
    this.requestFlush();
    // the end-of-recovery checkpoint is requested, not immediate: pg_control keeps the old timeline
    // until it completes (why Patroni runs CHECKPOINT after promote, rewind.py ensure_checkpoint_after_promote)
    this.promoteCheckpointTimer = this.after(t.checkpointAfterPromoteMs * 1000, () => {
      this.promoteCheckpointTimer = null;
      if (this.writable) this.writeCheckpoint();
    });
    for (const s of this.senders) s.pump();
    this.updateSync();
  }

  // ---- standby: receiving and replaying ----------------------------------------------------------

  startReceiver(upstream: PgUpstream): void {
    this.receiver?.dispose('primary_conninfo changed');
    this.receiver = new WalReceiver(this, upstream);
    this.receiver.begin();
  }

  stopReceiver(reason: string): void {
    this.receiver?.dispose(reason);
    this.receiver = null;
  }

  /** The walreceiver flushed WAL up to `lsn`; `wallUs` is the upstream's clock when it was sent. */
  receivedFlushed(toLsn: number, wallUs: number, feedback: boolean): void {
    const delayMs = this.settings.recovery_min_apply_delay;
    if (delayMs > 0 || feedback) this.applyQueue.push({ toLsn, applyAtWallUs: wallUs + delayMs * 1000, feedback });
    for (const s of this.senders) s.pump();
    this.scheduleReplay();
  }

  /** How far replay may go now (flushed WAL, minus what recovery_min_apply_delay holds back). */
  private replayLimit(): { lsn: number; nextWallUs: number | null } {
    const flushed = this.dd.flushLsn;
    if (this.settings.recovery_min_apply_delay <= 0) return { lsn: flushed, nextWallUs: null };
    const now = this.wallUs();
    let lsn = this.replayLsn;
    for (const e of this.applyQueue) {
      if (e.applyAtWallUs > now) return { lsn, nextWallUs: e.applyAtWallUs };
      lsn = Math.max(lsn, Math.min(e.toLsn, flushed));
    }
    // WAL that came from local files at startup carries no delay information
    return { lsn: this.applyQueue.length === 0 ? flushed : lsn, nextWallUs: null };
  }

  scheduleReplay(): void {
    if (this.replayTimer !== null || this.replayPaused || !this.inRecovery || this.phase !== 'running' || this.promoting) return;
    const lim = this.replayLimit();
    if (lim.lsn <= this.replayLsn) {
      if (lim.nextWallUs !== null) {
        this.replayTimer = this.after(Math.max(1, lim.nextWallUs - this.wallUs()), () => {
          this.replayTimer = null;
          this.scheduleReplay();
        });
      }
      return;
    }
    const target = lim.lsn;
    const delay = ((target - this.replayLsn) / this.t.replayBytesPerSec) * 1e6;
    if (delay < REPLAY_INLINE_US) {
      // a few records: replaying them takes microseconds; do it now rather than arm a timer
      this.replayed(target);
      return;
    }
    this.replayTimer = this.after(Math.max(1, delay), () => {
      this.replayTimer = null;
      if (this.replayPaused || !this.inRecovery) return;
      this.replayed(target);
      this.scheduleReplay();
    });
  }

  private replayed(lsn: number): void {
    if (lsn <= this.replayLsn) return;
    this.replayLsn = lsn;
    // bgwriter / restartpoints keep minRecoveryPoint close behind replay (simplified: equal)
    this.dd.control.minRecoveryLsn = Math.max(this.dd.control.minRecoveryLsn, lsn);
    this.dd.control.minRecoveryTli = this.timeline;
    let feedback = false;
    const q = this.applyQueue;
    let i = 0;
    while (i < q.length && (q[i] as { toLsn: number }).toLsn <= lsn) {
      if ((q[i] as { feedback: boolean }).feedback) feedback = true;
      i++;
    }
    if (i > 0) q.splice(0, i);
    this.updateStandbyVisibility();
    // the startup process wakes the walreceiver to report apply for remote_apply commits
    if (feedback) this.receiver?.sendReply(false);
  }

  private updateStandbyVisibility(): void {
    if (this.dd.branch === 0) return;
    this.visibleMaxWriteId = this.node.registry.maxWriteIdIn({ branch: this.dd.branch, lsn: this.replayLsn });
  }

  setReplayPaused(paused: boolean): void {
    if (!this.inRecovery) throw new PgSqlError('55000', 'recovery is not in progress');
    if (this.promoting) return;
    this.replayPaused = paused;
    if (paused) {
      this.replayTimer?.cancel();
      this.replayTimer = null;
    } else this.scheduleReplay();
  }

  // ---- reload ------------------------------------------------------------------------------------

  reload(settings: PgSettings, upstream: PgUpstream | null | undefined): void {
    const before = this.settings;
    this.settings = { ...settings };
    if (before.synchronous_standby_names !== settings.synchronous_standby_names) {
      // an unparsable value is rejected by the GUC check hook: the old value stays
      const parsed = settings.synchronous_standby_names === '' ? null : safeParse(settings.synchronous_standby_names);
      if (settings.synchronous_standby_names !== '' && parsed === null) this.settings.synchronous_standby_names = before.synchronous_standby_names;
      else this.ssn = parsed;
    }
    if (before.synchronous_standby_names !== this.settings.synchronous_standby_names || before.synchronous_commit !== this.settings.synchronous_commit) {
      this.emitSync();
    }
    this.updateSync();
    if (before.recovery_min_apply_delay !== settings.recovery_min_apply_delay) this.scheduleReplay();
    for (const s of this.senders) s.settingsChanged();
    this.receiver?.settingsChanged();
    if (upstream !== undefined && this.inRecovery && this.phase === 'running') {
      const cur = this.receiver?.upstream ?? null;
      const same = cur !== null && upstream !== null && cur.host === upstream.host && cur.applicationName === upstream.applicationName;
      if (!same) {
        // PostgreSQL 13+: a changed primary_conninfo restarts the walreceiver
        if (upstream === null) this.stopReceiver('primary_conninfo removed');
        else this.startReceiver(upstream);
      }
    }
  }

  private emitSync(): void {
    this.sim.trace.emit('pg.sync', {
      node: this.node.name,
      synchronousStandbyNames: this.settings.synchronous_standby_names,
      synchronousCommit: this.settings.synchronous_commit,
    });
  }

  // ---- the monitoring query and administrative calls -------------------------------------------------

  clusterInfo(): ClusterInfo {
    const rows: ReplicationRow[] = [];
    for (const s of this.senders) {
      const row = s.row();
      if (row !== null && row.state === 'streaming') rows.push(row);
    }
    const r = this.receiver;
    const streaming = r !== null && r.status === 'streaming';
    return {
      timeline: this.inRecovery ? 0 : this.timeline,
      walPosition: this.inRecovery ? this.replayLsn : this.dd.flushLsn,
      replayLsn: this.inRecovery ? this.replayLsn : null,
      receiveLsn: this.inRecovery ? this.dd.flushLsn : null,
      replayPaused: this.inRecovery && this.replayPaused,
      pgControlTimeline: this.dd.control.checkpointTli,
      receivedTimeline: streaming ? this.timeline : null,
      receiverState: r === null ? null : r.status === 'streaming' ? 'streaming' : r.status === 'connecting' ? 'starting' : null,
      upstreamHost: r?.upstream.host ?? null,
      synchronousCommit: this.settings.synchronous_commit,
      synchronousStandbyNames: this.settings.synchronous_standby_names,
      replication: rows,
      postmasterStartWallUs: this.startWallUs,
    };
  }

  /** All pg_stat_replication rows (any state), for tests and tools. */
  replicationRows(): ReplicationRow[] {
    const out: ReplicationRow[] = [];
    for (const s of this.senders) {
      const row = s.row();
      if (row !== null) out.push(row);
    }
    return out;
  }

  private *admin(req: AdminRequest): Task<AdminResponse> {
    const refused = this.refusal();
    const replicationCmd = req.kind === 'identify_system' || req.kind === 'timeline_history';
    // replication connections are accepted by a standby even with hot_standby off
    if (refused !== null && !(replicationCmd && this.phase === 'running' && this.shutdownMode === null)) {
      throw new RemoteError(refused.message, 503, refused);
    }
    switch (req.kind) {
      case 'is_in_recovery':
        return { kind: 'is_in_recovery', inRecovery: this.inRecovery };
      case 'identify_system':
        return {
          kind: 'identify_system',
          systemIdentifier: this.dd.sysid ?? '',
          timeline: this.timeline,
          xlogPos: this.inRecovery ? this.dd.flushLsn : this.dd.flushLsn,
        };
      case 'timeline_history': {
        const b = branchWithTimeline(this.node.registry, this.dd.branch, req.timeline);
        if (b === null) throw new RemoteError(`could not open file "pg_wal/${req.timeline}.history"`, 500, sqlError('58P01', 'could not open file'));
        return { kind: 'timeline_history', history: historyOf(this.node.registry, b) };
      }
      case 'checkpoint':
        yield* this.checkpointNow();
        return { kind: 'checkpoint', ok: true };
      case 'control_checkpoint':
        return { kind: 'control_checkpoint', timeline: this.dd.control.checkpointTli, checkpointLsn: this.dd.control.checkpointLsn };
    }
  }

  /** BASE_BACKUP and pg_rewind's source side. */
  private *copy(req: CopyRequest): Task<CopyResponse> {
    if (this.phase !== 'running' || this.shutdownMode !== null) {
      throw new RemoteError('the database system is not accepting connections', 503, sqlError(SQLSTATE.cannotConnectNow, 'not accepting connections'));
    }
    switch (req.kind) {
      case 'backup-start':
        // pg_backup_start: a checkpoint first (spread unless --checkpoint=fast)
        yield* this.sleep(this.t.basebackupCheckpointMs * 1000);
        if (!this.inRecovery) this.writeCheckpoint();
        return this.sourceInfo();
      case 'rewind-source':
        return this.sourceInfo();
      case 'chunk':
        return { kind: 'chunk', bytes: req.bytes };
      case 'backup-stop':
        // -X stream: the WAL needed to make the copy consistent, up to the current flush position
        return { kind: 'stopped', branch: this.dd.branch, endLsn: this.dd.flushLsn, knownMaxTimeline: this.dd.knownMaxTimeline };
    }
  }

  private sourceInfo(): CopyResponse {
    const dd = this.dd;
    return {
      kind: 'source',
      sysid: dd.sysid ?? '',
      branch: dd.branch,
      timeline: this.timeline,
      flushLsn: dd.flushLsn,
      inRecovery: this.inRecovery,
      controlTimeline: dd.control.checkpointTli,
      checkpointLsn: dd.control.checkpointLsn,
      knownMaxTimeline: dd.knownMaxTimeline,
      dataBytes: dd.dataBytes(),
      dataChecksums: dd.dataChecksums,
    };
  }

  /** Run a local query (Patroni's unix-socket connection) in this process. */
  localLatencyUs(): number {
    return LOCAL_SQL_US;
  }
}

