import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenarios/load.js';
import { load, warningsOf, y } from './helpers.js';

describe('a minimal scenario', () => {
  const { scenario: s, warnings } = load(y(['dcs: { backend: etcd }']));

  it('fills every default: 3 nodes, 3 etcd members next to them, one writer through HAProxy', () => {
    expect(warnings).toEqual([]);
    expect(s.name).toBe('x');
    expect(s.seed).toBe('1');
    expect(s.clusters).toHaveLength(1);
    const c = s.clusters[0]!;
    expect(c.name).toBe('main');
    expect(c.namespace).toBe('/service/');
    expect(c.store).toBe('etcd');
    expect(c.dynamic).toEqual({});
    expect(c.nodes.map((n) => n.name)).toEqual(['pg1', 'pg2', 'pg3']);
    expect(c.nodes[0]!.watchdog).toEqual({ mode: 'automatic', device: '/dev/watchdog', safety_margin: 5 });
    expect(s.stores).toEqual([
      {
        name: 'etcd',
        backend: 'etcd',
        members: [
          { name: 'etcd1', host: 'etcd1' },
          { name: 'etcd2', host: 'etcd2' },
          { name: 'etcd3', host: 'etcd3' },
        ],
        options: {},
      },
    ]);
    const host = (n: string) => s.hosts.find((h) => h.name === n)!;
    expect(host('pg1').domains).toEqual(['region1', 'dc1', 'room1', 'rack-pg1']);
    // members sit next to the nodes, round-robin
    expect(host('etcd2').domains).toEqual(host('pg2').domains);
    expect(host('app1').domains).toEqual(['region1', 'dc1', 'room1', 'rack-app1']);
    expect(host('pg1').fsyncUs).toBe(500);
    expect(host('app1').fsyncUs).toBe(500);
    expect(host('pg1').watchdogDevice).toBe(false);
    expect(s.workloads).toEqual([
      {
        cluster: 'main',
        writers: 1,
        writesPerSec: 10,
        arrivals: 'fixed',
        writeSizeBytes: 200,
        readers: 0,
        readsPerSec: 10,
        readFrom: 'primary',
        clients: ['app1'],
        startUs: 30_000_000,
        timeoutUs: 5_000_000,
        router: { kind: 'haproxy', host: null, intervalUs: 3_000_000, fall: 3, rise: 2, timeoutUs: 5_000_000, shutdownSessions: true },
        retry: { attempts: 0, backoffUs: 500_000, multiplier: 2, retryUnknown: true },
      },
    ]);
    expect(s.phases).toEqual({ warmupUs: 30e6, chaosUs: 120e6, convergeUs: 60e6, heal: 'all', chaosEndUs: 150e6, endUs: 210e6 });
    expect(s.faults).toEqual([]);
    expect(s.expect).toEqual({});
  });

  it('is plain data (survives structuredClone unchanged)', () => {
    expect(structuredClone(s)).toEqual(s);
  });
});

