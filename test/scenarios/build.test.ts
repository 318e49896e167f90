// From a scenario to a running world: the ClusterSpec mapping, clients, roles resolved when a
// fault fires, phases, build-time errors, and runs whose outcome a Patroni expert predicts.
import { describe, expect, it } from 'vitest';
import { buildScenario, checkBuildable, clusterSpecOf } from '../../src/scenarios/build.js';
import { formatDiagnostic, ScenarioCannotRunError, ScenarioInputError } from '../../src/scenarios/errors.js';
import { loadScenarioText } from '../../src/scenarios/load.js';
import { simulateScenario } from '../../src/scenarios/simulate.js';
import { etcdBackend } from '../../src/sim/dcs/etcd/deploy.js';
import type { TraceRecord } from '../../src/sim/kernel/trace.js';
import { y } from './helpers.js';
import { availableBackends, backendFor } from '../../src/sim/dcs/registry.js';
import type { ClusterDecl } from '../../src/scenarios/types.js';

// The DCS registry may not list the backends yet: tests hand the etcd definition in directly.
const backends = { etcd: etcdBackend };

function records<K extends TraceRecord['k']>(all: readonly TraceRecord[], k: K): Extract<TraceRecord, { k: K }>[] {
  return all.filter((r) => r.k === k) as Extract<TraceRecord, { k: K }>[];
}

function buildErrors(text: string): { kind: 'input' | 'cannot'; lines: string[] } {
  const l = loadScenarioText(text, 'b.yaml');
  try {
    checkBuildable(l.scenario, { source: l.source, backends });
  } catch (e) {
    if (e instanceof ScenarioInputError) return { kind: 'input', lines: e.diagnostics.map(formatDiagnostic) };
    if (e instanceof ScenarioCannotRunError) return { kind: 'cannot', lines: e.diagnostics.map(formatDiagnostic) };
    throw e;
  }
  throw new Error('expected the build to refuse it');
}

describe('the ClusterSpec of a scenario', () => {
  it('carries nodes, placement, tags, watchdog and device, the store and bootstrap.dcs in Patroni\'s names', () => {
    const { scenario: s } = loadScenarioText(
      y([
        'topology: { hosts: { pg1: { domains: eu/dc1/r1, watchdogDevice: true }, pg2: eu/dc2/r1 } }',
        'dcs: { backend: etcd, members: [{ name: e1, domains: eu/dc1/r2 }, { name: e2, domains: eu/dc2/r2 }, { name: e3, domains: eu/dc3 }], options: { electionTimeoutMs: 1000 } }',
        'patroni:',
        '  scope: batman',
        '  ttl: 20',
        '  synchronous_mode: quorum',
        '  watchdog: { mode: required }',
        '  nodes: [pg1, { name: pg2, tags: { nofailover: true }, dcsEndpoints: [e2, e1] }]',
        'postgresql: { dataSize: 5GB, replaySpeed: 10MB/s, walBandwidth: 1MB/s, synchronous_commit: remote_write }',
      ]),
      'spec.yaml',
    );
    const spec = clusterSpecOf(s, s.clusters[0]!, new Set());
    expect(spec).toEqual({
      scope: 'batman',
      namespace: '/service/',
      dcs: {
        backend: 'etcd',
        members: [
          { name: 'e1', domains: ['eu', 'dc1', 'r2'] },
          { name: 'e2', domains: ['eu', 'dc2', 'r2'] },
          { name: 'e3', domains: ['eu', 'dc3'] },
        ],
        options: { electionTimeoutMs: 1000 },
        store: 'etcd',
      },
      bootstrap: { dcs: { ttl: 20, synchronous_mode: 'quorum', postgresql: { parameters: { synchronous_commit: 'remote_write' } } } },
      nodes: [
        { name: 'pg1', domains: ['eu', 'dc1', 'r1'], tags: {}, watchdog: { mode: 'required', safety_margin: 5, device: true } },
        { name: 'pg2', domains: ['eu', 'dc2', 'r1'], tags: { nofailover: true }, watchdog: { mode: 'required', safety_margin: 5, device: false }, dcsEndpoints: ['e2', 'e1'] },
      ],
      pgOptions: {
        timings: { replayBytesPerSec: 10 * 1024 ** 2, initdbDataBytes: 5 * 1024 ** 3, walSenderBytesPerSec: 1024 ** 2 },
        settings: { synchronous_commit: 'remote_write' },
      },
      emitRunStart: false,
      scenario: 'spec.yaml',
    });
  });
});

