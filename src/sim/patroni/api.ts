// A port of `patroni/api.py RestApiHandler`: the REST API a Patroni node serves to HAProxy health
// checks, to its peers (leader race, failsafe) and to patronictl. Handlers run concurrently with
// the HA loop in the same process (so SIGSTOP of Patroni freezes both), read the same in-memory
// state, and query PostgreSQL over their own connection.
import type { Task } from '../kernel/task.js';
import { PgConnectionError } from '../pg/api.js';
import { DCSError } from '../dcs/abstract.js';
import type { Cluster } from '../dcs/cluster.js';
import { GlobalConfig, parseBool, parseInt, patchConfig, cloneConfig, isPlainObject, type DynamicConfig } from './config.js';
import type { FailsafeRequest } from './failsafe.js';
import type { Ha, ScheduledRestart } from './ha.js';
import type { Postgresql } from './postgresql.js';
import type { PatroniStatus, RestRequest, RestResponse } from './rest.js';

/** What the handlers need from the daemon (`self.server.patroni`). */
export interface ApiHost {
  readonly ha: Ha;
  readonly pg: Postgresql;
  readonly version: string;
  readonly scope: string;
  readonly noloadbalance: boolean;
  /** `Patroni.next_run` (wall µs) for /liveness. */
  readonly nextRunWallUs: number;
  wallUs(): number;
  sleepS(s: number): Task<void>;
}

const MAX_INT = Number.MAX_SAFE_INTEGER;

function text(status: number, body: string, headers?: Record<string, string>): RestResponse {
  const r: RestResponse = { status, body };
  if (headers) r.headers = headers;
  return r;
}

export class RestApi {
  constructor(private readonly host: ApiHost) {}

  private get ha(): Ha {
    return this.host.ha;
  }

  private get pg(): Postgresql {
    return this.host.pg;
  }

  /** `global_config.from_cluster(dcs.cluster)` */
  private configFrom(cluster: Cluster | null): GlobalConfig {
    if (cluster?.config && cluster.config.modify_version) return new GlobalConfig(cluster.config.data as DynamicConfig);
    return this.ha.gc;
  }

  /** Route one request (`RestApiHandler.handle_one_request`). */
  *handle(req: RestRequest): Task<RestResponse> {
    const path = req.path;
    const q = req.query ?? {};
    switch (req.method) {
      case 'GET':
        if (path === '/patroni') return yield* this.do_GET_patroni();
        if (path === '/liveness') return this.do_GET_liveness();
        if (path === '/readiness') return yield* this.do_GET_readiness(q);
        if (path === '/history') return yield* this.do_GET_history();
        if (path === '/config') return yield* this.do_GET_config();
        if (path === '/failsafe') return this.do_GET_failsafe();
        if (path === '/cluster') return yield* this.do_GET_cluster();
        return yield* this.do_GET(path, q, false);
      case 'HEAD':
      case 'OPTIONS':
        return yield* this.do_GET(path, q, true);
      case 'POST':
        if (path === '/failsafe') return this.do_POST_failsafe(req.body);
        if (path === '/switchover') return yield* this.do_POST_failover(req.body, 'switchover');
        if (path === '/failover') return yield* this.do_POST_failover(req.body, 'failover');
        if (path === '/restart') return yield* this.do_POST_restart(req.body);
        if (path === '/reinitialize') return yield* this.do_POST_reinitialize(req.body);
        return text(404, 'Not Found');
      case 'PATCH':
        if (path === '/config') return yield* this.do_PATCH_config(req.body);
        return text(404, 'Not Found');
      case 'PUT':
        if (path === '/config') return yield* this.do_PUT_config(req.body);
        return text(404, 'Not Found');
      case 'DELETE':
        if (path === '/switchover') return yield* this.do_DELETE_switchover();
        if (path === '/restart') return yield* this.do_DELETE_restart();
        return text(404, 'Not Found');
      default:
        return text(501, 'Unsupported method');
    }
  }

