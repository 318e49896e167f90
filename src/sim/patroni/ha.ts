// A port of `patroni/ha.py Ha`: the HA cycle. One method per Patroni method, in the same order of
// checks, with the same log messages as cycle results. Every blocking call (DCS, PostgreSQL, peers'
// REST APIs, sleeps) is a `yield*`, so a cycle takes the simulated time the real one would.
import type { Task } from '../kernel/task.js';
import { DCSError, type AbstractDCS } from '../dcs/abstract.js';
import { Cluster, Leader, Member, RemoteMember, type SyncState, type Tags } from '../dcs/cluster.js';
import { CaseInsensitiveSet } from './collections.js';
import { isPlainObject, type GlobalConfig, type StandbyClusterConfig } from './config.js';
import { AsyncExecutor, CriticalTask } from './asyncExecutor.js';
import { isModelledError, PatroniFatalException, PostgresConnectionException } from './errors.js';
import { Failsafe, type FailsafeRequest } from './failsafe.js';
import { MemberStatus } from './memberStatus.js';
import { PgConnectionError } from '../pg/api.js';
import { connUrlFor, type Postgresql } from './postgresql.js';
import { QuorumStateResolver, type Transition } from './quorum.js';
import { Rewind } from './rewind.js';
import type { Watchdog } from './watchdog.js';
import type { PatroniNode, RestCallResult } from './node.js';

/** `_FailsafeResponse` */
interface FailsafeResponse {
  member_name: string;
  accepted: boolean;
  lsn: number | null;
}

/** `Patroni.scheduled_restart` */
export interface ScheduledRestart {
  /** Wall-clock µs. */
  schedule: number;
  role?: string;
  postgres_version?: string;
  timeout?: number;
  restart_pending?: boolean;
  postmaster_start_time?: number | null;
}

/** `Ha.sysid_valid`: at least 10 digits. */
export function sysidValid(sysid: string | null | undefined): boolean {
  const s = String(sysid);
  return s.length >= 10 && /^\d+$/.test(s);
}

export class Ha {
  cluster: Cluster = Cluster.empty();
  old_cluster: Cluster = Cluster.empty();
  private leaderExpiryWallUs = 0;
  readonly failsafe: Failsafe;
  private wasPaused = false;
  private synchronousStrictModeActivated = false;
  private leaderTimeline: number | null = null;
  recovering = false;
  readonly asyncResponse = new CriticalTask<boolean>();
  private crashRecoveryStartedWallUs: number | null = null;
  private startTimeoutS: number | null = null;
  readonly executor: AsyncExecutor;
  readonly rewind: Rewind;
  lastWalLsn: number | null = null;
  private lastTimeline: number | null = null;
  private prevWalLsn: number | null = null;
  private primaryRaceBackoffWallUs: number | null = null;
  disableSync = 0;
  private joinAborted = false;
  /** null: never (Python's 0 is the 1970 epoch; the simulated wall clock starts at 0). */
  private releasedLeaderKeyWallUs: number | null = null;

  constructor(
    readonly patroni: PatroniNode,
    readonly pg: Postgresql,
    readonly dcs: AbstractDCS,
    readonly watchdog: Watchdog,
    readonly gc: GlobalConfig,
    rewind: Rewind,
  ) {
    this.rewind = rewind;
    this.failsafe = new Failsafe(patroni.proc, () => dcs.ttlMs / 1000);
    this.executor = new AsyncExecutor(patroni.proc, () => this.wakeup());
    pg.executor = this.executor;
  }

  private get name(): string {
    return this.pg.name;
  }

  private nowWallUs(): number {
    return this.patroni.proc.wallUs();
  }

  private get loopWaitS(): number {
    return this.dcs.loopWaitMs / 1000;
  }

  private get ttlS(): number {
    return this.dcs.ttlMs / 1000;
  }

  // ---- simple accessors --------------------------------------------------------------------

  /** `Ha.primary_stop_timeout`: only in synchronous mode. */
  primary_stop_timeout(): number | null {
    const ret = this.gc.primary_stop_timeout;
    return ret > 0 && this.is_synchronous_mode() ? ret : null;
  }

  is_paused(): boolean {
    return this.gc.is_paused;
  }

  check_timeline(): boolean {
    return this.gc.checkMode('check_timeline');
  }

  is_standby_cluster(): boolean {
    return this.gc.is_standby_cluster;
  }

  /** `Ha.is_leader`: the lock was last renewed less than ttl ago (wall clock). */
  is_leader(): boolean {
    return this.leaderExpiryWallUs > this.nowWallUs();
  }

  set_is_leader(value: boolean): void {
    this.leaderExpiryWallUs = value ? this.nowWallUs() + this.ttlS * 1e6 : 0;
  }

  sync_mode_is_active(): boolean {
    return this.is_synchronous_mode() && !this.cluster.sync.is_empty;
  }

  quorum_commit_mode_is_active(): boolean {
    return this.is_quorum_commit_mode() && !this.cluster.sync.is_empty;
  }

  is_synchronous_mode(): boolean {
    return this.gc.is_synchronous_mode;
  }

  is_quorum_commit_mode(): boolean {
    return this.gc.is_quorum_commit_mode;
  }

  is_failsafe_mode(): boolean {
    return this.gc.checkMode('failsafe_mode');
  }

  private get_failover_action_name(): string {
    if (!this.cluster.failover?.isSet) return 'failover';
    return this.cluster.failover.leader ? 'switchover' : 'manual failover';
  }

  /** `Ha.wakeup` */
  wakeup(): void {
    this.dcs.event.set();
  }

  // ---- DCS helpers ---------------------------------------------------------------------------

  /** A DCS write that Patroni's backends wrap in `catch_*_errors` (returns False on any error). */
  private *quiet<T>(task: Task<T>, fallback: T): Task<T> {
    try {
      return yield* task;
    } catch (e) {
      if (e instanceof DCSError) return fallback;
      throw e;
    }
  }

  /** `Ha.load_cluster_from_dcs` */
  *load_cluster_from_dcs(): Task<void> {
    let cluster = yield* this.dcs.getCluster();
    // keep the state of the cluster from when it was healthy
    if (!cluster.is_unlocked() || this.old_cluster.is_empty) this.old_cluster = cluster;
    this.cluster = cluster;
    if (this.cluster.is_unlocked() && this.is_failsafe_mode()) {
      // inject the "real" leader that pinged us via POST /failsafe
      this.cluster = cluster = this.failsafe.update_cluster(cluster);
    }
    if (!this.cluster.is_unlocked()) this.primaryRaceBackoffWallUs = null;
    if (!this.has_lock(false)) this.set_is_leader(false);
    this.leaderTimeline = cluster.leader ? (cluster.leader.timeline ?? null) : null;
  }

  /** `Ha.acquire_lock` */
  *acquire_lock(): Task<boolean> {
    const ret = yield* this.dcs.acquireLeaderLock();
    this.set_is_leader(ret);
    return ret;
  }

  /** `Ha._failsafe_config` */
  private failsafe_config(): Record<string, string> | null {
    if (!this.is_failsafe_mode()) return null;
    const ret: Record<string, string> = {};
    for (const m of this.cluster.members) if (m.api_url) ret[m.name] = m.api_url;
    if (!(this.name in ret)) ret[this.name] = this.patroni.apiUrl;
    return ret;
  }

  /** `Ha.update_lock`: CAS the leader key (+ /status, /failsafe); keepalive the watchdog only on success. */
  *update_lock(update_status = false): Task<boolean> {
    let lastLsn: number | null = null;
    if (update_status) {
      try {
        lastLsn = this.lastWalLsn = yield* this.pg.lastOperation();
      } catch (e) {
        if (!(e instanceof PostgresConnectionException)) throw e;
      }
    }
    const ret = yield* this.dcs.updateLeader(this.cluster, lastLsn, this.failsafe_config());
    this.set_is_leader(ret);
    if (ret) this.watchdog.keepalive();
    return ret;
  }

  /** `Ha.has_lock` */
  has_lock(_info = true): boolean {
    return (this.cluster.leader?.name ?? null) === this.name;
  }

  /** `Ha.get_effective_tags` */
  get_effective_tags(): Tags {
    const tags: Tags = { ...this.patroni.tags };
    if (this.disableSync > 0) {
      tags.nosync = true;
      tags.sync_priority = 0;
    }
    return tags;
  }

  /** `Ha.touch_member` */
  *touch_member(): Task<boolean> {
    const data: Record<string, unknown> = {
      conn_url: connUrlFor(this.patroni.hostName),
      api_url: this.patroni.apiUrl,
      state: this.pg.state,
      role: this.pg.role,
      version: this.patroni.version,
    };
    if (this.is_leader() && !this.rewind.checkpoint_after_promote()) data.checkpoint_after_promote = false;
    const tags = this.get_effective_tags();
    if (Object.keys(tags).length > 0) data.tags = tags;
    const action = this.executor.scheduled_action;
    if ((action === null || action === 'promote') && (data.state === 'running' || data.state === 'restarting' || data.state === 'starting')) {
      try {
        const [tl0, wal, pgControlTimeline, receiveLsn, replayLsn] = yield* this.pg.timelineWalPosition();
        let timeline: number | null = tl0;
        data.xlog_location = this.lastWalLsn = wal;
        if (!timeline) {
          // running as a standby
          if (replayLsn) data.replay_lsn = replayLsn;
          if (receiveLsn) data.receive_lsn = receiveLsn;
          const rs = yield* this.pg.replicationState();
          if (rs) data.replication_state = rs;
          timeline = yield* this.pg.receivedTimeline();
          if (timeline) this.lastTimeline = timeline;
        }
        if (!timeline) {
          if (this.pg.role === 'standby_leader') timeline = pgControlTimeline || this.pg.pgControlTimeline();
          else timeline = (yield* this.pg.replicaCachedTimeline(this.leaderTimeline)) || 0;
          if (timeline) this.lastTimeline = timeline;
        }
        if (timeline) data.timeline = timeline;
      } catch (e) {
        if (!isModelledError(e)) throw e;
      }
    }
    const sr = this.patroni.scheduledRestart;
    if (sr) {
      const copy: Record<string, unknown> = { ...sr };
      delete copy.postmaster_start_time;
      data.scheduled_restart = copy;
    }
    if (this.is_paused()) data.pause = true;
    return yield* this.quiet(this.dcs.touchMember(data), false);
  }

