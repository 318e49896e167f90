import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { redisWorld, deployRedis, redisAgents } from './world.js';
import { overlapsOf, leaderRecords, LockAgent } from '../memory/harness.js';
import { redisBackend } from '../../../src/sim/dcs/redis/index.js';
import type { World } from '../../../src/sim/world.js';
import type { GrantOverlap } from '../../../src/sim/dcs/grants.js';
import type { RedisServer } from '../../../src/sim/dcs/redis/server.js';

const total = (o: GrantOverlap[]): number => o.reduce((s, x) => s + (x.toUs - x.fromUs), 0);
const storeEvents = (w: World): { t: number; server?: string; event: string; detail?: string }[] =>
  w.sim.trace.records().filter((r) => r.k === 'dcs.store') as unknown as { t: number; server?: string; event: string; detail?: string }[];
const redisOn = (w: World, name: string): RedisServer => w.net.host(name).process('redis') as unknown as RedisServer;

describe('Redis with Sentinel', () => {
  it('no faults: one holder on the master, followers woken by keyspace notifications, never granted twice', () => {
    const w = redisWorld('redis-basic');
    const dep = deployRedis(w);
    const [pg1, pg2] = redisAgents(w, dep);
    w.run(120_000_000);
    expect(dep.leaderHolder('demo')).toBe('pg1');
    expect(overlapsOf(w)).toEqual([]);
    // each renewal (PEXPIRE) wakes the watching follower at once, as etcd's watch does
    const renewals = pg1!.log.filter((l) => l.what === 'renewed').map((l) => l.atUs);
    const woken = renewals.filter((t) => pg2!.log.some((l) => l.startUs > t && l.startUs - t < 50_000));
    expect(woken.length).toBeGreaterThan(renewals.length / 2);
  });

  it('the master dies: Sentinel promotes a replica that has the lock, the holder keeps it, no double grant', () => {
    const w = redisWorld('redis-master-dies');
    const dep = deployRedis(w, { downAfterMs: 5000 });
    const [pg1] = redisAgents(w, dep);
    w.run(40_000_000);
    w.nemesis.apply({ kind: 'power-off', host: 'redis1' }, 'off', 60_000_000);
    w.run(90_000_000);
    const q = w.sim.trace.records().filter((r) => r.k === 'dcs.quorum') as unknown as { t: number; ok: boolean; leader: string | null }[];
    expect(q.map((x) => [x.ok, x.leader])).toEqual([
      [true, 'redis1'],
      [false, null],
      [true, 'redis2'],
    ]);
    // down-after 5 s, then ODOWN, election, REPLICAOF NO ONE, INFO: a few seconds more
    const promotedAt = (q[2] as { t: number }).t;
    expect(promotedAt - 40_000_000).toBeGreaterThan(5_000_000);
    expect(promotedAt - 40_000_000).toBeLessThan(9_000_000);
    expect(pg1!.believesLeader).toBe(true);
    expect(dep.leaderHolder('demo')).toBe('pg1');
    // the old master comes back as a master, and Sentinel turns it into a replica of redis2
    w.run(130_000_000);
    expect(redisOn(w, 'redis1').role).toBe('replica');
    const reconf = storeEvents(w).find((e) => e.server === 'redis1' && e.event === 'replicaof');
    expect(reconf?.detail).toBe('redis2');
    expect(reconf!.t - 101_000_000).toBeGreaterThanOrEqual(8_000_000); // 4 hello periods after it reports master
    expect(overlapsOf(w)).toEqual([]);
  });

  it('SENTINEL FAILOVER while the replicas lag: the lock on the old master is lost and granted again (concrete case)', () => {
    const w = redisWorld('redis-manual-failover');
    const dep = deployRedis(w);
    // the replicas are disconnected from the master (Sentinels still see everyone): writes pile up unreplicated
    w.nemesis.apply({ kind: 'cut', a: ['redis1'], b: ['redis2', 'redis3'] }, 'repl-cut');
    // no watches: each node cycles on its own schedule (pg2 and pg3 ~8 s after pg1)
    redisAgents(w, dep, [1_000_000, 9_000_000, 9_500_000], false);
    w.run(5_000_000);
    expect(dep.leaderHolder('demo')).toBe('pg1');
    w.nemesis.apply({ kind: 'redis-failover' }, 'manual');
    w.run(60_000_000);
    const o = overlapsOf(w);
    expect(o.length, 'expected a double grant').toBeGreaterThan(0);
    const first = o[0]!;
    expect(first.a.holder).toBe('pg1');
    expect(first.a.server).toBe('redis1');
    expect(first.b.server).toBe('redis2');
    expect(['pg2', 'pg3']).toContain(first.b.holder);
    expect(total(o)).toBeGreaterThan(15_000_000);
    // redis1 kept accepting pg1's renewals until Sentinel demoted it
    const demoted = storeEvents(w).find((e) => e.server === 'redis1' && e.event === 'replicaof')!;
    const pg1OnRedis1 = (leaderRecords(w) as unknown as { t: number; holder: string; server: string }[]).filter((r) => r.holder === 'pg1' && r.server === 'redis1');
    expect(pg1OnRedis1.at(-1)!.t).toBeLessThan(demoted.t);
    expect(pg1OnRedis1.at(-1)!.t).toBeGreaterThan(first.b.fromUs - 30_000_000);
  });

  const partitioned = (options: Record<string, unknown>): World => {
    const w = redisWorld('redis-partition');
    const dep = deployRedis(w, options);
    redisAgents(w, dep);
    w.run(25_000_000);
    // dc1 (redis1 = master, s1, pg1 = holder) is cut off from dc2 and dc3 for 95 s
    w.nemesis.apply({ kind: 'split', groups: [['dc1']] }, 'split', 95_000_000);
    w.run(200_000_000);
    return w;
  };

  it('a partitioned master keeps taking SETs from its side while the majority fails over: two holders for the whole partition', () => {
    const w = partitioned({});
    const o = overlapsOf(w);
    expect(o.length, 'expected a double grant').toBeGreaterThan(0);
    for (const x of o) expect(new Set([x.a.server, x.b.server])).toEqual(new Set(['redis1', 'redis2']));
    const from = Math.min(...o.map((x) => x.fromUs));
    const to = Math.max(...o.map((x) => x.toUs));
    // from the first acquire on redis2 (~31 s after the split: down-after 30 s + failover) until
    // pg1's last renewal on redis1 (before its demotion after the heal) runs out
    expect(from).toBeGreaterThan(25_000_000 + 30_000_000);
    expect(from).toBeLessThan(25_000_000 + 36_000_000);
    expect(to).toBeGreaterThan(120_000_000);
    expect(total(o)).toBeGreaterThan(80_000_000);
    // after the heal the old master is demoted and its divergent data set is dropped (full resync)
    const ev = storeEvents(w).filter((e) => e.server === 'redis1').map((e) => e.event);
    expect(ev).toContain('replicaof');
    expect(ev).toContain('full-resync');
  });

  it('min-replicas-to-write 1 closes most of that hole, not all of it', () => {
    const unguarded = total(overlapsOf(partitioned({})));
    const w = partitioned({ minReplicasToWrite: 1, minReplicasMaxLagS: 10 });
    const o = overlapsOf(w);
    // redis1 refuses writes ~10 s into the partition; pg1's last good renewal still runs 30 s
    expect(o.length).toBeGreaterThan(0);
    expect(total(o)).toBeLessThan(10_000_000);
    expect(total(o)).toBeLessThan(unguarded / 10);
  });

  it("a forward clock jump on the master expires the lock early: another node takes it while the holder's own deadline has not passed", () => {
    const w = redisWorld('redis-clock-jump');
    const dep = deployRedis(w);
    redisAgents(w, dep, [0, 5_000_000, 5_500_000]);
    w.run(12_000_000);
    w.nemesis.apply({ kind: 'clock-step', host: 'redis1', deltaUs: 25_000_000 }, 'jump');
    w.run(60_000_000);
    const o = overlapsOf(w);
    expect(o.length, 'expected a double grant').toBeGreaterThan(0);
    expect(o[0]!.a.holder).toBe('pg1');
    expect(o[0]!.a.server).toBe('redis1');
    expect(o[0]!.b.server).toBe('redis1');
    expect(storeEvents(w).some((e) => e.event === 'lease-expired-early')).toBe(true);
  });

  it('property: random partitions, crashes, manual failovers and clock jumps make Redis grant the lock twice', () => {
    const fault = fc.oneof(
      fc.record({ kind: fc.constant('split' as const), dc: fc.constantFrom('dc1', 'dc2', 'dc3'), atS: fc.integer({ min: 15, max: 80 }), forS: fc.integer({ min: 5, max: 60 }) }),
      fc.record({ kind: fc.constant('power-off' as const), dc: fc.constantFrom('redis1', 'redis2'), atS: fc.integer({ min: 15, max: 80 }), forS: fc.integer({ min: 5, max: 60 }) }),
      fc.record({ kind: fc.constant('redis-failover' as const), dc: fc.constant(''), atS: fc.integer({ min: 15, max: 80 }), forS: fc.constant(0) }),
      fc.record({ kind: fc.constant('clock-step' as const), dc: fc.constantFrom('redis1', 'redis2'), atS: fc.integer({ min: 15, max: 80 }), forS: fc.integer({ min: 5, max: 40 }) }),
    );
    const noDoubleGrant = fc.property(fc.array(fault, { minLength: 1, maxLength: 3 }), fc.constantFrom(5000, 30_000), (faults, downAfterMs) => {
      const w = redisWorld('redis-prop');
      const dep = deployRedis(w, { downAfterMs });
      redisAgents(w, dep);
      w.nemesis.schedule(
        faults.map((f, i) => {
          const atUs = f.atS * 1_000_000;
          const id = `f${i}`;
          switch (f.kind) {
            case 'split':
              return { atUs, durationUs: f.forS * 1_000_000, id, action: { kind: 'split' as const, groups: [[f.dc]] } };
            case 'power-off':
              return { atUs, durationUs: f.forS * 1_000_000, id, action: { kind: 'power-off' as const, host: f.dc } };
            case 'redis-failover':
              return { atUs, id, action: { kind: 'redis-failover' as const } };
            case 'clock-step':
              return { atUs, id, action: { kind: 'clock-step' as const, host: f.dc, deltaUs: f.forS * 1_000_000 } };
          }
        }),
      );
      w.run(150_000_000);
      return overlapsOf(w).length === 0;
    });
    const r = fc.check(noDoubleGrant, { numRuns: 15 });
    expect(r.failed, 'fast-check should find a schedule under which Redis grants the lock twice').toBe(true);
  });
});

describe('Redis deployment', () => {
  it('runs a Sentinel next to each Redis server by default, and accepts Redis members as client endpoints', () => {
    const w = redisWorld('redis-colocated');
    const dep = redisBackend.deploy(w, {
      scope: 'demo',
      namespace: 'service',
      members: [1, 2, 3].map((i) => ({ name: `redis${i}`, host: `redis${i}` })),
      options: {},
      store: 'redis',
    });
    dep.start();
    for (const i of [1, 2, 3]) {
      const a = new LockAgent(w.net.host(`pg${i}`), 'patroni', {
        ...dep,
        kind: dep.kind,
        store: dep.store,
        servers: dep.servers,
        start: () => dep.start(),
        leaderHolder: (s: string) => dep.leaderHolder(s),
        client: (proc, member, timing) => dep.client(proc, member, timing, { endpoints: [`redis${i}`] }),
      });
      a.start();
    }
    expect(dep.servers.filter((p) => p.name === 'redis-sentinel').map((p) => p.host.name)).toEqual(['redis1', 'redis2', 'redis3']);
    w.run(30_000_000);
    expect(dep.leaderHolder('demo')).not.toBeNull();
    expect(overlapsOf(w)).toEqual([]);
  });
});