  /** `RestApiHandler.get_postgresql_status` */
  *get_postgresql_status(): Task<PatroniStatus & { latest_end_lsn?: number }> {
    const pg = this.pg;
    const cluster = this.ha.dcs.cluster;
    const config = this.configFrom(cluster);
    let result: PatroniStatus & { latest_end_lsn?: number; [k: string]: unknown };
    const base = { patroni: { version: this.host.version, scope: this.host.scope, name: this.pg.name } };
    try {
      if (pg.state !== 'running' && pg.state !== 'restarting' && pg.state !== 'starting') throw new PgConnectionError('');
      const info = yield* pg.server.clusterInfo();
      const isReplica = info.timeline === 0;
      result = {
        ...base,
        state: pg.state,
        postmaster_start_time: info.postmasterStartWallUs,
        role: isReplica ? 'replica' : 'primary',
        server_version: 170000,
        xlog: isReplica
          ? { received_location: info.receiveLsn ?? info.replayLsn ?? 0, replayed_location: info.replayLsn ?? 0, paused: info.replayPaused }
          : { location: info.walPosition },
      };
      if (isReplica && config.is_standby_cluster) result.role = pg.role;
      if (isReplica && config.is_synchronous_mode && cluster && cluster.sync.matches(pg.name)) {
        if (this.ha.gc.is_quorum_commit_mode) result.quorum_standby = true;
        else result.sync_standby = true;
      }
      if (!isReplica) {
        result.timeline = info.timeline;
      } else {
        const leaderTimeline = !cluster || cluster.is_unlocked() || !cluster.leader ? null : (cluster.leader.timeline ?? null);
        const tl = yield* pg.replicaCachedTimeline(leaderTimeline);
        if (tl !== null) result.timeline = tl;
      }
      if (isReplica && info.receiveLsn) result.latest_end_lsn = info.receiveLsn;
      if (isReplica && info.receiverState === 'streaming') result.replication_state = 'streaming';
      if (info.replication.length > 0) {
        result.replication = info.replication.map((r) => ({ application_name: r.application_name, state: r.state, sync_state: r.sync_state }));
      }
    } catch (e) {
      if (!(e instanceof PgConnectionError) && !(e instanceof Error && e.name === 'PostgresConnectionException')) throw e;
      const state = pg.state === 'running' ? 'unknown' : pg.state;
      result = { ...base, state, role: pg.role };
    }
    if (config.is_paused) result.pause = true;
    if (!cluster || cluster.is_unlocked()) result.cluster_unlocked = true;
    if (this.ha.failsafe_is_active()) result.failsafe_mode_is_active = true;
    result.dcs_last_seen = Math.floor(this.ha.dcs.lastSeenMs / 1000);
    return result;
  }

  /** `RestApiHandler._write_status_response` additions. */
  private statusResponse(status: number, response: PatroniStatus & { latest_end_lsn?: number }): RestResponse {
    const tags = this.ha.get_effective_tags();
    if (Object.keys(tags).length > 0) response.tags = { ...tags };
    const sysid = this.pg.sysid;
    if (sysid) response.database_system_identifier = sysid;
    if (!this.ha.watchdog.is_healthy) response.watchdog_failed = true;
    return { status, body: response };
  }

