// The walreceiver: a standby's side of streaming replication (src/backend/replication/walreceiver.c).
// Connects to primary_conninfo's host, asks to stream from the end of its local WAL, writes what
// arrives (reply: write), fsyncs it (reply: flush), and lets the startup process replay it.
// wal_receiver_timeout notices a silent upstream (ping at half of it); wal_receiver_status_interval
// sends a status update even when nothing happens. When the upstream changes timeline (promotion
// of a cascading upstream, or a new primary), the standby follows if its WAL is a prefix of the
// new timeline; otherwise it is diverged and cannot stream until rewound or re-cloned.
import type { Timer } from '../kernel/sim.js';
import { Deferred, type Fiber, type Task } from '../kernel/task.js';
import { NetError, type CloseReason, type StreamEnd } from '../net/network.js';
import type { PgUpstream } from './api.js';
import { connectWithSynRetries } from './connect.js';
import { commonPrefixLsn, formatLsn } from './lineage.js';
import type { PgPostmaster } from './postmaster.js';
import { PgReplication, type RepC2S, type RepS2C } from './protocol.js';

export type ReceiverStatus = 'connecting' | 'streaming' | 'stopped' | 'diverged';

export class WalReceiver {
  status: ReceiverStatus = 'connecting';
  private end: StreamEnd<RepC2S, RepS2C> | null = null;
  private ended: Deferred<void> | null = null;
  private fiber: Fiber<void> | null = null;
  private disposed = false;
  private lastRecvMonoUs = 0;
  private pinged = false;
  private timeoutTimer: Timer | null = null;
  private statusTimer: Timer | null = null;
  private flushing = false;
  private pendingWallUs = 0;
  private pendingFeedback = false;
  private lastEmitted = '';

  constructor(
    private readonly pm: PgPostmaster,
    readonly upstream: PgUpstream,
  ) {}

  begin(): void {
    this.fiber = this.pm.spawn(`walreceiver ${this.upstream.host}`, this.run());
  }

  private get name(): string {
    return this.pm.node.name;
  }

  private setStatus(status: ReceiverStatus, reason?: string): void {
    this.status = status;
    const key = `${status}|${reason ?? ''}`;
    if (key === this.lastEmitted) return;
    this.lastEmitted = key;
    const rec: { node: string; upstream: string | null; status: ReceiverStatus; reason?: string } = { node: this.name, upstream: this.upstream.host, status };
    if (reason !== undefined) rec.reason = reason;
    this.pm.sim.trace.emit('pg.replication', rec);
  }

  private *run(): Task<void> {
    const pm = this.pm;
    const retryUs = (): number => pm.node.extra.walRetrieveRetryIntervalMs * 1000;
    for (;;) {
      if (this.disposed) return;
      const up = pm.node.postmasterOf(this.upstream.host);
      if (up === null) {
        this.setStatus('connecting', `could not translate host name "${this.upstream.host}"`);
        yield* pm.sleep(retryUs());
        continue;
      }
      if (this.status !== 'diverged') this.setStatus('connecting');
      let end: StreamEnd<RepC2S, RepS2C>;
      try {
        end = yield* connectWithSynRetries(pm, up, PgReplication);
      } catch (e) {
        if (this.disposed) return;
        const why = e instanceof NetError ? (e.code === 'refused' ? 'connection refused' : e.code === 'timeout' ? 'connection timed out' : 'connection reset') : String(e);
        if (this.status !== 'diverged') this.setStatus('connecting', `could not connect to the primary server: ${why}`);
        yield* pm.sleep(retryUs());
        continue;
      }
      if (this.disposed) {
        end.close();
        return;
      }
      this.end = end;
      const ended = new Deferred<void>();
      this.ended = ended;
      end.onMessage((m) => this.onMessage(end, m));
      end.onClose((r) => this.onClosed(end, r));
      const dd = pm.dd;
      const start: RepC2S = {
        t: 'start',
        applicationName: this.upstream.applicationName,
        sysid: dd.sysid ?? '',
        branch: dd.branch,
        timeline: pm.timeline,
        startLsn: dd.walEndLsn,
      };
      if (this.upstream.slotName !== undefined) start.slotName = this.upstream.slotName;
      end.send(start);
      this.lastRecvMonoUs = pm.monoUs();
      this.pinged = false;
      this.armTimeout();
      yield* ended.wait();
      this.end = null;
      this.clearTimers();
      if (this.disposed) return;
      yield* pm.sleep(retryUs());
    }
  }

  private onMessage(end: StreamEnd<RepC2S, RepS2C>, m: RepS2C): void {
    if (end !== this.end || this.disposed) return;
    const pm = this.pm;
    const dd = pm.dd;
    this.lastRecvMonoUs = pm.monoUs();
    this.pinged = false;
    switch (m.t) {
      case 'refused':
        // WalRcvFetchTimeLineHistoryFiles: the upstream's history files are fetched either way
        if (m.upstreamTimeline > dd.knownMaxTimeline) dd.knownMaxTimeline = m.upstreamTimeline;
        if (m.reason === 'retry') this.setStatus('connecting', m.message);
        else this.setStatus('diverged', m.message);
        this.drop('refused');
        return;
      case 'hello':
        if (m.timeline > dd.knownMaxTimeline) dd.knownMaxTimeline = m.timeline;
        if (m.branch !== dd.branch && !this.follow(m.branch)) return;
        this.setStatus('streaming');
        this.sendReply(false);
        this.armStatus();
        return;
      case 'keepalive':
        if (m.replyRequested) this.sendReply(false);
        return;
      case 'wal':
        if (m.branch !== dd.branch && !this.follow(m.branch)) return;
        if (m.toLsn > dd.walEndLsn) dd.walEndLsn = m.toLsn;
        if (m.wallUs > this.pendingWallUs) this.pendingWallUs = m.wallUs;
        if (m.applyFeedback) this.pendingFeedback = true;
        // "Let the primary know that we received some data", then flush and report again
        this.sendReply(false);
        this.flush();
        return;
    }
  }