  // ---- bootstrap ------------------------------------------------------------------------------

  /** `Ha.clone` */
  *clone(cloneMember: Leader | Member | null, _msg = '(without leader)', _cloneFromLeader = false): Task<boolean | null> {
    let member = cloneMember;
    if (this.is_standby_cluster() && !(member instanceof RemoteMember)) member = this.get_remote_member(member);
    this.rewind.reset_state();
    if (yield* this.pg.cloneFrom(member)) {
      const cluster = yield* this.dcs.getCluster();
      const nodeToFollow = this.get_node_to_follow(cluster);
      return (yield* this.pg.follow(nodeToFollow)) !== false;
    }
    this.pg.removeDataDirectory();
    return null;
  }

  /** `Ha.bootstrap` */
  *bootstrap(): Task<string> {
    // no initialize key, allowed to be primary and a 'bootstrap' section in the configuration
    if (this.cluster.is_unlocked() && this.cluster.initialize === null && !this.patroni.nofailover && this.patroni.hasBootstrapConfig) {
      if (yield* this.quiet(this.dcs.initialize(true, ''), false)) {
        this.pg.bootstrapping = true;
        this.asyncResponse.reset();
        if (this.is_standby_cluster()) {
          return this.executor.try_run_async('bootstrap_standby_leader', () => this.bootstrap_standby_leader()) ?? 'trying to bootstrap a new standby leader';
        }
        return this.executor.try_run_async('bootstrap', () => this.pg.bootstrapNew()) ?? 'trying to bootstrap a new cluster';
      }
      return 'failed to acquire initialize lock';
    }
    const cloneMember = this.cluster.get_clone_member(this.name, (n) => this.patroni.pick('clone-member', n));
    // the cluster has a leader: bootstrap from it or from a replica that allows it
    if (!this.cluster.is_unlocked() && cloneMember) {
      const memberRole = cloneMember === this.cluster.leader ? 'leader' : 'replica';
      const msg = `from ${memberRole} '${cloneMember.name}'`;
      return this.executor.try_run_async(`bootstrap ${msg}`, () => this.clone(cloneMember, msg)) ?? `trying to bootstrap ${msg}`;
    }
    // replica creation without a replication connection (backups) is not modelled
    return `waiting for ${this.is_standby_cluster() ? 'standby_' : ''}leader to bootstrap`;
  }

  /** `Ha.bootstrap_standby_leader` */
  *bootstrap_standby_leader(): Task<boolean | null> {
    const source = this.get_remote_member();
    const result = yield* this.clone(source, `clone from remote member ${source.conn_url ?? ''}`);
    this.asyncResponse.complete(Boolean(result)); // pretend post_bootstrap already ran
    if (result) this.pg.setRole('standby_leader');
    return result;
  }

  // ---- crash recovery, rewind -----------------------------------------------------------------

  /** `Ha._handle_crash_recovery` */
  private handle_crash_recovery(): string | null {
    if (this.crashRecoveryStartedWallUs === null && (this.cluster.is_unlocked() || this.rewind.can_rewind)) {
      this.crashRecoveryStartedWallUs = this.nowWallUs();
      const msg = 'doing crash recovery in a single user mode';
      return this.executor.try_run_async(msg, () => this.rewind.ensure_clean_shutdown()) ?? msg;
    }
    return null;
  }

  /** `Ha._handle_rewind_or_reinitialize` */
  private *handle_rewind_or_reinitialize(): Task<string | null> {
    const leader = this.is_standby_cluster() ? this.get_remote_member() : this.cluster.leader;
    if (!(yield* this.rewind.rewind_or_reinitialize_needed_and_possible(leader)) || !leader) return null;
    if (this.rewind.can_rewind) {
      // rewind is required, but postgres wasn't shut down cleanly
      if (!this.pg.isRunning() && this.pg.controldata()?.clusterState === 'in archive recovery') {
        const msg = this.handle_crash_recovery();
        if (msg) return msg;
      }
      const msg = `running pg_rewind from ${leader.name}`;
      return this.executor.try_run_async(msg, () => this.rewind.execute(leader)) ?? msg;
    }
    if (this.rewind.should_remove_data_directory_on_diverged_timelines && !this.is_standby_cluster()) {
      const msg = 'reinitializing due to diverged timelines';
      const cluster = this.cluster;
      return this.executor.try_run_async(msg, () => this.do_reinitialize(cluster)) ?? msg;
    }
    return null;
  }

  /** `Ha.recover`: PostgreSQL is not running. */
  *recover(): Task<string> {
    let timeout: number | null = null;
    if (this.has_lock() && (yield* this.update_lock())) {
      timeout = this.gc.primary_start_timeout;
      if (timeout === 0) {
        // prefer failing over to restarting the primary, if anyone can take over
        if (yield* this.is_failover_possible()) {
          this.watchdog.disable();
          yield* this.demote('immediate');
          return 'stopped PostgreSQL to fail over after a crash';
        }
      }
    }
    const data = this.pg.controldata();
    const cs = data?.clusterState;
    // timeout > 0: we still hold the lock and just renewed it
    if (
      timeout &&
      (cs === 'in production' || cs === 'in crash recovery' || cs === 'shutting down' || cs === 'shut down') &&
      this.pg.state === 'crashed' &&
      this.pg.role === 'primary' &&
      !this.pg.files.standbySignal
    ) {
      // we know for sure we were running as a primary a few moments ago: just start it
      const msg = 'starting primary after failure';
      const t = timeout;
      if (this.executor.try_run_async(msg, () => this.pg.start(t, this.executor.critical_task)) === null) {
        this.recovering = true;
        return msg;
      }
    }
    // starting as a standby: the watchdog is not needed until we promote
    this.watchdog.disable();
    if (cs === 'in production' || cs === 'shutting down' || cs === 'in crash recovery') {
      if (!this.pg.wasRestoredFromBackup()) {
        // 'Skipping single-user crash recovery because backup_label exists' otherwise
        const msg = this.handle_crash_recovery();
        if (msg) return msg;
      }
    }
    yield* this.load_cluster_from_dcs();
    let role: 'replica' | 'standby_leader' = 'replica';
    let msg: string;
    let nodeToFollow: Leader | Member | null;
    if (this.has_lock() && !this.is_standby_cluster()) {
      this.rewind.reset_state(); // trigger CHECKPOINT after promote later
      msg = 'starting as readonly because i had the session lock';
      nodeToFollow = null;
    } else {
      if (!this.rewind.executed) this.rewind.trigger_check_diverged_lsn();
      const m = yield* this.handle_rewind_or_reinitialize();
      if (m) return m;
      if (this.has_lock()) {
        msg = 'starting as a standby leader because i had the session lock';
        role = 'standby_leader';
        nodeToFollow = this.get_node_to_follow(this.cluster);
      } else if (this.is_standby_cluster() && this.cluster.is_unlocked()) {
        msg = 'trying to follow a remote member because standby cluster is unhealthy';
        nodeToFollow = this.get_remote_member();
      } else {
        msg = 'starting as a secondary';
        nodeToFollow = this.get_node_to_follow(this.cluster);
      }
      if (this.is_synchronous_mode()) yield* this.pg.syncHandler.set_synchronous_standby_names([]);
    }
    const t = timeout;
    if (this.executor.try_run_async('restarting after failure', () => this.pg.follow(nodeToFollow, role, t)) === null) this.recovering = true;
    return msg;
  }

  /** `Ha._get_node_to_follow` */
  get_node_to_follow(cluster: Cluster): Leader | Member | null {
    let node: Leader | Member | null;
    if (this.patroni.nostream) {
      return null;
    } else if (this.is_standby_cluster() && ((cluster.leader && cluster.leader.name === this.name) || (cluster.is_unlocked() && !this.is_paused()))) {
      node = this.get_remote_member();
    } else if (this.patroni.replicatefrom && this.patroni.replicatefrom !== this.name) {
      node = cluster.get_member(this.patroni.replicatefrom);
    } else {
      node = cluster.leader && cluster.leader.name ? cluster.leader : null;
    }
    return node && node.name !== this.name ? node : null;
  }

  /** `Ha.follow` */
  *follow(demoteReason: string, followReason: string, refresh = true): Task<string> {
    if (refresh) yield* this.load_cluster_from_dcs();
    const isPrimary = yield* this.pg.isPrimary();
    const nodeToFollow = this.get_node_to_follow(this.cluster);
    if (this.is_paused()) {
      if (!(this.rewind.is_needed && this.rewind.can_rewind_or_reinitialize_allowed) || this.cluster.is_unlocked()) {
        if (isPrimary) {
          this.pg.setRole('primary');
          return 'continue to run as primary without lock';
        } else if (this.pg.role !== 'standby_leader') {
          this.pg.setRole('replica');
        }
        if (!nodeToFollow) return `no action. I am (${this.name})`;
      }
    } else if (isPrimary) {
      if (this.is_standby_cluster()) this.executor.try_run_async('demoting to a standby cluster', () => this.demote('demote-cluster', 'async'));
      else yield* this.demote('immediate-nolock');
      return demoteReason;
    }

    if (this.is_standby_cluster() && this.leaderTimeline && this.pg.getHistory(this.leaderTimeline + 1).length > 0) {
      this.rewind.trigger_check_diverged_lsn();
    }
    const msg = yield* this.handle_rewind_or_reinitialize();
    if (msg) return msg;

    if (!this.is_paused()) yield* this.pg.handleParameterChange();

    const role = nodeToFollow instanceof RemoteMember && this.has_lock(false) ? 'standby_leader' : 'replica';
    // the leader key in a standby cluster may name a member that doesn't exist: keep following
    if (this.is_standby_cluster() && role === 'replica' && !(nodeToFollow && nodeToFollow.conn_url)) {
      return 'continue following the old known standby leader';
    }
    const [changeRequired, restartRequired] = this.pg.checkRecoveryConf(nodeToFollow);
    if (changeRequired) {
      if (restartRequired) {
        this.executor.try_run_async('changing primary_conninfo and restarting', () => this.pg.follow(nodeToFollow, role));
      } else {
        yield* this.pg.follow(nodeToFollow, role, null, true);
      }
      this.rewind.trigger_check_diverged_lsn();
    } else {
      if (role === 'standby_leader' && this.pg.role !== role) {
        this.pg.setRole(role);
        this.pg.callNowait('on_role_change');
      }
      if (this.lastTimeline && this.leaderTimeline && this.lastTimeline < this.leaderTimeline) {
        this.rewind.trigger_check_diverged_lsn();
        const m = yield* this.handle_rewind_or_reinitialize();
        if (m) return m;
      }
    }
    return followReason;
  }

