// An example property test for your own repository: copy this file, replace the import of
// '../../src/index.js' by 'haywire', and put your own cluster in the scenario (or load your file
// with loadScenario('path/to/cluster.yaml')). It draws fault schedules for the cluster's chaos
// window with fast-check, runs each one deterministically, and fails with a shrunk, minimal
// schedule — printed as a scenario file that `haywire run` replays exactly.
//
// More runs explore more: HAYWIRE_RUNS=200 npx vitest run; a failure prints fast-check's seed and
// path (FC_SEED / the `path` option replay it).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbitraries, loadScenario, scheduleScenario, simulate } from '../../src/index.js';

const cluster = loadScenario(`
name: my-cluster
covers: [M5]
seed: 7
topology:
  hosts:
    pg1: { domains: eu/dc1/room1/rack1, watchdogDevice: true }
    pg2: { domains: eu/dc2/room1/rack1, watchdogDevice: true }
    pg3: { domains: eu/dc3/room1/rack1, watchdogDevice: true }
dcs:
  backend: etcd
  members:
    - { name: etcd1, domains: eu/dc1/room1/rack2 }
    - { name: etcd2, domains: eu/dc2/room1/rack2 }
    - { name: etcd3, domains: eu/dc3/room1/rack2 }
patroni:
  ttl: 20
  loop_wait: 5
  retry_timeout: 5
  synchronous_mode: on
  postgresql: { use_pg_rewind: true }
  watchdog: { mode: required }
  nodes: [pg1, pg2, pg3]
workload: { writers: 1, rate: 20/s }
phases: { warmup: 20s, chaos: 40s, converge: 40s }
`);

describe('my Patroni cluster', () => {
  it('never loses an acknowledged write or runs two writable primaries, and recovers once healed', () => {
    const schedules = arbitraries.faultSchedule(cluster, { kinds: ['isolate', 'pause', 'crash', 'power-off'], maxFaults: 3 });
    fc.assert(
      fc.property(schedules, (schedule) => {
        const run = simulate(cluster, { schedule });
        const bad = run.incidents.filter((i) => i.kind === 'lost-write' || (i.kind === 'split-brain' && i.details.confirmed === true));
        const stuck = !run.liveness.ok && run.liveness.stall?.verdict === 'misjudgment';
        if (bad.length > 0 || stuck) {
          // the minimal schedule, as a scenario file `haywire run` replays (fast-check shrinks first)
          console.error(`${bad.map((i) => i.explanation).join('\n')}\n${scheduleScenario(cluster, schedule)}`);
        }
        return bad.length === 0 && !stuck;
      }),
      { numRuns: Number(process.env.HAYWIRE_RUNS ?? 3) },
    );
  });

  it('replays: the same schedule gives the same trace hash', () => {
    const [schedule] = fc.sample(arbitraries.faultSchedule(cluster, { maxFaults: 2 }), { seed: 1, numRuns: 1 });
    if (!schedule) throw new Error('no schedule');
    expect(simulate(cluster, { schedule }).traceHash).toBe(simulate(cluster, { schedule }).traceHash);
  });
});
