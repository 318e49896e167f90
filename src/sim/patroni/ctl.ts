// patronictl as scenario actions (`patroni/ctl.py`): switchover, failover, pause, resume, restart,
// reinit, edit-config, promote-cluster, demote-cluster — run from a `patronictl` process on an
// operator-chosen host, with patronictl's own checks and messages, through the members' REST APIs
// (and patronictl's fallback of writing /failover straight into the DCS). Plus a graceful Patroni
// stop (SIGTERM). Each operation emits one `patroni.operation` record when it ends.
import { Process } from '../host/process.js';
import type { World } from '../world.js';
import type { Task } from '../kernel/task.js';
import { sToUs } from '../kernel/time.js';
import { DCSError, type AbstractDCS, type DcsTiming } from '../dcs/abstract.js';
import type { DcsDeployment } from '../dcs/backend.js';
import type { Cluster, Leader, Member } from '../dcs/cluster.js';
import { NetError, RemoteError } from '../net/network.js';
import type { FaultActionOf } from '../faults/nemesis.js';
import { cloneConfig, GlobalConfig, patchConfig, timingOf, type DynamicConfig, type StandbyClusterConfig } from './config.js';
import type { PatroniAgent } from './patroni.js';
import { PatroniRest, type RestMethod } from './rest.js';

declare module '../faults/nemesis.js' {
  interface FaultActionMap {
    /** `patronictl switchover --force [--leader L] [--candidate C] [--scheduled <wall µs>]` */
    switchover: { cluster?: string; leader?: string; candidate?: string; scheduledAtWallUs?: number; from?: string };
    /** `patronictl failover --candidate C --force` */
    failover: { cluster?: string; candidate?: string; from?: string };
    /** `patronictl pause`; with a duration, `patronictl resume` at the heal. */
    'patroni-pause': { cluster?: string; from?: string };
    /** `patronictl resume` */
    'patroni-resume': { cluster?: string; from?: string };
    /** `patronictl restart [member] --force [--role r] [--pending] [--scheduled <wall µs>]` */
    'pg-restart': { cluster?: string; member?: string; role?: string; pending?: boolean; scheduledAtWallUs?: number; timeoutS?: number; from?: string };
    /** `patronictl reinit <member> --force [--from-leader]` */
    reinit: { cluster?: string; member: string; fromLeader?: boolean; force?: boolean; from?: string };
    /** `patronictl edit-config --force -s k=v ...` (null deletes a key) */
    'edit-config': { cluster?: string; set: Record<string, unknown>; from?: string };
    /** `patronictl promote-cluster --force` */
    'promote-cluster': { cluster?: string; from?: string };
    /** `patronictl demote-cluster --force --host H [--port P] [--primary-slot-name S]` */
    'demote-cluster': { cluster?: string; host?: string; port?: number; restore_command?: string; primary_slot_name?: string; from?: string };
    /** SIGTERM to Patroni on a node (graceful `Ha.shutdown`); with a duration, started again at the heal. */
    'patroni-stop': { node: string };
  }
}

/** What patronictl needs to know about a cluster built into the world. */
export interface CtlCluster {
  scope: string;
  dcs: DcsDeployment;
  /** The cluster's bootstrap dynamic configuration (for the client's timing). */
  dynamic: DynamicConfig;
  /** Default host patronictl runs on. */
  defaultFrom: string;
  agents: Map<string, PatroniAgent>;
}

const clustersByWorld = new WeakMap<World, Map<string, CtlCluster>>();

/** Make a cluster known to the patronictl actions (called by buildCluster). */
export function registerClusterForCtl(world: World, c: CtlCluster): void {
  let m = clustersByWorld.get(world);
  if (!m) {
    m = new Map();
    clustersByWorld.set(world, m);
  }
  m.set(c.scope, c);
}

function clusterOf(world: World, scope: string | undefined): CtlCluster {
  const m = clustersByWorld.get(world);
  if (!m || m.size === 0) throw new Error('patronictl: no Patroni cluster in this world');
  if (scope === undefined) return m.values().next().value as CtlCluster;
  const c = m.get(scope);
  if (!c) throw new Error(`patronictl: no Patroni cluster named "${scope}"`);
  return c;
}

/** Raised by an operation with patronictl's message (`PatroniCtlException`). */
class CtlError extends Error {}

