// `systemctl stop patroni` then `systemctl start patroni` (the patroni-stop fault and its heal).
// systemctl stop waits for the unit to stop, so a start that comes while Patroni is still shutting
// down runs once it has exited. Found by haywire check: a synchronous standby's Patroni waits up to
// 2 × loop_wait for the primary to drop it from synchronous_standby_names before it stops
// PostgreSQL (Ha.while_not_sync_standby); a heal 1 s after the stop was lost, and the node stayed
// down for the rest of the run.
import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenarios/load.js';
import { simulateScenario } from '../../src/scenarios/simulate.js';

const scenario = (forS: number): string => `
topology:
  hosts: { pg1: eu/dc1/r1/a, pg2: eu/dc1/r1/b, pg3: eu/dc1/r1/c, app1: eu/dc1/r1/d }
dcs: { backend: etcd }
patroni:
  ttl: 30
  loop_wait: 10
  retry_timeout: 10
  synchronous_mode: on
  nodes: [pg1, pg2, pg3]
workload: { writers: 1, rate: 10/s, clients: [app1], router: haproxy }
phases: { warmup: 30s, chaos: 60s, converge: 60s }
faults:
  - { at: 40s, for: ${forS}s, id: stop, kind: patroni-stop, node: "@sync" }
expect:
  converged: true
`;

describe('patroni-stop and its heal', () => {
  for (const forS of [1, 30]) {
    it(`a synchronous standby's Patroni stopped for ${forS} s is running again and the cluster converges`, () => {
      const sim = simulateScenario(loadScenarioText(scenario(forS), `stop-${forS}.yaml`));
      const r = sim.analysis.result;
      expect(r.expectations.filter((e) => !e.ok).map((e) => e.name)).toEqual([]);
    });
  }
});
