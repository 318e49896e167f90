// The Patroni daemon on one node (`patroni/__main__.py Patroni`): a process on the node's host that
// connects to its DCS, applies the dynamic configuration, serves the REST API and runs the HA
// loop every loop_wait seconds — anchored on the previous scheduled start (wall clock, like
// Patroni's `time.time()`), woken early by the DCS watch. SIGSTOP freezes the loop, the REST
// handlers and the async actions together; kill -9 loses all memory (not the files on disk).
import { Process } from '../host/process.js';
import type { Host } from '../host/host.js';
import type { Fiber, Task } from '../kernel/task.js';
import { sToUs } from '../kernel/time.js';
import { DCSError, type AbstractDCS, type DcsTiming } from '../dcs/abstract.js';
import { TagView, type Cluster, type ClusterConfig, type DynamicConfigValue, type Leader, type Member, type Tags } from '../dcs/cluster.js';
import { NetError, RemoteError } from '../net/network.js';
import type { PgServer } from '../pg/api.js';
import { RestApi, type ApiHost } from './api.js';
import {
  cloneConfig,
  GlobalConfig,
  timingOf,
  validateAndAdjustTimeouts,
  type DynamicConfig,
  type DynamicPostgresqlConfig,
} from './config.js';
import { PatroniFatalException } from './errors.js';
import { PatroniFiles } from './files.js';
import { Ha, type ScheduledRestart } from './ha.js';
import type { PatroniNode, RestCallResult } from './node.js';
import { Postgresql, type PostgresqlLocalSettings } from './postgresql.js';
import { RemotePg, type PgServerLookup } from './remotePg.js';
import { PatroniRest, type RestMethod, type RestRequest, type RestResponse } from './rest.js';
import { Rewind } from './rewind.js';
import { parseWatchdogMode, Watchdog, WatchdogConfig, type WatchdogDevice, type WatchdogMode } from './watchdog.js';

/** The Patroni version this port follows (`patroni/version.py`). */
export const PATRONI_VERSION = '4.1.4';

/** The local patroni.yml of one node (the parts the simulator uses). */
export interface PatroniLocalConfig {
  name: string;
  scope: string;
  namespace: string;
  /** `bootstrap.dcs`; null: the node has no bootstrap section (it can never initialize a cluster). */
  bootstrapDcs: DynamicConfig | null;
  postgresql: DynamicPostgresqlConfig;
  tags: Tags;
  watchdog: { mode?: WatchdogMode | string | boolean; safety_margin?: number };
}

export interface PatroniDeps {
  /** This node's PostgreSQL server. */
  server: PgServer;
  /** The DCS client library for this process (`get_dcs(config)`). */
  dcsClient: (proc: Process, memberName: string, timing: DcsTiming) => AbstractDCS;
  /** /dev/watchdog on this host, if the host has one. */
  device: WatchdogDevice | null;
  /** Other nodes' PostgreSQL servers, by host (for the rewind checks against the leader). */
  pgLookup: PgServerLookup;
}

/** `Tags._filter_tags` */
export function filterTags(tags: Tags): Tags {
  const out: Record<string, unknown> = {};
  const t = tags as Record<string, unknown>;
  for (const [tag, value] of Object.entries(t)) {
    const boolTag = ['clonefrom', 'nofailover', 'noloadbalance', 'nosync', 'nostream'].includes(tag);
    if (!boolTag || value || (tag === 'nofailover' && 'failover_priority' in t) || (tag === 'nosync' && 'sync_priority' in t)) out[tag] = value;
  }
  return out as Tags;
}

declare module '../kernel/trace.js' {
  interface TraceMap {
    /** A Patroni INFO log line that explains a decision (leader race, failover checks). */
    'patroni.log': { node: string; message: string };
    /** Patroni started (`patroni.main`) or stopped, on a node. */
    'patroni.lifecycle': { node: string; event: 'started' | 'shutdown' | 'exit'; reason?: string };
  }
}

