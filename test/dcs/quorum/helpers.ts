// Fixtures for the quorum-store tests: a world with three DCS server hosts and three Patroni hosts,
// and a tiny Patroni-like driver process that calls the AbstractDCS tasks.
import { World } from '../../../src/sim/world.js';
import { Process } from '../../../src/sim/host/process.js';
import type { AbstractDCS, DcsTiming } from '../../../src/sim/dcs/abstract.js';
import type { DcsBackendDefinition, DcsDeployment } from '../../../src/sim/dcs/backend.js';
import type { Task } from '../../../src/sim/kernel/task.js';
import type { Cluster } from '../../../src/sim/dcs/cluster.js';
import type { TraceRecord } from '../../../src/sim/kernel/trace.js';

export class Shell extends Process {
  protected onStart(): void {}
}

export const DEFAULT_TIMING: DcsTiming = { ttlMs: 30_000, loopWaitMs: 10_000, retryTimeoutMs: 10_000 };

export interface QuorumWorld {
  world: World;
  dep: DcsDeployment;
  patroni: Shell[];
  clients: AbstractDCS[];
}

/** dcs1..3 on their own racks in one DC, pg1..3 likewise; the store is "dcs". */
export function quorumWorld(
  backend: DcsBackendDefinition,
  opts: { seed?: string; options?: Record<string, unknown>; timing?: DcsTiming; keep?: boolean; clients?: number; members?: number } = {},
): QuorumWorld {
  const world = new World({ seed: opts.seed ?? 'quorum', trace: { keep: opts.keep ?? true, messages: false } });
  const n = opts.members ?? 3;
  for (let i = 1; i <= n; i++) world.addHost({ name: `dcs${i}`, domains: ['eu', 'dc1', 'room1', `rd${i}`], bootUs: 5_000_000 });
  const nc = opts.clients ?? 3;
  for (let i = 1; i <= nc; i++) world.addHost({ name: `pg${i}`, domains: ['eu', 'dc1', 'room1', `rp${i}`], bootUs: 5_000_000 });
  const dep = backend.deploy(world, {
    scope: 'demo',
    namespace: '/service/',
    store: 'dcs',
    members: Array.from({ length: n }, (_, i) => ({ name: `dcs${i + 1}`, host: `dcs${i + 1}` })),
    options: opts.options ?? {},
  });
  dep.start();
  const patroni: Shell[] = [];
  const clients: AbstractDCS[] = [];
  for (let i = 1; i <= nc; i++) {
    const p = new Shell(world.net.host(`pg${i}`), 'patroni');
    p.start();
    patroni.push(p);
    clients.push(dep.client(p, `pg${i}`, opts.timing ?? DEFAULT_TIMING));
  }
  return { world, dep, patroni, clients };
}

export type Outcome<T> = { ok: true; value: T; atUs: number; tookUs: number } | { ok: false; error: string; atUs: number; tookUs: number };

/** Run a task in `proc` now and collect its outcome. */
export function run<T>(proc: Process, name: string, task: Task<T>): { done: boolean; out: Outcome<T> | null; cancel: () => void } {
  const box: { done: boolean; out: Outcome<T> | null; cancel: () => void } = { done: false, out: null, cancel: () => undefined };
  const start = proc.sim.nowUs;
  const fiber = proc.spawn(name, task, (r) => {
    box.done = true;
    const atUs = proc.sim.nowUs;
    box.out = r.ok ? { ok: true, value: r.value, atUs, tookUs: atUs - start } : { ok: false, error: r.error instanceof Error ? `${r.error.name}: ${r.error.message}` : String(r.error), atUs, tookUs: atUs - start };
  });
  box.cancel = () => fiber.cancel();
  return box;
}

/**
 * A Patroni-like loop: get_cluster; if the cluster is unlocked, try to acquire; if I hold the key,
 * update it (and write /status); touch my member key; then watch for loop_wait.
 */
export function* patroniLoop(dcs: AbstractDCS, opts: { loops?: number; log?: (s: string) => void } = {}): Task<void> {
  let lsn = 1000;
  for (let i = 0; opts.loops === undefined || i < opts.loops; i++) {
    let cluster: Cluster | null = null;
    try {
      cluster = yield* dcs.getCluster();
      if (cluster.is_unlocked()) {
        yield* dcs.attemptToAcquireLeader();
      } else if (cluster.leader_name === dcs.name) {
        lsn += 100;
        const ok = yield* dcs.updateLeader(cluster, lsn, null);
        opts.log?.(`${dcs.name} update ${ok}`);
      }
      yield* dcs.touchMember({ state: 'running', role: cluster.leader_name === dcs.name ? 'primary' : 'replica', xlog_location: lsn });
    } catch (e) {
      opts.log?.(`${dcs.name} error ${e instanceof Error ? e.message : String(e)}`);
    }
    // Ha.watch: only a node that does not hold the lock watches the leader key
    const holds = cluster?.leader_name === dcs.name;
    yield* dcs.watch(holds || !cluster?.leader_name ? null : (cluster.leader?.version ?? null), dcs.loopWaitMs);
  }
}

type Rec<K extends string> = Extract<TraceRecord, { k: K }>;
/** The store's leader-key records (grants, renewals, expiries). */
export const leaderRecs = (recs: readonly TraceRecord[]): Rec<'dcs.leader'>[] => recs.filter((r): r is Rec<'dcs.leader'> => r.k === 'dcs.leader');
/** The store's own leadership records (its raft leader, or none). */
export const quorumRecs = (recs: readonly TraceRecord[]): Rec<'dcs.quorum'>[] => recs.filter((r): r is Rec<'dcs.quorum'> => r.k === 'dcs.quorum');

/** A quorum world with every Patroni running its loop, run until `untilUs` (the key is taken by then). */
export function runningQuorum<D extends DcsDeployment>(
  backend: DcsBackendDefinition,
  untilUs: number,
  opts: Parameters<typeof quorumWorld>[1] = {},
): Omit<QuorumWorld, 'dep'> & { dep: D; stopLoops: () => void } {
  const q = quorumWorld(backend, opts);
  const loops = q.clients.map((c, i) => run(q.patroni[i] as Shell, 'loop', patroniLoop(c)));
  q.world.run(untilUs);
  return { ...q, dep: q.dep as D, stopLoops: () => loops.forEach((l) => l.cancel()) };
}
