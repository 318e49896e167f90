// A walsender: the upstream side of one replication connection (src/backend/replication/walsender.c).
// It accepts START_REPLICATION if the standby's WAL is a prefix of this server's history, then ships
// LSN ranges as WAL is flushed here, tracks the standby's write / flush / apply reports, pings a
// quiet standby at wal_sender_timeout / 2 and gives up on it at wal_sender_timeout.
import type { Timer } from '../kernel/sim.js';
import type { StreamEnd } from '../net/network.js';
import type { ReplicationRow } from './api.js';
import { commonPrefixLsn, formatLsn } from './lineage.js';
import type { PgPostmaster } from './postmaster.js';
import { MAX_WAL_MESSAGE_BYTES, type RepC2S, type RepS2C } from './protocol.js';
import type { SenderPositions } from './ssn.js';

export type SenderState = ReplicationRow['state'];

export class WalSender {
  state: SenderState = 'startup';
  applicationName = '';
  sentLsn = 0;
  write = 0;
  flush = 0;
  apply = 0;
  syncState: ReplicationRow['sync_state'] = 'async';
  private hasReply = false;
  private catchupTarget = 0;
  private lastReplyMonoUs: number;
  private pinged = false;
  private timer: Timer | null = null;
  private sendTimer: Timer | null = null;
  private nextSendMonoUs = 0;
  private _open = true;

  constructor(
    private readonly pm: PgPostmaster,
    private readonly end: StreamEnd<RepS2C, RepC2S>,
    readonly slot: number,
  ) {
    this.lastReplyMonoUs = pm.monoUs();
    end.onMessage((m) => this.onMessage(m));
    end.onClose(() => this.gone());
    this.armTimer();
  }

  get open(): boolean {
    return this._open;
  }

  private onMessage(m: RepC2S): void {
    if (!this._open) return;
    this.lastReplyMonoUs = this.pm.monoUs();
    this.pinged = false;
    if (m.t === 'start') {
      this.start(m);
      return;
    }
    this.write = Math.max(this.write, m.write);
    this.flush = Math.max(this.flush, m.flush);
    this.apply = Math.max(this.apply, m.apply);
    this.hasReply = true;
    if (this.state === 'catchup' && this.write >= this.catchupTarget) this.state = 'streaming';
    if (m.replyRequested) this.end.send({ t: 'keepalive', flushLsn: this.pm.dd.flushLsn, replyRequested: false });
    this.pm.updateSync();
  }

  /** START_REPLICATION: may the standby continue from its position on our history? */
  private start(m: Extract<RepC2S, { t: 'start' }>): void {
    const pm = this.pm;
    const dd = pm.dd;
    const reg = pm.node.registry;
    const refuse = (reason: 'diverged' | 'retry' | 'sysid', message: string): void => {
      this.end.send({ t: 'refused', reason, message, upstreamTimeline: pm.timeline });
      this.dispose();
    };
    if (pm.phase !== 'running' || pm.shutdownMode !== null || dd.branch === 0) {
      refuse('retry', 'the database system is starting up');
      return;
    }
    if (m.sysid !== dd.sysid) {
      refuse('sysid', `database system identifier differs between the primary and standby (${dd.sysid ?? '?'} vs ${m.sysid})`);
      return;
    }
    const myTl = pm.timeline;
    if (m.timeline > myTl) {
      // xlogrecovery.c rescanLatestTimeLine / walreceiver: the upstream is on an older timeline
      refuse('diverged', `highest timeline ${myTl} of the primary is behind recovery timeline ${m.timeline}`);
      return;
    }
    if (m.branch !== dd.branch) {
      const prefix = commonPrefixLsn(reg, m.branch, dd.branch);
      if (m.startLsn > prefix) {
        // the standby holds WAL this server's history does not have: it cannot follow without pg_rewind
        refuse(
          'diverged',
          prefix < 0
            ? 'requested timeline is not in this server\'s history'
            : `new timeline ${myTl} forked off current database system timeline ${m.timeline} before current recovery point ${formatLsn(m.startLsn)}`,
        );
        return;
      }
    }
    if (m.startLsn > dd.flushLsn) {
      refuse('retry', `requested starting point ${formatLsn(m.startLsn)} is ahead of the WAL flush position of this server ${formatLsn(dd.flushLsn)}`);
      return;
    }
    this.applicationName = m.applicationName;
    this.sentLsn = m.startLsn;
    this.write = this.flush = this.apply = m.startLsn;
    this.catchupTarget = dd.flushLsn;
    this.state = m.startLsn >= dd.flushLsn ? 'streaming' : 'catchup';
    // the keepalive check now wakes at half the timeout from this reply (see armTimer)
    this.timer?.cancel();
    this.timer = null;
    this.armTimer();
    this.end.send({ t: 'hello', branch: dd.branch, timeline: myTl, flushLsn: dd.flushLsn });
    this.pump();
  }

