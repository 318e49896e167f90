// End to end: real Patroni clusters (buildCluster: the Patroni agent, the etcd model, the
// PostgreSQL model) with real client writers, analysed by the detectors from the streamed trace.
// A known-unsafe configuration must produce the incident, the known-safe one must not.
import { describe, expect, it } from 'vitest';
import { World } from '../../src/sim/world.js';
import { buildCluster, type BuiltCluster } from '../../src/sim/cluster/build.js';
import type { ClusterSpec, WatchdogSpec } from '../../src/sim/cluster/spec.js';
import { etcdBackend } from '../../src/sim/dcs/etcd/deploy.js';
import { DirectRouter } from '../../src/sim/client/router.js';
import { LibpqRouter } from '../../src/sim/client/libpq.js';
import { Writer } from '../../src/sim/client/workload.js';
import { clientHistory } from '../../src/sim/client/history.js';
import { startLsnSampler } from '../../src/sim/pg/sampler.js';
import { snapshotAll } from '../../src/sim/pg/server.js';
import { RunAnalyzer, type Analysis } from '../../src/report/analyze.js';
import { TraceFileWriter } from '../../src/report/traceFile.js';
import { renderTerminal } from '../../src/report/terminal.js';
import type { TraceRecord } from '../../src/sim/kernel/trace.js';
import { lineageOracle, snapshotOracle } from '../../src/report/lineage.js';

interface Rig {
  w: World;
  c: BuiltCluster;
  analyzer: RunAnalyzer;
  run(untilS: number): void;
  primaries(): string[];
  finish(expect?: Record<string, unknown>): Analysis;
}

function rig(seed: string, watchdog: WatchdogSpec['mode'], listeners: ((r: TraceRecord) => void)[] = []): Rig {
  const w = new World({ seed, trace: { keep: false } });
  const analyzer = new RunAnalyzer();
  w.sim.trace.subscribe(analyzer.push);
  for (const l of listeners) w.sim.trace.subscribe(l);
  w.addHost({ name: 'app1', domains: ['eu', 'dc1', 'room1', 'r9'] });
  w.addHost({ name: 'app2', domains: ['eu', 'dc1', 'room1', 'r9'] });
  const spec: ClusterSpec = {
    scope: 'batman',
    scenario: `e2e/frozen-primary-${watchdog}`,
    emitRunStart: false,
    dcs: {
      backend: 'etcd',
      members: ['etcd1', 'etcd2', 'etcd3'].map((n, i) => ({ name: n, domains: ['eu', 'dc1', 'room1', `e${i + 1}`] })),
    },
    bootstrap: { dcs: { ttl: 30, loop_wait: 10, retry_timeout: 10 } },
    postgresql: { use_pg_rewind: true },
    watchdog: { mode: watchdog },
    nodes: ['pg1', 'pg2', 'pg3'].map((n, i) => ({ name: n, domains: ['eu', 'dc1', 'room1', `r${i + 1}`], host: { bootUs: 5_000_000 } })),
  };
  const c = buildCluster(w, spec, { backend: etcdBackend });
  // the run.start a scenario runner emits: the cluster plus its clients and their hosts
  w.sim.trace.emit('run.start', {
    scenario: spec.scenario as string,
    seed,
    pgNodes: ['pg1', 'pg2', 'pg3'],
    dcs: { backend: 'etcd', members: ['etcd1', 'etcd2', 'etcd3'], memberHosts: ['etcd1', 'etcd2', 'etcd3'] },
    clients: ['w1', 'w2'],
    clientHosts: ['app1', 'app2'],
    hosts: w.net.hosts.map((h) => ({ name: h.name, domains: [...h.domains] })),
    patroni: { ttl: 30, loop_wait: 10, retry_timeout: 10 },
    nodes: Object.fromEntries(['pg1', 'pg2', 'pg3'].map((n) => [n, { tags: {}, watchdog }])),
  });
  startLsnSampler(w.sim);
  return {
    w,
    c,
    analyzer,
    run(untilS: number): void {
      w.run(untilS * 1e6);
    },
    primaries: () => c.nodes.filter((n) => n.server.writable).map((n) => n.name),
    finish(expect?: Record<string, unknown>): Analysis {
      clientHistory(w.sim).finish();
      snapshotAll(w.sim);
      w.sim.trace.emit('run.end', { reason: 'test finished' });
      const opts: { traceHash: string; endUs: number; expect?: Record<string, unknown> } = { traceHash: w.sim.trace.digest(), endUs: w.sim.nowUs };
      if (expect) opts.expect = expect;
      return analyzer.finish(opts);
    },
  };
}

/**
 * Freeze the leader's Patroni (SIGSTOP) for 60 s. w1 writes through libpq (read-write) and keeps its
 * session on the old primary; w2 starts writing to the new primary as soon as there is one.
 */