  /** `RestApiHandler.do_GET`: the health-check endpoints. */
  private *do_GET(rawPath: string, query: Record<string, string>, statusOnly: boolean): Task<RestResponse> {
    const path = rawPath === '/' ? '/primary' : rawPath;
    const response = yield* this.get_postgresql_status();
    const latestEndLsn = response.latest_end_lsn ?? 0;
    delete response.latest_end_lsn;
    const cluster = this.ha.dcs.cluster;
    const config = this.configFrom(cluster);
    const leaderOptime = Math.max(cluster?.status.last_lsn ?? 0, latestEndLsn);
    const replayed = response.xlog?.replayed_location ?? 0;
    const lagParam = query.lag !== undefined ? parseInt(query.lag, 'B') : null;
    const maxReplicaLag = lagParam === null ? MAX_INT : lagParam;
    const isLagging = Boolean(leaderOptime) && leaderOptime > replayed + maxReplicaLag;
    const wantedRs = query.replication_state;
    const matchesRs = wantedRs ? response.replication_state === wantedRs : true;
    const replicaStatus = !this.host.noloadbalance && !isLagging && response.role === 'replica' && response.state === 'running' && matchesRs ? 200 : 503;

    let leaderStatus: number;
    let primaryStatus: number;
    let standbyLeaderStatus: number;
    let replicaCode = replicaStatus;
    if (!cluster && response.pause) {
      leaderStatus = response.role === 'primary' || response.role === 'standby_leader' ? 200 : 503;
      primaryStatus = response.role === 'primary' ? 200 : 503;
      standbyLeaderStatus = response.role === 'standby_leader' ? 200 : 503;
    } else if (this.ha.is_leader()) {
      leaderStatus = 200;
      if (config.is_standby_cluster) {
        primaryStatus = replicaCode = 503;
        standbyLeaderStatus = response.role === 'replica' || response.role === 'standby_leader' ? 200 : 503;
      } else {
        primaryStatus = 200;
        standbyLeaderStatus = 503;
      }
    } else {
      leaderStatus = primaryStatus = standbyLeaderStatus = 503;
    }

    let status = 503;
    if (path.includes('standby_leader') || path.includes('standby-leader')) status = standbyLeaderStatus;
    else if (path.includes('leader')) status = leaderStatus;
    else if (path.includes('master') || path.includes('primary') || path.includes('read-write')) status = primaryStatus;
    else if (path.includes('replica')) status = replicaCode;
    else if (path.includes('read-only') && !path.includes('sync') && !path.includes('quorum')) {
      status = primaryStatus === 200 || standbyLeaderStatus === 200 ? 200 : replicaCode;
    } else if (path.includes('health')) status = response.state === 'running' ? 200 : 503;
    else if (cluster) {
      const isQuorum = Boolean(response.quorum_standby);
      const isSync = Boolean(response.sync_standby);
      if ((path === '/sync' || path === '/synchronous') && isSync) status = replicaCode;
      else if (path === '/quorum' && isQuorum) status = replicaCode;
      else if ((path === '/async' || path === '/asynchronous') && !isSync && !isQuorum) status = replicaCode;
      else if (path === '/read-only-quorum') {
        if (primaryStatus === 200 || standbyLeaderStatus === 200) status = 200;
        else if (isQuorum) status = replicaCode;
      } else if (path === '/read-only-sync' || path === '/read-only-synchronous') {
        if (primaryStatus === 200 || standbyLeaderStatus === 200) status = 200;
        else if (isSync) status = replicaCode;
      }
    }
    if (statusOnly) return { status, body: null };
    return this.statusResponse(status, response);
  }

  private *do_GET_patroni(): Task<RestResponse> {
    const response = yield* this.get_postgresql_status();
    delete response.latest_end_lsn;
    return this.statusResponse(200, response);
  }

  /** `RestApiHandler.do_GET_liveness` */
  private do_GET_liveness(): RestResponse {
    const isPrimary = this.pg.role === 'primary' && this.pg.isRunning();
    const thresholdUs = (this.ha.dcs.ttlMs / 1000) * (isPrimary ? 1 : 2) * 1e6;
    const ok = this.ha.is_paused() || this.host.nextRunWallUs + thresholdUs > this.host.wallUs();
    return { status: ok ? 200 : 503, body: null };
  }

  /** `RestApiHandler.do_GET_readiness` */
  private *do_GET_readiness(query: Record<string, string>): Task<RestResponse> {
    let reason: string | null = null;
    if (!this.ha.is_leader()) {
      if (this.pg.state !== 'running') reason = 'PostgreSQL is not running';
      else {
        const st = yield* this.get_postgresql_status();
        const latest = st.latest_end_lsn ?? 0;
        const cluster = this.ha.dcs.cluster;
        if (st.replication_state !== 'streaming') reason = 'PostgreSQL replication state is not streaming';
        else if (!cluster && !latest) reason = this.ha.failsafe_is_active() ? null : 'DCS is not accessible';
        else {
          const leaderOptime = Math.max(cluster?.status.last_lsn ?? 0, latest);
          const loc = query.mode === 'write' ? (st.xlog?.received_location ?? 0) : (st.xlog?.replayed_location ?? 0);
          const lag = leaderOptime - loc;
          const max = query.lag !== undefined ? (parseInt(query.lag, 'B') ?? this.ha.gc.maximum_lag_on_failover) : this.ha.gc.maximum_lag_on_failover;
          if (lag > max) reason = `Replication lag ${lag} exceeds maximum allowable ${max}`;
        }
      }
    }
    return { status: reason ? 503 : 200, body: null };
  }

