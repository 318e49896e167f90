// The shipped examples run, and the outcome each predicts in its `expect` block is what happens.
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenarios/load.js';
import { simulateScenario } from '../../src/scenarios/simulate.js';
import { etcdBackend } from '../../src/sim/dcs/etcd/deploy.js';

// The DCS registry may not list etcd yet: hand its definition in.
const backends = { etcd: etcdBackend };

describe('scenarios/examples', () => {
  it.each(['etcd-dc-partition', 'paused-primary-no-watchdog', 'standby-cluster-promote'])('%s: every expectation holds, no unexpected incident', (name) => {
    const r = simulateScenario(loadScenarioFile(`scenarios/examples/${name}.yaml`), { backends }).analysis.result;
    expect(r.expectations.filter((e) => !e.ok)).toEqual([]);
    expect(r.verdict).toBe('pass');
  });
});
