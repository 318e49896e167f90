// Consul behind Patroni's DCS contract, with Consul's default timings (raft_multiplier 5).
import { describe, expect, it } from 'vitest';
import { consulBackend, type ConsulDeployment } from '../../../src/sim/dcs/consul/deploy.js';
import type { Consul } from '../../../src/sim/dcs/consul/client.js';
import { leaderRecs, quorumRecs, run, runningQuorum } from '../quorum/helpers.js';


const setup = (seed: string, options: Record<string, unknown> = {}) => runningQuorum<ConsulDeployment>(consulBackend, 40_000_000, { seed, options });

describe('consul', () => {
  it('elects a server leader and Patroni gets the key', () => {
    const q = setup('boot');
    expect(q.dep.raftLeader()).not.toBeNull();
    expect(q.dep.leaderHolder('demo')).not.toBeNull();
  });

  it('a dead Consul leader is replaced after the heartbeat timeout (5–10 s with raft_multiplier 5)', () => {
    const q = setup('kill');
    const leader = q.dep.raftLeader()!;
    const holder = q.dep.leaderHolder('demo');
    const at = q.world.nowUs;
    leader.crash('test');
    q.world.run(at + 60_000_000);
    const next = quorumRecs(q.world.sim.trace.records()).find((r) => r.t > at && r.ok)!;
    expect(next.leader).not.toBe(leader.name);
    expect(next.t - at).toBeGreaterThanOrEqual(5_000_000);
    expect(next.t - at).toBeLessThan(11_000_000);
    expect(q.dep.leaderHolder('demo')).toBe(holder);
  });

  it('a session is invalidated within [ttl, 2ttl] of the last renewal (Patroni passes ttl/2: 30 s)', () => {
    const q = setup('expiry');
    const holder = q.dep.leaderHolder('demo')!;
    const idx = q.clients.findIndex((c) => c.name === holder);
    const at = q.world.nowUs;
    q.patroni[idx]!.pause('test');
    q.world.run(at + 70_000_000);
    const recs = leaderRecs(q.world.sim.trace.records());
    const last = recs.filter((r) => r.holder === holder && r.t <= at && r.reason !== 'expired').at(-1)!;
    const expired = recs.find((r) => r.t > at && r.reason === 'expired')!;
    expect(expired).toBeDefined();
    const d = expired.t - last.t;
    expect(d).toBeGreaterThanOrEqual(15_000_000);
    expect(d).toBeLessThanOrEqual(30_500_000);
    expect(d).toBeGreaterThanOrEqual(30_000_000); // Consul's timer is exactly 2 × session TTL
  });

  it('loss of quorum: writes fail with DCSError; stale reads still answer, default reads do not', () => {
    for (const consistency of ['default', 'stale'] as const) {
      const q = setup(`quorum-${consistency}`, { consistency });
      q.stopLoops();
      const holder = q.dep.leaderHolder('demo')!;
      const idx = q.clients.findIndex((c) => c.name === holder);
      const c = q.clients[idx] as Consul;
      const cluster = c.cluster!;
      for (const m of q.dep.members.slice(1)) m.crash('test');
      q.world.run(q.world.nowUs + 1_000_000);
      const t0 = q.world.nowUs;
      const upd = run(q.patroni[idx]!, 'update', c.updateLeader(cluster, 9000, null));
      q.world.run(t0 + 30_000_000);
      expect(upd.out?.ok).toBe(false);
      // Retry's deadline (10 s) is checked before each sleep: the last request may run past it
      expect(upd.out!.tookUs).toBeGreaterThanOrEqual(3_000_000);
      expect(upd.out!.tookUs).toBeLessThanOrEqual(13_500_000);
      const read = run(q.patroni[idx]!, 'read', c.getCluster());
      q.world.run(q.world.nowUs + 30_000_000);
      expect(read.out?.ok).toBe(consistency === 'stale');
    }
  });
});