  private *do_GET_history(): Task<RestResponse> {
    let cluster = this.ha.dcs.cluster;
    try {
      cluster ??= yield* this.ha.dcs.getCluster();
    } catch (e) {
      if (!(e instanceof DCSError)) throw e;
      return text(503, 'DCS is not accessible');
    }
    return { status: 200, body: cluster.history ? cluster.history.lines : [] };
  }

  private *do_GET_config(): Task<RestResponse> {
    let cluster = this.ha.dcs.cluster;
    try {
      cluster ??= yield* this.ha.dcs.getCluster();
    } catch (e) {
      if (!(e instanceof DCSError)) throw e;
      return text(502, 'Bad Gateway');
    }
    if (cluster.config && cluster.config.modify_version) return { status: 200, body: cluster.config.data };
    return text(502, 'Bad Gateway');
  }

  private *do_GET_cluster(): Task<RestResponse> {
    try {
      const cluster = yield* this.ha.dcs.getCluster();
      return {
        status: 200,
        body: {
          scope: this.host.scope,
          leader: cluster.leader_name,
          members: cluster.members.map((m) => ({ name: m.name, role: m.data.role, state: m.data.state, timeline: m.data.timeline, lsn: m.data.xlog_location, tags: m.data.tags })),
        },
      };
    } catch (e) {
      if (!(e instanceof DCSError)) throw e;
      return text(503, 'DCS is not accessible');
    }
  }

  /** `RestApiHandler.do_GET_failsafe` */
  private do_GET_failsafe(): RestResponse {
    const fs = this.ha.dcs.failsafe;
    if (fs !== null && typeof fs === 'object') return { status: 200, body: { ...fs } };
    return text(502, 'Bad Gateway');
  }

  /** `RestApiHandler.do_POST_failsafe` */
  private do_POST_failsafe(body: unknown): RestResponse {
    if (!this.ha.is_failsafe_mode()) return text(502, 'Bad Gateway');
    if (!isPlainObject(body) || Object.keys(body).length === 0) return text(400, 'Bad Request');
    const ret = this.ha.update_failsafe(body as unknown as FailsafeRequest);
    const headers = typeof ret === 'number' ? { lsn: String(ret) } : undefined;
    const message = typeof ret === 'string' ? ret : 'Accepted';
    return text(message === 'Accepted' ? 200 : 500, message, headers);
  }

  /** `RestApiHandler.do_PATCH_config` */
  private *do_PATCH_config(body: unknown): Task<RestResponse> {
    if (!isPlainObject(body) || Object.keys(body).length === 0) return text(400, 'Bad Request');
    try {
      const cluster = yield* this.ha.dcs.getCluster();
      if (!(cluster.config && cluster.config.modify_version)) return text(503, 'Service Unavailable');
      const data = cloneConfig(cluster.config.data);
      if (patchConfig(data, body)) {
        if (!(yield* this.ha.dcs.setConfigValue(data, cluster.config.version))) return text(409, 'Conflict');
      }
      this.ha.wakeup();
      return { status: 200, body: data };
    } catch (e) {
      if (!(e instanceof DCSError)) throw e;
      return text(503, 'Service Unavailable');
    }
  }

  /** `RestApiHandler.do_PUT_config` */
  private *do_PUT_config(body: unknown): Task<RestResponse> {
    if (!isPlainObject(body) || Object.keys(body).length === 0) return text(400, 'Bad Request');
    try {
      const cluster = yield* this.ha.dcs.getCluster();
      if (!(cluster.config && JSON.stringify(cluster.config.data) === JSON.stringify(body))) {
        if (!(yield* this.ha.dcs.setConfigValue(body, null))) return text(502, 'Bad Gateway');
      }
      return { status: 200, body };
    } catch (e) {
      if (!(e instanceof DCSError)) throw e;
      return text(502, 'Bad Gateway');
    }
  }

