// A port of `patroni/postgresql/rewind.py Rewind`: the state machine that decides whether a node
// that diverged from the new leader's timeline must be pg_rewound (or reinitialized), runs
// pg_rewind, the single-user crash recovery before it, and the CHECKPOINT a new primary runs so
// that others can rewind from it.
import type { Task } from '../kernel/task.js';
import { Leader, type Member } from '../dcs/cluster.js';
import { PgConnectionError, type ControlData } from '../pg/api.js';
import { RECORD_BYTES } from '../pg/config.js';
import { CriticalTask } from './asyncExecutor.js';
import { hostOfMember, type Postgresql } from './postgresql.js';
import type { RemotePg } from './remotePg.js';

/** `patroni/postgresql/rewind.py REWIND_STATUS` */
export enum RewindStatus {
  INITIAL = 0,
  CHECKPOINT = 1,
  CHECK = 2,
  NEED = 3,
  NOT_NEED = 4,
  SUCCESS = 5,
  FAILED = 6,
}

declare module '../kernel/trace.js' {
  interface TraceMap {
    /** Patroni's pg_rewind decisions and outcomes on a node. */
    'patroni.rewind': { node: string; event: 'need' | 'not-needed' | 'run' | 'success' | 'failed' | 'removed-data-directory'; leader?: string; reason?: string };
  }
}

export class Rewind {
  private _state = RewindStatus.INITIAL;
  private checkpointTask: CriticalTask<boolean> | null = null;

  constructor(
    private readonly pg: Postgresql,
    private readonly remote: RemotePg,
  ) {}

  get state(): RewindStatus {
    return this._state;
  }

  private trace(event: 'need' | 'not-needed' | 'run' | 'success' | 'failed' | 'removed-data-directory', leader?: string, reason?: string): void {
    const rec: { node: string; event: typeof event; leader?: string; reason?: string } = { node: this.pg.name, event };
    if (leader !== undefined) rec.leader = leader;
    if (reason !== undefined) rec.reason = reason;
    this.pg.proc.sim.trace.emit('patroni.rewind', rec);
  }

  /** `Rewind.configuration_allows_rewind` */
  static configurationAllowsRewind(cd: ControlData | null): boolean {
    return Boolean(cd && (cd.walLogHints || cd.dataChecksums));
  }

  get enabled(): boolean {
    return this.pg.local.use_pg_rewind;
  }

  /** `Rewind.can_rewind`: use_pg_rewind and (wal_log_hints or data checksums) in pg_control. */
  get can_rewind(): boolean {
    if (!this.enabled) return false;
    return Rewind.configurationAllowsRewind(this.pg.controldata());
  }

  get should_remove_data_directory_on_diverged_timelines(): boolean {
    return this.pg.local.remove_data_directory_on_diverged_timelines;
  }

  get can_rewind_or_reinitialize_allowed(): boolean {
    return this.should_remove_data_directory_on_diverged_timelines || this.can_rewind;
  }

  /** `Rewind.trigger_check_diverged_lsn` */
  trigger_check_diverged_lsn(): void {
    if (this.can_rewind_or_reinitialize_allowed && this._state !== RewindStatus.NEED) this._state = RewindStatus.CHECK;
    this.checkpointTask = null;
  }

  /** `Rewind.check_leader_is_not_in_recovery`: true / null. */
  private *checkLeaderIsNotInRecovery(host: string): Task<boolean | null> {
    try {
      const r = yield* this.remote.admin(host, { kind: 'is_in_recovery' });
      return r.inRecovery ? null : true; // 'Leader is still in_recovery and therefore can't be used for rewind'
    } catch (e) {
      if (!(e instanceof PgConnectionError)) throw e;
      return null;
    }
  }

  /** `Rewind._get_local_timeline_lsn_from_controldata` */
  private localTimelineLsnFromControldata(): [boolean | null, number | null, number | null] {
    const cd = this.pg.controldata();
    if (!cd) return [null, null, null];
    let state: string = cd.clusterState;
    let inRecovery: boolean | null = null;
    let timeline: number | null = null;
    let lsn: number | null = null;
    if (state === 'shut down in recovery' || state === 'in archive recovery') {
      inRecovery = true;
      lsn = cd.minRecoveryEndLsn;
      timeline = cd.minRecoveryEndTimeline;
      if (lsn === 0 || timeline === 0) state = 'shut down'; // it was a primary when it crashed
    }
    if (state === 'shut down') {
      inRecovery = false;
      lsn = cd.checkpointLsn;
      timeline = cd.timeline;
    }
    return [inRecovery, timeline, lsn];
  }