/** The patronictl process on one host; one DCS client per cluster it talks to. */
export class Patronictl extends Process {
  private readonly clients = new Map<string, AbstractDCS>();

  protected onStart(): void {
    this.clients.clear();
  }

  dcsFor(c: CtlCluster): AbstractDCS {
    let d = this.clients.get(c.scope);
    if (!d) {
      const t = timingOf(cloneConfig(c.dynamic));
      const timing: DcsTiming = { ttlMs: t.ttl * 1000, loopWaitMs: t.loop_wait * 1000, retryTimeoutMs: t.retry_timeout * 1000 };
      d = c.dcs.client(this, 'patronictl', timing);
      this.clients.set(c.scope, d);
    }
    return d;
  }

  /** `request_patroni`: HTTP to a member's REST API (patronictl waits as long as the server takes; capped at 60 s). */
  *request(member: Member | Leader, method: RestMethod, path: string, body?: unknown): Task<{ status: number; body: unknown }> {
    const m = /^https?:\/\/([^:/]+)/.exec(member.data.api_url ?? '');
    if (!m) throw new CtlError(`member ${member.name} has no api_url`);
    const hostName = m[1] as string;
    const target = this.net.hasHost(hostName) ? this.net.host(hostName).process('patroni') : undefined;
    if (!target) throw new NetError('refused', `${hostName}: connection refused`);
    const req: { method: RestMethod; path: string; body?: unknown } = { method, path };
    if (body !== undefined) req.body = body;
    const r = yield* this.net.call(this, target, PatroniRest, req, { timeoutUs: sToUs(60) });
    return { status: r.status, body: r.body };
  }
}

function ctlOn(world: World, host: string): Patronictl {
  const h = world.net.host(host);
  let p = h.process('patronictl') as Patronictl | undefined;
  if (!p) p = new Patronictl(h, 'patronictl');
  if (!p.alive) p.start('patronictl invoked');
  return p;
}

type Outcome = { ok: boolean; message: string; node?: string };

function emit(world: World, operation: string, o: Outcome): void {
  const rec: { node?: string; operation: string; ok: boolean; message: string } = { operation, ok: o.ok, message: o.message };
  if (o.node !== undefined) rec.node = o.node;
  world.sim.trace.emit('patroni.operation', rec);
}

/** Run one patronictl command as a task in the ctl process; the record is emitted when it ends. */
function runCtl(world: World, from: string, operation: string, body: (ctl: Patronictl) => Task<Outcome>): void {
  const ctl = ctlOn(world, from);
  ctl.spawn(`patronictl ${operation}`, guarded(ctl, body), (r) => {
    if (r.ok) emit(world, operation, r.value);
    else if (!(r.error instanceof Error && r.error.name === 'FiberCancelled')) throw r.error;
  });
}

function* guarded(ctl: Patronictl, body: (ctl: Patronictl) => Task<Outcome>): Task<Outcome> {
  try {
    return yield* body(ctl);
  } catch (e) {
    if (e instanceof CtlError) return { ok: false, message: e.message };
    if (e instanceof DCSError) return { ok: false, message: `DCS is not accessible: ${e.message}` };
    // a REST call that was refused or timed out: patronictl reports the error and exits non-zero
    // (found by haywire check: a reinit whose target was cut off crashed the run)
    if (e instanceof NetError || e instanceof RemoteError) return { ok: false, message: `Error: ${e.message}` };
    throw e;
  }
}

function leaderFirst(cluster: Cluster): (Member | Leader)[] {
  const leaderName = cluster.leader && cluster.leader.member.api_url ? cluster.leader.name : null;
  const out: (Member | Leader)[] = [];
  if (leaderName && cluster.leader) out.push(cluster.leader.member);
  for (const m of cluster.members) if (m.api_url && m.name !== leaderName) out.push(m);
  return out;
}

function configOf(cluster: Cluster): GlobalConfig {
  return new GlobalConfig(cluster.config && cluster.config.modify_version ? (cluster.config.data as DynamicConfig) : {});
}