describe('the full format', () => {
  const text = y([
    'name: full',
    'description: everything at once',
    'covers: [P1, W1]',
    'seed: 42',
    'topology:',
    '  hosts:',
    '    pg1: eu/dc1/room1/rack1',
    '    pg2: [eu, dc2]',
    '    pg3: { domains: us/dc3, clock: { offset: -250ms, drift: 20ppm }, disk: { fsync: 2ms }, boot: 45s, watchdogDevice: true }',
    '  latency:',
    '    classes:',
    '      world: { rtt: [150ms, 250ms], jitter: 0.05, bandwidth: 1Gbit/s }',
    '    overrides:',
    '      - { between: [eu, us], rtt: 180ms }',
    'dcs:',
    '  backend: consul',
    '  members: [{ name: c1, host: pg1 }, c2, { name: c3, domains: us/dc3/room9 }]',
    '  options: { consistency: consistent }',
    'patroni:',
    '  scope: batman',
    '  ttl: "1m"',
    '  loop_wait: 10',
    '  retry_timeout: 10',
    '  maximum_lag_on_failover: 16MB',
    '  synchronous_mode: quorum',
    '  synchronous_node_count: 2',
    '  failsafe_mode: on',
    '  postgresql:',
    '    use_pg_rewind: yes',
    '    parameters: { max_connections: 200, hot_standby: on, wal_log_hints: true }',
    '  tags: { nosync: false }',
    '  watchdog: { mode: required, safety_margin: -1 }',
    '  nodes:',
    '    - pg1',
    '    - { name: pg2, tags: { failover_priority: 2 } }',
    '    - { name: pg3, tags: { nofailover: true }, watchdog: { mode: off }, dcsEndpoints: [c3, c1] }',
    'postgresql: { version: 15, dataSize: 10GB, synchronous_commit: remote_apply, disk: { fsync: 1ms }, replaySpeed: 50MB/s, walBandwidth: 20MB/s }',
    'workload:',
    '  writers: 4',
    '  rate: 600/min',
    '  writeSize: 8kB',
    '  readers: 2',
    '  readFrom: replica',
    '  clients: [app-eu, app-us]',
    '  timeout: 2s',
    '  router: { kind: libpq, hosts: [pg2, pg1], connectTimeout: 3s }',
    '  retry: { attempts: 5, backoff: 100ms, multiplier: 1.5, retryUnknown: false }',
    '  arrivals: poisson',
    'phases: { warmup: 1m, chaos: 5m, converge: 2m, heal: none }',
    'faults:',
    '  - { at: 90s, for: 30s, kind: split, groups: [[eu], [us]], id: ocean }',
    '  - { at: 2m, kind: flap, fault: { kind: one-way, from: pg1, to: [pg2, pg3] }, on: 2s, off: 3s, for: 1m }',
    '  - { at: 3m, kind: degrade, a: us, extraLatency: 200ms, loss: 0.01 }',
    '  - { at: 3m, kind: clock-step, host: pg3, by: -2s }',
    '  - { at: 4m, kind: disk-stall, host: [pg1, pg2], latency: 5s, for: 20s }',
    '  - { at: 4m, kind: switchover, candidate: pg2, scheduled: 30s }',
    '  - { at: 5m, kind: edit-config, set: { ttl: 45, synchronous_mode: off, standby_cluster: null } }',
    '  - { at: 5m, kind: heal, fault: ocean }',
    '  - { at: 5m30s, kind: replay-pause, node: "@sync", for: 10s }',
    'expect:',
    '  splitBrain: none',
    '  lostWrites: 0',
    '  maxUnavailableMs: "<= 45s"',
    '  incidents: [{ kind: false-failover, optional: true }]',
  ]);
  const { scenario: s, warnings } = load(text, 'full.yaml');

  it('warns where a required watchdog has no device', () => {
    expect(warnings.map((w) => `${w.line}:${w.col} ${w.message}`)).toEqual([
      '34:7 watchdog mode is required but host "pg1" has no watchdog device (topology.hosts.pg1.watchdogDevice); Patroni will refuse to run as leader there',
      '35:7 watchdog mode is required but host "pg2" has no watchdog device (topology.hosts.pg2.watchdogDevice); Patroni will refuse to run as leader there',
    ]);
  });

  it('reads hosts, clocks, disks and latency in haywire units', () => {
    expect(s.name).toBe('full');
    expect(s.seed).toBe('42');
    expect(s.covers).toEqual(['P1', 'W1']);
    const pg3 = s.hosts.find((h) => h.name === 'pg3')!;
    expect(pg3).toEqual({
      name: 'pg3',
      domains: ['us', 'dc3'],
      clockOffsetUs: -250_000,
      clockDriftPpm: 20,
      fsyncUs: 2000,
      bootUs: 45_000_000,
      watchdogDevice: true,
      auto: false,
    });
    // database hosts without their own disk take postgresql.disk
    expect(s.hosts.find((h) => h.name === 'pg1')!.fsyncUs).toBe(1000);
    expect(s.latency).toEqual({
      classes: { world: { rttMs: [150, 250], jitter: 0.05, bandwidthBytesPerSec: 125_000_000 } },
      overrides: [{ between: ['eu', 'us'], rttMs: 180 }],
    });
  });

  it('keeps Patroni keys in Patroni units, as /config would hold them', () => {
    const c = s.clusters[0]!;
    expect(c.name).toBe('batman');
    expect(c.dynamic).toEqual({
      ttl: 60,
      loop_wait: 10,
      retry_timeout: 10,
      maximum_lag_on_failover: 16 * 1024 * 1024,
      synchronous_mode: 'quorum',
      synchronous_node_count: 2,
      failsafe_mode: true,
      postgresql: {
        use_pg_rewind: true,
        parameters: { max_connections: 200, hot_standby: 'on', wal_log_hints: 'on', synchronous_commit: 'remote_apply' },
      },
    });
    expect(c.nodes).toEqual([
      { name: 'pg1', tags: { nosync: false }, watchdog: { mode: 'required', device: '/dev/watchdog', safety_margin: -1 } },
      { name: 'pg2', tags: { nosync: false, failover_priority: 2 }, watchdog: { mode: 'required', device: '/dev/watchdog', safety_margin: -1 } },
      { name: 'pg3', tags: { nosync: false, nofailover: true }, watchdog: { mode: 'off', device: '/dev/watchdog', safety_margin: -1 }, dcsEndpoints: ['c3', 'c1'] },
    ]);
    expect(c.postgresql).toEqual({
      version: 15,
      dataSizeBytes: 10 * 1024 ** 3,
      synchronousCommit: 'remote_apply',
      fsyncUs: 1000,
      replayBytesPerSec: 50 * 1024 ** 2,
      walBandwidthBytesPerSec: 20 * 1024 ** 2,
    });
  });

  it('places DCS members on a named host, on their own host, or in given domains', () => {
    expect(s.stores[0]).toEqual({
      name: 'consul',
      backend: 'consul',
      members: [
        { name: 'c1', host: 'pg1' },
        { name: 'c2', host: 'c2' },
        { name: 'c3', host: 'c3' },
      ],
      options: { consistency: 'consistent' },
    });
    expect(s.hosts.find((h) => h.name === 'c3')!.domains).toEqual(['us', 'dc3', 'room9']);
  });

  it('reads the workload, router and retry policy', () => {
    expect(s.workloads[0]).toMatchObject({
      writers: 4,
      writesPerSec: 10,
      writeSizeBytes: 8192,
      readers: 2,
      readFrom: 'replica',
      clients: ['app-eu', 'app-us'],
      startUs: 60_000_000,
      timeoutUs: 2_000_000,
      router: { kind: 'libpq', hosts: ['pg2', 'pg1'], targetSessionAttrs: 'read-write', connectTimeoutUs: 3_000_000 },
      retry: { attempts: 5, backoffUs: 100_000, multiplier: 1.5, retryUnknown: false },
      arrivals: 'poisson',
    });
    expect(s.phases).toEqual({ warmupUs: 60e6, chaosUs: 300e6, convergeUs: 120e6, heal: 'none', chaosEndUs: 360e6, endUs: 480e6 });
  });

  it('reads the fault timeline with ids, times in µs and typed actions', () => {
    expect(s.faults.map((f) => [f.id, f.atUs, f.durationUs, f.action.kind, f.cluster])).toEqual([
      ['ocean', 90e6, 30e6, 'split', undefined],
      ['f1', 120e6, 60e6, 'flap', undefined],
      ['f2', 180e6, undefined, 'degrade', undefined],
      ['f3', 180e6, undefined, 'clock-step', undefined],
      ['f4', 240e6, 20e6, 'disk-stall', undefined],
      ['f5', 240e6, undefined, 'switchover', 'batman'],
      ['f6', 300e6, undefined, 'edit-config', 'batman'],
      ['f7', 300e6, undefined, 'heal', undefined],
      ['f8', 330e6, 10e6, 'replay-pause', 'batman'],
    ]);
    expect(s.faults[0]!.action).toEqual({ kind: 'split', groups: [['eu'], ['us']] });
    expect(s.faults[1]!.action).toEqual({ kind: 'flap', fault: { kind: 'one-way', from: ['pg1'], to: ['pg2', 'pg3'] }, on: 2e6, off: 3e6 });
    expect(s.faults[2]!.action).toEqual({ kind: 'degrade', a: ['us'], extraLatency: 200_000, loss: 0.01 });
    expect(s.faults[3]!.action).toEqual({ kind: 'clock-step', host: ['pg3'], by: -2e6 });
    expect(s.faults[5]!.action).toEqual({ kind: 'switchover', candidate: 'pg2', scheduled: 30e6 });
    expect(s.faults[6]!.action).toEqual({ kind: 'edit-config', set: { ttl: 45, synchronous_mode: false, standby_cluster: null } });
    expect(s.faults[6]!.path).toEqual(['faults', 6]);
  });

  it('keeps the expect block as the report evaluates it, an incidents list as counts', () => {
    expect(s.expect).toEqual({ splitBrain: 'none', lostWrites: 0, maxUnavailableMs: '<= 45s', falseFailovers: '>= 0' });
  });
});

