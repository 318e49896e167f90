import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fileBackend } from '../../../src/sim/dcs/file/index.js';
import type { DcsDeployment } from '../../../src/sim/dcs/backend.js';
import { smallWorld } from '../../helpers/world.js';
import { describeOverlap, LockAgent, overlapsOf } from '../memory/harness.js';
import type { World } from '../../../src/sim/world.js';

// the NFS server on b2; Patroni nodes a1, a2 (dc1), b1 (dc2)
function deploy(w: World, options: Record<string, unknown> = {}): DcsDeployment {
  const dep = fileBackend.deploy(w, { scope: 'demo', namespace: 'service', members: [{ name: 'nfs1', host: 'b2' }], options, store: 'file' });
  dep.start();
  return dep;
}

function agents(w: World, dep: DcsDeployment, hosts: string[], staggerUs = 1_000_000): LockAgent[] {
  return hosts.map((h, i) => {
    const a = new LockAgent(w.net.host(h), 'patroni', dep);
    w.sim.schedule(staggerUs * i, () => a.start());
    return a;
  });
}

const overlapTotal = (w: World): number => overlapsOf(w).reduce((s, o) => s + (o.toUs - o.fromUs), 0);

describe('file store (NFS)', () => {
  it('clocks in sync, default mount (close-to-open): one holder, never granted twice', () => {
    const w = smallWorld('file-basic');
    const dep = deploy(w);
    const [a1] = agents(w, dep, ['a1', 'a2', 'b1']);
    w.run(300_000_000);
    expect(dep.leaderHolder('demo')).toBe('a1');
    expect(a1?.log.filter((l) => l.what === 'renewed').length).toBeGreaterThan(25);
    expect(overlapsOf(w)).toEqual([]);
  });

  it('a reader whose clock runs 25 s ahead takes the lock while the holder is still renewing on time', () => {
    const w = smallWorld('file-skew-big');
    w.net.host('a2').stepClock(25_000_000, 'a2 runs 25 s ahead');
    const dep = deploy(w);
    const [a1, a2] = agents(w, dep, ['a1', 'a2'], 17_000_000);
    w.run(60_000_000);
    const o = overlapsOf(w);
    expect(o.length, 'expected a double grant').toBeGreaterThan(0);
    expect([o[0]!.a.holder, o[0]!.b.holder]).toEqual(['a1', 'a2']);
    const firstRenewal = a1!.log.find((l) => l.what === 'renewed')!.atUs;
    expect(o[0]!.fromUs).toBeGreaterThan(firstRenewal);
    expect(o[0]!.fromUs - firstRenewal).toBeLessThan(8_000_000);
    expect(overlapTotal(w)).toBeGreaterThan(20_000_000);
    expect(a2!.log.some((l) => l.what === 'acquired')).toBe(true);
  });

  it('a reader 5 s ahead takes over a cut-off holder up to 5 s before the holder stops believing; in sync it does not', () => {
    const run = (skewUs: number): number => {
      const w = smallWorld('file-skew-small');
      if (skewUs) w.net.host('a2').stepClock(skewUs);
      const dep = deploy(w, { hard: false, timeoMs: 1000, retrans: 1 });
      agents(w, dep, ['a1', 'a2'], 6_500_000);
      w.run(25_000_000);
      w.nemesis.apply({ kind: 'cut', a: ['a1'], b: ['b2'] }, 'cut-a1');
      w.run(100_000_000);
      return overlapTotal(w);
    };
    expect(run(0)).toBe(0);
    const skewed = run(5_000_000);
    expect(skewed).toBeGreaterThan(2_000_000);
    expect(skewed).toBeLessThanOrEqual(5_000_000);
  });

  it('nocto with a long actimeo: stale cached reads grant the lock twice even with clocks in sync', () => {
    const w = smallWorld('file-nocto');
    const dep = deploy(w, { cto: false, actimeoMs: 60_000 });
    agents(w, dep, ['a1', 'a2'], 3_000_000);
    w.run(120_000_000);
    const o = overlapsOf(w);
    expect(o.length, 'expected a double grant from stale reads').toBeGreaterThan(0);
    // the same world with close-to-open consistency does not
    const w2 = smallWorld('file-nocto');
    const dep2 = deploy(w2, { cto: true, actimeoMs: 60_000 });
    agents(w2, dep2, ['a1', 'a2'], 3_000_000);
    w2.run(120_000_000);
    expect(overlapsOf(w2).map(describeOverlap)).toEqual([]);
  });

  it('an NFS outage on a hard mount: every call gives up with DCSError at retry_timeout', () => {
    const w = smallWorld('file-outage');
    const dep = deploy(w);
    const as = agents(w, dep, ['a1', 'a2', 'b1']);
    w.run(20_000_000);
    w.nemesis.apply({ kind: 'power-off', host: 'b2' }, 'nfs-down', 60_000_000);
    w.run(70_000_000);
    for (const a of as) {
      const errs = a.log.filter((l) => l.what === 'dcs-error');
      expect(errs.length).toBeGreaterThanOrEqual(2);
      for (const e of errs) {
        expect(e.atUs - e.startUs).toBeGreaterThanOrEqual(9_900_000);
        expect(e.atUs - e.startUs).toBeLessThanOrEqual(10_050_000);
        expect(e.error).toMatch(/not responding, still trying/);
      }
    }
    const q = w.sim.trace.records().filter((r) => r.k === 'dcs.quorum').map((r) => (r as { ok: boolean }).ok);
    expect(q).toEqual([true, false]);
    w.run(200_000_000);
    expect(dep.leaderHolder('demo')).not.toBeNull();
    expect(overlapsOf(w).map(describeOverlap)).toEqual([]);
  });

  it('hard mount: a request Patroni gave up on stays queued and lands after the partition heals', () => {
    const w = smallWorld('file-late', { keep: true, messages: true });
    const dep = deploy(w);
    const [a1] = agents(w, dep, ['a1', 'a2']);
    w.run(15_000_000);
    w.nemesis.apply({ kind: 'cut', a: ['a1'], b: ['b2'] }, 'cut', 30_000_000);
    w.run(60_000_000);
    const healUs = 45_000_000;
    const gaveUp = a1!.log.filter((l) => l.what === 'dcs-error' && l.atUs < healUs);
    expect(gaveUp.length).toBeGreaterThan(0);
    const late = w.sim.trace
      .records()
      .filter((r) => r.k === 'net.msg')
      .map((r) => r as unknown as { t: number; from: string; to: string; what: string; sentUs: number })
      .filter((m) => m.from === 'a1' && m.to === 'b2' && m.what.startsWith('nfs-') && m.t >= healUs && m.sentUs < healUs - 10_000_000);
    expect(late.length, 'requests sent during the cut and delivered after the heal').toBeGreaterThan(0);
  });

  it('property: clocks in sync, random partitions and pauses never grant twice; a skewed clock does', () => {
    const faults = fc.array(
      fc.record({
        atS: fc.integer({ min: 5, max: 150 }),
        forS: fc.integer({ min: 1, max: 60 }),
        what: fc.constantFrom('isolate', 'pause', 'cut-nfs'),
        who: fc.constantFrom('a1', 'a2', 'b1'),
      }),
      { maxLength: 4 },
    );
    const run = (skewS: number, fs: { atS: number; forS: number; what: string; who: string }[]): number => {
      const w = smallWorld('file-prop', { keep: true, messages: false });
      if (skewS) w.net.host('a2').stepClock(skewS * 1_000_000);
      const dep = deploy(w, { hard: false, timeoMs: 2000, retrans: 2 });
      agents(w, dep, ['a1', 'a2', 'b1']);
      w.nemesis.schedule(
        fs.map((f, i) => ({
          atUs: f.atS * 1_000_000,
          durationUs: f.forS * 1_000_000,
          id: `f${i}`,
          action:
            f.what === 'pause'
              ? { kind: 'pause' as const, process: `${f.who}/patroni` }
              : f.what === 'isolate'
                ? { kind: 'isolate' as const, targets: [f.who] }
                : { kind: 'cut' as const, a: [f.who], b: ['b2'] },
        })),
      );
      w.run(220_000_000);
      return overlapsOf(w).length;
    };
    fc.assert(fc.property(faults, (fs) => run(0, fs) === 0), { numRuns: 25 });
    const skewed = fc.check(
      fc.property(fc.integer({ min: 1, max: 30 }), faults, (skewS, fs) => run(skewS, fs) === 0),
      { numRuns: 40 },
    );
    expect(skewed.failed, 'fast-check should find a double grant with a skewed clock').toBe(true);
  });
});