/** `ctl._do_failover_or_switchover` with --force. */
function* failoverOrSwitchover(ctl: Patronictl, c: CtlCluster, action: 'failover' | 'switchover', candidate: string | null, switchoverLeader: string | null, scheduledAtWallUs: number | null): Task<Outcome> {
  const dcs = ctl.dcsFor(c);
  const cluster = yield* dcs.getCluster();
  const config = configOf(cluster);
  const clusterLeader = cluster.leader?.name ?? null;
  let leader = switchoverLeader;
  if (action === 'switchover') {
    if (!clusterLeader) throw new CtlError('This cluster has no leader');
    leader ??= clusterLeader;
    if (clusterLeader !== leader) throw new CtlError(`Member ${leader} is not the leader of cluster ${c.scope}`);
  }
  const candidates = cluster.members.filter((m) => m.name !== clusterLeader && !m.nofailover).map((m) => m.name).sort();
  if (candidates.length === 0) throw new CtlError(`No candidates found to ${action} to`);
  if (action === 'failover' && !candidate) throw new CtlError('Failover could be performed only to a specific candidate');
  if (candidate && !candidates.includes(candidate)) {
    if (candidate === clusterLeader) throw new CtlError(`Member ${candidate} is already the leader of cluster ${c.scope}`);
    throw new CtlError(`Member ${candidate} does not exist in cluster ${c.scope} or is tagged as nofailover`);
  }
  if (action === 'switchover' && scheduledAtWallUs !== null && config.is_paused) throw new CtlError("Can't schedule switchover in the paused state");
  const value: Record<string, unknown> = { candidate };
  if (action === 'switchover') value.leader = leader;
  if (scheduledAtWallUs !== null) value.scheduled_at = scheduledAtWallUs;
  const member = cluster.leader ? cluster.leader.member : candidate ? cluster.get_member(candidate, false) : null;
  try {
    if (!member) throw new NetError('refused', 'no member to send the request to');
    const r = yield* ctl.request(member, 'POST', `/${action}`, value);
    const details = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    if (r.status === 200 || r.status === 202) return { ok: true, message: details, node: member.name };
    const result = details.toLowerCase().includes('status unknown') ? 'result unknown' : 'failed';
    return { ok: false, message: `${action[0]?.toUpperCase()}${action.slice(1)} ${result}, details: ${r.status}, ${details}`, node: member.name };
  } catch (e) {
    if (!(e instanceof NetError) && !(e instanceof RemoteError)) throw e;
    // 'Could not %s using Patroni api, falling back to DCS'
    const ok = yield* dcs.manualFailover(leader, candidate, scheduledAtWallUs);
    return { ok, message: `Could not ${action} using Patroni api, falling back to DCS` };
  }
}

/** `ctl.toggle_pause` */
function* togglePause(ctl: Patronictl, c: CtlCluster, paused: boolean): Task<Outcome> {
  const cluster = yield* ctl.dcsFor(c).getCluster();
  if (configOf(cluster).is_paused === paused) throw new CtlError(`Cluster is ${paused ? 'already' : 'not'} paused`);
  for (const member of leaderFirst(cluster)) {
    let r: { status: number; body: unknown };
    try {
      r = yield* ctl.request(member, 'PATCH', '/config', { pause: paused ? true : null });
    } catch (e) {
      if (e instanceof NetError || e instanceof RemoteError) continue; // 'Member %s is not accessible'
      throw e;
    }
    if (r.status === 200) return { ok: true, message: `Success: cluster management is ${paused ? 'paused' : 'resumed'}`, node: member.name };
    return { ok: false, message: `Failed: ${paused ? 'pause' : 'resume'} cluster management status code=${r.status}, (${String(r.body)})`, node: member.name };
  }
  throw new CtlError('Can not find accessible cluster member');
}

/** `ctl.change_cluster_role` (promote-cluster / demote-cluster). */
function* changeClusterRole(ctl: Patronictl, c: CtlCluster, standbyConfig: StandbyClusterConfig | null): Task<Outcome> {
  const demote = standbyConfig !== null;
  const actionName = demote ? 'demot' : 'promot';
  const targetRole = demote ? 'standby_leader' : 'primary';
  const cluster = yield* ctl.dcsFor(c).getCluster();
  const leader = cluster.leader;
  if (!leader) throw new CtlError(`Cluster has no leader, ${actionName}ion is not possible`);
  if (leader.data.role === targetRole) throw new CtlError('Cluster is already in the required state');
  try {
    const r = yield* ctl.request(leader.member, 'PATCH', '/config', { standby_cluster: standbyConfig });
    if (r.status !== 200) throw new CtlError(`Failed to ${actionName}e ${c.scope} cluster: /config PATCH status code=${r.status}, (${String(r.body)})`);
  } catch (e) {
    if (e instanceof NetError || e instanceof RemoteError) throw new CtlError(`Failed to ${actionName}e ${c.scope} cluster: ${e.message}`);
    throw e;
  }
  return { ok: true, message: `${demote ? 'Demoting' : 'Promoting'} cluster ${c.scope}`, node: leader.name };
}