  /** Continue on the upstream's branch, if our WAL is a prefix of it. */
  private follow(branch: number): boolean {
    const pm = this.pm;
    const dd = pm.dd;
    const reg = pm.node.registry;
    const prefix = commonPrefixLsn(reg, dd.branch, branch);
    const tl = reg.branch(branch).timeline;
    if (dd.walEndLsn <= prefix && tl >= pm.timeline) {
      const switched = dd.branch !== branch;
      dd.branch = branch;
      if (tl > dd.knownMaxTimeline) dd.knownMaxTimeline = tl;
      // ground truth: the standby now replays the upstream's timeline (the detectors and the
      // timeline lanes read the timeline from pg.state)
      if (switched) pm.node.stateChanged(pm.node.groundState, `following the upstream onto timeline ${tl}`);
      return true;
    }
    this.setStatus(
      'diverged',
      `new timeline ${tl} forked off current database system timeline ${pm.timeline} before current recovery point ${formatLsn(dd.walEndLsn)}`,
    );
    this.drop('diverged');
    return false;
  }

  /** XLogWalRcvFlush: fsync what was written; one fsync at a time. */
  private flush(): void {
    if (this.flushing) return;
    const pm = this.pm;
    const dd = pm.dd;
    if (dd.walEndLsn <= dd.flushLsn) return;
    this.flushing = true;
    const target = dd.walEndLsn;
    const wallUs = this.pendingWallUs;
    const feedback = this.pendingFeedback;
    this.pendingFeedback = false;
    pm.after(pm.host.disk.fsyncDelayUs(pm.sim.nowUs), () => {
      this.flushing = false;
      if (target > dd.flushLsn) dd.flushLsn = target;
      if (this.disposed) return;
      this.sendReply(false);
      pm.receivedFlushed(target, wallUs, feedback);
      this.flush();
    });
  }

  /** Standby status update: write / flush / apply positions. */
  sendReply(replyRequested: boolean): void {
    const end = this.end;
    if (end === null || this.status !== 'streaming') return;
    const dd = this.pm.dd;
    end.send({ t: 'reply', write: dd.walEndLsn, flush: dd.flushLsn, apply: this.pm.replayLsn, replyRequested });
  }

  private armStatus(): void {
    this.statusTimer?.cancel();
    const ms = this.pm.node.extra.walReceiverStatusIntervalMs;
    if (ms <= 0) return;
    this.statusTimer = this.pm.after(ms * 1000, () => {
      this.statusTimer = null;
      if (this.end === null || this.disposed) return;
      this.sendReply(false);
      this.armStatus();
    });
  }

  /** wal_receiver_timeout: lazily checked from the last message received. */
  private armTimeout(): void {
    if (this.timeoutTimer !== null || this.end === null) return;
    const timeoutUs = this.pm.settings.wal_receiver_timeout * 1000;
    if (timeoutUs <= 0) return;
    const due = this.lastRecvMonoUs + (this.pinged ? timeoutUs : timeoutUs / 2);
    this.timeoutTimer = this.pm.after(Math.max(1, due - this.pm.monoUs()), () => {
      this.timeoutTimer = null;
      if (this.end === null || this.disposed) return;
      const idle = this.pm.monoUs() - this.lastRecvMonoUs;
      if (idle >= timeoutUs) {
        this.setStatus('stopped', 'terminating walreceiver due to timeout');
        this.drop('timeout');
        return;
      }
      if (idle >= timeoutUs / 2 && !this.pinged) {
        // "If we didn't receive anything new for half of receiver replication timeout, ping the server"
        this.pinged = true;
        this.sendReply(true);
      }
      this.armTimeout();
    });
  }

  settingsChanged(): void {
    this.timeoutTimer?.cancel();
    this.timeoutTimer = null;
    this.armTimeout();
  }

  private onClosed(end: StreamEnd<RepC2S, RepS2C>, r: CloseReason): void {
    if (end !== this.end) return;
    if (this.status === 'streaming' || this.status === 'connecting') {
      this.setStatus('stopped', r === 'eof' ? 'replication terminated by primary server' : `could not receive data from WAL stream: connection ${r === 'reset' ? 'reset' : 'timed out'}`);
    }
    this.end = null;
    this.ended?.resolve();
  }

  /** Close this connection; the loop retries after wal_retrieve_retry_interval. */
  private drop(_why: string): void {
    const end = this.end;
    this.end = null;
    this.clearTimers();
    end?.close();
    this.ended?.resolve();
  }

  private clearTimers(): void {
    this.timeoutTimer?.cancel();
    this.timeoutTimer = null;
    this.statusTimer?.cancel();
    this.statusTimer = null;
  }

  /** Stop for good (promotion, shutdown, new primary_conninfo, postmaster exit). */
  dispose(reason: string): void {
    if (this.disposed) return;
    this.disposed = true;
    this.clearTimers();
    this.end?.close();
    this.end = null;
    this.ended?.resolve();
    this.fiber?.cancel();
    this.setStatus('stopped', reason);
  }
}
