// A port of `patroni/postgresql/__init__.py Postgresql`: Patroni's bookkeeping around its
// PostgreSQL server (state, role, the monitoring-query cache, callbacks) and the operations it
// runs (start, stop, restart, promote, follow), built on the server API in src/sim/pg/api.ts.
// The server itself is another process on the same host; everything here runs in Patroni.
import type { Process } from '../host/process.js';
import type { Task } from '../kernel/task.js';
import { sToUs } from '../kernel/time.js';
import { RemoteMember, type Leader, type Member } from '../dcs/cluster.js';
import {
  PgConnectionError,
  type ClusterInfo,
  type ControlData,
  type PgServer,
  type PgSettings,
  type PgUpstream,
  type ReplicationRow,
  type ShutdownMode,
} from '../pg/api.js';
import type { GlobalConfig } from './config.js';
import { CriticalTask, type AsyncExecutor } from './asyncExecutor.js';
import { PostgresConnectionException } from './errors.js';
import type { PatroniFiles } from './files.js';
import { SyncHandler } from './syncHandler.js';
import type { RemotePg } from './remotePg.js';

declare module '../kernel/trace.js' {
  interface TraceMap {
    /** A Patroni callback (on_start, on_stop, on_restart, on_role_change, on_reload) with the role it reports. */
    'patroni.callback': { node: string; action: string; role: string };
  }
}

/** `patroni/postgresql/misc.py PostgresqlState` */
export type PostgresqlState =
  | 'initializing new cluster'
  | 'initdb failed'
  | 'creating replica'
  | 'running'
  | 'starting'
  | 'start failed'
  | 'restarting'
  | 'restart failed'
  | 'stopping'
  | 'stopped'
  | 'stop failed'
  | 'crashed';

/** `patroni/postgresql/misc.py PostgresqlRole` */
export type PostgresqlRole = 'primary' | 'standby_leader' | 'replica' | 'demoted' | 'uninitialized' | 'promoted';

export type CallbackAction = 'on_start' | 'on_stop' | 'on_restart' | 'on_role_change' | 'on_reload' | 'noop';

/** `PgIsReadyStatus` */
export type PgIsReady = 'running' | 'reject' | 'no_response';

/** Local `postgresql:` settings the wrapper and Rewind read (`postgresql.config.get(...)`). */
export interface PostgresqlLocalSettings {
  use_pg_rewind: boolean;
  remove_data_directory_on_rewind_failure: boolean;
  remove_data_directory_on_diverged_timelines: boolean;
  /** Seconds (default 60). */
  pg_ctl_timeout: number;
  /** User parameters for postgresql.conf (synchronous_commit, wal_log_hints, ...). */
  parameters: Record<string, unknown>;
}

/** A member of any kind we may follow or clone from: its PostgreSQL host. */
export function hostOfMember(m: Leader | Member | null | undefined): string | null {
  if (!m) return null;
  const data = m.data as { host?: string; conn_url?: string };
  if (typeof data.host === 'string' && data.host) return data.host;
  const url = m.conn_url;
  if (!url) return null;
  const match = /^postgres(?:ql)?:\/\/([^:/]+)/.exec(url);
  return match ? (match[1] as string) : null;
}

/** `postgres://host:5432/postgres`, the conn_url a member publishes. */
export function connUrlFor(host: string): string {
  return `postgres://${host}:5432/postgres`;
}

/** Patroni's `slot_name_from_member_name`. */
export function slotNameFromMemberName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 63);
}

export class Postgresql {
  private _state: PostgresqlState = 'stopped';
  private stateEntryWallUs = 0;
  private _role: PostgresqlRole = 'uninitialized';
  bootstrapping = false;
  private _cbCalled = false;
  private cbPending: CallbackAction | null = null;
  private info: ClusterInfo | null = null;
  private infoError: string | null = null;
  private cachedReplicaTimeline: number | null = null;
  private _sysid = '';
  readonly syncHandler: SyncHandler;
  /** Connections to PostgreSQL servers by host (this node's own replication connection included). */
  remote: RemotePg | null = null;
  /** The async executor whose cancellation aborts our subprocesses (`CancellableSubprocess`). */
  executor: AsyncExecutor | null = null;

  constructor(
    readonly proc: Process,
    readonly server: PgServer,
    readonly name: string,
    readonly scope: string,
    readonly files: PatroniFiles,
    public local: PostgresqlLocalSettings,
    readonly gc: GlobalConfig,
  ) {
    this.syncHandler = new SyncHandler(this);
    this.setState('stopped');
    this.setRole(this.getPostgresRoleFromDataDirectory());
  }