  /** `Rewind._get_local_timeline_lsn` */
  private *localTimelineLsn(): Task<[boolean | null, number | null, number | null]> {
    let inRecovery: boolean | null = null;
    let timeline: number | null = null;
    let lsn: number | null = null;
    if (this.pg.isRunning()) {
      try {
        timeline = yield* this.pg.getReplicaTimeline();
        lsn = yield* this.pg.replayLsn();
      } catch (e) {
        if (!(e instanceof PgConnectionError) && !(e instanceof Error && e.name === 'PostgresConnectionException')) throw e;
        if (!this.pg.isStarting()) return [null, null, null];
      }
      inRecovery = true;
    }
    if (timeline === null && lsn === null) [inRecovery, timeline, lsn] = this.localTimelineLsnFromControldata();
    return [inRecovery, timeline, lsn];
  }

  /**
   * `Rewind._get_checkpoint_end`: where the checkpoint record at `lsn` ends (Patroni reads it with
   * pg_waldump). In the server model a checkpoint record is RECORD_BYTES.checkpoint long.
   */
  private checkpointEnd(_timeline: number, lsn: number): number {
    return lsn + RECORD_BYTES.checkpoint;
  }

  /** `Rewind._check_timeline_and_lsn` */
  private *checkTimelineAndLsn(leader: Leader | Member): Task<void> {
    const [inRecovery, localTimeline, localLsn] = yield* this.localTimelineLsn();
    if (localTimeline === null || localLsn === null) return;
    if (leader instanceof Leader && leader.member.data.role !== 'master' && leader.member.data.role !== 'primary') return;
    const host = hostOfMember(leader);
    if (!host) return;
    if (!(yield* this.checkLeaderIsNotInRecovery(host))) return;

    let history: [number, number][] | null = null;
    let needRewind: boolean | null = null;
    try {
      const id = yield* this.remote.admin(host, { kind: 'identify_system' });
      const primaryTimeline = id.timeline;
      if (localTimeline > primaryTimeline) needRewind = true;
      else if (localTimeline === primaryTimeline) needRewind = false;
      else if (primaryTimeline > 1) {
        const h = yield* this.remote.admin(host, { kind: 'timeline_history', timeline: primaryTimeline });
        history = h.history.map((e) => [e.timeline, e.switchLsn]);
      }
    } catch (e) {
      if (!(e instanceof PgConnectionError)) throw e;
      return;
    }
    if (history !== null) {
      let decided = false;
      for (const [parentTimeline, switchpoint] of history) {
        if (parentTimeline === localTimeline) {
          // no rewind when a replica has not replayed past the switchpoint, or a former primary's
          // checkpoint ends exactly at it
          if (inRecovery) needRewind = localLsn > switchpoint;
          else if (localLsn >= switchpoint) needRewind = true;
          else needRewind = switchpoint !== this.checkpointEnd(localTimeline, localLsn);
          decided = true;
          break;
        } else if (parentTimeline > localTimeline) {
          needRewind = true;
          decided = true;
          break;
        }
      }
      if (!decided) needRewind = true;
    }
    this._state = needRewind ? RewindStatus.NEED : RewindStatus.NOT_NEED;
    this.trace(
      needRewind ? 'need' : 'not-needed',
      leader.name,
      `local timeline=${localTimeline} lsn=${localLsn} in_recovery=${inRecovery}; primary history=${JSON.stringify(history)}`,
    );
  }

  /** `Rewind.rewind_or_reinitialize_needed_and_possible` */
  *rewind_or_reinitialize_needed_and_possible(leader: Leader | Member | null): Task<boolean> {
    if (leader && leader.name !== this.pg.name && leader.conn_url && this._state === RewindStatus.CHECK) {
      yield* this.checkTimelineAndLsn(leader);
    }
    return Boolean(leader && leader.conn_url) && this._state === RewindStatus.NEED;
  }