  // ---- synchronous replication ---------------------------------------------------------------

  /** `Ha._maybe_enable_synchronous_mode` */
  private *maybe_enable_synchronous_mode(): Task<SyncState | null> {
    const sync = this.cluster.sync;
    if (sync.is_empty) return yield* this.quiet(this.dcs.writeSyncState(this.name, null, 0, sync.version), null);
    return sync;
  }

  /** `Ha.disable_synchronous_replication` */
  private *disable_synchronous_replication(): Task<void> {
    if (!this.cluster.sync.is_empty && (yield* this.quiet(this.dcs.deleteSyncState(this.cluster.sync.version), false))) {
      yield* this.pg.syncHandler.set_synchronous_standby_names([]);
    }
    // fall back to the user's own synchronous_standby_names, if any
    const user = this.pg.local.parameters.synchronous_standby_names;
    yield* this.pg.setSynchronousStandbyNamesParam(user === undefined || user === null ? null : String(user));
  }

  /** `Ha._handle_synchronous_strict_mode` */
  private *handle_synchronous_strict_mode(dcsState: SyncState, replState: { active: CaseInsensitiveSet; sync: CaseInsensitiveSet; numsync: number; sync_type: string }): Task<boolean> {
    const minSync = this.gc.min_synchronous_nodes;
    if (replState.active.size < minSync) {
      const syncType = this.quorum_commit_mode_is_active() ? 'quorum' : 'priority';
      const quorum = this.quorum_commit_mode_is_active() ? dcsState.quorum : 0;
      const voters = new CaseInsensitiveSet(dcsState.voters);
      const numsync = Math.max(minSync, voters.size - quorum);
      if (!voters.equals(replState.sync) || numsync !== replState.numsync || syncType !== replState.sync_type) {
        yield* this.pg.syncHandler.set_synchronous_standby_names(voters, numsync);
      }
      if (!this.synchronousStrictModeActivated) {
        this.patroni.warn(
          'No active replication connections from Patroni members and synchronous_mode_strict is requested. ' +
            (voters.size > 0 ? `Continue using old value of synchronous_standby_names. ` : '') +
            'Commits will be delayed.',
        );
      }
      this.synchronousStrictModeActivated = true;
    } else {
      if (minSync === 0 && replState.active.size === 0 && dcsState.voters.length === 0 && (replState.sync.size > 0 || replState.numsync)) {
        // non-strict: remove synchronous_standby_names when nobody could be added later
        yield* this.pg.syncHandler.set_synchronous_standby_names([]);
      }
      this.synchronousStrictModeActivated = false;
    }
    return this.synchronousStrictModeActivated;
  }

  /** `Ha._process_quorum_replication` */
  private *process_quorum_replication(): Task<void> {
    const startWallUs = this.nowWallUs();
    let sync = yield* this.maybe_enable_synchronous_mode();
    if (!sync || !sync.leader) return;
    let leader = sync.leader;
    const checkTimeout = (offsetS = 0): boolean => (this.nowWallUs() - startWallUs) / 1e6 + offsetS >= this.loopWaitS;
    for (;;) {
      let transition = 'break';
      const st = yield* this.pg.syncHandler.current_state(this.cluster);
      if (leader === this.name && (yield* this.handle_synchronous_strict_mode(sync, st))) return;
      const resolver: QuorumStateResolver = new QuorumStateResolver({
        leader,
        quorum: sync.quorum,
        voters: sync.voters,
        numsync: st.numsync,
        sync: st.sync,
        numsync_confirmed: st.sync_confirmed.size,
        active: st.active,
        sync_wanted: this.gc.synchronous_node_count,
        leader_wanted: this.name,
      });
      for (const t of resolver as Iterable<Transition>) {
        transition = t.type;
        leader = t.leader;
        if (checkTimeout()) return;
        if (t.type === 'quorum') {
          const written: SyncState | null = yield* this.quiet(this.dcs.writeSyncState(t.leader, t.names.toArray(), t.num, sync.version), null);
          if (!written) return; // 'Synchronous replication key updated by someone else.'
          sync = written;
        } else if (t.type === 'sync') {
          yield* this.pg.syncHandler.set_synchronous_standby_names(t.names, t.num);
        }
      }
      if (transition === 'break' && st.sync_type !== 'quorum') {
        // FIRST -> ANY
        yield* this.pg.syncHandler.set_synchronous_standby_names(st.sync, st.numsync);
      }
      if (transition !== 'restart' || checkTimeout(1)) return;
      // SSN went from empty to non-empty: re-evaluate quickly instead of waiting loop_wait
      yield* this.pg.sleepS(1);
      this.pg.resetClusterInfoState();
    }
  }

  /** `Ha._process_multisync_replication` */
  private *process_multisync_replication(): Task<void> {
    let sync = yield* this.maybe_enable_synchronous_mode();
    if (!sync) return;
    const cur = yield* this.pg.syncHandler.current_state(this.cluster);
    const picked = cur.active;
    let allowPromote = cur.sync_confirmed;
    let voters = new CaseInsensitiveSet(sync.voters);
    if (this.name !== sync.leader) {
      // 'Inconsistent state of /sync key detected'
      sync = yield* this.quiet(this.dcs.writeSyncState(this.name, null, 0, sync.version), null);
      if (!sync) return;
      voters = new CaseInsensitiveSet();
    }
    if (picked.equals(voters) && !voters.equals(allowPromote)) {
      sync = yield* this.quiet(this.dcs.writeSyncState(this.name, allowPromote.toArray(), 0, sync.version), null);
      if (!sync) return;
      voters = new CaseInsensitiveSet(sync.voters);
    }
    if (yield* this.handle_synchronous_strict_mode(sync, cur)) return;
    if (picked.equals(voters) && voters.equals(cur.sync) && cur.numsync === picked.size) {
      if (cur.sync_type !== 'priority') yield* this.pg.syncHandler.set_synchronous_standby_names(picked); // ANY -> FIRST
      return;
    }
    // shrink /sync to the nodes common to the current and the picked set first
    const syncCommon = voters.intersect(allowPromote);
    if (!syncCommon.equals(voters)) {
      sync = yield* this.quiet(this.dcs.writeSyncState(this.name, syncCommon.toArray(), 0, sync.version), null);
      if (!sync) return;
    }
    // then synchronous_standby_names, and give PostgreSQL 2 s to make them synchronous
    yield* this.pg.syncHandler.set_synchronous_standby_names(picked);
    if (picked.size > 0 && !allowPromote.equals(picked)) {
      yield* this.pg.sleepS(2);
      allowPromote = (yield* this.pg.syncHandler.current_state(this.cluster)).sync_confirmed;
    }
    // grow /sync last
    if (allowPromote.size > 0 && !allowPromote.equals(syncCommon)) {
      yield* this.quiet(this.dcs.writeSyncState(this.name, allowPromote.toArray(), 0, sync.version), null);
    }
  }

  /** `Ha.process_sync_replication` */
  *process_sync_replication(): Task<void> {
    if (this.is_quorum_commit_mode()) yield* this.process_quorum_replication();
    else if (this.is_synchronous_mode()) yield* this.process_multisync_replication();
    else yield* this.disable_synchronous_replication();
  }

  /** `Ha._process_multisync_prepromote` */
  private *process_multisync_prepromote(): Task<boolean> {
    const minSync = this.gc.min_synchronous_nodes;
    let sync: CaseInsensitiveSet;
    if (minSync > 0) {
      sync = new CaseInsensitiveSet(this.cluster.sync.members);
      sync.discard(this.name);
    } else {
      sync = new CaseInsensitiveSet();
    }
    const numsync = minSync > 0 && sync.size === 0 ? minSync : null;
    if (!(yield* this.quiet(this.dcs.writeSyncState(this.name, sync.toArray(), 0, this.cluster.sync.version), null))) return false;
    yield* this.pg.syncHandler.set_synchronous_standby_names(sync, numsync);
    return true;
  }

  /** `Ha._process_quorum_prepromote` */
  private *process_quorum_prepromote(): Task<void> {
    const quorum = this.quorum_commit_mode_is_active() ? this.cluster.sync.quorum : 0;
    const sync = new CaseInsensitiveSet(this.cluster.sync.members);
    let numsync = sync.size - quorum - 1; // sync includes the former leader
    if (sync.has(this.name)) sync.discard(this.name);
    else numsync += 1; // promoted from outside the voters (manual failover, or it got quorum)
    numsync = Math.max(numsync, this.gc.min_synchronous_nodes);
    yield* this.pg.syncHandler.set_synchronous_standby_names(sync, numsync);
  }

  /** `Ha.process_sync_replication_prepromote` */
  *process_sync_replication_prepromote(): Task<boolean> {
    if (this.is_quorum_commit_mode()) yield* this.process_quorum_prepromote();
    else if (this.is_synchronous_mode()) return yield* this.process_multisync_prepromote();
    else yield* this.disable_synchronous_replication();
    return true;
  }

