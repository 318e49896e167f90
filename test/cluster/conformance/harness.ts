// A harness that speaks the steps of Patroni's acceptance tests (features/steps/*.py) against a
// simulated cluster: nodes postgres-0..N (scope "batman"), etcd with three members, and the
// behave harness's dynamic configuration (features/environment.py: loop_wait 2, ttl 30,
// retry_timeout 10, maximum_lag_on_failover 1 MB, use_pg_rewind). Each helper says which step it
// stands for. Times in the features are upper bounds ("after N seconds"); we assert them as such.
import { expect } from 'vitest';
import { World } from '../../../src/sim/world.js';
import { Process } from '../../../src/sim/host/process.js';
import { buildCluster, type BuiltCluster, type BuiltNode } from '../../../src/sim/cluster/build.js';
import type { ClusterSpec, NodeSpec, WatchdogSpec } from '../../../src/sim/cluster/spec.js';
import { etcdBackend } from '../../../src/sim/dcs/etcd/deploy.js';
import type { Cluster, Tags } from '../../../src/sim/dcs/cluster.js';
import type { AbstractDCS } from '../../../src/sim/dcs/abstract.js';
import type { DynamicConfig } from '../../../src/sim/patroni/config.js';
import { PatroniRest, type RestMethod } from '../../../src/sim/patroni/rest.js';
import type { FaultAction } from '../../../src/sim/faults/nemesis.js';
import type { TraceRecord } from '../../../src/sim/kernel/trace.js';
import type { Task, FiberResult } from '../../../src/sim/kernel/task.js';
import { sToUs } from '../../../src/sim/kernel/time.js';
import { PgClientSession } from '../../../src/sim/client/session.js';

/** The behave harness's bootstrap.dcs (features/environment.py + postgres0.yml). */
export const BEHAVE_DCS: DynamicConfig = {
  ttl: 30,
  loop_wait: 2,
  retry_timeout: 10,
  maximum_lag_on_failover: 1048576,
  postgresql: { use_pg_rewind: true },
};

class Operator extends Process {
  protected onStart(): void {}
}

export interface HarnessOpts {
  seed?: string;
  nodes?: number;
  tags?: Record<string, Tags>;
  /** Per-node `watchdog:` (the harness default is mode off). */
  watchdog?: Record<string, WatchdogSpec>;
  dcs?: DynamicConfig;
  spec?: Partial<ClusterSpec>;
  /** Extra clusters (standby clusters) built into the same world, each with its own scope. */
  more?: ClusterSpec[];
}

export class Behave {
  readonly w: World;
  readonly c: BuiltCluster;
  readonly others: BuiltCluster[] = [];
  readonly records: TraceRecord[] = [];
  private readonly op: Operator;
  private readonly app: Operator;
  private readonly dcsClients = new Map<string, AbstractDCS>();
  private writeId = 0;

  constructor(o: HarnessOpts = {}) {
    this.w = new World({ seed: o.seed ?? 'behave', trace: { keep: false } });
    this.w.sim.trace.subscribe((r) => this.records.push(r));
    const n = o.nodes ?? 3;
    const racks = ['r1', 'r2', 'r3', 'r4'];
    const nodes: NodeSpec[] = Array.from({ length: n }, (_, i) => ({
      name: `postgres-${i}`,
      domains: ['local', 'dc1', 'room1', racks[i % racks.length] as string],
      host: { bootUs: 5_000_000 },
      tags: o.tags?.[`postgres-${i}`] ?? {},
      ...(o.watchdog?.[`postgres-${i}`] ? { watchdog: o.watchdog[`postgres-${i}`] } : {}),
      startStopped: true,
    }));
    const spec: ClusterSpec = {
      scope: 'batman',
      dcs: {
        backend: 'etcd',
        members: ['etcd1', 'etcd2', 'etcd3'].map((m, i) => ({ name: m, domains: ['local', 'dc1', 'room1', `e${i}`] })),
      },
      bootstrap: { dcs: { ...BEHAVE_DCS, ...(o.dcs ?? {}) } },
      postgresql: { use_pg_rewind: true },
      watchdog: { mode: 'off' },
      nodes,
      ...(o.spec ?? {}),
    };
    this.c = buildCluster(this.w, spec, { backend: etcdBackend });
    for (const m of o.more ?? []) this.others.push(buildCluster(this.w, { ...m, emitRunStart: false }, { backend: etcdBackend }));
    const oph = this.w.addHost({ name: 'behave', domains: ['local', 'dc1', 'room1', 'ops'] });
    this.op = new Operator(oph, 'behave');
    this.op.start();
    this.app = new Operator(oph, 'app');
    this.app.start();
  }

  get now(): number {
    return this.w.sim.nowUs / 1e6;
  }

  node(name: string): BuiltNode {
    for (const c of [this.c, ...this.others]) {
      const n = c.nodes.find((x) => x.name === name);
      if (n) return n;
    }
    throw new Error(`no node ${name}`);
  }

  // ---- time ---------------------------------------------------------------------------------

  run(seconds: number): void {
    this.w.run(this.w.sim.nowUs + sToUs(seconds));
  }