describe('several clusters', () => {
  it('reads a primary cluster and a standby cluster, each with its own store', () => {
    const { scenario: s } = load(
      y([
        'clusters:',
        '  dc1:',
        '    dcs: { backend: etcd, name: etcd-a }',
        '    patroni: { nodes: [a1, a2] }',
        '  dc2:',
        '    dcs: { backend: zookeeper, members: 1 }',
        '    patroni:',
        '      standby_cluster: { host: a1, port: 5432 }',
        '      nodes: [b1]',
        'workload: [{ cluster: dc1 }, { cluster: dc2, writers: 0, readers: 1, clients: app2 }]',
        'faults:',
        '  - { at: 1m, kind: promote-cluster, cluster: dc2 }',
        '  - { at: 1m, kind: isolate, targets: "@primary:dc1" }',
      ]),
    );
    expect(s.clusters.map((c) => [c.name, c.store, c.nodes.map((n) => n.name)])).toEqual([
      ['dc1', 'etcd-a', ['a1', 'a2']],
      ['dc2', 'zookeeper', ['b1']],
    ]);
    expect(s.stores.map((x) => x.members.map((m) => m.name))).toEqual([['etcd-a1', 'etcd-a2', 'etcd-a3'], ['zookeeper1']]);
    expect(s.clusters[1]!.dynamic).toEqual({ standby_cluster: { host: 'a1', port: 5432 } });
    expect(s.workloads.map((w) => [w.cluster, w.clients])).toEqual([
      ['dc1', ['app1']],
      ['dc2', ['app2']],
    ]);
    expect(s.faults[0]!.cluster).toBe('dc2');
    expect(s.faults[1]!.action).toEqual({ kind: 'isolate', targets: ['@primary:dc1'] });
  });

  it('lets two clusters share the top-level store', () => {
    const { scenario: s } = load(y(['dcs: { backend: etcd }', 'clusters:', '  a: { patroni: { nodes: [a1] } }', '  b: { patroni: { nodes: [b1] } }']));
    expect(s.stores).toHaveLength(1);
    expect(s.clusters.map((c) => c.store)).toEqual(['etcd', 'etcd']);
  });
});