export class PatroniAgent extends Process implements PatroniNode, ApiHost {
  /** What Patroni keeps on disk: survives restarts. */
  readonly files = new PatroniFiles();
  readonly version = PATRONI_VERSION;
  private _tags: Tags;
  private tagView: TagView;

  // ---- memory of the current life ----
  private _dcs: AbstractDCS | null = null;
  private _ha: Ha | null = null;
  private _pg: Postgresql | null = null;
  private _watchdog: Watchdog | null = null;
  private api: RestApi | null = null;
  readonly gc = new GlobalConfig();
  private dynamic: DynamicConfig = {};
  private dynamicModifyVersion: string | number | null = null;
  nextRunWallUs = 0;
  scheduledRestart: ScheduledRestart | null = null;
  /** The last HA cycle's message (for tests and the replay). */
  lastMessage = '';
  private stopping = false;
  private mainFiber: Fiber<void> | null = null;

  constructor(
    host: Host,
    readonly config: PatroniLocalConfig,
    private readonly deps: PatroniDeps,
  ) {
    super(host, 'patroni');
    this._tags = filterTags(config.tags);
    this.tagView = new TagView(this._tags);
    // Patroni runs as a systemd unit: it starts again when its host boots
    host.onBoot(() => this.start('started at boot'));
  }

  // ---- PatroniNode ------------------------------------------------------------------------------

  get tags(): Tags {
    return this._tags;
  }

  /**
   * Edit the local configuration's `tags:` and reload (SIGHUP / POST /reload): `Patroni.reload_config`
   * re-reads the tags; they take effect at the next touch_member and in the next decisions.
   */
  setTags(tags: Tags): void {
    this.config.tags = { ...tags };
    this._tags = filterTags(this.config.tags);
    this.tagView = new TagView(this._tags);
    const t = this.config.tags as Record<string, unknown>;
    for (const [b, p] of [['nofailover', 'failover_priority'], ['nosync', 'sync_priority']] as const) {
      if (b in t && p in t) {
        const bv = Boolean(t[b]);
        const pv = Number(t[p]);
        if ((bv && pv > 0) || (!bv && pv <= 0)) this.warn(`Conflicting configuration between ${b}: ${bv ? 'True' : 'False'} and ${p}: ${pv}. Defaulting to ${b}: ${bv ? 'True' : 'False'}`);
      }
    }
  }

  get hostName(): string {
    return this.host.name;
  }

  get apiUrl(): string {
    return `http://${this.host.name}:8008/patroni`;
  }

  get nofailover(): boolean {
    return this.tagView.nofailover;
  }
  get failover_priority(): number {
    return this.tagView.failover_priority;
  }
  get nosync(): boolean {
    return this.tagView.nosync;
  }
  get nostream(): boolean {
    return this.tagView.nostream;
  }
  get replicatefrom(): string | undefined {
    return this.tagView.replicatefrom;
  }
  get noloadbalance(): boolean {
    return this.tagView.noloadbalance;
  }
  get hasBootstrapConfig(): boolean {
    return this.config.bootstrapDcs !== null;
  }
  get retryTimeoutS(): number {
    return timingOf(this.dynamic).retry_timeout;
  }
  get scope(): string {
    return this.config.scope;
  }

  /** `config.dynamic_configuration` */
  dynamicConfiguration(): DynamicConfigValue {
    return cloneConfig(this.dynamic) as DynamicConfigValue;
  }

  pick(stream: string, n: number): number {
    return this.sim.rng(`patroni:${this.config.name}:${stream}`).int(0, n);
  }

  warn(message: string): void {
    this.sim.trace.emit('patroni.warning', { node: this.config.name, message });
  }

  info(message: string): void {
    this.sim.trace.emit('patroni.log', { node: this.config.name, message });
  }

  /** Is the agent up and past its start-up (the HA loop exists)? */
  get ha(): Ha {
    if (!this._ha) throw new Error(`Patroni on ${this.label} is not running`);
    return this._ha;
  }

