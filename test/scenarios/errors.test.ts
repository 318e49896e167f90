// Each class of bad input: the exact file:line:col, key path, message and suggestion.
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenarios/load.js';
import { ScenarioInputError, formatDiagnostic } from '../../src/scenarios/errors.js';
import { errorsOf, warningsOf, y } from './helpers.js';

const base = ['dcs: { backend: etcd }'];

describe('syntax', () => {
  it('reports a YAML syntax error at its position', () => {
    expect(errorsOf(y(['name: x', 'dcs: [etcd,']))).toEqual([
      'scenarios/x.yaml:3:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
  });

  it('reports a duplicate key', () => {
    expect(errorsOf(y(['dcs: { backend: etcd }', 'name: a', 'name: b']))).toEqual(['scenarios/x.yaml:3:1: duplicate key (each key may appear once in a map)']);
  });

  it('reports an empty file and a file that is not a map', () => {
    expect(errorsOf('')).toEqual(['scenarios/x.yaml:1:1: the scenario file is empty; it needs at least "dcs" (see docs/scenario-format.md)']);
    expect(errorsOf('- a\n- b\n')).toEqual(['scenarios/x.yaml:1:1: a scenario is a map of keys (name, dcs, patroni, faults, expect, ...), not a list or a single value']);
  });

  it('reports a missing file without a stack trace', () => {
    try {
      loadScenarioFile('scenarios/does-not-exist.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioInputError);
      expect((e as ScenarioInputError).diagnostics.map(formatDiagnostic)).toEqual(['scenarios/does-not-exist.yaml:1:1: cannot read the scenario: no such file']);
    }
  });
});

describe('keys', () => {
  it('suggests the nearest key for a typo (the brief example)', () => {
    expect(errorsOf(y([...base, 'patroni:', '  ttl: 30', '  loop_wiat: 10']))).toEqual([
      'scenarios/x.yaml:4:3: patroni.loop_wiat: unknown key; did you mean "loop_wait"?',
    ]);
  });

  it('suggests keys at every depth, inside lists and inside fault kinds', () => {
    expect(
      errorsOf(
        y([
          'dcs: { backend: etcd, member: 3 }',
          'patroni:',
          '  postgresql: { use_pg_rewnd: true }',
          '  nodes:',
          '    - { name: pg1, tgas: { nofailover: true } }',
          'faults:',
          '  - { at: 1m, kind: isolate, target: [pg1] }',
          '  - { at: 1m, kind: flap, fault: { kind: cut, a: pg1, bb: pg2 }, on: 1s, of: 1s }',
          'topolgy: {}',
        ]),
      ),
    ).toEqual([
      'scenarios/x.yaml:1:23: dcs.member: unknown key; did you mean "members"?',
      'scenarios/x.yaml:3:17: patroni.postgresql.use_pg_rewnd: unknown key; did you mean "use_pg_rewind"?',
      'scenarios/x.yaml:5:20: patroni.nodes[0].tgas: unknown key; did you mean "tags"?',
      'scenarios/x.yaml:7:30: faults[0].target: unknown key; did you mean "targets"?',
      'scenarios/x.yaml:8:55: faults[1].fault.bb: unknown key; did you mean "b"?',
      'scenarios/x.yaml:8:74: faults[1].of: unknown key; did you mean "off"?',
      'scenarios/x.yaml:9:1: topolgy: unknown key; did you mean "topology"?',
    ]);
  });

  it('reports a missing required key at the map that lacks it', () => {
    expect(errorsOf(y(['dcs:', '  members: 3', 'faults:', '  - { kind: crash, process: pg1/postgres }']))).toEqual([
      'scenarios/x.yaml:1:1: dcs: missing required key "backend"',
      'scenarios/x.yaml:4:5: faults[0]: missing required key "at"',
    ]);
    expect(errorsOf(y(['name: nothing']))).toEqual(['scenarios/x.yaml:1:1: missing required key "dcs" (the store Patroni uses: backend etcd, zookeeper, consul, ...)']);
  });

  it('points people to the right section for keys of patroni.yml that live elsewhere', () => {
    expect(errorsOf(y([...base, 'patroni:', '  etcd3: { hosts: [a] }', '  bootstrap: { dcs: { ttl: 30 } }', 'ttl: 30']))).toEqual([
      'scenarios/x.yaml:3:3: patroni.etcd3: unknown key; the store is described under "dcs:" (backend, members, options)',
      'scenarios/x.yaml:4:3: patroni.bootstrap: unknown key; paste the contents of bootstrap.dcs directly under "patroni:"',
      'scenarios/x.yaml:5:1: ttl: unknown key; did you mean "patroni.ttl"?',
    ]);
  });
});

describe('values', () => {
  it('names the allowed values of an enumeration, with a suggestion', () => {
    expect(errorsOf(y(['dcs: { backend: zookeper }']))).toEqual([
      'scenarios/x.yaml:1:17: dcs.backend: "zookeper" is not a DCS backend; expected one of etcd, etcd2, zookeeper, consul, kubernetes, redis, postgresql, dynamodb, file, memory; did you mean "zookeeper"?',
    ]);
    expect(errorsOf(y([...base, 'patroni: { synchronous_mode: sometimes }']))).toEqual([
      'scenarios/x.yaml:2:30: patroni.synchronous_mode: expected on, off or quorum, got the string "sometimes"',
    ]);
  });

  it('says why a duration does not parse', () => {
    expect(
      errorsOf(y([...base, 'phases: { chaos: 2 minutes, converge: 60 }', 'faults:', '  - { at: 1m, for: 10 sec, kind: isolate, targets: pg1 }', '  - { at: "-5s", kind: crash, process: pg1/patroni }'])),
    ).toEqual([
      'scenarios/x.yaml:2:39: phases.converge: duration 60 has no unit; write "60s" or "60ms"',
      'scenarios/x.yaml:5:11: faults[1].at: duration must not be negative (got "-5s")',
    ]);
    expect(errorsOf(y([...base, 'phases: { chaos: 2 fortnights }']))).toEqual([
      'scenarios/x.yaml:2:18: phases.chaos: unknown unit "fortnights" in duration "2 fortnights"; use us, ms, s, m, h or d',
    ]);
  });

  it('checks Patroni types the way Patroni does', () => {
    expect(errorsOf(y([...base, 'patroni:', '  synchronous_node_count: 0', '  ttl: soon', '  tags: { nofailover: true, failover_priority: 1 }', '  watchdog: { mode: always }']))).toEqual([
      'scenarios/x.yaml:3:27: patroni.synchronous_node_count: must be at least 1 (got 0)',
      'scenarios/x.yaml:4:8: patroni.ttl: cannot read duration "soon"; write it like "30s", "250ms", "2m" or "1m30s"',
      'scenarios/x.yaml:5:48: patroni.tags.failover_priority: give nofailover or failover_priority, not both (Patroni refuses both)',
      'scenarios/x.yaml:6:21: patroni.watchdog.mode: expected off, automatic or required, got the string "always"',
    ]);
  });

  it('suggests the nearest fault kind, or lists them for a near miss of a router kind', () => {
    expect(errorsOf(y([...base, 'faults:', '  - { at: 1m, kind: isolat, targets: pg1 }', 'workload: { router: { kind: nginx } }']))).toEqual([
      'scenarios/x.yaml:3:21: faults[0].kind: unknown fault kind "isolat"; did you mean "isolate"?',
      'scenarios/x.yaml:4:29: workload.router.kind: unknown router kind "nginx"; expected one of haproxy, libpq, vip',
    ]);
  });

  it('checks expectations against the report\'s list', () => {
    expect(errorsOf(y([...base, 'expect:', '  splitbrain: none', '  lostWrites: lots', '  incidents: [split-brian]', '  failovers: ">= 1"']))).toEqual([
      'scenarios/x.yaml:3:3: expect.splitbrain: unknown expectation; did you mean "splitBrain"?',
      'scenarios/x.yaml:4:15: expect.lostWrites: cannot read lots; expected a number or a comparison such as "<= 3" or "1..2"',
      'scenarios/x.yaml:5:15: expect.incidents[0]: "split-brian" is not an incident kind; expected one of split-brain, lost-write, divergence, false-failover, missed-failover, undetected-partition; did you mean "split-brain"?',
    ]);
  });

  it('checks coverage IDs', () => {
    expect(errorsOf(y([...base, 'covers: [P1, p2, Z9]']))).toEqual([
      'scenarios/x.yaml:2:14: covers[1]: "p2" is not a coverage ID (D1-D9, C1, P1-P6, M1-M5, X1-X8, W1-W4, N1); did you mean "P2"?',
      'scenarios/x.yaml:2:18: covers[2]: "Z9" is not a coverage ID (D1-D9, C1, P1-P6, M1-M5, X1-X8, W1-W4, N1); did you mean "D9"?',
    ]);
  });
});

describe('names across sections', () => {
  it('refuses a fault naming an unknown host or domain, with the nearest name', () => {
    expect(
      errorsOf(
        y([
          'topology: { hosts: { pg1: eu/dc1, pg2: eu/dc2, pg3: eu/dc3 } }',
          ...base,
          'faults:',
          '  - { at: 1m, kind: isolate, targets: dc4 }',
          '  - { at: 1m, kind: cut, a: [dc1, pg9], b: dc2 }',
          '  - { at: 1m, kind: crash, process: pg7/patroni }',
          '  - { at: 1m, kind: power-off, host: [pg1, ue] }',
        ]),
      ),
    ).toEqual([
      'scenarios/x.yaml:4:39: faults[0].targets: unknown host or failure domain "dc4"; did you mean "dc1"?',
      'scenarios/x.yaml:5:35: faults[1].a[1]: unknown host or failure domain "pg9"; did you mean "pg1"?',
      'scenarios/x.yaml:6:37: faults[2].process: unknown host "pg7" in process "pg7/patroni"; did you mean "pg1"?',
      'scenarios/x.yaml:7:44: faults[3].host[1]: unknown host or failure domain "ue"; did you mean "eu"?',
    ]);
  });

  it('refuses a node on an unknown host, and a DCS member on an unknown host', () => {
    expect(
      errorsOf(
        y([
          'topology: { hosts: { db1: eu/dc1, db2: eu/dc2 } }',
          'dcs:',
          '  backend: etcd',
          '  members: [{ name: e1, host: db1 }, { name: e2, host: db3 }]',
          'patroni:',
          '  nodes: [db1, { name: pg2, host: bd2 }]',
        ]),
      ),
    ).toEqual([
      'scenarios/x.yaml:4:56: dcs.members[1].host: unknown host "db3"; did you mean "db1"?; declare it under topology.hosts or use a node\'s host',
      'scenarios/x.yaml:6:35: patroni.nodes[1].host: unknown host "bd2"; did you mean "db2"?; a node runs on the host of its own name, declared under topology.hosts or placed with "domains"',
    ]);
  });

  it('refuses a fault after the end of the run, saying how long the run is', () => {
    expect(errorsOf(y([...base, 'phases: { warmup: 30s, chaos: 1m, converge: 30s }', 'faults:', '  - { at: 2m, kind: isolate, targets: pg1 }']))).toEqual([
      'scenarios/x.yaml:4:11: faults[0].at: at 2m is after the end of the run (2m = warmup 30s + chaos 1m + converge 30s); lengthen the phases or move the fault',
    ]);
  });

  it('refuses a memory store under several nodes, as the store itself does', () => {
    expect(errorsOf(y(['dcs: { backend: memory }', 'patroni: { nodes: 3 }']))).toEqual([
      'scenarios/x.yaml:1:17: dcs.backend: the memory store lives in one Patroni process\'s memory and cannot be shared: it serves a single-node cluster only, and cluster "main" has 3 nodes (use a real store such as etcd, or nodes: 1)',
    ]);
    expect(errorsOf(y(['dcs: { backend: memory, members: 1 }', 'patroni: { nodes: 1 }']))).toEqual([
      'scenarios/x.yaml:1:34: dcs.members: the memory store has no server members: it lives inside the Patroni process (leave "members" out)',
    ]);
    expect(warningsOf(y(['dcs: { backend: memory }', 'patroni: { nodes: 1 }']))).toEqual([]);
  });

  it('checks operator actions against the cluster\'s nodes', () => {
    expect(
      errorsOf(
        y([
          'clusters:',
          '  a: { dcs: { backend: etcd, name: ea }, patroni: { nodes: [a1, a2] } }',
          '  b: { dcs: { backend: etcd, name: eb }, patroni: { nodes: [b1] } }',
          'faults:',
          '  - { at: 1m, kind: switchover, cluster: a, candidate: b1 }',
          '  - { at: 1m, kind: pause-cluster }',
          '  - { at: 1m, kind: failover, candidate: a3 }',
          '  - { at: 1m, kind: isolate, targets: "@primary" }',
          '  - { at: 1m, kind: dcs-outage }',
        ]),
      ),
    ).toEqual([
      'scenarios/x.yaml:5:56: faults[0].candidate: node "b1" belongs to cluster "b", not "a"',
      'scenarios/x.yaml:6:5: faults[1]: there are 2 clusters (a, b); say which with "cluster"',
      'scenarios/x.yaml:7:5: faults[2]: there are 2 clusters (a, b); say which with "cluster"',
      'scenarios/x.yaml:7:42: faults[2].candidate: "a3" is not a node; did you mean "a1"?',
      'scenarios/x.yaml:8:39: faults[3].targets: "@primary" is ambiguous with 2 clusters; qualify it, e.g. "@primary:a"',
      'scenarios/x.yaml:9:5: faults[4]: there are 2 stores (ea, eb); say which with "store"',
    ]);
  });

  it('checks heal ids', () => {
    expect(errorsOf(y([...base, 'faults:', '  - { at: 1m, kind: isolate, targets: pg1, id: cut1 }', '  - { at: 2m, kind: heal, fault: cutt1 }']))).toEqual([
      'scenarios/x.yaml:4:34: faults[1].fault: no fault has id "cutt1"; did you mean "cut1"?',
    ]);
  });

  it('refuses unknown roles', () => {
    expect(errorsOf(y([...base, 'faults:', '  - { at: 2m, kind: pause, process: "@leader/patroni" }', '  - { at: 2m, kind: isolate, targets: "@primay" }']))).toEqual([
      'scenarios/x.yaml:3:37: faults[0].process: expected a process as "host/process" (e.g. "pg1/patroni", "@primary/postgres"), got the string "@leader/patroni"',
      'scenarios/x.yaml:4:39: faults[1].targets: unknown role "@primay"; roles are @primary, @replicas, @sync (qualified by a cluster with several: "@primary:dc2"); did you mean "@primary"?',
    ]);
  });
});

describe('warnings (valid, but worth knowing)', () => {
  it('announces what Patroni would adjust in its timing, with its reasons', () => {
    expect(warningsOf(y([...base, 'patroni:', '  ttl: 15', '  loop_wait: 10', '  retry_timeout: 10']))).toEqual([
      'scenarios/x.yaml:3:8: warning: patroni.ttl: Patroni does not allow ttl below 20s and raises 15 to 20 (patroni/config.py)',
      // patroni/config.py: 1 + 2*10 > 20, so loop_wait = 1 and retry_timeout = (20 - 1) // 2
      'scenarios/x.yaml:5:18: warning: patroni.retry_timeout: loop_wait + 2*retry_timeout must not exceed ttl (10 + 2*10 > 20); Patroni sets loop_wait to 1 and retry_timeout to 9',
    ]);
  });

  it('accepts keys of a pasted patroni.yml that haywire does not model, and says so', () => {
    expect(warningsOf(y([...base, 'patroni:', '  postgresql: { pg_hba: [host all all 0.0.0.0/0 md5] }', '  ignore_slots: []']))).toEqual([
      'scenarios/x.yaml:3:17: warning: patroni.postgresql.pg_hba: accepted as Patroni would, but haywire does not model it (ignored)',
      'scenarios/x.yaml:4:3: warning: patroni.ignore_slots: accepted as Patroni would, but haywire does not model it (ignored)',
    ]);
  });

  it('warns about a fault inside the warmup, a one-shot fault with "for", and a domain name used in several places', () => {
    expect(
      warningsOf(
        y([
          'topology: { hosts: { pg1: eu/dc1/room1, pg2: eu/dc2/room1, pg3: eu/dc3/room2 } }',
          ...base,
          'faults:',
          '  - { at: 10s, kind: isolate, targets: room1 }',
          '  - { at: 1m, for: 10s, kind: reset, host: pg1 }',
        ]),
      ),
    ).toEqual([
      'scenarios/x.yaml:4:11: warning: faults[0].at: at 10s is inside the warmup (30s): the cluster may still be forming',
      'scenarios/x.yaml:4:40: warning: faults[0].targets: "room1" names failure domains in several places of the tree (for instance one per datacenter); the fault takes all of them',
      'scenarios/x.yaml:5:20: warning: faults[1].for: reset happens once; "for" has no effect',
    ]);
  });
});