  /** `Postgresql.__init__` continued: joining a postmaster that is already running. */
  *init(): Task<void> {
    if (this.isRunning()) {
      this.setState('starting');
      this.checkStartupStateChanged();
    }
    if (this._state === 'running') {
      this.setRole((yield* this.isPrimary()) ? 'primary' : 'replica');
    } else if (!this.isRunning() && this._role === 'primary') {
      this.setRole('demoted');
    }
  }

  // ---- state and role ------------------------------------------------------------------------

  get state(): PostgresqlState {
    return this._state;
  }

  setState(s: PostgresqlState): void {
    this._state = s;
    this.stateEntryWallUs = this.proc.wallUs();
  }

  /** `Postgresql.time_in_state`, seconds of wall-clock time. */
  timeInStateS(): number {
    return (this.proc.wallUs() - this.stateEntryWallUs) / 1e6;
  }

  get role(): PostgresqlRole {
    return this._role;
  }

  setRole(r: PostgresqlRole): void {
    this._role = r;
  }

  isStarting(): boolean {
    return this._state === 'starting';
  }

  get cb_called(): boolean {
    return this._cbCalled;
  }

  /** `Postgresql.call_nowait`: callbacks are recorded (no scripts run in the simulator). */
  callNowait(action: CallbackAction): void {
    if (this.bootstrapping) return;
    if (action === 'on_start' || action === 'on_stop' || action === 'on_restart' || action === 'on_role_change') this._cbCalled = true;
    if (action === 'noop') return;
    const role = this._role === 'promoted' ? 'primary' : this._role;
    this.proc.sim.trace.emit('patroni.callback', { node: this.name, action, role });
  }

  /** `Postgresql.get_postgres_role_from_data_directory` */
  getPostgresRoleFromDataDirectory(): PostgresqlRole {
    if (this.dataDirectoryEmpty() || !this.server.controldata()) return 'uninitialized';
    return this.files.standbySignal ? 'replica' : 'primary';
  }

  // ---- process and files -----------------------------------------------------------------------

  isRunning(): boolean {
    return this.server.isRunning();
  }

  /** `Postgresql.is_healthy` */
  isHealthy(): boolean {
    return this.isRunning();
  }

  /** `pg_isready` */
  pgIsready(): PgIsReady {
    if (this.server.isReady()) return 'running';
    return this.server.isRunning() ? 'reject' : 'no_response';
  }

  controldata(): ControlData | null {
    return this.server.controldata();
  }

  /** `Postgresql.sysid`: the data directory's system identifier ('' if none). */
  get sysid(): string {
    if (!this._sysid) {
      const dd = this.server.dataDirectory();
      this._sysid = dd.systemIdentifier ?? '';
    }
    return this._sysid;
  }

  /** `Postgresql.schedule_sanity_checks_after_pause` */
  scheduleSanityChecksAfterPause(): void {
    this._sysid = '';
  }

  /** `Postgresql.data_directory_empty` */
  dataDirectoryEmpty(): boolean {
    if (this.server.controldata()) return false;
    const dd = this.server.dataDirectory();
    return !dd.exists || dd.empty;
  }

  /** `Postgresql.was_restored_from_backup` (PostgreSQL 15+: backup_label exists). */
  wasRestoredFromBackup(): boolean {
    return this.files.backupLabel;
  }

  /** `Postgresql.remove_data_directory` */
  removeDataDirectory(): void {
    this.setRole('uninitialized');
    this.server.removeDataDirectory();
    this.files.dataDirectoryRemoved();
    this._sysid = '';
  }

  /** `Postgresql.get_history(timeline)`: the local `<timeline>.history` file. */
  getHistory(timeline: number): [number, number, string][] {
    return this.server.timelineHistory(timeline).map((e) => [e.timeline, e.switchLsn, e.reason]);
  }

  /** `Postgresql.pg_control_timeline` */
  pgControlTimeline(): number | null {
    const cd = this.server.controldata();
    return cd ? cd.timeline : null;
  }

  /** `Postgresql.latest_checkpoint_locations`: [checkpoint, prev] for a cleanly shut down primary. */
  latestCheckpointLocations(data: ControlData | null = this.server.controldata()): [number | null, number | null] {
    if (data && data.clusterState === 'shut down') return [data.checkpointLsn, data.checkpointLsn];
    return [null, null];
  }

  // ---- the monitoring query -------------------------------------------------------------------