  /** `RestApiHandler.do_POST_restart` */
  private *do_POST_restart(body: unknown): Task<RestResponse> {
    const request: Record<string, unknown> = isPlainObject(body) ? { ...body } : {};
    let cluster: Cluster;
    try {
      cluster = yield* this.ha.dcs.getCluster();
    } catch (e) {
      if (!(e instanceof DCSError)) throw e;
      return text(503, 'DCS is not accessible');
    }
    if (this.configFrom(cluster).is_paused && 'schedule' in request) return text(500, "Can't schedule restart in the paused state");
    for (const k of Object.keys(request)) {
      if (k === 'schedule') {
        const at = Number(request[k]);
        if (!Number.isFinite(at)) return text(422, 'Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO 8601');
        if (at < this.host.wallUs()) return text(422, 'Cannot schedule restart in the past');
        request[k] = at;
      } else if (k === 'role') {
        if (!['primary', 'standby_leader', 'replica'].includes(String(request[k]))) return text(400, 'PostgreSQL role should be either primary, standby_leader, or replica');
      } else if (k === 'timeout') {
        const t = parseInt(request[k], 's');
        if (t === null || t <= 0) return text(400, 'Timeout should be a positive number of seconds');
        request[k] = t;
      } else if (k !== 'restart_pending' && k !== 'postgres_version') {
        return text(400, `Unknown filter for the scheduled restart: ${k}`);
      }
    }
    if (!('schedule' in request)) {
      const [ok, data] = yield* this.ha.restart(request);
      return text(ok ? 200 : 503, data);
    }
    if (yield* this.ha.schedule_future_restart(request as unknown as ScheduledRestart)) return text(202, 'Restart scheduled');
    return text(409, 'Another restart is already scheduled');
  }

  private *do_DELETE_restart(): Task<RestResponse> {
    if (yield* this.ha.delete_future_restart()) return text(200, 'scheduled restart deleted');
    return text(404, 'no restarts are scheduled');
  }

  /** `RestApiHandler.do_DELETE_switchover` */
  private *do_DELETE_switchover(): Task<RestResponse> {
    try {
      const failover = (yield* this.ha.dcs.getCluster()).failover;
      if (failover?.isSet && failover.scheduled_at !== null) {
        if (!(yield* this.ha.dcs.manualFailover('', '', null, failover.version))) return text(409, 'Conflict');
        return text(200, 'scheduled switchover deleted');
      }
      return text(404, 'no switchover is scheduled');
    } catch (e) {
      if (!(e instanceof DCSError)) throw e;
      return text(409, 'Conflict');
    }
  }

  /** `RestApiHandler.do_POST_reinitialize` */
  private *do_POST_reinitialize(body: unknown): Task<RestResponse> {
    const req = isPlainObject(body) ? body : {};
    const force = Boolean(parseBool(req.force));
    const fromLeader = Boolean(parseBool(req.from_leader));
    try {
      const data = yield* this.ha.reinitialize(force, fromLeader);
      if (data === null) return text(200, 'reinitialize started');
      return text(503, data);
    } catch (e) {
      if (!(e instanceof DCSError)) throw e;
      return text(503, 'DCS is not accessible');
    }
  }

  /** `RestApiHandler.poll_failover_result` */
  private *poll_failover_result(leader: string | null, candidate: string | null, action: string): Task<[number, string]> {
    const timeout = Math.max(10, this.ha.dcs.loopWaitMs / 1000);
    const verb = action.slice(0, -4); // switchover → switch, failover → fail
    for (let i = 0; i < timeout * 2; i++) {
      yield* this.host.sleepS(1);
      try {
        const cluster = yield* this.ha.dcs.getCluster();
        if (!cluster.is_unlocked() && cluster.leader && cluster.leader.name !== leader) {
          if (!candidate || candidate === cluster.leader.name) return [200, `Successfully ${verb}ed over to "${cluster.leader.name}"`];
          return [200, `${verb[0]?.toUpperCase()}${verb.slice(1)}ed over to "${cluster.leader.name}" instead of "${candidate}"`];
        }
        if (!cluster.failover?.isSet) return [503, `${action[0]?.toUpperCase()}${action.slice(1)} failed`];
      } catch (e) {
        if (!(e instanceof DCSError)) throw e;
      }
    }
    return [503, `${action[0]?.toUpperCase()}${action.slice(1)} status unknown after ${timeout * 2} seconds; operation may still be in progress`];
  }

