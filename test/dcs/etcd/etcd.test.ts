// etcd v3 behind Patroni's DCS contract: the store's own failover, loss of quorum, recovery and
// lease expiry, with the timings etcd's defaults give (heartbeat 100 ms, election timeout 1 s).
import { describe, expect, it } from 'vitest';
import { etcdBackend, type EtcdDeployment } from '../../../src/sim/dcs/etcd/deploy.js';
import type { Etcd3 } from '../../../src/sim/dcs/etcd/client3.js';
import { leaderRecs, quorumRecs, quorumWorld, run, runningQuorum } from '../quorum/helpers.js';


const setup = (seed = 'etcd') => runningQuorum<EtcdDeployment>(etcdBackend, 20_000_000, { seed });

describe('etcd v3', () => {
  it('elects its first leader within an election timeout or two', () => {
    const q = quorumWorld(etcdBackend, { seed: 'boot' });
    q.world.run(5_000_000);
    const first = quorumRecs(q.world.sim.trace.records()).find((r) => r.ok);
    expect(first).toBeDefined();
    // randomized election timeout in [1 s, 2 s) plus a pre-vote and a vote round trip
    expect(first!.t).toBeGreaterThanOrEqual(1_000_000);
    expect(first!.t).toBeLessThan(2_100_000);
  });

  it('a dead etcd leader is replaced within ~1-2 s; Patroni keeps its key', () => {
    for (const seed of ['a', 'b', 'c', 'd']) {
      const q = setup(`kill-${seed}`);
      const leader = q.dep.raftLeader()!;
      const holder = q.dep.leaderHolder('demo');
      expect(holder).not.toBeNull();
      const killedAt = q.world.nowUs;
      leader.crash('test');
      q.world.run(killedAt + 40_000_000);
      const next = quorumRecs(q.world.sim.trace.records()).find((r) => r.t > killedAt && r.ok);
      expect(next).toBeDefined();
      expect(next!.leader).not.toBe(leader.name);
      const took = next!.t - killedAt;
      expect(took).toBeGreaterThanOrEqual(1_000_000);
      expect(took).toBeLessThan(2_600_000);
      // the lease survived the leader change (the new leader gave it a fresh TTL): same holder
      expect(q.dep.leaderHolder('demo')).toBe(holder);
      const lost = leaderRecs(q.world.sim.trace.records()).filter((r) => r.t > killedAt && (r.reason === 'expired' || r.reason === 'deleted'));
      expect(lost).toEqual([]);
    }
  });

  it('a partitioned-away leader steps down (check quorum) and the majority elects another', () => {
    const q = setup('isolate');
    const leader = q.dep.raftLeader()!;
    const at = q.world.nowUs;
    q.world.nemesis.apply({ kind: 'isolate', targets: [leader.host.name] });
    q.world.run(at + 5_000_000);
    const steppedDown = !leader.raft!.isLeader;
    expect(steppedDown).toBe(true);
    const other = q.dep.raftLeader()!;
    expect(other.name).not.toBe(leader.name);
    expect(other.raft!.term).toBeGreaterThan(leader.raft!.term - 1);
  });

  it('loss of quorum: writes fail with DCSError after retry_timeout; serializable reads still answer; recovery', () => {
    const q = setup('quorum');
    const holderName = q.dep.leaderHolder('demo')!;
    const idx = q.clients.findIndex((c) => c.name === holderName);
    const holder = q.clients[idx] as Etcd3;
    const proc = q.patroni[idx]!;
    // stop the Patroni loops so only our calls run
    q.stopLoops();
    const survivors = q.dep.members.slice(0, 1);
    for (const m of q.dep.members.slice(1)) m.crash('test');
    const t0 = q.world.nowUs;
    const box = run(proc, 'update', (function* () {
      const c = yield* holder.getCluster();
      return yield* holder.updateLeader(c, 5000, null);
    })());
    q.world.run(t0 + 40_000_000);
    expect(box.done).toBe(true);
    expect(box.out!.ok).toBe(false);
    expect(box.out!.ok ? '' : box.out!.error).toMatch(/DCSError|Etcd3Error/);
    // get_cluster took the cache start (lease creation) — the update itself gives up after ~retry_timeout
    // keepalive on the leaderless survivor times out after retry_timeout/3, the dead ones refuse,
    // then Retry sleeps and retries with what is left of retry_timeout (10 s)
    expect(box.out!.tookUs).toBeGreaterThan(5_000_000);
    expect(box.out!.tookUs).toBeLessThanOrEqual(10_500_000);
    // a serializable read from the surviving member still answers (stale)
    const read = run(proc, 'read', holder.getCluster());
    q.world.run(q.world.nowUs + 15_000_000);
    expect(read.out?.ok).toBe(true);
    expect(survivors[0]!.raft!.isLeader).toBe(false);
    // recovery: the members come back, a leader is elected, updates work again
    for (const m of q.dep.members.slice(1)) m.start('test');
    q.world.run(q.world.nowUs + 5_000_000);
    expect(q.dep.raftLeader()).not.toBeNull();
    const upd = run(proc, 'update2', (function* () {
      const c = yield* holder.getCluster();
      return yield* holder.updateLeader(c, 6000, null);
    })());
    q.world.run(q.world.nowUs + 20_000_000);
    expect(upd.out).toMatchObject({ ok: true });
  });

  it('a silent holder loses the key one TTL after its last keepalive, not before', () => {
    const q = setup('expiry');
    const holderName = q.dep.leaderHolder('demo')!;
    const idx = q.clients.findIndex((c) => c.name === holderName);
    const stoppedAt = q.world.nowUs;
    q.patroni[idx]!.pause('test');
    q.world.run(stoppedAt + 60_000_000);
    const recs = leaderRecs(q.world.sim.trace.records());
    const lastRenew = recs.filter((r) => r.holder === holderName && r.t <= stoppedAt && (r.reason === 'updated' || r.reason === 'acquired')).at(-1)!;
    const expired = recs.find((r) => r.t > stoppedAt && r.reason === 'expired')!;
    expect(expired).toBeDefined();
    const after = expired.t - lastRenew.t;
    // TTL 30 s, expiry checked every 500 ms, revocation committed by raft
    expect(after).toBeGreaterThanOrEqual(30_000_000);
    expect(after).toBeLessThan(31_000_000);
    // another node takes over after that
    const next = recs.find((r) => r.t > expired.t && r.reason === 'acquired');
    expect(next?.holder).not.toBe(holderName);
  });

  it('a whole-store outage (dcs-outage) makes Patroni calls fail with DCSError', () => {
    const q = setup('outage');
    q.world.nemesis.apply({ kind: 'dcs-outage', store: 'dcs' }, 'out', 60_000_000);
    q.stopLoops();
    const t0 = q.world.nowUs;
    const box = run(q.patroni[0]!, 'attempt', q.clients[0]!.attemptToAcquireLeader());
    q.world.run(t0 + 30_000_000);
    expect(box.out?.ok).toBe(false);
    expect(box.out!.tookUs).toBeGreaterThan(8_000_000);
    expect(box.out!.tookUs).toBeLessThanOrEqual(10_500_000);
  });
});