  get haOrNull(): Ha | null {
    return this.alive ? this._ha : null;
  }

  get pg(): Postgresql {
    if (!this._pg) throw new Error(`Patroni on ${this.label} is not running`);
    return this._pg;
  }

  get dcs(): AbstractDCS | null {
    return this._dcs;
  }

  get proc(): Process {
    return this;
  }

  *sleepS(s: number): Task<void> {
    yield* this.sleep(sToUs(s));
  }

  /** `PatroniRequest.__call__` to a member's REST API. */
  *request(member: Member | Leader, method: RestMethod, path: string, body: unknown, timeoutS: number, retries: number): Task<RestCallResult> {
    const url = member.data.api_url ?? '';
    const m = /^https?:\/\/([^:/]+)/.exec(url);
    let last = 'no api_url';
    if (!m) return { ok: false, status: 0, body: null, error: last };
    const hostName = m[1] as string;
    const req: RestRequest = { method, path };
    if (body !== undefined) req.body = body;
    for (let attempt = 0; attempt <= retries; attempt++) {
      try {
        const r = yield* this.callRest(hostName, req, timeoutS);
        const out: RestCallResult = { ok: true, status: r.status, body: r.body };
        if (r.headers) out.headers = r.headers;
        return out;
      } catch (e) {
        if (!(e instanceof NetError) && !(e instanceof RemoteError)) throw e;
        last = e.message;
      }
    }
    return { ok: false, status: 0, body: null, error: last };
  }

  private *callRest(hostName: string, req: RestRequest, timeoutS: number): Task<RestResponse> {
    const net = this.net;
    const target = net.hasHost(hostName) ? net.host(hostName).process('patroni') : undefined;
    if (!target) {
      // nothing listens there: refused if the host answers, else a timeout
      const there = net.hasHost(hostName) ? net.host(hostName) : null;
      if (there && there.powered && net.connected(this.host, there)) {
        yield* this.sleep(net.baseRttUs(this.host, there));
        throw new NetError('refused', `GET ${hostName}: connection refused`);
      }
      yield* this.sleep(sToUs(timeoutS));
      throw new NetError('timeout', `${hostName}: timed out`);
    }
    return yield* net.call(this, target, PatroniRest, req, { timeoutUs: sToUs(timeoutS), reqBytes: 300, respBytes: 800 });
  }

  // ---- life cycle -------------------------------------------------------------------------------

  protected onStart(): void {
    this._dcs = null;
    this._ha = null;
    this._pg = null;
    this._watchdog = null;
    this.api = null;
    this.dynamic = this.files.dynamicCache ? cloneConfig(this.files.dynamicCache) : {};
    this.dynamicModifyVersion = null;
    this.scheduledRestart = null;
    this.stopping = false;
    this.lastMessage = '';
    this.mainFiber = this.spawn('patroni-main', this.main(), (r) => {
      if (!r.ok && r.error instanceof PatroniFatalException) {
        this.warn(r.error.message);
        this.exitWith(`fatal: ${r.error.message}`);
      } else if (!r.ok && !(r.error instanceof Error && r.error.name === 'FiberCancelled')) {
        throw r.error;
      }
    });
  }

  private exitWith(reason: string): void {
    this.sim.trace.emit('patroni.lifecycle', { node: this.config.name, event: 'exit', reason });
    this.exit(reason);
  }

  /** The DCS timing from the current dynamic configuration (Patroni's effective config). */
  private timing(): DcsTiming {
    const t = timingOf(this.dynamic);
    return { ttlMs: t.ttl * 1000, loopWaitMs: t.loop_wait * 1000, retryTimeoutMs: t.retry_timeout * 1000 };
  }

  private watchdogConfig(): WatchdogConfig {
    const t = timingOf(this.dynamic);
    return new WatchdogConfig(parseWatchdogMode(this.config.watchdog.mode ?? 'automatic'), t.ttl, t.loop_wait, this.config.watchdog.safety_margin ?? 5);
  }