describe('model-registered fault kinds', () => {
  it('pass through with their parameters (the build checks them against the nemesis registry)', () => {
    const text = y(['dcs: { backend: etcd }', 'faults:', '  - { at: 40s, kind: sentinel-failover, store: redis, quorum: 2 }']);
    const { scenario: s } = load(text);
    const warnings = warningsOf(text);
    expect(s.faults[0]!.action).toEqual({ kind: '$model', modelKind: 'sentinel-failover', params: { store: 'redis', quorum: 2 } });
    expect(warnings).toEqual([]);
  });
});

describe('overrides and files', () => {
  it('applies --seed and sweep overrides before validation', async () => {
    const { loadScenarioText } = await import('../../src/scenarios/load.js');
    const { scenario: s } = loadScenarioText(y(['seed: 1', 'dcs: { backend: etcd }', 'patroni: { ttl: 30 }']), 'o.yaml', {
      overrides: { seed: 'abc', 'patroni.ttl': 60, 'patroni.loop_wait': '5s' },
    });
    expect(s.seed).toBe('abc');
    expect(s.clusters[0]!.dynamic).toEqual({ ttl: 60, loop_wait: 5 });
  });

  it('reads a file from disk and names it in the scenario', () => {
    const file = 'scenarios/examples/etcd-dc-partition.yaml';
    const { scenario } = loadScenarioFile(file);
    expect(scenario.file).toBe(file);
    expect(readFileSync(file, 'utf8')).toContain(scenario.description);
  });
});