  /** Ship whatever is flushed here and not yet sent (as LSN ranges, chunked). */
  pump(): void {
    if (!this._open || this.state === 'startup' || this.sendTimer !== null) return;
    const pm = this.pm;
    const target = pm.dd.flushLsn;
    const cap = pm.t.walSenderBytesPerSec;
    while (this.sentLsn < target) {
      if (Number.isFinite(cap)) {
        const now = pm.monoUs();
        if (now + 0.5 < this.nextSendMonoUs) {
          this.sendTimer = pm.after(Math.max(1, Math.ceil(this.nextSendMonoUs - now)), () => {
            this.sendTimer = null;
            this.pump();
          });
          return;
        }
      }
      const from = this.sentLsn;
      // with a cap, send in slices of a tenth of a second's worth, so the stream is smooth
      const slice = Number.isFinite(cap) ? Math.max(8192, Math.min(MAX_WAL_MESSAGE_BYTES, Math.floor(cap / 10))) : MAX_WAL_MESSAGE_BYTES;
      const to = Math.min(target, from + slice);
      this.end.send({ t: 'wal', branch: pm.dd.branch, fromLsn: from, toLsn: to, applyFeedback: pm.wantsApplyFeedback, wallUs: pm.wallUs() }, to - from);
      this.sentLsn = to;
      if (Number.isFinite(cap)) this.nextSendMonoUs = pm.monoUs() + ((to - from) / cap) * 1e6;
    }
  }

  /** Has the standby confirmed everything up to `lsn` (shutdown waits for this)? */
  confirmedUpTo(lsn: number): boolean {
    return this.state !== 'startup' && this.sentLsn >= lsn && this.flush >= lsn;
  }

  positions(): SenderPositions {
    return {
      slot: this.slot,
      applicationName: this.applicationName,
      eligible: this._open && this.state === 'streaming' && this.hasReply,
      write: this.write,
      flush: this.flush,
      apply: this.apply,
    };
  }

  row(): ReplicationRow | null {
    if (!this._open || this.state === 'startup') return null;
    return {
      pid: 10_000 + this.slot,
      application_name: this.applicationName,
      state: this.pm.shutdownMode !== null ? 'stopping' : this.state,
      sync_state: this.syncState,
      sent_lsn: this.sentLsn,
      write_lsn: this.write,
      flush_lsn: this.flush,
      replay_lsn: this.apply,
    };
  }

  settingsChanged(): void {
    this.timer?.cancel();
    this.timer = null;
    this.armTimer();
  }

  /** wal_sender_timeout, checked lazily: one timer at a time, re-armed from the last reply. */
  private armTimer(): void {
    if (this.timer !== null || !this._open) return;
    const timeoutUs = this.pm.settings.wal_sender_timeout * 1000;
    if (timeoutUs <= 0) return;
    // Before START_REPLICATION (state startup) there is no keepalive to send at half the timeout,
    // only the timeout itself to enforce; waking at half of it would re-arm every microsecond
    // until the timeout (a 1 µs spin found by the day benchmark: 30 M events per stuck sender).
    // start() re-arms from the new last reply when the state leaves startup.
    const due = this.lastReplyMonoUs + (this.pinged || this.state === 'startup' ? timeoutUs : timeoutUs / 2);
    this.timer = this.pm.after(Math.max(1, due - this.pm.monoUs()), () => {
      this.timer = null;
      if (!this._open) return;
      const idle = this.pm.monoUs() - this.lastReplyMonoUs;
      if (idle >= timeoutUs) {
        // walsender.c WalSndCheckTimeOut: "terminating walsender process due to replication timeout"
        this.dispose();
        return;
      }
      if (idle >= timeoutUs / 2 && !this.pinged && this.state !== 'startup') {
        this.pinged = true;
        this.end.send({ t: 'keepalive', flushLsn: this.pm.dd.flushLsn, replyRequested: true });
      }
      this.armTimer();
    });
  }

  /** Close the connection and leave pg_stat_replication. */
  dispose(): void {
    if (!this._open) return;
    this._open = false;
    this.end.close();
    this.detach();
  }

  private gone(): void {
    if (!this._open) return;
    this._open = false;
    this.detach();
  }

  private detach(): void {
    this.timer?.cancel();
    this.timer = null;
    this.sendTimer?.cancel();
    this.sendTimer = null;
    const i = this.pm.senders.indexOf(this);
    if (i >= 0) this.pm.senders.splice(i, 1);
    this.pm.updateSync();
  }
}