  /** Run until `pred` holds; returns the seconds it took, or null after `seconds`. */
  until(pred: () => boolean, seconds: number): number | null {
    const start = this.w.sim.nowUs;
    const end = start + sToUs(seconds);
    // check every 100 ms of simulated time, like behave's polling steps
    for (;;) {
      if (pred()) return (this.w.sim.nowUs - start) / 1e6;
      if (this.w.sim.nowUs >= end) return null;
      this.w.run(Math.min(end, this.w.sim.nowUs + 100_000));
    }
  }

  /** "Then <thing> after N seconds": fail with `what` if it does not hold in time. */
  expectWithin(what: string, seconds: number, pred: () => boolean): number {
    const took = this.until(pred, seconds);
    this.timings.push({ scenario: expect.getState().currentTestName ?? '', what, limitS: seconds, tookS: took });
    if (took === null && process.env.HAYWIRE_DUMP) dump(this, Math.max(0, this.now - seconds - 30));
    expect(took, `${what} within ${seconds}s`).not.toBeNull();
    return took as number;
  }

  /** Every timed expectation of this run: what, the feature's limit, how long it took (null: never). */
  readonly timings: { scenario: string; what: string; limitS: number; tookS: number | null }[] = [];

  /** Run a task in the operator process to completion. */
  task<T>(t: Task<T>, limitS = 120, proc: Process = this.op): T {
    let res: FiberResult<T> | null = null;
    proc.spawn('behave-step', t, (r) => (res = r));
    const end = this.w.sim.nowUs + sToUs(limitS);
    while (res === null && this.w.sim.nowUs < end) if (!this.w.sim.step()) break;
    const r = res as FiberResult<T> | null;
    if (r === null) throw new Error(`step did not finish within ${limitS}s`);
    if (!r.ok) throw r.error;
    return r.value;
  }

  // ---- nodes ----------------------------------------------------------------------------------

  /** "I start postgres-N" */
  start(name: string): void {
    this.node(name).agent.start('started by behave');
  }

  /** "I shut down postgres-N": SIGTERM to Patroni, which stops PostgreSQL (waits up to 60 s). */
  shutDown(name: string): void {
    const a = this.node(name).agent;
    a.shutdown('SIGTERM');
    this.until(() => !a.alive, 60);
  }

  /** "I kill postgres-N": SIGKILL to Patroni (PostgreSQL keeps running). */
  kill(name: string): void {
    this.node(name).agent.crash('SIGKILL');
  }

  /** "I kill postmaster on postgres-N": pg_ctl stop -m immediate behind Patroni's back. */
  killPostmaster(name: string): void {
    this.node(name).server.postmaster.crash('pg_ctl stop -m immediate');
  }

  /** "postgres-N hangs for S seconds": SIGSTOP of Patroni. */
  hang(name: string, seconds: number): void {
    this.w.nemesis.apply({ kind: 'pause', process: `${name}/patroni` }, `hang-${name}`, sToUs(seconds));
  }

  /** "DCS is down" / "DCS is up": SIGSTOP / SIGCONT of every etcd member. */
  dcsDown(): void {
    for (const s of this.c.dcs.servers) s.pause('DCS is down');
  }
  dcsUp(): void {
    for (const s of this.c.dcs.servers) s.resume('DCS is up');
  }

  /** "postgres-N is a leader" (the leader key in DCS). */
  leader(cluster: BuiltCluster = this.c): string | null {
    return cluster.leaderHolder();
  }

  /** "postgres-N role is the primary/replica": pg_is_in_recovery() in ground truth. */
  role(name: string): 'primary' | 'replica' | 'down' {
    const s = this.node(name).server;
    if (!s.postmaster.alive || !s.isReady()) return 'down';
    return s.postmaster.inRecovery ? 'replica' : 'primary';
  }

  /** synchronous_standby_names as configured on the server ('' when unset). */
  ssn(name: string): string {
    return this.node(name).server.configured.synchronous_standby_names ?? '';
  }

  cycles(name: string): string[] {
    return this.records.filter((r) => r.k === 'patroni.cycle' && (r as { node: string }).node === name).map((r) => (r as { message: string }).message);
  }

  warnings(name: string): string[] {
    return this.records.filter((r) => r.k === 'patroni.warning' && (r as { node?: string }).node === name).map((r) => (r as { message: string }).message);
  }

  // ---- REST and patronictl ---------------------------------------------------------------------

  /** "I issue a <METHOD> request to http://127.0.0.1:<port of node>/<path> with <body>" */
  rest(name: string, method: RestMethod, path: string, body?: unknown, query?: Record<string, string>): { status: number; body: unknown } {
    const target = this.node(name).agent;
    const req: { method: RestMethod; path: string; body?: unknown; query?: Record<string, string> } = { method, path };
    if (body !== undefined) req.body = body;
    if (query) req.query = query;
    const op = this.op;
    return this.task(
      (function* () {
        try {
          const r = yield* op.net.call(op, target, PatroniRest, req, { timeoutUs: sToUs(60) });
          return { status: r.status, body: r.body };
        } catch (e) {
          return { status: 0, body: e instanceof Error ? e.message : String(e) };
        }
      })(),
    );
  }