  /** `Ha.is_sync_standby` */
  is_sync_standby(cluster: Cluster): boolean {
    return Boolean(cluster.leader) && cluster.sync.leader_matches(cluster.leader?.name) && cluster.sync.matches(this.name);
  }

  /** `Ha.while_not_sync_standby`: ask the primary to drop us from the sync set before `func`. */
  *while_not_sync_standby<T>(func: () => Task<T>): Task<T> {
    if (this.is_leader() || !this.is_synchronous_mode() || this.patroni.nosync) return yield* func();
    this.disableSync++;
    try {
      if (yield* this.touch_member()) {
        // the primary notices at its next cycle; wait double that
        const deadlineS = this.loopWaitS * 2;
        let waitedS = 0;
        while (waitedS < deadlineS) {
          try {
            if (!this.is_sync_standby(yield* this.dcs.getCluster())) break;
          } catch (e) {
            if (!(e instanceof DCSError)) throw e;
            break;
          }
          yield* this.pg.sleepS(2);
          waitedS += 2;
        }
      }
      return yield* func();
    } finally {
      this.disableSync--;
    }
  }

  /** `Ha.update_cluster_history` */
  private *update_cluster_history(): Task<void> {
    const primaryTimeline = yield* this.pg.getPrimaryTimeline();
    const clusterHistory = this.cluster.history ? this.cluster.history.lines : [];
    if (primaryTimeline === 1) {
      if (clusterHistory.length > 0) yield* this.quiet(this.dcs.setHistoryValue([]), false);
      return;
    }
    const last = clusterHistory[clusterHistory.length - 1];
    if (!last || last[0] !== primaryTimeline - 1 || last.length !== 5) {
      const byTl = new Map<number, (string | number | undefined)[]>();
      for (const line of clusterHistory) byTl.set(line[0], [...line]);
      let history: (string | number | undefined)[][] = this.pg.getHistory(primaryTimeline).map((l) => [...l]);
      // the newest line gets the promotion time and this node's name (`Postgresql.get_history`)
      const newest = history[history.length - 1];
      if (newest && newest[0] === primaryTimeline - 1) {
        history[history.length - 1] = [newest[0], newest[1], newest[2], String(Math.round(this.nowWallUs() / 1000) / 1000), this.name];
      }
      if (this.cluster.config) {
        const max = this.gc.max_timelines_history;
        if (max > 0) history = history.slice(-max);
      }
      for (const line of history) {
        const cl = byTl.get(Number(line[0])) ?? [];
        if (line.length === 3 && cl.length >= 4 && cl[1] === line[1]) {
          line.push(cl[3]);
          if (cl.length === 5) line.push(cl[4]);
        }
      }
      if (history.length > 0) {
        yield* this.quiet(this.dcs.setHistoryValue(history as [number, number, string, string?, string?][]), false);
      }
    }
  }

  /** `Ha.enforce_follow_remote_member` */
  private *enforce_follow_remote_member(message: string): Task<string> {
    return yield* this.follow('cannot be a real primary in standby cluster', message);
  }

  /** `Ha.enforce_primary_role`: the lock holder makes sure it is (or becomes) the primary. */
  *enforce_primary_role(message: string, promoteMessage: string): Task<string> {
    if (!this.is_paused()) {
      if (!this.watchdog.is_running && !this.watchdog.activate()) {
        if (yield* this.pg.isPrimary()) {
          yield* this.demote('immediate');
          return 'Demoting self because watchdog could not be activated';
        }
        yield* this.release_leader_key_voluntarily();
        return 'Not promoting self because watchdog could not be activated';
      }
      if (this.asyncResponse.result === false) {
        this.releasedLeaderKeyWallUs = this.nowWallUs();
        yield* this.release_leader_key_voluntarily();
        this.asyncResponse.reset();
        return 'Promotion cancelled because the pre-promote script failed';
      }
    }
    if (yield* this.pg.isPrimary()) {
      // the state handler may not know yet (e.g. a manual promote)
      this.pg.setRole('primary');
      yield* this.process_sync_replication();
      yield* this.update_cluster_history();
      return message;
    } else if (this.pg.role === 'primary' || this.pg.role === 'promoted') {
      yield* this.process_sync_replication();
      return message;
    }
    if (!(yield* this.process_sync_replication_prepromote())) {
      // somebody else updated /sync: maybe we lost the lock; postpone
      return 'Postponing promotion because synchronous replication state was updated by somebody else';
    }
    const roleNow = this.pg.role as string;
    if (roleNow !== 'primary' && roleNow !== 'promoted') {
      this.failsafe.set_is_active(null);
      this.lastTimeline = null;
      this.asyncResponse.reset();
      const waitS = this.loopWaitS;
      this.executor.try_run_async('promote', () =>
        this.pg.promote(waitS, this.asyncResponse, () => {
          this.rewind.reset_state(); // trigger CHECKPOINT after promote
        }),
      );
    }
    return promoteMessage;
  }

  // ---- peers ------------------------------------------------------------------------------------

  /** `Ha.fetch_node_status`: GET the member's /patroni with a 2 s timeout and no retries. */
  *fetch_node_status(member: Member | Leader): Task<MemberStatus> {
    const r: RestCallResult = yield* this.patroni.request(member, 'GET', '/patroni', undefined, 2, 0);
    if (!r.ok || r.status !== 200 || !isPlainObject(r.body)) return MemberStatus.unknown(member);
    try {
      return MemberStatus.fromApiResponse(member, r.body);
    } catch {
      return MemberStatus.unknown(member);
    }
  }

  /** `Ha.fetch_nodes_statuses`: all members in parallel. */
  *fetch_nodes_statuses(members: (Member | Leader)[]): Task<MemberStatus[]> {
    if (members.length === 0) return [];
    return yield* this.patroni.proc.all(
      'fetch_node_status',
      members.map((m) => this.fetch_node_status(m)),
    );
  }

  /** `Ha.update_failsafe` (POST /failsafe on this node): a reason to refuse, or our LSN. */
  update_failsafe(data: FailsafeRequest): string | number | null {
    if (this.pg.state === 'running' && this.pg.role === 'primary') return 'Running as a leader';
    this.failsafe.update(data);
    return this.lastWalLsn;
  }

  failsafe_is_active(): boolean {
    return this.failsafe.is_active();
  }

  /** `Ha.call_failsafe_member`: POST /failsafe, 2 s timeout, one retry. */
  private *call_failsafe_member(data: FailsafeRequest, member: Member): Task<FailsafeResponse> {
    const r = yield* this.patroni.request(member, 'POST', '/failsafe', data, 2, 1);
    if (!r.ok) return { member_name: member.name, accepted: false, lsn: null };
    const lsn = r.headers?.lsn !== undefined ? Number(r.headers.lsn) : null;
    return { member_name: member.name, accepted: r.status === 200 && r.body === 'Accepted', lsn: lsn !== null && Number.isFinite(lsn) ? lsn : null };
  }

  /** `Ha.check_failsafe_topology`: every member of /failsafe must accept our POST /failsafe. */
  *check_failsafe_topology(): Task<boolean> {
    const failsafe = this.dcs.failsafe;
    if (!failsafe || !(this.name in failsafe)) return false;
    const data: FailsafeRequest = { name: this.name, conn_url: connUrlFor(this.patroni.hostName), api_url: this.patroni.apiUrl };
    const members = Object.keys(failsafe)
      .sort()
      .filter((n) => n !== this.name)
      .map((n) => new RemoteMember(n, { api_url: failsafe[n] as string }));
    if (members.length === 0) return true; // a single-node cluster
    const results = yield* this.patroni.proc.all(
      'call_failsafe_member',
      members.map((m) => this.call_failsafe_member(data, m)),
    );
    return results.every((r) => r.accepted);
  }

  /** `Ha.is_lagging` */
  is_lagging(walPosition: number): boolean {
    const lag = this.cluster.status.last_lsn - walPosition;
    return lag > this.gc.maximum_lag_on_failover;
  }

  /** `Ha._is_healthiest_node` */
  *is_healthiest_node_among(membersIn: (Member | Leader)[], checkReplicationLag = true, leader: Leader | null = null): Task<boolean> {
    const clusterTimeline = this.cluster.timeline;
    const myTimeline = yield* this.pg.replicaCachedTimeline(clusterTimeline);
    if (myTimeline) this.lastTimeline = myTimeline;
    const myWal = yield* this.pg.lastOperation();
    if (checkReplicationLag && this.is_lagging(myWal)) {
      this.patroni.info('My wal position exceeds maximum replication lag');
      return false;
    }
    if (!this.is_standby_cluster() && this.check_timeline()) {
      if (myTimeline === null) {
        this.patroni.info('Can not figure out my timeline');
        return false;
      }
      if (myTimeline < clusterTimeline) {
        this.patroni.info(`My timeline ${myTimeline} is behind last known cluster timeline ${clusterTimeline}`);
        return false;
      }
    }
    let quorum = 0;
    let votingSet = new CaseInsensitiveSet();
    if (this.quorum_commit_mode_is_active()) {
      quorum = this.cluster.sync.quorum;
      votingSet = new CaseInsensitiveSet(this.cluster.sync.members);
    }
    // members to check; in quorum mode also nofailover members that are voters
    const members = membersIn.filter((m) => m.name !== this.name && m.data.api_url && (!memberNofailover(m) || votingSet.has(m.name)));
    let quorumVotes = votingSet.has(this.name) ? 0 : -1;
    let nodesAhead = 0;
    const leaderName = this.sync_mode_is_active() ? this.cluster.sync.leader : (leader?.name ?? null);
    for (const st of yield* this.fetch_nodes_statuses(members)) {
      if (st.failover_limitation() !== null) continue;
      if (st.in_recovery === false) {
        this.patroni.warn(`Primary (${st.name}) is still alive`);
        return false;
      }
      if (myWal < st.wal_position) {
        nodesAhead++;
        this.patroni.info(`Wal position of ${st.name} is ahead of my wal position`);
        // in synchronous mode the former leader may still be reachable and ahead: ignore it
        if (!this.sync_mode_is_active() || !this.cluster.sync.leader_matches(st.name)) return false;
        this.patroni.info('Ignoring the former leader being ahead of us');
      } else if (st.wal_position > 0) {
        // only nodes with postgres up and running vote
        const quorumVote = votingSet.has(st.name);
        let lowPriority = myWal === st.wal_position && this.patroni.failover_priority < st.failover_priority;
        if (lowPriority && leaderName && leaderName === st.name) lowPriority = false; // ignore the former leader's priority
        if (lowPriority && (!this.quorum_commit_mode_is_active() || quorumVote)) {
          this.patroni.info(`${st.name} has equally tolerable WAL position and priority ${st.failover_priority}, while this node has priority ${this.patroni.failover_priority}`);
          return false;
        }
        if (quorumVote) {
          this.patroni.info(`Got quorum vote from ${st.name}`);
          quorumVotes++;
        }
      }
    }
    return !this.quorum_commit_mode_is_active() || quorumVotes >= quorum || (nodesAhead === 0 && this.cluster.sync.leader === this.name);
  }

