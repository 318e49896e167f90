// The PostgreSQL server as Patroni reaches it: pg_ctl, SQL over the local socket, pg_controldata,
// timeline history files, and the data-directory tools (initdb, pg_basebackup, pg_rewind).
// The server model (this directory) implements `PgServer`; Patroni's `Postgresql` wrapper (in
// src/sim/patroni) calls nothing else. Every method that takes time is a Task run in the *caller's*
// process (Patroni's), while the postmaster is its own `Process` on the same host: killing Patroni
// leaves PostgreSQL running, exactly as in production.
//
// What the agent must know (implementation: server.ts, postmaster.ts, tools.ts):
//  - Nodes are built with `deployPg(world, { nodes })` (deploy.ts): one server per host, node name ==
//    host name. The postmaster process is "<node>/postgres" (crash / pause it with the kernel's
//    faults); "<node>/pg_tools" carries pg_basebackup / pg_rewind traffic. `pgServers(sim)` maps
//    names to servers.
//  - Waits poll like pg_ctl (every 100 ms of the caller's clock). A paused caller stops waiting; a
//    paused postmaster receives signals (stop, promote, reload) when it resumes, like SIGCONT.
//  - start(): false if already running, no valid data directory, or not ready within timeoutMs
//    (the server keeps starting). A data directory left "in production" / "in crash recovery" /
//    "in archive recovery" (unclean) is recovered first: crash recovery replays to the end of the
//    WAL on disk; WAL only in the buffers of the dead server is lost (`pg.recovery`). Starting a
//    primary (standby=false) on WAL that another node writes, or after losing an unflushed tail,
//    continues on the same timeline number: ground truth records a new branch (`pg.branch`).
//  - stop(): on_safepoint fires once no client backend is left (fast: at once; smart: when the
//    clients disconnect); on_shutdown(ckpt, ckpt) when pg_controldata shows "shut down" (primaries
//    only: a standby ends "shut down in recovery"). A primary's walsenders then wait for their
//    standbys to confirm the shutdown checkpoint (or wal_sender_timeout) before the postmaster exits.
//    stopTimeoutMs escalates to immediate, then to SIGKILL (Patroni's terminate_postmaster).
//  - promote(): the walreceiver stops, everything received is replayed (a replay pause and
//    recovery_min_apply_delay end), the new timeline = highest timeline this node has a history
//    file for + 1, forking at the end of the received WAL. pg_control keeps the old timeline until
//    a checkpoint: the spread one PostgreSQL requests (timings.checkpointAfterPromoteMs) or an
//    explicit checkpoint() — pg_rewind against a source that has not checkpointed reports "no
//    rewind required" and changes nothing, exactly as the real tool does.
//  - clusterInfo()/checkpoint()/setReplayPaused() throw PgConnectionError when the server is down,
//    starting, shutting down, or (with opts.timeoutMs) does not answer in time; without a timeout a
//    paused server makes them wait, like Patroni's psycopg call would.
//  - A standby streams only if its WAL is a prefix of the upstream's history (same branch, or its
//    end is at or before the point where the upstream's timeline forked from it) and the upstream's
//    timeline is not older. Otherwise `pg.replication` says 'diverged' and it keeps retrying every
//    wal_retrieve_retry_interval (5 s) — Patroni must rewind or reinitialise it.
//  - rewind(): needs the target stopped cleanly (run crashRecoverySingleUser() first after a crash;
//    note its checkpoints add WAL), wal_log_hints (as of the last start) or data checksums, and a
//    reachable running source. It sets the target's WAL to the source's (branch, flush position)
//    and leaves pg_control "in archive recovery": start it as a standby of the source.
//  - basebackup(): the data directory is replaced (whatever was there is reported as discarded in
//    `pg.clone`); on failure the directory is removed.
//  - Records (records.ts here adds pg.branch, pg.initdb, pg.syncwait, pg.snapshot): `pg.write` is
//    emitted when the commit record is *inserted* (its LSN assigned), before the fsync; whether it
//    survives is derived: a later `pg.recovery` with lostFromLsn <= lsn on that node drops it, and
//    containment in any node's WAL is `containsWrite(branchTable, {branch, lsn: flush}, write)`
//    (lineage.ts) with the branch table from `pg.branch`. `snapshotAll(sim)` (server.ts) emits the
//    end-of-run `pg.snapshot`; `startLsnSampler(sim)` (sampler.ts) the periodic `pg.lsn`.
//  - Remote checks Patroni's rewind logic makes against the leader (pg_is_in_recovery,
//    IDENTIFY_SYSTEM, TIMELINE_HISTORY, CHECKPOINT, pg_control_checkpoint) are the `PgAdmin`
//    service in sql.ts: `net.call(patroniProc, pgServers(sim).get(leader).postmaster, PgAdmin, ...)`.
import type { Task } from '../kernel/task.js';
import type { PgServerState } from '../history/records.js';