/** `ctl.edit_config --force` */
function* editConfig(ctl: Patronictl, c: CtlCluster, set: Record<string, unknown>): Task<Outcome> {
  const dcs = ctl.dcsFor(c);
  const cluster = yield* dcs.getCluster();
  if (!cluster.config) throw new CtlError('The config key does not exist in the cluster ' + c.scope);
  const data = cloneConfig(cluster.config.data);
  if (!patchConfig(data, set)) return { ok: true, message: 'Not changed' };
  if (!(yield* dcs.setConfigValue(data, cluster.config.version))) throw new CtlError('Config modification aborted due to concurrent changes');
  return { ok: true, message: 'Configuration changed' };
}

/** `ctl.restart --force` */
function* restart(ctl: Patronictl, c: CtlCluster, a: FaultActionOf<'pg-restart'>): Task<Outcome> {
  const cluster = yield* ctl.dcsFor(c).getCluster();
  if (a.scheduledAtWallUs !== undefined && configOf(cluster).is_paused) throw new CtlError("Can't schedule restart in the paused state");
  const members = cluster.members.filter((m) => !a.member || m.name === a.member);
  if (members.length === 0) throw new CtlError(`${a.member} is not a member of cluster`);
  const content: Record<string, unknown> = {};
  if (a.role) content.role = a.role;
  if (a.pending) content.restart_pending = true;
  if (a.scheduledAtWallUs !== undefined) content.schedule = a.scheduledAtWallUs;
  if (a.timeoutS !== undefined) content.timeout = a.timeoutS;
  const lines: string[] = [];
  let ok = true;
  for (const m of members) {
    try {
      const r = yield* ctl.request(m, 'POST', '/restart', content);
      if (r.status === 200) lines.push(`Success: restart on member ${m.name}`);
      else if (r.status === 202) lines.push(`Success: restart scheduled on member ${m.name}`);
      else if (r.status === 409) {
        ok = false;
        lines.push(`Failed: another restart is already scheduled on member ${m.name}`);
      } else {
        ok = false;
        lines.push(`Failed: restart for member ${m.name}, status code=${r.status}, (${String(r.body)})`);
      }
    } catch (e) {
      if (!(e instanceof NetError) && !(e instanceof RemoteError)) throw e;
      ok = false;
      lines.push(`Failed: restart for member ${m.name}: ${e.message}`);
    }
  }
  const o: Outcome = { ok, message: lines.join('\n') };
  if (a.member) o.node = a.member;
  return o;
}

/** `ctl.reinit --force` */
function* reinit(ctl: Patronictl, c: CtlCluster, a: FaultActionOf<'reinit'>): Task<Outcome> {
  const cluster = yield* ctl.dcsFor(c).getCluster();
  const m = cluster.get_member(a.member, false);
  if (!m) throw new CtlError(`${a.member} is not a member of cluster`);
  const body: Record<string, unknown> = { force: a.force ?? true };
  if (a.fromLeader) body.from_leader = true;
  const r = yield* ctl.request(m, 'POST', '/reinitialize', body);
  if (r.status === 200) return { ok: true, message: `Success: reinitialize for member ${a.member}`, node: a.member };
  return { ok: false, message: `Failed: reinitialize for member ${a.member}, status code=${r.status}, (${String(r.body)})`, node: a.member };
}

