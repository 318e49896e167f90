// Fixtures for PostgreSQL tests: a world of PostgreSQL hosts, an operator process that drives the
// servers through the PgServer API (standing in for Patroni), and a small session client.
import { World } from '../../src/sim/world.js';
import { Process } from '../../src/sim/host/process.js';
import type { Task } from '../../src/sim/kernel/task.js';
import type { FiberResult } from '../../src/sim/kernel/task.js';
import { deployPg } from '../../src/sim/pg/deploy.js';
import type { PgServerImpl, PgNodeOptions } from '../../src/sim/pg/server.js';
import type { PgSettings } from '../../src/sim/pg/api.js';
import { PgClientSession } from '../../src/sim/client/session.js';
import type { SqlResult } from '../../src/sim/pg/sql.js';

/** A bare process that runs whatever tasks a test spawns in it. */
export class Operator extends Process {
  protected onStart(): void {}
}

export interface PgWorld {
  w: World;
  servers: Record<string, PgServerImpl>;
  op: Operator;
  client: Operator;
}

/**
 * Hosts pg1 (dc1), pg2 (dc1, other rack), pg3 (dc2), op and app (dc1). Hosts boot in 1 s.
 */
export function pgWorld(seed = 'pg', opts: { nodes?: string[]; node?: PgNodeOptions; perNode?: Record<string, PgNodeOptions>; keep?: boolean } = {}): PgWorld {
  const w = new World({ seed, trace: { keep: opts.keep ?? true } });
  const nodes = opts.nodes ?? ['pg1', 'pg2', 'pg3'];
  const domains: Record<string, string[]> = {
    pg1: ['eu', 'dc1', 'room1', 'r1'],
    pg2: ['eu', 'dc1', 'room1', 'r2'],
    pg3: ['eu', 'dc2', 'room2', 'r3'],
    pg4: ['eu', 'dc2', 'room2', 'r4'],
  };
  for (const n of nodes) w.addHost({ name: n, domains: domains[n] ?? ['eu', 'dc1', 'room1', 'r9'], bootUs: 1_000_000 });
  w.addHost({ name: 'op', domains: ['eu', 'dc1', 'room1', 'r5'], bootUs: 1_000_000 });
  w.addHost({ name: 'app', domains: ['eu', 'dc1', 'room1', 'r6'], bootUs: 1_000_000 });
  const list = deployPg(w, { nodes, defaults: opts.node ?? {}, perNode: opts.perNode ?? {} });
  const servers: Record<string, PgServerImpl> = {};
  for (const s of list) servers[s.name] = s;
  const op = new Operator(w.net.host('op'), 'operator');
  op.start();
  const client = new Operator(w.net.host('app'), 'client');
  client.start();
  return { w, servers, op, client };
}

/** Run `task` in `proc` and the world until it finishes (or `limitUs` of simulated time passes). */
export function run<T>(w: World, proc: Process, task: Task<T>, limitUs = 600_000_000): T {
  let res: FiberResult<T> | null = null;
  proc.spawn('test', task, (r) => (res = r));
  const end = w.sim.nowUs + limitUs;
  while (res === null && w.sim.nowUs < end) {
    if (!w.sim.step()) break;
  }
  const r = res as FiberResult<T> | null;
  if (r === null) throw new Error(`task did not finish within ${limitUs / 1e6}s of simulated time`);
  if (!r.ok) throw r.error;
  return r.value;
}

/** Start a task in `proc` without waiting; read its result later. */
export function startTask<T>(proc: Process, task: Task<T>): { result: () => FiberResult<T> | null } {
  let res: FiberResult<T> | null = null;
  proc.spawn('bg', task, (r) => (res = r));
  return { result: () => res };
}

/** initdb + start the primary; basebackup + start each replica streaming from its upstream. */
export function* bootstrap(
  primary: PgServerImpl,
  replicas: PgServerImpl[],
  settings: Partial<PgSettings> = {},
  upstreamOf: (r: PgServerImpl) => string = () => primary.name,
): Task<void> {
  if (!(yield* primary.initdb())) throw new Error('initdb failed');
  if (!(yield* primary.start({ standby: false, upstream: null, settings }))) throw new Error('primary did not start');
  for (const r of replicas) {
    const up = upstreamOf(r);
    if (!(yield* r.basebackup(up))) throw new Error(`basebackup of ${r.name} failed`);
    if (!(yield* r.start({ standby: true, upstream: { host: up, applicationName: r.name }, settings }))) throw new Error(`${r.name} did not start`);
  }
}

/** Open a session and run one query. */
export function* oneQuery(proc: Process, target: PgServerImpl, q: Parameters<PgClientSession['query']>[0], timeoutUs: number | null = 10_000_000): Task<SqlResult> {
  const s = yield* PgClientSession.open(proc, target.postmaster, { connectTimeoutUs: 5_000_000 });
  try {
    return yield* s.query(q, timeoutUs);
  } finally {
    s.close();
  }
}

/** Per-test write id allocator (write ids are dense from 1 within a run). */
export function writeIdAllocator(): () => number {
  let n = 0;
  return () => ++n;
}