  /** `Postgresql.reset_cluster_info_state` */
  resetClusterInfoState(): void {
    this.info = null;
    this.infoError = null;
  }

  /** `Postgresql._cluster_info_state_get`: one monitoring query per cycle, cached. */
  *clusterInfo(): Task<ClusterInfo> {
    if (this.info === null && this.infoError === null) {
      try {
        this.info = yield* this.server.clusterInfo();
      } catch (e) {
        if (!(e instanceof PgConnectionError)) throw e;
        this.infoError = e.message;
        if (!this.isStarting() && this.pgIsready() === 'reject') this.setState('starting');
      }
    }
    if (this.infoError !== null) throw new PostgresConnectionException(this.infoError);
    return this.info as ClusterInfo;
  }

  /** `Postgresql.is_primary` */
  *isPrimary(): Task<boolean> {
    try {
      const primary = (yield* this.clusterInfo()).timeline > 0;
      // a server out of recovery has removed standby.signal (the file Patroni reads is PostgreSQL's)
      if (primary) this.files.standbySignal = false;
      return primary;
    } catch (e) {
      if (!(e instanceof PostgresConnectionException)) throw e;
      // 'Failed to determine PostgreSQL state from the connection, falling back to cached role'
      return this.isRunning() && this._role === 'primary';
    }
  }

  *replayLsn(): Task<number | null> {
    return (yield* this.clusterInfo()).replayLsn;
  }

  *receiveLsn(): Task<number | null> {
    return (yield* this.clusterInfo()).receiveLsn;
  }

  *receivedTimeline(): Task<number | null> {
    return (yield* this.clusterInfo()).receivedTimeline;
  }

  *synchronousCommit(): Task<string> {
    return (yield* this.clusterInfo()).synchronousCommit || 'on';
  }

  *synchronousStandbyNames(): Task<string> {
    return (yield* this.clusterInfo()).synchronousStandbyNames || '';
  }

  *pgStatReplication(): Task<ReplicationRow[]> {
    return (yield* this.clusterInfo()).replication;
  }

  *replayPaused(): Task<boolean> {
    return (yield* this.clusterInfo()).replayPaused;
  }

  /** `Postgresql.replication_state`: 'streaming', 'in archive recovery' or null. */
  *replicationState(): Task<string | null> {
    const info = yield* this.clusterInfo();
    if (info.timeline > 0) return null;
    if (info.receiverState === 'streaming') return 'streaming';
    return null;
  }

  /** `Postgresql.get_primary_timeline`: current timeline if running as a primary, else 0. */
  *getPrimaryTimeline(): Task<number> {
    return (yield* this.clusterInfo()).timeline || 0;
  }

  /** `Postgresql._wal_position` */
  private static walPosition(isPrimary: boolean, wal: number, receive: number | null, replay: number | null): number {
    return isPrimary ? wal : Math.max(receive ?? 0, replay ?? 0);
  }

  /** `Postgresql.last_operation`: primary flush LSN, or max(receive, replay) on a standby. */
  *lastOperation(): Task<number> {
    const primary = yield* this.isPrimary();
    const info = yield* this.clusterInfo();
    return Postgresql.walPosition(primary, info.walPosition, info.receiveLsn, info.replayLsn);
  }

  /** `Postgresql.timeline_wal_position`: [timeline, wal, pg_control timeline, receive, replay]. */
  *timelineWalPosition(): Task<[number, number, number | null, number | null, number | null]> {
    const info = yield* this.clusterInfo();
    const wal = Postgresql.walPosition(info.timeline > 0, info.walPosition, info.receiveLsn, info.replayLsn);
    return [info.timeline, wal, info.pgControlTimeline || null, info.receiveLsn, info.replayLsn];
  }

  /**
   * `Postgresql.get_replica_timeline`: IDENTIFY_SYSTEM over a replication connection to the local
   * server (the timeline of the last WAL it has), null when it cannot connect.
   */
  *getReplicaTimeline(): Task<number | null> {
    if (!this.remote) return null;
    try {
      return (yield* this.remote.admin(this.name, { kind: 'identify_system' })).timeline;
    } catch (e) {
      if (!(e instanceof PgConnectionError)) throw e;
      return null;
    }
  }

  /** `Postgresql.replica_cached_timeline` */
  *replicaCachedTimeline(primaryTimeline: number | null): Task<number | null> {
    if (!this.cachedReplicaTimeline || !primaryTimeline || this.cachedReplicaTimeline !== primaryTimeline) {
      this.cachedReplicaTimeline = yield* this.getReplicaTimeline();
    }
    return this.cachedReplicaTimeline;
  }