/** Register the patronictl actions and `patroni-stop` with the world's nemesis (idempotent). */
export function registerPatroniOperations(world: World): void {
  const n = world.nemesis;
  if (n.knows('switchover')) return;
  const fromOf = (c: CtlCluster, from: string | undefined): string => from ?? c.defaultFrom;

  n.register('switchover', {
    apply: (a) => {
      const c = clusterOf(world, a.cluster);
      runCtl(world, fromOf(c, a.from), 'switchover', (ctl) => failoverOrSwitchover(ctl, c, 'switchover', a.candidate ?? null, a.leader ?? null, a.scheduledAtWallUs ?? null));
      return undefined;
    },
    describe: (a) => `patronictl switchover${a.leader ? ` --leader ${a.leader}` : ''}${a.candidate ? ` --candidate ${a.candidate}` : ''}${a.scheduledAtWallUs !== undefined ? ' --scheduled' : ''} --force`,
  });
  n.register('failover', {
    apply: (a) => {
      const c = clusterOf(world, a.cluster);
      runCtl(world, fromOf(c, a.from), 'failover', (ctl) => failoverOrSwitchover(ctl, c, 'failover', a.candidate ?? null, null, null));
      return undefined;
    },
    describe: (a) => `patronictl failover${a.candidate ? ` --candidate ${a.candidate}` : ''} --force`,
  });
  n.register('patroni-pause', {
    apply: (a) => {
      const c = clusterOf(world, a.cluster);
      const from = fromOf(c, a.from);
      runCtl(world, from, 'pause', (ctl) => togglePause(ctl, c, true));
      return () => runCtl(world, from, 'resume', (ctl) => togglePause(ctl, c, false));
    },
    describe: () => 'patronictl pause',
  });
  n.register('patroni-resume', {
    apply: (a) => {
      const c = clusterOf(world, a.cluster);
      runCtl(world, fromOf(c, a.from), 'resume', (ctl) => togglePause(ctl, c, false));
      return undefined;
    },
    describe: () => 'patronictl resume',
  });
  n.register('pg-restart', {
    apply: (a) => {
      const c = clusterOf(world, a.cluster);
      runCtl(world, fromOf(c, a.from), 'restart', (ctl) => restart(ctl, c, a));
      return undefined;
    },
    describe: (a) => `patronictl restart ${a.member ?? ''} --force`,
  });
  n.register('reinit', {
    apply: (a) => {
      const c = clusterOf(world, a.cluster);
      runCtl(world, fromOf(c, a.from), 'reinit', (ctl) => reinit(ctl, c, a));
      return undefined;
    },
    describe: (a) => `patronictl reinit ${a.member}${a.fromLeader ? ' --from-leader' : ''} --force`,
  });
  n.register('edit-config', {
    apply: (a) => {
      const c = clusterOf(world, a.cluster);
      runCtl(world, fromOf(c, a.from), 'edit-config', (ctl) => editConfig(ctl, c, a.set));
      return undefined;
    },
    describe: (a) => `patronictl edit-config --force ${Object.entries(a.set).map(([k, v]) => `-s ${k}=${JSON.stringify(v)}`).join(' ')}`,
  });
  n.register('promote-cluster', {
    apply: (a) => {
      const c = clusterOf(world, a.cluster);
      runCtl(world, fromOf(c, a.from), 'promote-cluster', (ctl) => changeClusterRole(ctl, c, null));
      return undefined;
    },
    describe: (a) => `patronictl promote-cluster ${a.cluster ?? ''} --force`,
  });
  n.register('demote-cluster', {
    apply: (a) => {
      const c = clusterOf(world, a.cluster);
      if (!a.host && !a.port && !a.restore_command) {
        emit(world, 'demote-cluster', { ok: false, message: 'At least --host, --port or --restore-command should be specified' });
        return undefined;
      }
      const cfg: StandbyClusterConfig = {};
      if (a.host) cfg.host = a.host;
      if (a.port) cfg.port = a.port;
      if (a.primary_slot_name) cfg.primary_slot_name = a.primary_slot_name;
      if (a.restore_command) cfg.restore_command = a.restore_command;
      runCtl(world, fromOf(c, a.from), 'demote-cluster', (ctl) => changeClusterRole(ctl, c, cfg));
      return undefined;
    },
    describe: (a) => `patronictl demote-cluster ${a.cluster ?? ''} --host ${a.host ?? ''} --force`,
  });
  n.register('patroni-stop', {
    apply: (a) => {
      const agent = world.findProcess(`${a.node}/patroni`) as PatroniAgent;
      agent.shutdown('SIGTERM by the nemesis');
      return () => {
        if (agent.start('started again') || !agent.alive) return;
        // still shutting down (Ha.shutdown stops PostgreSQL first): `systemctl stop` waits for the
        // unit to stop, so the `systemctl start` of the heal runs once it has exited
        agent.atExit(() => void world.sim.schedule(0, () => agent.start('started again')));
      };
    },
    describe: (a) => `systemctl stop patroni on ${a.node} (SIGTERM)`,
  });
}