describe('build-time checks', () => {
  it('names a process no host runs, with the processes it does run', () => {
    const r = buildErrors(y(['dcs: { backend: etcd }', 'faults:', '  - { at: 40s, kind: crash, process: pg1/patorni }']));
    expect(r.kind).toBe('input');
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/^b\.yaml:3:38: faults\[0\]\.process: host "pg1" runs no process "patorni"; did you mean "patroni"\?; it runs postgres, pg_tools, watchdog, patroni$/);
  });

  it('refuses a fault kind no model registered, at the kind', () => {
    const r = buildErrors(y(['dcs: { backend: etcd }', 'faults:', '  - { at: 40s, kind: sentinel-failover, store: etcd }']));
    expect(r.kind).toBe('input');
    expect(r.lines[0]).toMatch(/^b\.yaml:3:22: faults\[0\]\.kind: no model registers the fault kind "sentinel-failover" in this scenario's world; registered: .*isolate/);
  });

  it('accepts a kind a model registers (replay-pause by the PostgreSQL model, patroni-stop by the agent)', () => {
    const l = loadScenarioText(y(['dcs: { backend: etcd }', 'faults:', '  - { at: 40s, kind: patroni-stop, node: pg1 }', '  - { at: 50s, kind: replay-pause, node: pg2 }']), 'ok.yaml');
    expect(() => checkBuildable(l.scenario, { source: l.source, backends })).not.toThrow();
  });

  it('every DCS backend the format accepts is available in this build; a member may run on an existing host', () => {
    for (const kind of availableBackends()) expect(() => backendFor(kind)).not.toThrow();
    expect(availableBackends()).toEqual(['consul', 'dynamodb', 'etcd', 'etcd2', 'file', 'kubernetes', 'memory', 'postgresql', 'redis', 'zookeeper']);
    const l = loadScenarioText(y(['dcs: { backend: etcd, members: [{ name: e1, host: pg1 }, e2, e3] }']), 'b.yaml');
    expect(() => checkBuildable(l.scenario, { source: l.source })).not.toThrow();
    const spec = clusterSpecOf(l.scenario, l.scenario.clusters[0] as ClusterDecl, new Set());
    expect(spec.dcs.members[0]).toMatchObject({ name: 'e1', host: 'pg1' });
    expect(spec.dcs.members[1]).not.toHaveProperty('host');
  });
});