export type ShutdownMode = 'smart' | 'fast' | 'immediate';
export type SynchronousCommit = 'off' | 'local' | 'remote_write' | 'on' | 'remote_apply';

/** Patroni's placeholder for "strict: nobody may acknowledge" (`patroni/postgresql/sync.py`). */
export const STRICT_SYNC_PLACEHOLDER = '__patroni_strict_sync_replica_placeholder__';

/** Server settings that matter to HA. Names are PostgreSQL's GUC names. */
export interface PgSettings {
  /** '' | '*' | 'a' | 'FIRST n (a,b)' | 'n (a,b)' | 'ANY n (a,b)' | the strict placeholder. */
  synchronous_standby_names: string;
  synchronous_commit: SynchronousCommit;
  /** Milliseconds; 0 disables. Defaults 60000. */
  wal_sender_timeout: number;
  wal_receiver_timeout: number;
  /** pg_rewind needs wal_log_hints or data checksums. */
  wal_log_hints: boolean;
  hot_standby: boolean;
  /** Standby clusters / delayed replicas, ms. */
  recovery_min_apply_delay: number;
}

/** Where a standby streams from (primary_conninfo). */
export interface PgUpstream {
  /** Host name of the upstream server (a node of this cluster or of a remote one). */
  host: string;
  /** application_name the standby presents (its member name, for synchronous_standby_names). */
  applicationName: string;
  slotName?: string;
}

export interface PgStartOptions {
  /** Start in recovery (standby.signal). */
  standby: boolean;
  /** Stream from here (null: a standby with no upstream — it only replays what it has). */
  upstream: PgUpstream | null;
  settings?: Partial<PgSettings>;
  /** Give up waiting for "accepting connections" after this long (pg_ctl -t). Default 60 s. */
  timeoutMs?: number;
}

export interface PgStopOptions {
  /** Patroni's on_safepoint: called once no user backend can commit any more (watchdog.disable). */
  onSafepoint?: () => void;
  /** Patroni's on_shutdown: called when the shutdown checkpoint is written, before the postmaster exits. */
  onShutdown?: (checkpointLsn: number, prevCheckpointLsn: number) => void;
  /** Escalate to immediate after this long (primary_stop_timeout). */
  stopTimeoutMs?: number;
}

/** `pg_controldata` fields Patroni reads. */
export interface ControlData {
  /** "Database cluster state". */
  clusterState: 'starting up' | 'shut down' | 'shut down in recovery' | 'shutting down' | 'in crash recovery' | 'in archive recovery' | 'in production';
  systemIdentifier: string;
  /** "Latest checkpoint's TimeLineID". */
  timeline: number;
  /** "Latest checkpoint location" and "Latest checkpoint's REDO location". */
  checkpointLsn: number;
  prevCheckpointLsn: number;
  /** "Minimum recovery ending location" and its timeline. */
  minRecoveryEndLsn: number;
  minRecoveryEndTimeline: number;
  dataChecksums: boolean;
  walLogHints: boolean;
}

/** A row of pg_stat_replication on a primary (or cascading standby). */
export interface ReplicationRow {
  pid: number;
  application_name: string;
  state: 'startup' | 'catchup' | 'streaming' | 'backup' | 'stopping';
  sync_state: 'async' | 'potential' | 'sync' | 'quorum';
  sent_lsn: number;
  write_lsn: number;
  flush_lsn: number;
  replay_lsn: number;
}

/**
 * What Patroni's monitoring query returns (`Postgresql.cluster_info_query`): on a primary the
 * timeline and current WAL flush position; on a standby timeline 0 and its receive/replay state.
 */