function frozenPrimary(watchdog: WatchdogSpec['mode']): Analysis {
  const r = rig(`e2e-freeze-${watchdog}`, watchdog);
  r.run(40);
  const old = r.c.leaderHolder() as string;
  expect(r.primaries()).toEqual([old]);
  const w1 = new Writer(r.w.net.host('app1'), { name: 'w1', router: new LibpqRouter('libpq', { hosts: [old], targetSessionAttrs: 'read-write', connectTimeoutMs: 2000 }), ratePerSec: 5 });
  w1.start();
  r.run(45);
  r.w.nemesis.apply({ kind: 'pause', process: `${old}/patroni` }, 'freeze', 60_000_000);
  // start w2 on whichever node becomes the new primary (or give up after 60 s)
  const until = r.w.sim.nowUs + 60_000_000;
  while (r.w.sim.nowUs < until && !r.c.nodes.some((n) => n.name !== old && n.server.writable)) r.w.sim.step();
  const next = r.c.nodes.find((n) => n.name !== old && n.server.writable)?.name;
  if (next) new Writer(r.w.net.host('app2'), { name: 'w2', router: new DirectRouter(next), ratePerSec: 5 }).start();
  r.run(170);
  frozenAnalysis = r.finish();
  return frozenAnalysis;
}
let frozenAnalysis: Analysis | undefined;