  /** `Ha.is_failover_possible` */
  *is_failover_possible(clusterLsn = 0, excludeFailoverCandidate = false): Task<boolean> {
    const candidates = this.get_failover_candidates(excludeFailoverCandidate);
    let quorumVotes = -1;
    const clusterTimeline = this.cluster.timeline;
    for (const st of yield* this.fetch_nodes_statuses(candidates)) {
      if (st.failover_limitation()) continue;
      if ((clusterLsn && st.wal_position < clusterLsn) || (!clusterLsn && this.is_lagging(st.wal_position))) continue;
      if (this.check_timeline() && (!st.timeline || st.timeline < clusterTimeline)) continue;
      quorumVotes++;
    }
    // with quorum replication there must be enough healthy synchronous replicas (unless a candidate is named)
    const f = this.cluster.failover;
    const checkQuorum = this.quorum_commit_mode_is_active() && !(f?.isSet && f.candidate && !excludeFailoverCandidate);
    if (checkQuorum && quorumVotes < this.cluster.sync.quorum) return false;
    return quorumVotes >= 0;
  }

  /** `Ha.manual_failover_process_no_leader`: true / false, or null (stale key deleted as primary). */
  *manual_failover_process_no_leader(): Task<boolean | null> {
    const failover = this.cluster.failover;
    if (!failover) return false;
    if (failover.candidate) {
      if (failover.candidate === this.name) return true; // no lag/timeline/sync checks for the named candidate
      if (this.is_paused()) {
        // remove the key if the candidate is gone, to avoid waiting for it forever (only the primary does)
        if (!this.cluster.get_member(failover.candidate, false) && (yield* this.pg.isPrimary())) {
          yield* this.quiet(this.dcs.manualFailover('', '', null, failover.version), false);
          return null;
        }
        return false;
      }
      // in synchronous mode (not quorum) a node outside /sync takes no action even if the candidate is unhealthy
      if (this.is_synchronous_mode() && !this.is_quorum_commit_mode() && !this.cluster.sync.matches(this.name, true)) return false;
      const member = this.cluster.get_member(failover.candidate, false);
      if (member instanceof Member) {
        const st = yield* this.fetch_node_status(member);
        if (st.failover_limitation() === null) return false; // the candidate is healthy: defer to it
      }
      // the candidate is unhealthy: consider everyone
    } else if (this.is_paused()) {
      return false;
    }
    if (failover.leader) {
      if (this.name === failover.leader) {
        // I was the leader: take over again only if nobody else can
        return !(yield* this.is_failover_possible(0, Boolean(failover.candidate)));
      }
    }
    const members = this.cluster.members.filter((m) => m.name !== failover.leader && (!this.sync_mode_is_active() || this.cluster.sync.matches(m.name)));
    return yield* this.is_healthiest_node_among([...members], false);
  }

  /** `Ha.is_healthiest_node` */
  *is_healthiest_node(): Task<boolean> {
    if (this.releasedLeaderKeyWallUs !== null && (this.nowWallUs() - this.releasedLeaderKeyWallUs) / 1e6 < this.ttlS) return false; // pre_promote backoff
    if (this.is_paused() && !this.patroni.nofailover && this.cluster.failover?.isSet && !this.cluster.failover.scheduled_at) {
      const ret = yield* this.manual_failover_process_no_leader();
      if (ret !== null) return ret;
    }
    if (this.pg.isStarting()) return false;
    if (yield* this.pg.isPrimary()) {
      if (this.is_paused()) return !this.cluster.initialize || this.pg.sysid === this.cluster.initialize;
      // a stalled old primary must not retake the lock after someone else promoted
      const myTimeline = yield* this.pg.getPrimaryTimeline();
      if (myTimeline < this.cluster.timeline) return false;
      return true;
    }
    if (this.is_paused()) return false;
    if (this.patroni.nofailover) return false;
    if (this.cluster.failover?.isSet) {
      // switchover in synchronous mode: only sync nodes and the former leader race
      if (this.cluster.failover.leader && this.sync_mode_is_active() && !this.cluster.sync.matches(this.name, true)) return false;
      return (yield* this.manual_failover_process_no_leader()) ?? false;
    }
    if (!this.watchdog.is_healthy) {
      this.patroni.warn('Watchdog device is not usable');
      return false;
    }
    let allKnown: Member[] = [...this.old_cluster.members];
    if (this.is_failsafe_mode()) {
      const fs = this.dcs.failsafe;
      if (fs !== null && typeof fs === 'object') {
        if (Object.keys(fs).length > 0 && !(this.name in fs)) return false;
        for (const [n, url] of Object.entries(fs)) allKnown.push(new RemoteMember(n, { api_url: url }));
      }
    }
    allKnown = allKnown.concat(this.cluster.members);
    const members = new Map<string, Member>();
    if (this.sync_mode_is_active()) {
      // quorum mode lets nodes outside the voters race if they collect enough votes
      if (!this.is_quorum_commit_mode() && !this.cluster.sync.matches(this.name, true)) return false;
      for (const m of allKnown) if (this.cluster.sync.matches(m.name, true)) members.set(m.name, m);
    } else {
      for (const m of allKnown) members.set(m.name, m);
    }
    return yield* this.is_healthiest_node_among([...members.values()], true, this.old_cluster.leader);
  }

  /** `Ha._delete_leader` */
  private *delete_leader(lastLsn: number | null = null): Task<void> {
    this.set_is_leader(false);
    yield* this.quiet(this.dcs.deleteLeader(this.cluster.leader, lastLsn), false);
    this.dcs.resetCluster();
  }

  /** `Ha.release_leader_key_voluntarily` */
  *release_leader_key_voluntarily(lastLsn: number | null = null): Task<void> {
    yield* this.delete_leader(lastLsn);
    yield* this.touch_member();
  }

  /** `Ha.demote`: stop being the primary, in one of Patroni's five modes. */
  *demote(mode: 'offline' | 'graceful' | 'immediate' | 'immediate-nolock' | 'demote-cluster', thread: 'ha' | 'async' = 'ha'): Task<boolean | null> {
    const control = {
      offline: { stop: 'fast', checkpoint: false, release: false, offline: true, async_req: false },
      graceful: { stop: 'fast', checkpoint: true, release: true, offline: false, async_req: false },
      immediate: { stop: 'immediate', checkpoint: false, release: true, offline: false, async_req: true },
      'immediate-nolock': { stop: 'immediate', checkpoint: false, release: false, offline: false, async_req: true },
      'demote-cluster': { stop: 'fast', checkpoint: false, release: true, offline: false, async_req: false },
    }[mode] as { stop: 'fast' | 'immediate'; checkpoint: boolean; release: boolean; offline: boolean; async_req: boolean };
    this.rewind.trigger_check_diverged_lsn();
    const status = { released: false };
    // archive_command is not modelled: demote-cluster releases the key like Patroni without archiving
    const onShutdown = (checkpointLsn: number, prevLsn: number): Task<void> => this.demote_on_shutdown(mode, thread, status, checkpointLsn, prevLsn);
    const wdRunning = this.watchdog.is_running;
    yield* this.pg.stop(control.stop, {
      checkpoint: control.checkpoint,
      onSafepoint: wdRunning ? () => this.watchdog.disable() : null,
      onShutdown: control.release ? onShutdown : null,
      stopTimeoutS: this.primary_stop_timeout(),
    });
    this.pg.setRole('demoted');
    const [checkpointLsn, prevLsn] = mode === 'graceful' ? this.pg.latestCheckpointLocations() : [null, null];
    const isStandbyLeader = mode === 'demote-cluster' && !status.released;
    let release = control.release;
    if (isStandbyLeader) {
      yield* this.executor.lock.acquire(thread);
      try {
        yield* this.dcs.updateLeader(this.cluster, checkpointLsn, this.failsafe_config());
      } finally {
        this.executor.lock.release(thread);
      }
      release = false;
    } else {
      this.set_is_leader(false);
    }
    if (release) {
      if (!status.released) {
        yield* this.executor.lock.acquire(thread);
        try {
          yield* this.release_leader_key_voluntarily(prevLsn);
        } finally {
          this.executor.lock.release(thread);
        }
      }
      yield* this.pg.sleepS(2); // give somebody time to take the leader lock
    }
    let nodeToFollow: Leader | Member | null = null;
    let leader: Leader | null = null;
    if (!control.offline) {
      try {
        const cluster = yield* this.dcs.getCluster();
        nodeToFollow = this.get_node_to_follow(cluster);
        leader = cluster.leader;
      } catch (e) {
        if (!isModelledError(e)) throw e;
      }
    }
    if (this.is_synchronous_mode()) yield* this.pg.syncHandler.set_synchronous_standby_names([]);
    const role = isStandbyLeader ? 'standby_leader' : 'replica';
    if (control.async_req) {
      this.executor.try_run_async('starting after demotion', () => this.pg.follow(nodeToFollow, role));
      return null;
    }
    if (yield* this.rewind.rewind_or_reinitialize_needed_and_possible(leader)) return false; // pg_rewind next cycle
    return yield* this.pg.follow(nodeToFollow, role);
  }

