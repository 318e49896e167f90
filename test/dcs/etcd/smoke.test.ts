import { describe, expect, it } from 'vitest';
import { etcdBackend, type EtcdDeployment } from '../../../src/sim/dcs/etcd/deploy.js';
import { quorumWorld, run, patroniLoop } from '../quorum/helpers.js';
import { grantOverlaps, grantsFrom } from '../../../src/sim/dcs/grants.js';

describe('etcd smoke', () => {
  it('elects, serves Patroni', () => {
    const q = quorumWorld(etcdBackend);
    const dep = q.dep as EtcdDeployment;
    q.world.run(3_000_000);
    console.log(dep.members.map((m) => m.describe()));
    const logs: string[] = [];
    q.clients.forEach((c, i) => run(q.patroni[i]!, 'loop', patroniLoop(c, { log: (s) => logs.push(`${q.world.nowUs / 1e6} ${s}`) })));
    q.world.run(60_000_000);
    console.log(logs.slice(0, 20));
    console.log('holder', dep.leaderHolder('demo'));
    const recs = q.world.sim.trace.records().filter((r) => r.k === 'dcs.leader' || r.k === 'dcs.quorum');
    console.log(recs.slice(0, 20));
    expect(grantOverlaps(grantsFrom(q.world.sim.trace.records()))).toEqual([]);
  });
});