  /** `Postgresql.postmaster_start_time` */
  *postmasterStartTime(): Task<number | null> {
    try {
      return (yield* this.server.clusterInfo()).postmasterStartWallUs;
    } catch (e) {
      if (!(e instanceof PgConnectionError)) throw e;
      return null;
    }
  }

  /** `Postgresql.handle_parameter_change`: PostgreSQL 14+ pauses replay on a parameter mismatch; resume it. */
  *handleParameterChange(): Task<void> {
    if (!this.isStarting() && (yield* this.replayPaused())) yield* this.server.setReplayPaused(false);
  }

  // ---- configuration ----------------------------------------------------------------------------

  /** The settings Patroni writes into postgresql.conf. */
  effectiveSettings(): Partial<PgSettings> {
    const p = this.local.parameters;
    const s: Partial<PgSettings> = {
      synchronous_standby_names: this.files.serverParameters.synchronous_standby_names ?? String(p.synchronous_standby_names ?? ''),
      hot_standby: true,
      // Patroni passes wal_log_hints=on on the command line unless configured otherwise
      wal_log_hints: p.wal_log_hints === undefined ? true : Boolean(p.wal_log_hints) && String(p.wal_log_hints) !== 'off',
    };
    if (p.synchronous_commit !== undefined) s.synchronous_commit = String(p.synchronous_commit) as PgSettings['synchronous_commit'];
    if (p.wal_sender_timeout !== undefined) s.wal_sender_timeout = Number(p.wal_sender_timeout);
    if (p.wal_receiver_timeout !== undefined) s.wal_receiver_timeout = Number(p.wal_receiver_timeout);
    return s;
  }

  /** `ConfigHandler.set_synchronous_standby_names`: true if the value changed (written + reloaded). */
  *setSynchronousStandbyNamesParam(value: string | null): Task<boolean> {
    const cur = this.files.serverParameters.synchronous_standby_names;
    if (value === (cur ?? null)) return false;
    if (value === null) delete this.files.serverParameters.synchronous_standby_names;
    else this.files.serverParameters.synchronous_standby_names = value;
    if (this._state === 'running') yield* this.reload();
    return true;
  }

  /** `Postgresql.reload` (pg_ctl reload with the current postgresql.conf). */
  *reload(blockCallbacks = false): Task<boolean> {
    yield* this.server.reload(this.effectiveSettings(), this.files.standbySignal ? this.files.upstream : null);
    if (!blockCallbacks) this.callNowait('on_reload');
    return true;
  }

  /** `ConfigHandler.build_recovery_params`, reduced to where to stream from. */
  upstreamFor(member: Leader | Member | null): PgUpstream | null {
    const host = hostOfMember(member);
    if (!member || !host) return null;
    const up: PgUpstream = { host, applicationName: this.name };
    const data = member.data as { no_replication_slot?: boolean; primary_slot_name?: string };
    if (this.gc.use_slots) {
      if (member instanceof RemoteMember) {
        if (!data.no_replication_slot) up.slotName = slotNameFromMemberName(data.primary_slot_name ?? this.name);
      } else {
        up.slotName = slotNameFromMemberName(this.name);
      }
    }
    return up;
  }

  /** `ConfigHandler.check_recovery_conf`: [change required, restart required]. PostgreSQL ≥ 13. */
  checkRecoveryConf(member: Leader | Member | null): [boolean, boolean] {
    if (!this.files.standbySignal) return [true, true];
    let reload = !this._cbCalled && !this.isStarting() ? 1 : 0;
    const want = this.upstreamFor(member);
    const cur = this.files.upstream;
    if ((want?.host ?? null) !== (cur?.host ?? null) || (want?.slotName ?? null) !== (cur?.slotName ?? null)) reload++;
    return [reload > 0, false];
  }

  // ---- operations -------------------------------------------------------------------------------

  /** `Postgresql.check_for_startup` */
  checkForStartup(): boolean {
    return this.isStarting() && !this.checkStartupStateChanged();
  }

  /** `Postgresql.check_startup_state_changed` */
  checkStartupStateChanged(): boolean {
    const ready = this.pgIsready();
    if (ready === 'reject') return false;
    if (ready === 'no_response') {
      const ret = !this.isRunning();
      if (ret) this.setState('start failed');
      return ret;
    }
    this.setState('running');
    const action = this.cbPending ?? 'on_start';
    this.callNowait(action);
    this.cbPending = null;
    return true;
  }