  /** `on_shutdown` inside `Ha.demote`: pg_control says "shut down" while the postmaster is still exiting. */
  private *demote_on_shutdown(mode: string, thread: 'ha' | 'async', status: { released: boolean }, checkpointLsn: number, prevLsn: number): Task<void> {
    yield* this.pg.sleepS(1); // give replicas some more time to catch up
    if (yield* this.is_failover_possible(checkpointLsn)) {
      this.pg.setRole('demoted');
      const lastLsn = mode === 'demote-cluster' ? checkpointLsn : prevLsn;
      // `with self._async_executor:` from the thread running demote
      yield* this.executor.lock.acquire(thread);
      try {
        yield* this.release_leader_key_voluntarily(lastLsn);
        status.released = true;
      } finally {
        this.executor.lock.release(thread);
      }
    }
  }

  /** `Ha.should_run_scheduled_action` */
  private *should_run_scheduled_action(actionName: string, scheduledAtWallUs: number | null, cleanup: () => Task<unknown>): Task<boolean> {
    if (scheduledAtWallUs !== null && !this.is_paused()) {
      const deltaS = (scheduledAtWallUs - this.nowWallUs()) / 1e6;
      if (deltaS > this.loopWaitS) return false; // 'Awaiting %s at %s'
      if (deltaS < -Math.trunc(this.loopWaitS * 1.5)) {
        // a stale value: clean up
        yield* cleanup();
        return false;
      }
      yield* this.pg.sleepS(Math.max(deltaS, 0));
      void actionName;
      return true;
    }
    return false;
  }

  /** `Ha.process_manual_failover_from_leader` */
  private *process_manual_failover_from_leader(): Task<string | null> {
    const failover = this.cluster.failover;
    if (!failover?.isSet || (this.is_paused() && !(yield* this.pg.isPrimary()))) return null;
    const action = this.get_failover_action_name();
    const bareAction = action.replace('manual ', '');
    if (failover.scheduled_at !== null) {
      const ok = yield* this.should_run_scheduled_action(bareAction, failover.scheduled_at, () => this.quiet(this.dcs.manualFailover('', '', null, failover.version), false));
      if (!ok) return null;
    }
    if (!failover.leader || failover.leader === this.name) {
      if (!failover.candidate || failover.candidate !== this.name) {
        if (!failover.candidate && this.is_paused()) {
          this.patroni.warn(`${titleCase(action)} is possible only to a specific candidate in a paused state`);
        } else if (yield* this.is_failover_possible()) {
          const ret = this.executor.try_run_async(`${action}: demote`, () => this.demote('graceful', 'async'));
          return ret ?? `${action}: demoting myself`;
        } else {
          this.patroni.warn(`${action}: no healthy members found, ${bareAction} is not possible`);
        }
      } else {
        this.patroni.warn(`${action}: I am already the leader, no need to ${bareAction}`);
      }
    } else {
      this.patroni.warn(`${action}: leader name does not match: ${failover.leader} != ${this.name}`);
    }
    // 'Cleaning up failover key'
    yield* this.quiet(this.dcs.manualFailover('', '', null, failover.version), false);
    return null;
  }

  /** `Ha.process_unhealthy_cluster`: nobody holds the leader key. */
  *process_unhealthy_cluster(): Task<string> {
    if (!this.is_paused() && !this.is_standby_cluster() && !(this.cluster.failover?.isSet && this.cluster.failover.candidate) && this.gc.primary_race_backoff > 0 && this.prevWalLsn !== null) {
      if (this.primaryRaceBackoffWallUs === null) this.primaryRaceBackoffWallUs = this.nowWallUs();
      const backoff = this.gc.primary_race_backoff;
      const timeLeftS = (this.primaryRaceBackoffWallUs + backoff * 1e6 - this.nowWallUs()) / 1e6;
      // postpone while WAL keeps arriving, and always for the first loop_wait after the key vanished
      let moving = false;
      if (timeLeftS > 0 && (yield* this.pg.replicationState()) === 'streaming') moving = (yield* this.pg.lastOperation()) > this.prevWalLsn;
      if (moving || timeLeftS > backoff - this.loopWaitS) {
        return `My (${this.name}) wal position moved since last heart beat loop, ${Math.round(timeLeftS)} seconds until leader race`;
      }
    }
    if (yield* this.is_healthiest_node()) {
      if (yield* this.acquire_lock()) {
        const failover = this.cluster.failover;
        if (failover?.isSet) {
          if (this.is_paused() && failover.leader && failover.candidate) {
            yield* this.quiet(this.dcs.manualFailover('', failover.candidate, failover.scheduled_at, failover.version), false);
          } else {
            yield* this.quiet(this.dcs.manualFailover('', ''), false);
          }
        }
        yield* this.load_cluster_from_dcs();
        if (this.is_standby_cluster()) {
          return yield* this.enforce_follow_remote_member('promoted self to a standby leader by acquiring session lock');
        }
        return yield* this.enforce_primary_role('acquired session lock as a leader', 'promoted self to leader by acquiring session lock');
      }
      return yield* this.follow('demoted self after trying and failing to obtain lock', 'following new leader after trying and failing to obtain lock');
    }
    // no guarantee the new leader is ahead after a manual failover; nofailover nodes may be ahead too
    if ((this.cluster.failover?.isSet && this.cluster.failover.candidate) || (this.patroni.nofailover && !this.is_paused())) {
      this.rewind.trigger_check_diverged_lsn();
      yield* this.pg.sleepS(2); // give somebody time to take the leader lock
    }
    if (this.patroni.nofailover) {
      return yield* this.follow('demoting self because I am not allowed to become primary', 'following a different leader because I am not allowed to promote');
    }
    return yield* this.follow('demoting self because i am not the healthiest node', 'following a different leader because i am not the healthiest node');
  }

  /** `Ha.process_healthy_cluster`: someone holds the leader key. */
  *process_healthy_cluster(): Task<string> {
    if (this.has_lock()) {
      if (this.is_paused() && !(yield* this.pg.isPrimary())) {
        if (this.cluster.failover?.isSet && this.cluster.failover.candidate === this.name) return 'waiting to become primary after promote...';
        if (!this.is_standby_cluster()) {
          yield* this.delete_leader();
          return 'removed leader lock because postgres is not running as primary';
        }
      }
      // update the lock to avoid split-brain
      if (yield* this.update_lock(true)) {
        const msg = yield* this.process_manual_failover_from_leader();
        if (msg !== null) return msg;
        yield* this.rewind.ensure_checkpoint_after_promote(() => this.wakeup());
        if (this.is_standby_cluster()) {
          const m =
            this.pg.role === 'standby_leader'
              ? `no action. I am (${this.name}), the standby leader with the lock`
              : 'promoted self to a standby leader because i had the session lock';
          return yield* this.enforce_follow_remote_member(m);
        }
        return yield* this.enforce_primary_role(`no action. I am (${this.name}), the leader with the lock`, 'promoted self to leader because I had the session lock');
      }
      // no connection to the DCS, or someone else took the lock
      if (yield* this.pg.isPrimary()) {
        if (this.is_paused()) return 'continue to run as primary after failing to update leader lock in DCS';
        yield* this.demote('immediate-nolock');
        return 'demoted self because failed to update leader lock in DCS';
      }
      return 'not promoting because failed to update leader lock in DCS';
    }
    const lockOwner = this.cluster.leader?.name ?? null;
    if (this.is_standby_cluster()) {
      return yield* this.follow(
        'cannot be a real primary in a standby cluster',
        `no action. I am (${this.name}), a secondary, and following a standby leader (${lockOwner})`,
        false,
      );
    }
    return yield* this.follow('demoting self because I do not have the lock and I was a leader', `no action. I am (${this.name}), a secondary, and following a leader (${lockOwner})`, false);
  }

  // ---- restarts and reinitialize -------------------------------------------------------------

  /** `Ha.evaluate_scheduled_restart` */
  private *evaluate_scheduled_restart(): Task<string | null> {
    if (this.executor.busy) return null;
    const restart = this.patroni.scheduledRestart;
    if (restart) {
      const recent = yield* this.pg.postmasterStartTime();
      const requested = restart.postmaster_start_time ?? null;
      if (recent && requested && recent !== requested) {
        // 'Cancelling scheduled restart: postgres restart has already happened'
        yield* this.delete_future_restart();
        return null;
      }
      if (yield* this.should_run_scheduled_action('restart', restart.schedule, () => this.delete_future_restart())) {
        try {
          const [ok, message] = yield* this.restart(restart, true);
          if (!ok) return null;
          return message;
        } finally {
          yield* this.delete_future_restart();
        }
      }
    }
    return null;
  }

  /** `Ha.restart_matches` */
  private restart_matches(role: string | undefined, _postgresVersion: string | undefined, pendingRestart: boolean): boolean {
    if (role && role !== this.pg.role) return false; // 'host role mismatch'
    if (pendingRestart) return false; // pending_restart is never set: parameter changes are not modelled
    return true;
  }

  /** `Ha.schedule_future_restart` */
  *schedule_future_restart(data: ScheduledRestart): Task<boolean> {
    data.postmaster_start_time = yield* this.pg.postmasterStartTime();
    if (!this.patroni.scheduledRestart) {
      this.patroni.scheduledRestart = data;
      yield* this.touch_member();
      return true;
    }
    return false;
  }

  /** `Ha.delete_future_restart` */
  *delete_future_restart(): Task<boolean> {
    if (this.patroni.scheduledRestart) {
      this.patroni.scheduledRestart = null;
      yield* this.touch_member();
      return true;
    }
    return false;
  }