  /** `Config.set_dynamic_configuration`: true if something changed. */
  private setDynamicConfiguration(configuration: ClusterConfig | DynamicConfig): boolean {
    let data: DynamicConfig;
    if ('modify_version' in configuration && 'data' in configuration && 'version' in configuration) {
      const cc = configuration as ClusterConfig;
      if (this.dynamicModifyVersion === cc.modify_version) return false;
      this.dynamicModifyVersion = cc.modify_version;
      data = cloneConfig(cc.data as DynamicConfig);
    } else {
      data = cloneConfig(configuration as DynamicConfig);
    }
    if (JSON.stringify(data) === JSON.stringify(this.dynamic)) return false;
    for (const w of validateAndAdjustTimeouts(data)) this.warn(`${w.message} (${Object.entries(w.values).map(([k, v]) => `${k}=${v}`).join(', ')})`);
    this.dynamic = data;
    this.files.dynamicCache = cloneConfig(data);
    return true;
  }

  /** `Patroni.reload_config`: new timings for the DCS client and the watchdog. */
  private reloadConfig(): void {
    this._watchdog?.reloadConfig(this.watchdogConfig());
    const pg = this._pg;
    if (pg) {
      // `Postgresql.reload_config`: rewrite postgresql.conf and reload if a parameter changed
      const next = this.localPostgresql();
      const changed = JSON.stringify(next) !== JSON.stringify(pg.local);
      pg.local = next;
      if (changed && pg.isRunning()) this.spawn('reload postgresql', pg.reload());
    }
    this._dcs?.reloadConfig(this.timing());
  }

  private localPostgresql(): PostgresqlLocalSettings {
    const dyn = (this.dynamic.postgresql ?? {}) as DynamicPostgresqlConfig;
    const loc = this.config.postgresql;
    const merged: DynamicPostgresqlConfig = { ...dyn, ...loc, parameters: { ...(dyn.parameters ?? {}), ...(loc.parameters ?? {}) } };
    return {
      use_pg_rewind: Boolean(merged.use_pg_rewind),
      remove_data_directory_on_rewind_failure: Boolean(merged.remove_data_directory_on_rewind_failure),
      remove_data_directory_on_diverged_timelines: Boolean(merged.remove_data_directory_on_diverged_timelines),
      pg_ctl_timeout: Number(merged.pg_ctl_timeout ?? 60),
      parameters: merged.parameters ?? {},
    };
  }

  /** `Patroni.__init__` + `Patroni.run`. */
  private *main(): Task<void> {
    this.sim.trace.emit('patroni.lifecycle', { node: this.config.name, event: 'started' });
    const dcs = this.deps.dcsClient(this, this.config.name, this.timing());
    this._dcs = dcs;
    const cluster = yield* this.ensureDcsAccess(dcs);
    yield* this.ensureUniqueName(cluster);
    const watchdog = new Watchdog(this, this.deps.device, this.watchdogConfig(), this.config.name);
    this._watchdog = watchdog;
    // `apply_dynamic_configuration`: the /config key, else bootstrap.dcs (unless a cache exists)
    if (cluster.config && Object.keys(cluster.config.data).length > 0) {
      if (this.setDynamicConfiguration(cluster.config)) this.reloadConfig();
    } else if (Object.keys(this.dynamic).length === 0 && this.config.bootstrapDcs) {
      if (this.setDynamicConfiguration(this.config.bootstrapDcs)) this.reloadConfig();
    } else {
      this.reloadConfig();
    }
    this.gc.update(null, this.dynamic);
    const pg = new Postgresql(this, this.deps.server, this.config.name, this.config.scope, this.files, this.localPostgresql(), this.gc);
    const remote = new RemotePg(this, this.deps.pgLookup);
    pg.remote = remote;
    yield* pg.init();
    this._pg = pg;
    const rewind = new Rewind(pg, remote);
    const ha = new Ha(this, pg, dcs, watchdog, this.gc, rewind);
    this._ha = ha;
    this.api = new RestApi(this);
    const api = this.api;
    this.net.listen(this, PatroniRest, (req) => api.handle(req));
    this.nextRunWallUs = this.wallUs();
    try {
      for (;;) yield* this.runCycle(ha, dcs);
    } catch (e) {
      // `abstract_main`: `finally: controller.shutdown()` — a fatal error in the loop (system ID
      // mismatch, failed bootstrap) still stops PostgreSQL and hands the leader key over
      if (e instanceof PatroniFatalException) {
        ha.executor.lock.reset();
        this.setListener(`rpc:${PatroniRest.name}`, undefined);
        yield* ha.shutdown();
      }
      throw e;
    }
  }

