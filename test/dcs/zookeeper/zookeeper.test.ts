// ZooKeeper behind Patroni's DCS contract, with ZooKeeper's defaults (tickTime 2 s, syncLimit 5).
import { describe, expect, it } from 'vitest';
import { zookeeperBackend, type ZooKeeperDeployment } from '../../../src/sim/dcs/zookeeper/deploy.js';
import type { ZooKeeper } from '../../../src/sim/dcs/zookeeper/client.js';
import { leaderRecs, quorumRecs, run, runningQuorum } from '../quorum/helpers.js';


const setup = (seed: string) => runningQuorum<ZooKeeperDeployment>(zookeeperBackend, 40_000_000, { seed });

describe('zookeeper', () => {
  it('forms an ensemble and Patroni holds the ephemeral leader znode', () => {
    const q = setup('boot');
    expect(q.dep.raftLeader()).not.toBeNull();
    expect(q.dep.leaderHolder('demo')).not.toBeNull();
  });

  it('a dead ZK leader is replaced after syncLimit × tickTime (10 s); sessions survive', () => {
    const q = setup('kill');
    const leader = q.dep.raftLeader()!;
    const holder = q.dep.leaderHolder('demo');
    const at = q.world.nowUs;
    leader.crash('test');
    q.world.run(at + 60_000_000);
    const next = quorumRecs(q.world.sim.trace.records()).find((r) => r.t > at && r.ok)!;
    expect(next.leader).not.toBe(leader.name);
    expect(next.t - at).toBeGreaterThanOrEqual(9_000_000);
    expect(next.t - at).toBeLessThan(13_000_000);
    expect(q.dep.leaderHolder('demo')).toBe(holder);
    expect(leaderRecs(q.world.sim.trace.records()).filter((r) => r.t > at && r.reason === 'expired')).toEqual([]);
  });

  it('a session expiry removes the ephemeral leader after the session timeout, not before', () => {
    const q = setup('expiry');
    const holder = q.dep.leaderHolder('demo')!;
    const at = q.world.nowUs;
    // cut the holder's Patroni host off from the ensemble: no pings, no touches
    q.world.nemesis.apply({ kind: 'isolate', targets: [holder] });
    q.world.run(at + 60_000_000);
    const recs = leaderRecs(q.world.sim.trace.records());
    const lastTouch = recs.filter((r) => r.holder === holder && r.t <= at + 1 && r.reason !== 'expired').at(-1)!;
    const expired = recs.find((r) => r.t > at && r.reason === 'expired')!;
    expect(expired).toBeDefined();
    const d = expired.t - lastTouch.t;
    // session timeout 30 s, expiry in tickTime (2 s) buckets
    expect(d).toBeGreaterThanOrEqual(30_000_000);
    expect(d).toBeLessThan(34_500_000);
  });

  it('connection loss is not session expiry: the client moves to another server within the session', () => {
    const q = setup('reconnect');
    const holder = q.dep.leaderHolder('demo')!;
    const idx = q.clients.findIndex((c) => c.name === holder);
    const c = q.clients[idx] as ZooKeeper;
    const session = c.sessionId;
    const connected = q.dep.members.find((m) => m.name === (c as unknown as { server: { name: string } }).server.name)!;
    const at = q.world.nowUs;
    connected.crash('test');
    q.world.run(at + 30_000_000);
    expect(c.kazooState).toBe('CONNECTED');
    expect(c.sessionId).toBe(session);
    expect(q.dep.leaderHolder('demo')).toBe(holder);
  });

  it('loss of quorum: the minority server serves nobody; get_cluster fails with DCSError after retry_timeout', () => {
    const q = setup('quorum');
    q.stopLoops();
    for (const m of q.dep.members.slice(1)) m.crash('test');
    q.world.run(q.world.nowUs + 15_000_000);
    const t0 = q.world.nowUs;
    const box = run(q.patroni[0]!, 'get', q.clients[0]!.getCluster());
    q.world.run(t0 + 30_000_000);
    expect(box.out?.ok).toBe(false);
    expect(box.out!.tookUs).toBeGreaterThanOrEqual(8_000_000);
    expect(box.out!.tookUs).toBeLessThanOrEqual(11_000_000);
  });
});