  /** `Ha.restart`: [ok, message]. */
  *restart(data: ScheduledRestart | Record<string, unknown>, runAsync = false): Task<[boolean, string]> {
    const d = data as ScheduledRestart;
    if (!this.restart_matches(d.role, d.postgres_version, 'restart_pending' in data && Boolean(d.restart_pending))) {
      return [false, 'restart conditions are not satisfied'];
    }
    const prev = this.executor.schedule('restart');
    if (prev !== null) return [false, `${prev} already in progress`];
    // make the main loop think we were recovering a dead postgres
    this.recovering = true;
    const timeout = typeof d.timeout === 'number' ? d.timeout : this.gc.primary_start_timeout;
    this.set_start_timeout(timeout);
    const doRestart = (): Task<boolean | null> => this.pg.restart(timeout, this.executor.critical_task);
    const action = this.is_synchronous_mode() && !this.has_lock() ? () => this.while_not_sync_standby(doRestart) : doRestart;
    if (runAsync) {
      this.executor.run_async(action);
      return [true, 'restart initiated'];
    }
    const res = yield* this.executor.run(action);
    if (res) return [true, 'restarted successfully'];
    if (res === null) return [false, 'postgres is still starting'];
    return [false, 'restart failed'];
  }

  /** `Ha._do_reinitialize` */
  *do_reinitialize(cluster: Cluster, fromLeader = false): Task<boolean | null> {
    yield* this.pg.stop('immediate', { stopTimeoutS: this.patroni.retryTimeoutS });
    const cloneMember = fromLeader ? cluster.leader : cluster.get_clone_member(this.name, (n) => this.patroni.pick('clone-member', n));
    if (cloneMember) {
      const role = cloneMember === cluster.leader ? 'leader' : 'replica';
      return yield* this.clone(cloneMember, `from ${role} '${cloneMember.name}'`, fromLeader);
    }
    return null;
  }

  /** `Ha.reinitialize`: null if started, else the reason it wasn't. */
  *reinitialize(force = false, fromLeader = false): Task<string | null> {
    yield* this.load_cluster_from_dcs();
    if (this.cluster.is_unlocked()) return 'Cluster has no leader, can not reinitialize';
    if (this.has_lock(false)) return 'I am the leader, can not reinitialize';
    const cluster = this.cluster;
    if (force) this.executor.cancel();
    const action = this.executor.schedule('reinitialize');
    if (action !== null) return `${action} already in progress`;
    this.executor.run_async(() => this.do_reinitialize(cluster, fromLeader));
    return null;
  }

  /** `Ha.handle_long_action_in_progress` */
  private *handle_long_action_in_progress(): Task<string> {
    if (this.has_lock() && (yield* this.update_lock())) {
      if (this.executor.scheduled_action === 'doing crash recovery in a single user mode') {
        const timeLeftS = this.gc.primary_start_timeout - (this.nowWallUs() - (this.crashRecoveryStartedWallUs ?? this.nowWallUs())) / 1e6;
        if (timeLeftS <= 0 && (yield* this.is_failover_possible())) {
          this.executor.cancel();
          yield* this.demote('immediate');
          return 'terminated crash recovery because of startup timeout';
        }
      }
      return `updated leader lock during ${this.executor.scheduled_action}`;
    } else if (!this.pg.bootstrapping && !this.is_paused()) {
      // no lock: make sure we are not promoting or starting a primary in the background
      if (this.executor.scheduled_action === 'promote') {
        if (this.asyncResponse.cancel()) {
          this.executor.cancel();
          return 'lost leader before promote';
        }
      }
      if (this.pg.role === 'primary') {
        const action = this.executor.scheduled_action;
        if (action === 'restart' || action === 'starting primary after failure') {
          // the postmaster may have just been started in the background: terminate it
          if (!this.executor.critical_task.cancel()) this.executor.cancel();
        }
        yield* this.demote('immediate-nolock');
        return `lost leader lock during ${action}`;
      }
    }
    return `${this.executor.scheduled_action} in progress`;
  }

  /** `Ha.post_recover` */
  private *post_recover(): Task<string | null> {
    if (!this.pg.isRunning()) {
      this.watchdog.disable();
      if (this.has_lock()) {
        if (this.pg.role === 'primary' || this.pg.role === 'standby_leader') {
          this.pg.setRole('demoted');
          this.pg.callNowait('on_role_change');
        }
        yield* this.delete_leader();
        return 'removed leader key after trying and failing to start postgres';
      }
      return 'failed to start postgres';
    }
    return null;
  }

  /** `Ha.cancel_initialization` */
  private *cancel_initialization(): Task<never> {
    yield* this.quiet(this.dcs.cancelInitialization(), false);
    yield* this.pg.stop('immediate', { stopTimeoutS: this.patroni.retryTimeoutS });
    this.pg.removeDataDirectory(); // `move_data_directory`
    throw new PatroniFatalException('Failed to bootstrap cluster');
  }

  /** `Ha.post_bootstrap` */
  private *post_bootstrap(): Task<string> {
    const result = this.asyncResponse.result;
    // bootstrap has failed if postgres is not running
    if (!this.pg.isRunning() || result === false) yield* this.cancel_initialization();
    if (result === null) {
      if (!(yield* this.pg.isPrimary())) return 'waiting for end of recovery after bootstrap';
      this.pg.setRole('primary');
      // post_bootstrap (roles, post_init script) is instantaneous here
      const ret = this.executor.try_run_async('post_bootstrap', () => this.pg.postBootstrap(this.asyncResponse));
      return ret ?? 'running post_bootstrap';
    }
    this.pg.bootstrapping = false;
    if (!this.watchdog.activate()) yield* this.cancel_initialization(); // 'Cancelling bootstrap because watchdog activation failed'
    yield* this.rewind.ensure_checkpoint_after_promote(() => this.wakeup());
    yield* this.quiet(this.dcs.initialize(this.cluster.initialize === null, this.pg.sysid), false);
    yield* this.quiet(this.dcs.setConfigValue(this.patroni.dynamicConfiguration(), null), false);
    yield* this.quiet(this.dcs.takeLeader(), false);
    this.set_is_leader(true);
    if (this.is_synchronous_mode()) yield* this.pg.syncHandler.set_synchronous_standby_names([], this.gc.min_synchronous_nodes);
    this.pg.callNowait('on_start');
    yield* this.load_cluster_from_dcs();
    return 'initialized a new cluster';
  }

  /** `Ha.handle_starting_instance` */
  private *handle_starting_instance(): Task<string | null> {
    // while paused, defer to the main loop for manual failovers
    if (!(this.pg.checkForStartup()) || this.is_paused()) {
      this.set_start_timeout(null);
      if (this.is_paused()) this.pg.setState(this.pg.isRunning() ? 'running' : 'stopped');
      return null;
    }
    if (this.has_lock()) {
      if (!(yield* this.update_lock())) {
        yield* this.demote('immediate-nolock');
        return 'stopped PostgreSQL while starting up because leader key was lost';
      }
      const timeout = this.startTimeoutS || this.gc.primary_start_timeout;
      const timeLeft = timeout - this.pg.timeInStateS();
      if (timeLeft <= 0) {
        if (yield* this.is_failover_possible()) {
          yield* this.demote('immediate');
          return 'stopped PostgreSQL because of startup timeout';
        }
        return 'primary start has timed out, but continuing to wait because failover is not possible';
      }
      const msg = yield* this.process_manual_failover_from_leader();
      if (msg !== null) return msg;
      return `PostgreSQL is still starting up, ${Math.round(timeLeft)} seconds until timeout`;
    }
    // standbys: "Still starting up as a standby." and normal processing
    return null;
  }

  set_start_timeout(value: number | null): void {
    this.startTimeoutS = value;
  }

  // ---- the cycle --------------------------------------------------------------------------------