describe('running a scenario', () => {
  const unsafe = y([
    '# Patroni on the primary frozen 40s > ttl 30, no watchdog: nothing fences PostgreSQL.',
    'name: frozen',
    'dcs: { backend: etcd }',
    'patroni: { ttl: 30, loop_wait: 10, retry_timeout: 10, watchdog: { mode: off }, nodes: 3 }',
    'phases: { warmup: 30s, chaos: 60s, converge: 30s }',
    'faults:',
    '  - { at: 45s, for: 40s, kind: pause, process: "@primary/patroni" }',
    'expect: { splitBrain: any, falseFailovers: ">= 1", lostWrites: 0 }',
  ]);

  it('a paused primary without a watchdog gives split-brain; the role is resolved when the fault fires', () => {
    const sim = simulateScenario(loadScenarioText(unsafe, 'frozen.yaml'), { backends, keepRecords: true });
    const recs = sim.records ?? [];
    const leaderAt45 = records(recs, 'dcs.leader').filter((r) => r.t <= 45e6 && r.holder !== null).pop()?.holder;
    expect(leaderAt45).toMatch(/^pg[123]$/);
    const pause = records(recs, 'fault').find((r) => r.id === 'f0' && r.on);
    expect(pause).toMatchObject({ t: 45e6, kind: 'pause', what: `SIGSTOP ${leaderAt45}/patroni` });
    const r = sim.analysis.result;
    const sb = r.incidents.find((i) => i.kind === 'split-brain');
    expect(sb?.nodes).toContain(leaderAt45);
    expect(r.incidents.some((i) => i.kind === 'false-failover')).toBe(true);
    expect(r.verdict).toBe('pass');
    // the phases, in order, and the end of the run
    expect(records(recs, 'run.phase').map((p) => [p.t, p.phase])).toEqual([
      [0, 'warmup'],
      [30e6, 'chaos'],
      [90e6, 'converge'],
    ]);
    expect(records(recs, 'run.end')).toHaveLength(1);
    expect(recs[0]?.k).toBe('run.start');
    expect(records(recs, 'run.start')[0]).toMatchObject({ scenario: 'frozen.yaml', pgNodes: ['pg1', 'pg2', 'pg3'], clients: ['writer1'], clientHosts: ['app1'] });
  });

  it('the same cluster with a watchdog the primary can use: no split-brain', () => {
    const safe = unsafe
      .replace('watchdog: { mode: off }', 'watchdog: { mode: required }')
      .replace('dcs: { backend: etcd }', 'dcs: { backend: etcd }\ntopology: { hosts: { pg1: { domains: r/d/a, watchdogDevice: true }, pg2: { domains: r/d/b, watchdogDevice: true }, pg3: { domains: r/d/c, watchdogDevice: true } } }')
      .replace('expect: { splitBrain: any, falseFailovers: ">= 1", lostWrites: 0 }', 'expect: { splitBrain: none }');
    const sim = simulateScenario(loadScenarioText(safe, 'fenced.yaml'), { backends, keepRecords: true });
    expect(sim.analysis.result.incidents.filter((i) => i.kind === 'split-brain')).toEqual([]);
    expect(records(sim.records ?? [], 'patroni.watchdog').some((w) => w.event === 'fired')).toBe(true);
  });

  it('is deterministic: same scenario and seed, same trace hash; another seed, another', () => {
    const short = y(['dcs: { backend: etcd }', 'phases: { warmup: 20s, chaos: 20s, converge: 10s }', 'faults:', '  - { at: 25s, for: 10s, kind: isolate, targets: "@primary" }']);
    const a = simulateScenario(loadScenarioText(short, 'd.yaml'), { backends });
    const b = simulateScenario(loadScenarioText(short, 'd.yaml'), { backends });
    const c = simulateScenario(loadScenarioText(short, 'd.yaml', { overrides: { seed: '2' } }), { backends });
    expect(a.traceHash).toBe(b.traceHash);
    expect(c.traceHash).not.toBe(a.traceHash);
  });

  it('expands a DCS outage to every server, and heals what is still active at the end of the chaos', () => {
    const sim = simulateScenario(
      loadScenarioText(
        y([
          'dcs: { backend: etcd }',
          'phases: { warmup: 20s, chaos: 20s, converge: 5s }',
          'faults:',
          '  - { at: 25s, for: 5s, kind: dcs-outage, id: out }',
          '  - { at: 26s, kind: isolate, targets: pg1, id: cut }',
          '  - { at: 27s, kind: clock-step, host: dc1, by: 2s }',
          '  - { at: 28s, kind: isolate, targets: "@sync" }',
        ]),
        'o.yaml',
      ),
      { backends, keepRecords: true },
    );
    const recs = sim.records ?? [];
    const faults = records(recs, 'fault').map((f) => [f.t / 1e6, f.id, f.on, f.what]);
    expect(faults).toEqual([
      [25, 'out.1', true, 'SIGSTOP etcd1/etcd1'],
      [25, 'out.2', true, 'SIGSTOP etcd2/etcd2'],
      [25, 'out.3', true, 'SIGSTOP etcd3/etcd3'],
      [26, 'cut', true, 'isolate [pg1]'],
      [27, 'f2.1', true, "step pg1's clock by 2000ms"],
      [27, 'f2.2', true, "step pg2's clock by 2000ms"],
      [27, 'f2.3', true, "step pg3's clock by 2000ms"],
      [27, 'f2.4', true, "step etcd1's clock by 2000ms"],
      [27, 'f2.5', true, "step etcd2's clock by 2000ms"],
      [27, 'f2.6', true, "step etcd3's clock by 2000ms"],
      [27, 'f2.7', true, "step app1's clock by 2000ms"],
      [30, 'out.1', false, 'SIGSTOP etcd1/etcd1'],
      [30, 'out.2', false, 'SIGSTOP etcd2/etcd2'],
      [30, 'out.3', false, 'SIGSTOP etcd3/etcd3'],
      [40, 'cut', false, 'isolate [pg1]'],
    ]);
    // asynchronous replication: no synchronous standby to isolate, so the fault is skipped and says why
    expect(records(recs, 'scenario.fault-skipped')).toEqual([{ t: 28e6, k: 'scenario.fault-skipped', id: 'f3', kind: 'isolate', reason: expect.stringContaining('no synchronous standby') }]);
  });

  it('builds each router kind with its clients', () => {
    const build = (router: string, readFrom = 'replica') =>
      buildScenario(loadScenarioText(y(['dcs: { backend: etcd }', `workload: { writers: 2, readers: 1, readFrom: ${readFrom}, clients: [a1, a2], router: ${router} }`]), 'r.yaml').scenario, { backends });
    const hp = build('haproxy');
    expect(hp.clients.writers.map((w) => `${w.host.name}/${w.name}`)).toEqual(['a1/writer1', 'a2/writer2']);
    expect(hp.clients.readers.map((w) => `${w.host.name}/${w.name}`)).toEqual(['a1/reader1']);
    expect(hp.clients.haproxies.map((h) => `${h.host.name}/${h.name} ${h.opts.path}`)).toEqual(['a1/haproxy /primary', 'a2/haproxy /primary', 'a1/haproxy-replica /replica']);
    const vip = build('vip', 'primary');
    expect(vip.clients.vipManagers.map((v) => v.host.name)).toEqual(['pg1', 'pg2', 'pg3']);
  });
});