  /**
   * `Postgresql.start`: true once accepting connections, false if the start failed, null if still
   * starting when the (default pg_ctl_timeout) wait ran out.
   */
  *start(timeoutS: number | null = null, task: CriticalTask | null = null, blockCallbacks = false, role: PostgresqlRole | null = null): Task<boolean | null> {
    this.resetClusterInfoState();
    if (this.isRunning()) {
      // 'Cannot start PostgreSQL because one is already running.'
      this.setState('starting');
      return true;
    }
    if (!blockCallbacks) this.cbPending = 'on_start';
    this.setRole(role ?? this.getPostgresRoleFromDataDirectory());
    this.setState('starting');
    if (this.executor?.cancelled) return false;
    if (task) {
      if (task.is_cancelled) return false;
      task.complete(true);
    }
    const startTimeoutS = timeoutS || this.local.pg_ctl_timeout || 60;
    const ok = yield* this.server.start({
      standby: this.files.standbySignal,
      upstream: this.files.standbySignal ? this.files.upstream : null,
      settings: this.effectiveSettings(),
      timeoutMs: startTimeoutS * 1000,
    });
    if (ok) {
      this.checkStartupStateChanged();
      return this._state === 'running';
    }
    if (!this.isRunning()) {
      this.setState('start failed');
      return false;
    }
    // still starting after the timeout
    return timeoutS !== null ? false : null;
  }

  /** `Postgresql.checkpoint` (local): null on success, else the reason. */
  *checkpoint(): Task<string | null> {
    try {
      yield* this.server.checkpoint();
      return null;
    } catch (e) {
      if (!(e instanceof PgConnectionError)) throw e;
      return 'not accessible or not healthy';
    }
  }

  /**
   * `Postgresql.stop`. `onShutdown` runs (as Patroni's polling loop does) once pg_control says
   * "shut down" while the postmaster is still exiting; stop returns when both are done.
   */
  *stop(
    mode: ShutdownMode = 'fast',
    opts: {
      blockCallbacks?: boolean;
      checkpoint?: boolean | null;
      onSafepoint?: (() => void) | null;
      onShutdown?: ((checkpointLsn: number, prevLsn: number) => Task<void>) | null;
      beforeShutdown?: (() => void) | null;
      stopTimeoutS?: number | null;
    } = {},
  ): Task<boolean> {
    const checkpoint = opts.checkpoint ?? mode !== 'immediate';
    const [success, signaled] = yield* this.doStop(mode, opts.blockCallbacks ?? false, checkpoint, opts);
    if (success) {
      if (!opts.blockCallbacks) {
        this.setState('stopped');
        if (signaled) this.callNowait('on_stop');
      }
    } else {
      this.setState('stop failed');
    }
    return success;
  }

  private *doStop(
    mode: ShutdownMode,
    blockCallbacks: boolean,
    checkpoint: boolean,
    opts: {
      onSafepoint?: (() => void) | null;
      onShutdown?: ((checkpointLsn: number, prevLsn: number) => Task<void>) | null;
      beforeShutdown?: (() => void) | null;
      stopTimeoutS?: number | null;
    },
  ): Task<[boolean, boolean]> {
    const onSafepoint = opts.onSafepoint ?? null;
    if (!this.isRunning()) {
      if (onSafepoint) onSafepoint();
      return [true, false];
    }
    if (checkpoint && !this.isStarting()) yield* this.checkpoint();
    if (!blockCallbacks) this.setState('stopping');
    if (opts.beforeShutdown) opts.beforeShutdown();
    let shutdownFiber: { join(): Task<void> } | null = null;
    const onShutdown = opts.onShutdown ?? null;
    const ok = yield* this.server.stop(mode, {
      onSafepoint: onSafepoint ?? undefined,
      onShutdown:
        onShutdown && (mode === 'fast' || mode === 'smart')
          ? (ck: number, prev: number) => {
              shutdownFiber = this.proc.spawn('on_shutdown', onShutdown(ck, prev));
            }
          : undefined,
      stopTimeoutMs: opts.stopTimeoutS ? opts.stopTimeoutS * 1000 : undefined,
    });
    if (shutdownFiber !== null) {
      try {
        yield* (shutdownFiber as { join(): Task<void> }).join();
      } catch (e) {
        if (e instanceof Error && e.name === 'FiberCancelled') throw e;
      }
    }
    this.resetClusterInfoState();
    if (!ok) return [false, true];
    if (onSafepoint) onSafepoint();
    return [true, true];
  }

