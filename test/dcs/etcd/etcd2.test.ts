// etcd v2 API behind Patroni's etcd (v2) client: key TTLs expired by the leader's wall clock.
import { describe, expect, it } from 'vitest';
import { etcd2Backend, type EtcdDeployment } from '../../../src/sim/dcs/etcd/deploy.js';
import { leaderRecs, run, runningQuorum } from '../quorum/helpers.js';


const setup = (seed: string) => runningQuorum<EtcdDeployment>(etcd2Backend, 30_000_000, { seed });

describe('etcd v2', () => {
  it('Patroni takes the TTL leader key and renews it with prevValue', () => {
    const q = setup('boot');
    expect(q.dep.leaderHolder('demo')).not.toBeNull();
    const recs = leaderRecs(q.world.sim.trace.records());
    expect(recs.filter((r) => r.reason === 'acquired')).toHaveLength(1);
    expect(recs.filter((r) => r.reason === 'updated').length).toBeGreaterThan(0);
  });

  it('a silent holder\'s key expires ttl after its last write (leader SYNC every 500 ms)', () => {
    const q = setup('expiry');
    const holder = q.dep.leaderHolder('demo')!;
    const idx = q.clients.findIndex((c) => c.name === holder);
    const at = q.world.nowUs;
    q.patroni[idx]!.pause('test');
    q.world.run(at + 60_000_000);
    const recs = leaderRecs(q.world.sim.trace.records());
    const last = recs.filter((r) => r.holder === holder && r.t <= at).at(-1)!;
    const expired = recs.find((r) => r.t > at && r.reason === 'expired')!;
    const d = expired.t - last.t;
    expect(d).toBeGreaterThanOrEqual(30_000_000);
    expect(d).toBeLessThan(31_000_000);
  });

  it('TTLs follow wall clocks: a leader whose clock jumps 20 s ahead expires the key 20 s early', () => {
    const q = setup('skew');
    const holder = q.dep.leaderHolder('demo')!;
    const idx = q.clients.findIndex((c) => c.name === holder);
    const leader = q.dep.raftLeader()!;
    const at = q.world.nowUs;
    q.patroni[idx]!.pause('test');
    leader.host.stepClock(20_000_000, 'test');
    q.world.run(at + 60_000_000);
    const recs = leaderRecs(q.world.sim.trace.records());
    const last = recs.filter((r) => r.holder === holder && r.t <= at).at(-1)!;
    const expired = recs.find((r) => r.t > at && r.reason === 'expired')!;
    const d = expired.t - last.t;
    expect(d).toBeGreaterThanOrEqual(10_000_000);
    expect(d).toBeLessThan(11_000_000);
  });

  it('loss of quorum: updates fail with DCSError after retry_timeout; quorum=false reads still answer', () => {
    const q = setup('quorum');
    q.stopLoops();
    const holder = q.dep.leaderHolder('demo')!;
    const idx = q.clients.findIndex((c) => c.name === holder);
    const c = q.clients[idx]!;
    for (const m of q.dep.members) if (m.host.name !== 'dcs1') m.crash('test');
    const t0 = q.world.nowUs;
    const box = run(q.patroni[idx]!, 'upd', (function* () {
      const cl = yield* c.getCluster();
      return yield* c.updateLeader(cl, 4242, null);
    })());
    q.world.run(t0 + 40_000_000);
    expect(box.out?.ok).toBe(false);
    expect(box.out!.ok ? '' : box.out!.error).toMatch(/EtcdError/);
  });
});