  /** `RestApiHandler.is_failover_possible` */
  private *is_failover_possible(cluster: Cluster, leader: string | null, candidate: string | null, action: string): Task<string | null> {
    const config = this.configFrom(cluster);
    if (leader && (!cluster.leader || cluster.leader.name !== leader)) return 'leader name does not match';
    let members;
    if (candidate) {
      if (action === 'switchover' && config.is_synchronous_mode && !config.is_quorum_commit_mode && !cluster.sync.matches(candidate)) {
        return 'candidate name does not match with sync_standby';
      }
      members = cluster.members.filter((m) => m.name === candidate);
      if (members.length === 0) return 'candidate does not exists';
    } else if (config.is_synchronous_mode && !config.is_quorum_commit_mode) {
      members = cluster.members.filter((m) => cluster.sync.matches(m.name));
      if (members.length === 0) return `${action} is not possible: can not find sync_standby`;
    } else {
      members = cluster.members.filter((m) => !cluster.leader || (m.name !== cluster.leader.name && m.api_url));
      if (members.length === 0) return `${action} is not possible: cluster does not have members except leader`;
    }
    for (const st of yield* this.ha.fetch_nodes_statuses(members)) {
      if (st.failover_limitation() === null) return null;
    }
    return `${action} is not possible: no good candidates have been found`;
  }

  /** `RestApiHandler.do_POST_failover` (and `do_POST_switchover`). `scheduled_at` is wall-clock µs here. */
  private *do_POST_failover(body: unknown, actionIn: 'failover' | 'switchover'): Task<RestResponse> {
    if (!isPlainObject(body) || Object.keys(body).length === 0) return text(400, 'Bad Request');
    let action: string = actionIn;
    let status = 400;
    let data = '';
    const leader = (body.leader as string | undefined) || null;
    const candidate = ((body.candidate ?? body.member) as string | undefined) || null;
    const scheduledAt: number | null = body.scheduled_at !== undefined && body.scheduled_at !== null ? Number(body.scheduled_at) : null;
    let cluster: Cluster;
    try {
      cluster = yield* this.ha.dcs.getCluster();
    } catch (e) {
      if (!(e instanceof DCSError)) throw e;
      return text(503, 'DCS is not accessible');
    }
    const config = this.configFrom(cluster);
    if (action === 'failover' && !candidate) data = 'Failover could be performed only to a specific candidate';
    else if (action === 'switchover' && !leader) data = 'Switchover could be performed only from a specific leader';
    if (!data && scheduledAt !== null) {
      if (action === 'failover') data = "Failover can't be scheduled";
      else if (config.is_paused) data = "Can't schedule switchover in the paused state";
      else if (!Number.isFinite(scheduledAt)) {
        status = 422;
        data = 'Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO 8601';
      } else if (scheduledAt < this.host.wallUs()) {
        status = 422;
        data = `Cannot schedule ${action} in the past`;
      }
    }
    if (!data && config.is_paused && !candidate) data = 'Switchover is possible only to a specific candidate in a paused state';
    if (action === 'failover' && leader) action = 'switchover'; // 'received failover request with leader specified'
    if (!data && leader === candidate) data = 'Switchover target and source are the same';
    if (!data && scheduledAt === null) {
      const reason = yield* this.is_failover_possible(cluster, leader, candidate, action);
      if (reason) {
        data = reason;
        status = 412;
      }
    }
    if (!data) {
      let written = false;
      try {
        written = yield* this.ha.dcs.manualFailover(leader, candidate, scheduledAt);
      } catch (e) {
        if (!(e instanceof DCSError)) throw e;
      }
      if (written) {
        this.ha.wakeup();
        if (scheduledAt !== null) {
          data = `${action[0]?.toUpperCase()}${action.slice(1)} scheduled`;
          status = 202;
        } else {
          [status, data] = yield* this.poll_failover_result(cluster.leader?.name ?? null, candidate, action);
        }
      } else {
        data = 'failed to write failover key into DCS';
        status = 503;
      }
    }
    return text(status, data);
  }
}