describe('end to end on real clusters', () => {
  it('a frozen primary Patroni without a watchdog: confirmed split-brain, lost writes, a false failover — found and explained', () => {
    const { result } = frozenPrimary('off');
    if (process.env.SHOW) console.log(renderTerminal([result], { color: false }));
  const sb = result.incidents.filter((i) => i.kind === 'split-brain');
    expect(sb).toHaveLength(1);
    expect(sb[0]!.details.confirmed).toBe(true);
    expect(sb[0]!.details.causes).toEqual(expect.arrayContaining(['agent-paused', 'no-watchdog']));
    expect(sb[0]!.explanation).toMatch(/^pg\d kept accepting writes for [\d.]+ s after pg\d was promoted: its Patroni was paused 60 s > ttl 30 and no watchdog was configured/);
    // the writes the old primary acknowledged after the fork are gone once it is rewound or re-cloned
    expect(result.metrics.lostWrites).toBeGreaterThan(0);
    const lost = result.incidents.filter((i) => i.kind === 'lost-write');
    for (const i of lost) for (const id of i.writes) expect(sb[0]!.writes).toContain(id);
    expect(result.incidents.some((i) => i.kind === 'divergence')).toBe(true);
    const ff = result.incidents.filter((i) => i.kind === 'false-failover');
    expect(ff).toHaveLength(1);
    expect(ff[0]!.details.causes).toContain('agent-paused');
    expect(result.metrics.failovers).toBe(1);
    expect(result.traceHash).toMatch(/^[0-9a-f]{16}$/);
    // the PostgreSQL model's end-of-run snapshot and the lineage semantics agree on every write
    const a = frozenAnalysis!;
    expect(a.history.snapshot).not.toBeNull();
    const snap = snapshotOracle(a.history, a.context.lineage)!;
    const lin = lineageOracle(a.history, a.context.lineage);
    expect(snap).not.toBeNull();
    let n = 0;
    for (const row of a.history.writes.rows()) {
      expect(snap.containsWrite(row.writeId)).toBe(lin.containsWrite(row.writeId));
      n++;
    }
    expect(n).toBeGreaterThan(500);
  });

  it('the same freeze with the watchdog required: the host is reset, no split-brain, no false failover', () => {
    const { result } = frozenPrimary('required');
    if (process.env.SHOW) console.log(renderTerminal([result], { color: false }));
    expect(result.incidents.filter((i) => i.kind === 'split-brain')).toEqual([]);
    expect(result.incidents.filter((i) => i.kind === 'false-failover')).toEqual([]);
    expect(result.metrics.lostWrites).toBe(0);
    // the watchdog fired and reset the frozen primary's host (on reboot it may even keep its own key)
    expect(frozenAnalysis!.history.watchdog.some((e) => e.event === 'fired')).toBe(true);
  });

  it('a healthy cluster with a steady writer: no incident at all, full availability, nothing lost', () => {
    const r = rig('e2e-healthy', 'off');
    r.run(40);
    const leader = r.c.leaderHolder() as string;
    new Writer(r.w.net.host('app1'), { name: 'w1', router: new LibpqRouter('libpq', { hosts: ['pg1', 'pg2', 'pg3'], targetSessionAttrs: 'read-write', connectTimeoutMs: 2000 }), ratePerSec: 10 }).start();
    r.run(120);
    const { result } = r.finish({ splitBrain: 'none', lostWrites: 0, failovers: 0 });
    expect(result.incidents).toEqual([]);
    expect(result.verdict).toBe('pass');
    expect(result.metrics.writes.acknowledged).toBeGreaterThan(700);
    expect(result.metrics.writeAvailability).toBe(1);
    expect(result.finalHistory.node).toBe(leader);
  });

  it('the streamed trace file and the in-process analysis agree', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { analyzeTraceFile } = await import('../../src/report/analyze.js');
    const file = join(mkdtempSync(join(tmpdir(), 'haywire-e2e-')), 'trace.ndjson');
    const writer = new TraceFileWriter(file, { scenario: 'e2e/trace', seed: 'e2e-trace' });
    const r = rig('e2e-trace', 'off', [writer.push]);
    r.run(40);
    const old = r.c.leaderHolder() as string;
    new Writer(r.w.net.host('app1'), { name: 'w1', router: new LibpqRouter('libpq', { hosts: ['pg1', 'pg2', 'pg3'], targetSessionAttrs: 'read-write', connectTimeoutMs: 2000 }), ratePerSec: 5 }).start();
    r.run(45);
    r.w.nemesis.apply({ kind: 'power-off', host: old }, 'power', 30_000_000);
    r.run(130);
    const live = r.finish();
    writer.close(r.w.sim.trace.digest());
    const fromFile = analyzeTraceFile(file, { scenario: live.result.scenario, seed: live.result.seed });
    expect(fromFile.result.traceHash).toBe(live.result.traceHash);
    expect(JSON.stringify(fromFile.result)).toBe(JSON.stringify(live.result));
    expect(live.result.metrics.failovers).toBe(1);
    expect(live.result.incidents.filter((i) => i.kind === 'split-brain' || i.kind === 'false-failover')).toEqual([]);
  });

  it('clients cut off from a primary that still reaches the DCS: a missed failover past the budget, none within it', () => {
    const run = (cutS: number): Analysis => {
      const r = rig(`e2e-client-cut-${cutS}`, 'off');
      r.run(40);
      const leader = r.c.leaderHolder() as string;
      new Writer(r.w.net.host('app1'), { name: 'w1', router: new LibpqRouter('libpq', { hosts: ['pg1', 'pg2', 'pg3'], targetSessionAttrs: 'read-write', connectTimeoutMs: 2000 }), ratePerSec: 5 }).start();
      r.run(45);
      r.w.nemesis.apply({ kind: 'cut', a: ['app1', 'app2'], b: [leader] }, 'client-cut', cutS * 1_000_000);
      r.run(45 + cutS + 30);
      return r.finish();
    };
    const long = run(120).result;
    const mf = long.incidents.filter((i) => i.kind === 'missed-failover');
    expect(mf).toHaveLength(1);
    expect(mf[0]!.details.verdict).toBe('misjudgment');
    expect(mf[0]!.explanation).toContain('stayed primary and kept the leader key because it could still reach the DCS, while no client could reach it');
    expect(long.metrics.failovers).toBe(0);
    const short = run(40).result;
    expect(short.incidents.filter((i) => i.kind === 'missed-failover')).toEqual([]);
  });

  it('a replica cut off from the primary but not from etcd goes unnoticed; one isolated from etcd too does not', () => {
    const run = (isolate: boolean): Analysis => {
      const r = rig(`e2e-replica-cut-${isolate}`, 'off');
      r.run(40);
      const leader = r.c.leaderHolder() as string;
      const replica = ['pg1', 'pg2', 'pg3'].find((n) => n !== leader) as string;
      new Writer(r.w.net.host('app1'), { name: 'w1', router: new LibpqRouter('libpq', { hosts: ['pg1', 'pg2', 'pg3'], targetSessionAttrs: 'read-write', connectTimeoutMs: 2000 }), ratePerSec: 5 }).start();
      r.run(45);
      if (isolate) r.w.nemesis.apply({ kind: 'isolate', targets: [replica] }, 'cut', 90_000_000);
      else r.w.nemesis.apply({ kind: 'cut', a: [replica], b: [leader] }, 'cut', 90_000_000);
      r.run(170);
      return r.finish();
    };
    const cut = run(false).result;
    const up = cut.incidents.filter((i) => i.kind === 'undetected-partition');
    expect(up).toHaveLength(1);
    expect(up[0]!.endMs - up[0]!.startMs).toBeGreaterThan(80_000);
    expect(up[0]!.explanation).toMatch(/was cut off from pg\d for [\d.]+ s from 45 s while the cluster kept reporting it healthy/);
    expect(run(true).result.incidents.filter((i) => i.kind === 'undetected-partition')).toEqual([]);
  });
});