  /** `Ha._run_cycle` */
  private *run_cycle_inner(): Task<string> {
    this.prevWalLsn = this.lastWalLsn;
    let dcsFailed = false;
    try {
      try {
        yield* this.load_cluster_from_dcs();
        const cfg = this.cluster.config;
        this.gc.update(cfg && cfg.modify_version ? cfg.data : null);
        this.pg.resetClusterInfoState();
      } catch (e) {
        this.pg.resetClusterInfoState();
        if (this.is_failsafe_mode()) {
          // have the latest received/replayed LSN at hand for POST /failsafe
          try {
            this.lastWalLsn = yield* this.pg.lastOperation();
          } catch (e2) {
            if (!isModelledError(e2)) throw e2;
          }
        }
        throw e;
      }

      if (this.is_paused()) {
        this.watchdog.disable();
        this.wasPaused = true;
      } else {
        if (this.wasPaused) {
          this.pg.scheduleSanityChecksAfterPause();
          // people may have done things to postgres during the pause: re-check rewind, maybe CHECKPOINT
          this.rewind.reset_state();
        }
        this.wasPaused = false;
      }

      if (!this.cluster.has_member(this.name)) yield* this.touch_member();

      // the cluster has a leader key but no initialize key
      if (this.has_lock(false) && !sysidValid(this.cluster.initialize)) {
        yield* this.quiet(this.dcs.initialize(this.cluster.initialize === null, this.pg.sysid), false);
      }
      if (this.has_lock(false) && !(this.cluster.config && Object.keys(this.cluster.config.data).length > 0)) {
        yield* this.quiet(this.dcs.setConfigValue(this.patroni.dynamicConfiguration(), null), false);
        this.cluster = yield* this.dcs.getCluster();
      }

      if (this.executor.busy) return yield* this.handle_long_action_in_progress();

      const starting = yield* this.handle_starting_instance();
      if (starting !== null) return starting;

      // any async action has finished
      if (this.pg.bootstrapping) return yield* this.post_bootstrap();

      if (this.recovering) {
        this.recovering = false;
        if (!this.rewind.is_needed) {
          // we tried to recover from a postgres crash: did it fail?
          const msg = yield* this.post_recover();
          if (msg !== null) return msg;
        }
        this.crashRecoveryStartedWallUs = null;
        if (this.rewind.executed && !this.rewind.failed) this.rewind.reset_state();
      }

      // is the data directory empty?
      if (this.pg.dataDirectoryEmpty()) {
        this.pg.setRole('uninitialized');
        yield* this.pg.stop('immediate', { stopTimeoutS: this.patroni.retryTimeoutS });
        this.watchdog.disable(); // in case the data directory went away while we were primary
        if (this.has_lock()) {
          yield* this.release_leader_key_voluntarily();
          return 'released leader key voluntarily as data dir empty and currently leader';
        }
        if (this.is_paused()) return 'running with empty data directory';
        return yield* this.bootstrap(); // new node
      }
      // are we allowed to join?
      const dataSysid = this.pg.sysid;
      if (!sysidValid(dataSysid)) return 'data dir for the cluster is not empty, but system ID is invalid; consider doing reinitialize';
      if (sysidValid(this.cluster.initialize)) {
        if (this.cluster.initialize !== dataSysid) {
          if (this.is_paused()) {
            if (this.has_lock()) {
              yield* this.release_leader_key_voluntarily();
              return 'released leader key voluntarily due to the system ID mismatch';
            }
          } else {
            throw new PatroniFatalException(`system ID mismatch, node ${this.name} belongs to a different cluster: ${this.cluster.initialize} != ${dataSysid}`);
          }
        }
      } else if (this.cluster.is_unlocked() && !this.is_paused() && !this.pg.cb_called) {
        // "bootstrap", but the data directory is not empty
        if (this.pg.isRunning() && !(yield* this.pg.isPrimary())) {
          this.joinAborted = true;
          throw new PatroniFatalException('No initialize key in DCS and PostgreSQL is running as replica, aborting start');
        }
        yield* this.quiet(this.dcs.initialize(this.cluster.initialize === null, dataSysid), false);
      }

      if (!this.pg.isHealthy()) {
        if (this.is_paused()) {
          this.pg.setState('stopped');
          if (this.has_lock()) {
            yield* this.delete_leader();
            return 'removed leader lock because postgres is not running';
          } else if (this.rewind.failed || (!this.rewind.executed && !(this.rewind.is_needed && this.rewind.can_rewind_or_reinitialize_allowed))) {
            // in pause postgres is started only after a rewind that demote asked for
            return 'postgres is not running';
          }
        }
        if (this.pg.state === 'running' || this.pg.state === 'starting') this.pg.setState('crashed');
        // try to start the dead postgres
        return yield* this.recover();
      }

      let ret: string;
      if (this.cluster.is_unlocked()) {
        ret = yield* this.process_unhealthy_cluster();
      } else {
        const msg = yield* this.process_healthy_cluster();
        ret = (yield* this.evaluate_scheduled_restart()) ?? msg;
      }

      // replication slots are not modelled; the first cycle after start runs the on_start bookkeeping
      const isPromoting = this.executor.scheduled_action === 'promote';
      if ((!this.executor.busy || isPromoting) && !this.pg.isStarting()) {
        if (!this.pg.cb_called) {
          if (!isPromoting && !(yield* this.pg.isPrimary())) this.rewind.trigger_check_diverged_lsn();
          this.pg.callNowait('on_start');
        }
      }
      return ret;
    } catch (e) {
      if (e instanceof DCSError) {
        dcsFailed = true;
        return yield* this.handle_dcs_error();
      }
      if (e instanceof PostgresConnectionException || e instanceof PgConnectionError) return 'Error communicating with PostgreSQL. Will try again later';
      throw e;
    } finally {
      if (!dcsFailed) {
        if (this.is_leader()) this.failsafe.set_is_active(null);
        yield* this.touch_member();
      }
    }
  }

  /** `Ha._handle_dcs_error` */
  private *handle_dcs_error(): Task<string> {
    if (!this.is_paused() && this.pg.isRunning()) {
      if (yield* this.pg.isPrimary()) {
        if (this.is_failsafe_mode() && (yield* this.check_failsafe_topology())) {
          this.set_is_leader(true);
          this.failsafe.set_is_active(this.nowWallUs());
          this.watchdog.keepalive();
          return 'continue to run as a leader because failsafe mode is enabled and all members are accessible';
        }
        this.failsafe.set_is_active(null);
        yield* this.demote('offline');
        return 'demoted self because DCS is not accessible and I was a leader';
      }
    }
    return 'DCS is not accessible';
  }

  /** `Ha.run_cycle`: under the async-executor lock; "PAUSE: " prefix when paused. */
  *run_cycle(): Task<string> {
    yield* this.executor.lock.acquire('ha');
    try {
      const info = yield* this.run_cycle_inner();
      return (this.is_paused() ? 'PAUSE: ' : '') + info;
    } catch (e) {
      if (e instanceof PatroniFatalException) throw e;
      if (isModelledError(e)) return 'Unexpected exception raised, please report it as a BUG';
      throw e;
    } finally {
      this.executor.lock.release('ha');
    }
  }

  /** `Ha.shutdown`: graceful Patroni stop (SIGTERM). */
  *shutdown(): Task<void> {
    this.executor.cancel();
    if (this.is_paused()) {
      // 'Leader key is not deleted and Postgresql is not stopped due paused state'
      this.watchdog.disable();
      return;
    }
    if (this.joinAborted) return;
    const disableWd = this.watchdog.is_running ? () => this.watchdog.disable() : null;
    const status = { deleted: false };
    const wasLeader = this.is_leader();
    const onShutdown = (checkpointLsn: number, prevLsn: number): Task<void> => this.shutdown_on_shutdown(status, checkpointLsn, prevLsn);
    yield* this.while_not_sync_standby(() =>
      this.pg.stop('fast', {
        checkpoint: false,
        onSafepoint: disableWd,
        onShutdown: wasLeader ? onShutdown : null,
        stopTimeoutS: this.primary_stop_timeout(),
      }),
    );
    if (!this.pg.isRunning()) {
      if (this.is_leader() && !status.deleted) {
        const [, prev] = this.pg.latestCheckpointLocations();
        yield* this.quiet(this.dcs.deleteLeader(this.cluster.leader, prev), false);
      }
      yield* this.touch_member();
    }
    // else: 'PostgreSQL shutdown failed, leader key not removed.' (and the watchdog keeps running)
  }

  /** `_on_shutdown` inside `Ha.shutdown` */
  private *shutdown_on_shutdown(status: { deleted: boolean }, checkpointLsn: number, prevLsn: number): Task<void> {
    if (!this.is_leader()) return;
    yield* this.pg.sleepS(1); // give replicas some more time to catch up
    if (yield* this.is_failover_possible(checkpointLsn)) {
      yield* this.quiet(this.dcs.deleteLeader(this.cluster.leader, prevLsn), false);
      status.deleted = true;
    } else {
      yield* this.quiet(this.dcs.writeStatus({ optime: prevLsn }), undefined);
    }
  }

  /** `Ha.watch`: wait for the next cycle, waking up early on leader-key changes where that applies. */
  *watch(timeoutS: number): Task<boolean> {
    let leaderVersion: string | number | null;
    let timeout = timeoutS;
    if (!this.executor.busy && (this.cluster.is_empty || this.cluster.is_unlocked())) {
      leaderVersion = null;
      if (this.primaryRaceBackoffWallUs !== null) {
        const timeLeftS = (this.primaryRaceBackoffWallUs + this.gc.primary_race_backoff * 1e6 - this.nowWallUs()) / 1e6;
        if (timeLeftS > 0 && timeLeftS < timeout) timeout = timeLeftS;
      }
    } else if (this.executor.busy || this.has_lock(false)) {
      leaderVersion = null;
    } else {
      leaderVersion = this.cluster.leader ? this.cluster.leader.version : null;
    }
    return yield* this.dcs.watch(leaderVersion, timeout * 1000);
  }

  /** `Ha.get_remote_member`: the standby cluster's upstream, from the standby_cluster config. */
  get_remote_member(member: Leader | Member | null = null): RemoteMember {
    const params: StandbyClusterConfig = this.gc.standby_cluster_config ?? {};
    const data: Record<string, unknown> = {};
    for (const k of ['restore_command', 'archive_cleanup_command', 'recovery_min_apply_delay', 'primary_slot_name', 'create_replica_methods']) {
      if (params[k] !== undefined && params[k] !== '') data[k] = params[k];
    }
    data.no_replication_slot = !('primary_slot_name' in params) || !params.primary_slot_name;
    const host = member ? (member.data as { host?: string }).host : params.host;
    if (host) {
      data.host = host;
      data.conn_url = connUrlFor(host);
    } else if (member?.conn_url) {
      data.conn_url = member.conn_url;
    }
    const name = member ? member.name : `remote_member:${host ?? 'archive'}`;
    return new RemoteMember(name, data as { host?: string });
  }

  /** `Ha.get_failover_candidates` */
  get_failover_candidates(excludeFailoverCandidate: boolean): Member[] {
    const failover = this.cluster.failover?.isSet ? this.cluster.failover : null;
    const exclude = [this.name, ...(failover && excludeFailoverCandidate && failover.candidate ? [failover.candidate] : [])];
    return this.cluster.members.filter((node) => {
      // in synchronous mode failover (not switchover) may go to an async node
      if (this.sync_mode_is_active() && !this.cluster.sync.matches(node.name) && !(failover && !failover.leader)) return false;
      return (
        !exclude.includes(node.name) &&
        !node.nofailover &&
        Boolean(node.api_url) &&
        (excludeFailoverCandidate || !failover || !failover.candidate || node.name === failover.candidate)
      );
    });
  }
}

function memberNofailover(m: Member | Leader): boolean {
  return m instanceof Leader ? m.member.nofailover : m.nofailover;
}

function titleCase(s: string): string {
  return s.replace(/\b\w/g, (c) => c.toUpperCase());
}
