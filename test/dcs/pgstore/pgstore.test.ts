import { describe, expect, it } from 'vitest';
import { pgStoreBackend } from '../../../src/sim/dcs/pgstore/index.js';
import type { DcsDeployment } from '../../../src/sim/dcs/backend.js';
import { smallWorld } from '../../helpers/world.js';
import { describeOverlap, LockAgent, overlapsOf } from '../memory/harness.js';
import type { World } from '../../../src/sim/world.js';

function deploy(w: World, members: [string, string][], options: Record<string, unknown> = {}): DcsDeployment {
  const dep = pgStoreBackend.deploy(w, { scope: 'demo', namespace: 'service', members: members.map(([name, host]) => ({ name, host })), options, store: 'pgstore' });
  dep.start();
  return dep;
}

function agents(w: World, dep: DcsDeployment, hosts: string[], staggerUs = 0): LockAgent[] {
  return hosts.map((h, i) => {
    const a = new LockAgent(w.net.host(h), 'patroni', dep);
    if (i === 0 || staggerUs === 0) a.start();
    else w.sim.schedule(staggerUs * i, () => a.start());
    return a;
  });
}

describe('PostgreSQL as the store', () => {
  it('one node holds the lease, the others follow; nobody else is granted it', () => {
    const w = smallWorld('pg-basic');
    const dep = deploy(w, [['pgs1', 'b2']]);
    const as = agents(w, dep, ['a1', 'a2', 'b1'], 1_000_000);
    w.run(120_000_000);
    expect(dep.leaderHolder('demo')).toBe('a1');
    expect(as[0]?.believesLeader).toBe(true);
    expect(as.slice(1).every((a) => a.log.some((l) => l.what === 'follower'))).toBe(true);
    expect(overlapsOf(w)).toEqual([]);
  });

  for (const kind of ['pgstore-outage', 'power-off'] as const) {
    it(`an outage of the one server (${kind}) fails every client's calls with DCSError after retry_timeout`, () => {
      const w = smallWorld(`pg-outage-${kind}`);
      const dep = deploy(w, [['pgs1', 'b2']]);
      const as = agents(w, dep, ['a1', 'a2', 'b1'], 1_000_000);
      w.run(30_000_000);
      w.nemesis.apply(kind === 'power-off' ? { kind: 'power-off', host: 'b2' } : { kind: 'pgstore-outage', store: 'pgstore' }, 'outage', 60_000_000);
      w.run(90_000_000);
      for (const a of as) {
        const errors = a.log.filter((l) => l.what === 'dcs-error' && l.atUs > 30_000_000 && l.atUs < 90_000_000);
        expect(errors.length, a.host.name).toBeGreaterThanOrEqual(3);
        for (const e of errors) {
          // Patroni's Retry gives up when the next sleep would cross the deadline: within [10 s - 1.8 s, 10 s]
          const tookUs = e.atUs - e.startUs;
          expect(tookUs).toBeGreaterThanOrEqual(8_000_000);
          expect(tookUs).toBeLessThanOrEqual(10_050_000);
          expect(e.error).toMatch(/gave up after retry_timeout=10s/);
        }
        expect(a.believesLeader).toBe(false);
      }
      const quorum = w.sim.trace.records().filter((r) => r.k === 'dcs.quorum').map((r) => (r as { ok: boolean }).ok);
      expect(quorum).toEqual(kind === 'power-off' ? [true, false] : [true, false, true]);
      // after the store comes back, a leader is elected again
      w.run(200_000_000);
      expect(dep.leaderHolder('demo')).not.toBeNull();
      expect(overlapsOf(w)).toEqual([]);
    });
  }

  it('a naive promote-on-timeout script on the standby grants the lease twice during a partition', () => {
    const w = smallWorld('pg-naive-promote');
    // primary on b2 (dc2), standby on c1 (us); b1 holds the lease and stays with the primary
    const dep = deploy(w, [['pgs1', 'b2'], ['pgs2', 'c1']], { autoPromoteAfterMs: 10_000 });
    const [b1, a1] = agents(w, dep, ['b1', 'a1', 'a2'], 2_000_000);
    w.run(30_000_000);
    expect(dep.leaderHolder('demo')).toBe('b1');
    w.nemesis.apply({ kind: 'isolate', targets: ['dc2'] }, 'split');
    w.run(150_000_000);
    expect(b1?.believesLeader).toBe(true);
    expect(a1?.believesLeader || w.sim.trace.records().some((r) => r.k === 'dcs.leader' && (r as { server?: string }).server === 'pgs2')).toBe(true);
    const o = overlapsOf(w);
    expect(o.length, 'expected a double grant').toBeGreaterThan(0);
    const first = o[0]!;
    expect(new Set([first.a.server, first.b.server])).toEqual(new Set(['pgs1', 'pgs2']));
    expect(describeOverlap(first)).toMatch(/b1@pgs1/);
  });

  it('the same partition without the script: the minority side fails, the lease is never granted twice', () => {
    const w = smallWorld('pg-no-script');
    const dep = deploy(w, [['pgs1', 'b2'], ['pgs2', 'c1']]);
    const [, a1, a2] = agents(w, dep, ['b1', 'a1', 'a2'], 2_000_000);
    w.run(30_000_000);
    w.nemesis.apply({ kind: 'isolate', targets: ['dc2'] }, 'split');
    w.run(150_000_000);
    expect(a1?.log.at(-1)?.what).toBe('dcs-error');
    expect(a2?.log.at(-1)?.what).toBe('dcs-error');
    expect(overlapsOf(w)).toEqual([]);
  });
});
