// Kubernetes behind Patroni's DCS contract: API servers in front of etcd, client-side TTL.
import { describe, expect, it } from 'vitest';
import { kubernetesBackend, type KubernetesDeployment } from '../../../src/sim/dcs/kubernetes/deploy.js';
import { leaderRecs, run, runningQuorum } from '../quorum/helpers.js';


const setup = (seed: string) => runningQuorum<KubernetesDeployment>(kubernetesBackend, 40_000_000, { seed });

describe('kubernetes', () => {
  it('Patroni takes and renews the leader ConfigMap', () => {
    const q = setup('boot');
    const holder = q.dep.leaderHolder('demo');
    expect(holder).not.toBeNull();
    const recs = leaderRecs(q.world.sim.trace.records());
    expect(recs.filter((r) => r.reason === 'acquired')).toHaveLength(1);
    expect(recs.filter((r) => r.reason === 'updated').length).toBeGreaterThan(1);
  });

  it('no server-side expiry: a silent holder keeps the record; others take over ttl after *their* observation', () => {
    const q = setup('expiry');
    const holder = q.dep.leaderHolder('demo')!;
    const idx = q.clients.findIndex((c) => c.name === holder);
    const at = q.world.nowUs;
    q.patroni[idx]!.pause('test');
    q.world.run(at + 80_000_000);
    const recs = leaderRecs(q.world.sim.trace.records());
    const lastRenew = recs.filter((r) => r.holder === holder && r.t <= at).at(-1)!;
    const taken = recs.find((r) => r.t > at && r.reason === 'taken')!;
    expect(taken).toBeDefined();
    expect(recs.filter((r) => r.t > at && r.reason === 'expired')).toEqual([]);
    // an observer judges from when it saw the renewal (≥ the write) and notices at its next cycle
    // (pure expiry wakes nobody): between ttl and ttl + loop_wait + a cycle after the last renewal
    const d = taken.t - lastRenew.t;
    expect(d).toBeGreaterThanOrEqual(30_000_000);
    expect(d).toBeLessThan(30_000_000 + 10_500_000 + 2_000_000);
  });

  it('each observer judges expiry on its own clock: a replica whose clock jumps ahead takes the key early', () => {
    const q = setup('observer-clock');
    const holder = q.dep.leaderHolder('demo')!;
    const idx = q.clients.findIndex((c) => c.name === holder);
    const other = q.clients.findIndex((c, i) => i !== idx);
    const at = q.world.nowUs;
    q.patroni[idx]!.pause('test');
    // the replica's wall clock jumps 25 s ahead: its observation of the last renewal looks old
    q.patroni[other]!.host.stepClock(25_000_000, 'test');
    q.world.run(at + 60_000_000);
    const recs = leaderRecs(q.world.sim.trace.records());
    const lastRenew = recs.filter((r) => r.holder === holder && r.t <= at).at(-1)!;
    const taken = recs.find((r) => r.t > at && r.reason === 'taken')!;
    expect(taken.holder).toBe(q.clients[other]!.name);
    // well before ttl (30 s) of true time after the last renewal
    expect(taken.t - lastRenew.t).toBeLessThan(20_000_000);
  });

  it('an etcd outage behind the API servers makes Patroni calls fail with DCSError', () => {
    const q = setup('outage');
    q.stopLoops();
    const c = q.clients.find((x) => x.name === q.dep.leaderHolder('demo'))!;
    for (const m of q.dep.etcd) m.crash('test');
    const t0 = q.world.nowUs;
    const idx = q.clients.indexOf(c);
    const box = run(q.patroni[idx]!, 'upd', (function* () {
      const cl = yield* c.getCluster();
      return yield* c.updateLeader(cl, 7000, null);
    })());
    q.world.run(t0 + 40_000_000);
    // the caches still answer (stale) but the PATCH fails: 504 from the API server, retried until
    // retry_timeout, then KubernetesError
    expect(box.out?.ok).toBe(false);
    expect(box.out!.ok ? '' : box.out!.error).toMatch(/KubernetesError/);
    expect(box.out!.tookUs).toBeLessThanOrEqual(16_000_000);
  });
});
