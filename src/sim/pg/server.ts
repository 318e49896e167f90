// A PostgreSQL node: the `PgServer` Patroni talks to. It owns the node's data directory (disk), the
// postmaster process (memory) and a small tools process on the same host that runs pg_basebackup /
// pg_rewind network I/O. Every Task here runs in the *caller's* process; what PostgreSQL does runs
// in the postmaster. pg_ctl's waits poll every 100 ms, as pg_ctl does.
import { FiberCancelled, type Task } from '../kernel/task.js';
import type { Sim } from '../kernel/sim.js';
import type { Host } from '../host/host.js';
import { Process } from '../host/process.js';
import type { PgServerState } from '../history/records.js';
import {
  PgConnectionError,
  type ClusterInfo,
  type ControlData,
  type DataDirectory,
  type PgServer,
  type PgSettings,
  type PgQueryOptions,
  type PgStartOptions,
  type PgStopOptions,
  type PgUpstream,
  type RewindResult,
  type ShutdownMode,
  type TimelineHistoryEntry,
} from './api.js';
import { DEFAULT_EXTRA, DEFAULT_SETTINGS, DEFAULT_TIMINGS, type PgExtraSettings, type PgTimings } from './config.js';
import { PgDataDir } from './datadir.js';
import { branchWithTimeline, historyOf } from './lineage.js';
import { PgPostmaster, type PostmasterHost } from './postmaster.js';
import { walRegistry, type WalRegistry } from './registry.js';
import { Completion, sleepOn } from './wait.js';
import { basebackup, crashRecoverySingleUser, initdb, rewind } from './tools.js';
import type { PgNodeSnapshot } from './records.js';
import './records.js';

/** pg_ctl -w polls the server this often. */
export const PG_CTL_POLL_US = 100_000;

export interface PgNodeOptions {
  timings?: Partial<PgTimings>;
  extra?: Partial<PgExtraSettings>;
  /** postgresql.conf as deployed (start options and reloads override it). */
  settings?: Partial<PgSettings>;
}

/** Options for the SQL calls over the local socket. */
export type LocalQueryOptions = PgQueryOptions;

/** The bare process that pg_basebackup / pg_rewind run in (their sockets belong to it). */
class PgTools extends Process {
  protected onStart(): void {}
}

const directories = new WeakMap<Sim, Map<string, PgServerImpl>>();

/** Every PostgreSQL node of a simulation, by node (host) name. */
export function pgServers(sim: Sim): ReadonlyMap<string, PgServerImpl> {
  let m = directories.get(sim);
  if (m === undefined) {
    m = new Map();
    directories.set(sim, m);
  }
  return m;
}

export class PgServerImpl implements PgServer, PostmasterHost {
  readonly name: string;
  readonly dd = new PgDataDir();
  readonly timings: PgTimings;
  readonly extra: PgExtraSettings;
  readonly registry: WalRegistry;
  readonly postmaster: PgPostmaster;
  readonly tools: Process;
  /** postgresql.conf: what the next start or reload uses. */
  configured: PgSettings;
  configuredUpstream: PgUpstream | null = null;
  /** Set by the `pg-start-fails` fault: why every start fails now (null: starts normally). */
  startFailure: string | null = null;
  private ground: PgServerState = 'uninitialized';
  /** What the last removal of the data directory threw away (reported by the next pg.clone). */
  lastDiscarded: { branch: number; upToLsn: number } | null = null;

  constructor(
    readonly host: Host,
    opts: PgNodeOptions = {},
  ) {
    this.name = host.name;
    this.timings = { ...DEFAULT_TIMINGS, ...(opts.timings ?? {}) };
    this.extra = { ...DEFAULT_EXTRA, ...(opts.extra ?? {}) };
    this.configured = { ...DEFAULT_SETTINGS, ...(opts.settings ?? {}) };
    this.registry = walRegistry(host.sim);
    this.postmaster = new PgPostmaster(host, this);
    this.tools = new PgTools(host, 'pg_tools');
    this.tools.start();
    host.onBoot(() => this.tools.start('host booted'));
    const dir = pgServers(host.sim) as Map<string, PgServerImpl>;
    if (dir.has(this.name)) throw new Error(`a PostgreSQL node named ${this.name} already exists`);
    dir.set(this.name, this);
  }