export interface ClusterInfo {
  /** Current timeline on a primary; 0 while in recovery. */
  timeline: number;
  /** Primary: pg_current_wal_flush_lsn(). Standby: last replayed. */
  walPosition: number;
  replayLsn: number | null;
  receiveLsn: number | null;
  replayPaused: boolean;
  /** pg_control_checkpoint() timeline (standby leader). */
  pgControlTimeline: number;
  /** pg_stat_wal_receiver.received_tli, null when not streaming. */
  receivedTimeline: number | null;
  /** pg_stat_wal_receiver.status and upstream host. */
  receiverState: 'streaming' | 'starting' | 'catchup' | 'stopping' | null;
  upstreamHost: string | null;
  synchronousCommit: SynchronousCommit;
  synchronousStandbyNames: string;
  /** Only walsenders in state streaming, as Patroni's query filters them. */
  replication: ReplicationRow[];
  /** Postmaster start, host wall-clock µs. */
  postmasterStartWallUs: number;
}

/** One line of a timeline history file: the parent timeline, where it ended, why. */
export interface TimelineHistoryEntry {
  timeline: number;
  switchLsn: number;
  reason: string;
}

export interface DataDirectory {
  exists: boolean;
  empty: boolean;
  systemIdentifier: string | null;
}

/** Thrown by SQL when the server is not running or not (yet) accepting connections. */
export class PgConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PgConnectionError';
  }
}

/** Options of the SQL calls over the local socket (additive). */
export interface PgQueryOptions {
  /** Throw PgConnectionError after this long without an answer (default: wait indefinitely). */
  timeoutMs?: number;
}

export interface RewindResult {
  ok: boolean;
  /** Why it failed (no wal_log_hints / checksums, source not a primary, WAL missing...). */
  reason?: string;
}

export interface PgServer {
  /** Node name (== host name). */
  readonly name: string;

  /** Ground truth, for detectors and tests only; Patroni must not read it (it uses the calls below). */
  readonly groundState: PgServerState;

  // ---- pg_ctl ---------------------------------------------------------------------------------
  /** `pg_ctl start -w`: true once accepting connections; false if it failed or timed out. */
  start(opts: PgStartOptions): Task<boolean>;
  /** `pg_ctl stop -m mode -w`: true once the postmaster has exited. */
  stop(mode: ShutdownMode, opts?: PgStopOptions): Task<boolean>;
  /** `pg_ctl promote -w`: ends recovery, creates a new timeline; true once in production. */
  promote(waitMs: number): Task<boolean>;
  /** `pg_ctl reload` with new settings and/or a new upstream (primary_conninfo reloads since PG 13). */
  reload(settings: Partial<PgSettings>, upstream?: PgUpstream | null): Task<void>;
  /** Is the postmaster alive (`pg_ctl status` / postmaster.pid)? No SQL needed. */
  isRunning(): boolean;
  /** `pg_isready`: accepting connections? */
  isReady(): boolean;

  // ---- SQL over the local socket --------------------------------------------------------------
  /** The monitoring query. Throws PgConnectionError if not running / not accepting connections. */
  clusterInfo(opts?: PgQueryOptions): Task<ClusterInfo>;
  /** CHECKPOINT. */
  checkpoint(opts?: PgQueryOptions): Task<void>;
  /** pg_wal_replay_pause() / pg_wal_replay_resume(). Throws (SQLSTATE 55000) outside recovery. */
  setReplayPaused(paused: boolean, opts?: PgQueryOptions): Task<void>;

  // ---- files ----------------------------------------------------------------------------------
  controldata(): ControlData | null;
  dataDirectory(): DataDirectory;
  /** Contents of `<timeline>.history` (the lines leading to `timeline`), or [] for timeline 1. */
  timelineHistory(timeline: number): TimelineHistoryEntry[];

  // ---- tools (the server must be stopped) ------------------------------------------------------
  initdb(): Task<boolean>;
  /** pg_basebackup from `sourceHost`; duration grows with the data size. */
  basebackup(sourceHost: string): Task<boolean>;
  /** pg_rewind against `sourceHost` (a running primary, or one that checkpointed after promote). */
  rewind(sourceHost: string): Task<RewindResult>;
  /** Single-user crash recovery (`postgres --single`), used before pg_rewind on an unclean shutdown. */
  crashRecoverySingleUser(): Task<boolean>;
  removeDataDirectory(): void;
}