  /** `Postgresql.restart` */
  *restart(timeoutS: number | null = null, task: CriticalTask | null = null, blockCallbacks = false, role: PostgresqlRole | null = null): Task<boolean | null> {
    this.setState('restarting');
    if (!blockCallbacks) this.cbPending = 'on_restart';
    let ret: boolean | null = yield* this.stop('fast', { blockCallbacks: true });
    if (ret) ret = yield* this.start(timeoutS, task, true, role);
    if (!ret && !this.isStarting()) this.setState('restart failed');
    return ret;
  }

  /** `Postgresql.promote`: pre_promote (none configured) → pg_ctl promote → wait for "in production". */
  *promote(waitSeconds: number, task: CriticalTask, beforePromote: (() => void) | null): Task<boolean | null> {
    if (this._role === 'promoted' || this._role === 'primary') return true;
    if (task.is_cancelled) return false;
    task.complete(true);
    if (this.executor?.cancelled) return false;
    if (beforePromote) beforePromote();
    this.setRole('promoted');
    this.callNowait('on_role_change');
    const ok = yield* this.server.promote(waitSeconds * 1000);
    this.resetClusterInfoState();
    // PostgreSQL removes standby.signal when it leaves recovery
    if (ok || !this.server.controldata()?.clusterState.includes('recovery')) this.files.standbySignal = false;
    if (ok) {
      this.setRole('primary');
      return true;
    }
    return null;
  }

  /**
   * `Postgresql.follow`: write the recovery configuration for `member` and (re)start or reload.
   * true: done; false: failed; null: nothing done or still starting.
   */
  *follow(member: Leader | Member | null, role: PostgresqlRole = 'replica', timeoutS: number | null = null, doReload = false): Task<boolean | null> {
    this.files.standbySignal = true;
    this.files.upstream = this.upstreamFor(member);
    const changeRole =
      this._cbCalled &&
      (this._role === 'primary' || this._role === 'demoted' || ((this._role === 'standby_leader' || role === 'standby_leader') && (this._role === 'replica' || role === 'replica')));
    if (changeRole) this.cbPending = 'noop';
    let ret: boolean | null;
    if (this.isRunning()) {
      if (doReload) {
        ret = yield* this.reload(changeRole);
        if (ret && changeRole) this.setRole(role);
      } else {
        ret = yield* this.restart(null, null, changeRole, role);
      }
    } else {
      ret = (yield* this.start(timeoutS, null, changeRole, role)) || null;
    }
    if (changeRole) this.callNowait('on_role_change');
    return ret;
  }

  // ---- bootstrap (`patroni/postgresql/bootstrap.py Bootstrap`) -----------------------------

  /** `Bootstrap.bootstrap` with method initdb: initdb, then start as the new primary. */
  *bootstrapNew(): Task<boolean | null> {
    this.setState('initializing new cluster');
    this.files.standbySignal = false;
    this.files.upstream = null;
    const ok = yield* this.server.initdb();
    if (!ok) {
      this.setState('initdb failed');
      return false;
    }
    this._sysid = '';
    return Boolean(yield* this.start());
  }

  /** `Bootstrap.post_bootstrap`: roles and post_init are instantaneous here; completes the task. */
  // eslint-disable-next-line require-yield
  *postBootstrap(task: CriticalTask<boolean>): Task<boolean> {
    task.complete(true);
    return true;
  }

  /**
   * `Bootstrap.clone` / `create_replica` with the default method (basebackup), two attempts 5 s
   * apart. Replica methods that need no replication connection (restores from backup) are not modelled.
   */
  *cloneFrom(member: Leader | Member | null): Task<boolean> {
    this.setState('creating replica');
    this._sysid = '';
    const host = hostOfMember(member);
    let ok = false;
    if (host) {
      for (let attempt = 0; attempt < 2; attempt++) {
        if (this.executor?.cancelled) break;
        if (!this.dataDirectoryEmpty()) this.removeDataDirectory();
        ok = yield* this.server.basebackup(host);
        if (ok) {
          this.files.backupLabel = true;
          break;
        }
        if (attempt < 1) yield* this.sleepS(5);
        else if (!this.dataDirectoryEmpty()) this.removeDataDirectory();
      }
    }
    this.setState('stopped');
    return ok;
  }

  /** Sleep in this process (`time.sleep`), in seconds of local monotonic time. */
  *sleepS(seconds: number): Task<void> {
    yield* this.proc.sleep(sToUs(seconds));
  }
}