  get sim(): Sim {
    return this.host.sim;
  }

  get groundState(): PgServerState {
    return this.ground;
  }

  postmasterOf(host: string): PgPostmaster | null {
    return pgServers(this.sim).get(host)?.postmaster ?? null;
  }

  serverOf(host: string): PgServerImpl | null {
    return pgServers(this.sim).get(host) ?? null;
  }

  /** The timeline of the local WAL's tip (0 without a data directory). */
  get timeline(): number {
    return this.dd.valid && this.dd.branch !== 0 ? this.registry.branch(this.dd.branch).timeline : 0;
  }

  stateChanged(state: PgServerState, reason?: string): void {
    this.ground = state;
    const pm = this.postmaster;
    const rec: { node: string; state: PgServerState; inRecovery: boolean; timeline: number; branch: number; reason?: string } = {
      node: this.name,
      state,
      inRecovery: pm.alive ? pm.inRecovery : this.dd.standbySignal,
      timeline: this.dd.branch === 0 ? 0 : this.registry.branch(this.dd.branch).timeline,
      branch: this.dd.branch,
    };
    if (reason !== undefined) rec.reason = reason;
    this.sim.trace.emit('pg.state', rec);
  }

  /** Ground truth: writable right now (running, not in recovery, not shutting down). */
  get writable(): boolean {
    const pm = this.postmaster;
    return pm.alive && pm.writable && pm.shutdownMode === null;
  }

  private sleep(us: number): Task<void> {
    return sleepOn(this.host, us);
  }

  // ---- pg_ctl ------------------------------------------------------------------------------------

  *start(opts: PgStartOptions): Task<boolean> {
    const pm = this.postmaster;
    if (pm.alive || !this.host.powered) return false;
    if (!this.dd.valid) {
      // pg_ctl: directory "..." is not a database cluster directory
      yield* this.sleep(10_000);
      return false;
    }
    if (opts.settings) this.configured = { ...this.configured, ...opts.settings };
    this.configuredUpstream = opts.upstream;
    pm.plan = { standby: opts.standby, upstream: opts.upstream, settings: { ...this.configured } };
    if (this.startFailure !== null) {
      // the configuration (postgresql.conf, standby.signal, primary_conninfo) is written; the
      // postmaster reads it and exits with FATAL before it forks anything, and pg_ctl -w sees it
      // gone at its next poll: "could not start server". Whoever starts it next gets this plan.
      this.dd.standbySignal = opts.standby;
      this.stateChanged('starting', 'pg_ctl start');
      yield* this.sleep(PG_CTL_POLL_US);
      this.stateChanged(this.dd.cleanlyShutDown ? 'stopped' : 'crashed', `could not start server: ${this.startFailure}`);
      return false;
    }
    pm.start('pg_ctl start');
    const inc = pm.incarnation;
    const timeoutUs = (opts.timeoutMs ?? 60_000) * 1000;
    let waited = 0;
    for (;;) {
      if (!pm.alive || pm.incarnation !== inc) return false;
      if (pm.phase === 'running' || pm.phase === 'stopping') return pm.phase === 'running';
      if (waited >= timeoutUs) return false;
      yield* this.sleep(PG_CTL_POLL_US);
      waited += PG_CTL_POLL_US;
    }
  }