  /** "Status code on GET <url> is N after S seconds" */
  statusWithin(name: string, path: string, status: number, seconds: number): number {
    return this.expectWithin(`GET ${name}${path} == ${status}`, seconds, () => this.rest(name, 'GET', path).status === status);
  }

  /** "I run patronictl.py <op>": returns its outcome (patroni.operation record). */
  ctl(action: FaultAction, limitS = 60): { ok: boolean; message: string } {
    const before = this.records.filter((r) => r.k === 'patroni.operation').length;
    this.w.nemesis.apply(action);
    let rec: TraceRecord | undefined;
    this.until(() => {
      const ops = this.records.filter((r) => r.k === 'patroni.operation');
      rec = ops.length > before ? ops[before] : undefined;
      return rec !== undefined;
    }, limitS);
    if (!rec) throw new Error(`patronictl ${action.kind} did not finish`);
    const r = rec as unknown as { ok: boolean; message: string };
    return { ok: r.ok, message: r.message };
  }

  /** Read the cluster from the DCS (what `etcdctl get` would show), as an operator client. */
  dcs(cluster: BuiltCluster = this.c): Cluster {
    let d = this.dcsClients.get(cluster.scope);
    if (!d) {
      d = cluster.dcs.client(this.op, `behave-${cluster.scope}`, { ttlMs: 30_000, loopWaitMs: 2_000, retryTimeoutMs: 10_000 });
      this.dcsClients.set(cluster.scope, d);
    }
    const client = d;
    return this.task(client.getCluster());
  }

  /** "sync key in DCS has sync_standby=a,b" (sorted, lower-case as Patroni writes it) */
  syncStandby(cluster: BuiltCluster = this.c): string | null {
    return this.dcs(cluster).sync.sync_standby;
  }

  // ---- data --------------------------------------------------------------------------------------

  /**
   * "I add the table X to postgres-N" / "I load data": one write, sent on a session that (like the
   * behave harness's, `SET synchronous_commit TO 'local'`) does not wait for standbys. The session
   * model has no per-session synchronous_commit, so the step returns once the WAL is flushed
   * locally (ground truth), and the commit's acknowledgement is left to run in the background.
   * Returns the LSN the write reached.
   */
  write(name: string, bytes?: number): number {
    const pm = this.node(name).server.postmaster;
    const before = this.node(name).server.dd.flushLsn;
    const id = ++this.writeId;
    const app = this.app;
    app.spawn(
      `write ${id}`,
      (function* () {
        try {
          const s = yield* PgClientSession.open(app, pm, { connectTimeoutUs: 5_000_000 });
          try {
            yield* s.query(bytes === undefined ? { kind: 'write', writeId: id } : { kind: 'write', writeId: id, bytes }, null);
          } finally {
            s.close();
          }
        } catch {
          // the acknowledgement (or its failure) does not matter to the step
        }
      })(),
    );
    const ok = this.until(() => this.node(name).server.dd.flushLsn > before, 10);
    if (ok === null) throw new Error(`write on ${name} was not flushed`);
    return this.node(name).server.dd.flushLsn;
  }

  /** "replication works from A to B after S seconds": a write on A is replayed on B. */
  replicationWorks(from: string, to: string, seconds: number): number {
    const lsn = this.write(from);
    return this.expectWithin(`replication ${from} -> ${to}`, seconds, () => {
      const pm = this.node(to).server.postmaster;
      return pm.alive && pm.inRecovery && pm.replayLsn >= lsn && this.node(to).server.timeline === this.node(from).server.timeline;
    });
  }

  /** Which upstream a standby's walreceiver streams from (null when not streaming). */
  upstreamOf(name: string): string | null {
    const info = this.node(name).server.postmaster;
    const cfg = this.node(name).server.configuredUpstream;
    return info.alive && info.inRecovery ? (cfg?.host ?? null) : null;
  }
}

const DUMP_KINDS = new Set(['patroni.cycle', 'patroni.warning', 'sim.bug', 'pg.state', 'pg.promote', 'pg.replication', 'patroni.lifecycle', 'dcs.leader', 'host.power', 'patroni.watchdog', 'patroni.operation', 'pg.rewind', 'patroni.rewind', 'fault', 'patroni.callback', 'pg.sync', 'patroni.log']);

/** Debugging aid: print the interesting records since `fromS`. */
export function dump(b: Behave, fromS = 0): void {
  for (const r of b.records) {
    if (r.t >= fromS * 1e6 && DUMP_KINDS.has(r.k)) console.log((r.t / 1e6).toFixed(3), r.k, JSON.stringify(r).slice(0, 240));
  }
}

/** Print the timed expectations of a run (HAYWIRE_TIMINGS=1), for the conformance table. */
export function reportTimings(b: Behave, feature: string): void {
  if (!process.env.HAYWIRE_TIMINGS) return;
  for (const t of b.timings) console.log(`TIMING\t${feature}\t${t.scenario}\t${t.what}\t${t.limitS}\t${t.tookS === null ? 'never' : t.tookS.toFixed(1)}`);
}
