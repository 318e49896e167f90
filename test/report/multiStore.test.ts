// A run with two clusters, each with its own etcd (a standby cluster in a second datacenter): every
// node's DCS reachability is judged against its own cluster's store. Judged against the first
// store, dc2's nodes "lost the DCS majority" whenever the datacenters were cut apart, and a
// failover or stall there was explained by a DCS they never talked to.
import { describe, expect, it } from 'vitest';
import { dcsMembersOf } from '../../src/report/history.js';
import { loadScenarioFile } from '../../src/scenarios/load.js';
import { simulateScenario } from '../../src/scenarios/simulate.js';

describe('several stores in one run', () => {
  const sim = simulateScenario(loadScenarioFile('scenarios/examples/standby-cluster-promote.yaml'));
  const { history, context } = sim.analysis;

  it('run.start names every store and the store of every node', () => {
    expect(history.meta.dcsStores.map((s) => s.name)).toEqual(['etcd-dc1', 'etcd-dc2']);
    expect(dcsMembersOf(history.meta, 'pg1').map((m) => m.name)).toEqual(['etcd-dc1-1', 'etcd-dc1-2', 'etcd-dc1-3']);
    expect(dcsMembersOf(history.meta, 'pg3').map((m) => m.name)).toEqual(['etcd-dc2-1', 'etcd-dc2-2', 'etcd-dc2-3']);
  });

  it('while the datacenters are cut apart each side still reaches a majority of its own store', () => {
    const cut = history.faults.find((f) => f.kind !== 'pause' && f.fromUs > 0);
    expect(cut).toBeDefined();
    const t = ((cut?.fromUs ?? 0) + Math.min(cut?.toUs ?? 0, history.endUs)) / 2;
    for (const node of ['pg1', 'pg3']) {
      const r = context.truth.dcsReach(node, t);
      expect(r.total).toBe(3);
      expect(r.majority).toBe(true);
    }
    // and across the cut, nobody reaches the other side's members
    expect(context.truth.twoWay('pg3', 'etcd-dc1-1', t)).toBe(false);
  });
});