  *stop(mode: ShutdownMode, opts: PgStopOptions = {}): Task<boolean> {
    const pm = this.postmaster;
    if (!pm.alive) {
      opts.onSafepoint?.();
      return true;
    }
    const inc = pm.incarnation;
    pm.post(() => pm.requestShutdown(mode), inc);
    let safepoint = false;
    let shutdownSeen = false;
    let escalation = 0;
    let waited = 0;
    const stopTimeoutUs = opts.stopTimeoutMs !== undefined && opts.stopTimeoutMs > 0 ? opts.stopTimeoutMs * 1000 : null;
    while (pm.alive && pm.incarnation === inc) {
      // Patroni's on_safepoint: no user backend can return a successful commit any more
      if (!safepoint && opts.onSafepoint && pm.shutdownMode !== null && pm.sessions.size === 0 && pm.phase !== 'running') {
        safepoint = true;
        opts.onSafepoint();
      }
      // Patroni's on_shutdown: pg_controldata says "shut down" (a primary's shutdown checkpoint is written)
      if (!shutdownSeen && opts.onShutdown && mode !== 'immediate' && this.dd.control.state === 'shut down') {
        shutdownSeen = true;
        opts.onShutdown(this.dd.control.checkpointLsn, this.dd.control.checkpointLsn);
      }
      if (stopTimeoutUs !== null && waited >= stopTimeoutUs) {
        waited = 0;
        if (escalation === 0 && mode !== 'immediate') {
          // postgresql/__init__.py terminate_postmaster: pg_ctl stop -m immediate first
          escalation = 1;
          pm.post(() => pm.requestShutdown('immediate'), inc);
        } else {
          // ... then SIGKILL to the postmaster and its children
          pm.crash('SIGKILL after stop timeout');
          break;
        }
      }
      yield* this.sleep(PG_CTL_POLL_US);
      waited += PG_CTL_POLL_US;
    }
    if (!shutdownSeen && opts.onShutdown && mode !== 'immediate' && this.dd.control.state === 'shut down') {
      opts.onShutdown(this.dd.control.checkpointLsn, this.dd.control.checkpointLsn);
    }
    if (!safepoint) opts.onSafepoint?.();
    return true;
  }

  *promote(waitMs: number): Task<boolean> {
    const pm = this.postmaster;
    if (!pm.alive) return false;
    const inc = pm.incarnation;
    // pg_ctl promote: "server is not in standby mode" is checked on postmaster.pid
    if (!this.dd.standbySignal && !pm.inRecovery) return false;
    pm.post(() => pm.requestPromote(), inc);
    const waitUs = waitMs * 1000;
    let waited = 0;
    for (;;) {
      yield* this.sleep(PG_CTL_POLL_US);
      waited += PG_CTL_POLL_US;
      if (!pm.alive || pm.incarnation !== inc) return false;
      if (!pm.inRecovery && pm.phase === 'running') return true;
      if (waited >= waitUs) return false;
    }
  }

  *reload(settings: Partial<PgSettings>, upstream?: PgUpstream | null): Task<void> {
    this.configured = { ...this.configured, ...settings };
    if (upstream !== undefined) this.configuredUpstream = upstream;
    const pm = this.postmaster;
    if (pm.alive) {
      const cfg = { ...this.configured };
      pm.post(() => pm.reload(cfg, upstream), pm.incarnation);
    }
    // pg_ctl reload returns at once; the server applies the file within a millisecond or so
    yield* this.sleep(1_000);
  }

  isRunning(): boolean {
    return this.postmaster.alive;
  }

  isReady(): boolean {
    const pm = this.postmaster;
    return pm.running && pm.phase === 'running' && pm.accepting && pm.shutdownMode === null;
  }

  // ---- SQL over the local socket ----------------------------------------------------------------

  /**
   * Run `body` in the postmaster as a query over the local socket. The caller waits (a paused
   * server never answers; a dead one refuses; one that dies mid-query closes the connection).
   */
  *localQuery<T>(what: string, body: (pm: PgPostmaster) => Task<T>, opts: LocalQueryOptions = {}): Task<T> {
    const pm = this.postmaster;
    if (!pm.alive) throw new PgConnectionError(`connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: No such file or directory (${this.name})`);
    const c = new Completion<T>();
    const run = function* (): Task<T> {
      yield* pm.sleep(pm.localLatencyUs());
      if (pm.phase !== 'running') throw new PgConnectionError('FATAL: the database system is starting up');
      if (pm.shutdownMode !== null) throw new PgConnectionError('FATAL: the database system is shutting down');
      if (!pm.accepting && pm.inRecovery) throw new PgConnectionError('FATAL: the database system is not accepting connections');
      return yield* body(pm);
    };
    pm.spawn(`sql ${what}`, run(), (r) => {
      if (r.ok) c.resolve(r.value);
      else c.reject(r.error instanceof FiberCancelled ? new PgConnectionError('server closed the connection unexpectedly') : r.error);
    });
    const timeoutUs = opts.timeoutMs !== undefined ? opts.timeoutMs * 1000 : null;
    return yield* c.wait(this.host, timeoutUs, () => new PgConnectionError(`${what}: timeout expired`));
  }