  /** `Patroni.ensure_dcs_access` */
  private *ensureDcsAccess(dcs: AbstractDCS): Task<Cluster> {
    for (;;) {
      try {
        return yield* dcs.getCluster();
      } catch (e) {
        if (!(e instanceof DCSError)) throw e;
        // 'Can not get cluster from dcs'
        yield* this.sleepS(5);
      }
    }
  }

  /** `Patroni.ensure_unique_name`: refuse to start if a live node already uses our name. */
  private *ensureUniqueName(cluster: Cluster): Task<void> {
    const member = cluster.get_member(this.config.name, false);
    if (!member || !member.data.api_url || member.data.api_url === this.apiUrl) return;
    const r = yield* this.request(member, 'GET', '/liveness', undefined, 3, 0);
    if (r.ok) throw new PatroniFatalException(`Can't start; there is already a node named '${this.config.name}' running`);
  }

  /** `Patroni._run_cycle` */
  private *runCycle(ha: Ha, dcs: AbstractDCS): Task<void> {
    const message = yield* ha.run_cycle();
    this.lastMessage = message;
    this.sim.trace.emit('patroni.cycle', {
      node: this.config.name,
      message,
      hasLock: ha.has_lock(false),
      role: this._pg?.role ?? 'uninitialized',
      paused: ha.is_paused(),
    });
    const c = dcs.cluster;
    if (c && c.config && Object.keys(c.config.data).length > 0 && this.setDynamicConfiguration(c.config)) this.reloadConfig();
    yield* this.scheduleNextRun(ha, dcs);
  }

  /** `Patroni.schedule_next_run` */
  private *scheduleNextRun(ha: Ha, dcs: AbstractDCS): Task<void> {
    this.nextRunWallUs += dcs.loopWaitMs * 1000;
    const now = this.wallUs();
    const napUs = this.nextRunWallUs - now;
    if (napUs <= 0) {
      this.nextRunWallUs = now;
      yield* this.sleep(1000); // release the GIL
      this.warn('Loop time exceeded, rescheduling immediately.');
    } else if (yield* ha.watch(napUs / 1e6)) {
      this.nextRunWallUs = this.wallUs();
    }
  }

  /**
   * SIGTERM: `Patroni._shutdown` — close the REST API, `Ha.shutdown` (stop PostgreSQL, hand the
   * leader key over), then exit. Returns false if Patroni is not running.
   */
  shutdown(reason = 'SIGTERM'): boolean {
    if (!this.running || this.stopping) return false;
    this.stopping = true;
    const ha = this._ha;
    this.sim.trace.emit('patroni.lifecycle', { node: this.config.name, event: 'shutdown', reason });
    // SystemExit in the main thread: the current cycle stops where it is (its `with` blocks
    // release their locks); the REST API stops listening
    this.mainFiber?.cancel();
    this.mainFiber = null;
    ha?.executor.lock.reset();
    this.setListener(`rpc:${PatroniRest.name}`, undefined);
    this.spawn('shutdown', this.shutdownTask(ha), () => this.exitWith(reason));
    return true;
  }

  private *shutdownTask(ha: Ha | null): Task<void> {
    if (ha) yield* ha.shutdown();
  }
}