  /** `Rewind.ensure_checkpoint_after_promote` */
  *ensure_checkpoint_after_promote(wakeup: () => void): Task<void> {
    if (this._state === RewindStatus.CHECKPOINT || !(yield* this.pg.isPrimary())) return;
    const task = this.checkpointTask;
    if (task) {
      if (task.result === true) this._state = RewindStatus.CHECKPOINT;
      if (task.result !== null) this.checkpointTask = null;
    } else if ((yield* this.pg.getPrimaryTimeline()) === this.pg.pgControlTimeline()) {
      this._state = RewindStatus.CHECKPOINT;
    } else {
      const t = new CriticalTask<boolean>();
      this.checkpointTask = t;
      const pg = this.pg;
      // `thread_pool.get_executor().submit(self.__checkpoint, ...)`
      pg.proc.spawn('checkpoint-after-promote', (function* () {
        const result = yield* pg.checkpoint();
        t.complete(result === null);
        if (t.result) wakeup();
      })());
    }
  }

  /** `Rewind.checkpoint_after_promote` */
  checkpoint_after_promote(): boolean {
    return this._state === RewindStatus.CHECKPOINT;
  }

  /** `Rewind.execute`: returns false (or undefined) as Patroni does; the state says what happened. */
  *execute(leader: Leader | Member): Task<boolean | null> {
    if (this.pg.isRunning() && !(yield* this.pg.stop('fast', { checkpoint: false }))) return null; // 'postgres is still running'
    const host = hostOfMember(leader);
    if (!host) return null;
    const checkpointStatus = leader instanceof Leader ? leader.checkpoint_after_promote : null;
    if (checkpointStatus === null) {
      // standby-cluster leader: run CHECKPOINT on the remote primary ourselves
      let leaderStatus: string | null = null;
      try {
        const r = yield* this.remote.admin(host, { kind: 'is_in_recovery' });
        if (r.inRecovery) leaderStatus = 'is_in_recovery=true';
        else yield* this.remote.admin(host, { kind: 'checkpoint' });
      } catch (e) {
        if (!(e instanceof PgConnectionError)) throw e;
        leaderStatus = 'not accessible or not healthy';
      }
      if (leaderStatus) return null; // 'Can not use %s for rewind: %s'
    } else if (!checkpointStatus) {
      return null; // 'Waiting for checkpoint on %s before rewind'
    } else if (!(yield* this.checkLeaderIsNotInRecovery(host))) {
      return null;
    }
    this.trace('run', leader.name);
    const r = yield* this.pg.server.rewind(host);
    if (r.ok) {
      this._state = RewindStatus.SUCCESS;
      this.trace('success', leader.name);
    } else {
      if (!(yield* this.checkLeaderIsNotInRecovery(host))) {
        // 'Failed to rewind because primary became unreachable'
        if (!this.can_rewind) this._state = RewindStatus.FAILED;
      } else {
        this._state = RewindStatus.FAILED;
      }
      if (this.failed) {
        this.trace('failed', leader.name, r.reason);
        for (const name of ['remove_data_directory_on_rewind_failure', 'remove_data_directory_on_diverged_timelines'] as const) {
          if (this.pg.local[name]) {
            this.pg.removeDataDirectory();
            this._state = RewindStatus.INITIAL;
            this.trace('removed-data-directory', leader.name, name);
            break;
          }
        }
      }
    }
    return false;
  }

  /** `Rewind.reset_state` */
  reset_state(): void {
    this._state = RewindStatus.INITIAL;
    this.checkpointTask = null;
  }

  get is_needed(): boolean {
    return this._state === RewindStatus.CHECK || this._state === RewindStatus.NEED;
  }

  get executed(): boolean {
    return this._state > RewindStatus.NOT_NEED;
  }

  get failed(): boolean {
    return this._state === RewindStatus.FAILED;
  }

  /** `Rewind.ensure_clean_shutdown`: single-user crash recovery; true on success, null otherwise. */
  *ensure_clean_shutdown(): Task<boolean | null> {
    this.pg.files.standbySignal = false; // `config.remove_recovery_conf()`
    const ok = yield* this.pg.server.crashRecoverySingleUser();
    return ok ? true : null;
  }
}