  *clusterInfo(opts: LocalQueryOptions = {}): Task<ClusterInfo> {
    // eslint-disable-next-line require-yield
    return yield* this.localQuery('cluster_info', function* (pm) {
      return pm.clusterInfo();
    }, opts);
  }

  *checkpoint(opts: LocalQueryOptions = {}): Task<void> {
    yield* this.localQuery('checkpoint', (pm) => pm.checkpointNow(), opts);
  }

  *setReplayPaused(paused: boolean, opts: LocalQueryOptions = {}): Task<void> {
    // eslint-disable-next-line require-yield
    yield* this.localQuery(paused ? 'pg_wal_replay_pause' : 'pg_wal_replay_resume', function* (pm) {
      pm.setReplayPaused(paused);
    }, opts);
  }

  // ---- files ---------------------------------------------------------------------------------------

  controldata(): ControlData | null {
    const dd = this.dd;
    if (!dd.valid || dd.sysid === null) return null;
    const c = dd.control;
    return {
      clusterState: c.state,
      systemIdentifier: dd.sysid,
      timeline: c.checkpointTli,
      checkpointLsn: c.checkpointLsn,
      prevCheckpointLsn: c.prevCheckpointLsn,
      minRecoveryEndLsn: c.minRecoveryLsn,
      minRecoveryEndTimeline: c.minRecoveryTli,
      dataChecksums: dd.dataChecksums,
      walLogHints: c.walLogHints,
    };
  }

  dataDirectory(): DataDirectory {
    return this.dd.describe();
  }

  timelineHistory(timeline: number): TimelineHistoryEntry[] {
    if (!this.dd.valid || this.dd.branch === 0 || timeline <= 1) return [];
    const b = branchWithTimeline(this.registry, this.dd.branch, timeline);
    return b === null ? [] : historyOf(this.registry, b);
  }

  // ---- tools ---------------------------------------------------------------------------------------

  initdb(): Task<boolean> {
    return initdb(this);
  }

  basebackup(sourceHost: string): Task<boolean> {
    return basebackup(this, sourceHost);
  }

  rewind(sourceHost: string): Task<RewindResult> {
    return rewind(this, sourceHost);
  }

  crashRecoverySingleUser(): Task<boolean> {
    return crashRecoverySingleUser(this);
  }

  removeDataDirectory(): void {
    if (this.postmaster.alive) throw new Error(`cannot remove the data directory of ${this.name}: PostgreSQL is running`);
    if (this.dd.valid && this.dd.branch !== 0) this.lastDiscarded = { branch: this.dd.branch, upToLsn: this.dd.walEndLsn };
    this.dd.remove();
    this.stateChanged('uninitialized', 'data directory removed');
  }

  // ---- ground truth for detectors and tests -------------------------------------------------------

  snapshot(): PgNodeSnapshot {
    const pm = this.postmaster;
    const s: PgNodeSnapshot = {
      node: this.name,
      state: this.ground,
      inRecovery: pm.alive ? pm.inRecovery : this.dd.standbySignal,
      branch: this.dd.valid ? this.dd.branch : 0,
      timeline: this.timeline,
      flushLsn: this.dd.valid ? this.dd.flushLsn : 0,
      walEndLsn: this.dd.valid ? this.dd.walEndLsn : 0,
    };
    if (pm.alive && pm.inRecovery) s.replayLsn = pm.replayLsn;
    return s;
  }

  /** Does this node's durable WAL contain write `writeId`? */
  hasWrite(writeId: number, upTo: 'flush' | 'walEnd' | 'replay' = 'flush'): boolean {
    if (!this.dd.valid || this.dd.branch === 0) return false;
    const lsn = upTo === 'flush' ? this.dd.flushLsn : upTo === 'walEnd' ? this.dd.walEndLsn : this.postmaster.alive && this.postmaster.inRecovery ? this.postmaster.replayLsn : this.dd.flushLsn;
    return this.registry.contains({ branch: this.dd.branch, lsn }, writeId);
  }
}

/** Emit a `pg.snapshot` of every node (call at the end of a run) and return it. */
export function snapshotAll(sim: Sim, reason = 'end of run'): PgNodeSnapshot[] {
  const nodes = [...pgServers(sim).values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((s) => s.snapshot());
  sim.trace.emit('pg.snapshot', { reason, nodes });
  return nodes;
}
