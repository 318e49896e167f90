import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dynamoDbBackend } from '../../../src/sim/dcs/dynamodb/index.js';
import type { DcsDeployment } from '../../../src/sim/dcs/backend.js';
import { smallWorld } from '../../helpers/world.js';
import { describeOverlap, LockAgent, overlapsOf, leaderRecords } from '../memory/harness.js';
import type { World } from '../../../src/sim/world.js';

// endpoints in eu/dc2 (b1, b2); Patroni nodes a1, a2 (eu/dc1) and c1 (us)
function deploy(w: World): DcsDeployment {
  const dep = dynamoDbBackend.deploy(w, {
    scope: 'demo',
    namespace: 'service',
    members: [
      { name: 'ddb-a', host: 'b1' },
      { name: 'ddb-b', host: 'b2' },
    ],
    options: {},
    store: 'dynamodb',
  });
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

describe('DynamoDB store', () => {
  it('clocks in sync, no faults: one holder, renewed, never granted twice', () => {
    const w = smallWorld('ddb-basic');
    const dep = deploy(w);
    const [a1, a2, c1] = agents(w, dep, ['a1', 'a2', 'c1']);
    w.run(300_000_000);
    expect(dep.leaderHolder('demo')).toBe('a1');
    expect(a1?.log.filter((l) => l.what === 'renewed').length).toBeGreaterThan(25);
    expect(a2?.believesLeader || c1?.believesLeader).toBe(false);
    expect(overlapsOf(w)).toEqual([]);
  });

  it('a region cut off from the service gets DCSError after retry_timeout; the lock moves only after its expiry', () => {
    const w = smallWorld('ddb-cutoff');
    const dep = deploy(w);
    const [c1, a1] = agents(w, dep, ['c1', 'a1', 'a2']);
    w.run(30_000_000);
    expect(dep.leaderHolder('demo')).toBe('c1');
    w.nemesis.apply({ kind: 'isolate', targets: ['us'] }, 'cut-us');
    w.run(120_000_000);
    const errs = c1?.log.filter((l) => l.what === 'dcs-error') ?? [];
    expect(errs.length).toBeGreaterThan(3);
    for (const e of errs) expect(e.atUs - e.startUs).toBeLessThanOrEqual(10_050_000);
    expect(a1?.believesLeader).toBe(true);
    const recs = leaderRecords(w) as unknown as { t: number; holder: string; reason: string; expiresAtUs?: number }[];
    const lastC1 = recs.filter((r) => r.holder === 'c1' && r.reason !== 'expired').at(-1);
    const firstA1 = recs.find((r) => r.holder === 'a1' && r.reason === 'acquired');
    expect(firstA1!.t).toBeGreaterThanOrEqual(lastC1!.expiresAtUs!);
    expect(overlapsOf(w)).toEqual([]);
  });

  it('a reader whose clock runs 25 s ahead takes the lock while the holder is still renewing on time', () => {
    const w = smallWorld('ddb-skew-big');
    w.net.host('a2').stepClock(25_000_000, 'a2 runs 25 s ahead');
    const dep = deploy(w);
    // a2's cycle runs 7 s after a1's renewals: it reads the item 7 s after a1 wrote it for 30 s,
    // when by its own clock (25 s ahead) that lease has already run out
    const [a1, a2] = agents(w, dep, ['a1', 'a2'], 17_000_000);
    w.run(60_000_000);
    const o = overlapsOf(w);
    expect(o.length, 'expected a double grant').toBeGreaterThan(0);
    const first = o[0]!;
    expect([first.a.holder, first.b.holder]).toEqual(['a1', 'a2']);
    // a1 renewed at ~10 s (good until ~40 s by its clock); a2 took the lock at ~17 s
    const a1Renewals = a1!.log.filter((l) => l.what === 'renewed').map((l) => l.atUs);
    expect(a1Renewals.length).toBeGreaterThan(0);
    expect(first.fromUs - (a1Renewals[0] as number)).toBeLessThan(8_000_000);
    expect(first.fromUs).toBeGreaterThan(a1Renewals[0] as number);
    const total = o.reduce((s, x) => s + (x.toUs - x.fromUs), 0);
    expect(total).toBeGreaterThan(20_000_000);
    expect(a2!.log.some((l) => l.what === 'acquired')).toBe(true);
    // a1 finds out at its next cycle: the lock has another holder
    expect(a1!.log.filter((l) => l.atUs > first.fromUs).every((l) => l.what === 'follower')).toBe(true);
  });

  it('a reader 5 s ahead takes over a cut-off holder 5 s before the holder itself stops believing', () => {
    const overlapFor = (skewUs: number): number => {
      const w = smallWorld('ddb-skew-small');
      if (skewUs) w.net.host('a2').stepClock(skewUs);
      const dep = deploy(w);
      agents(w, dep, ['a1', 'a2'], 6_500_000);
      w.run(25_000_000);
      w.nemesis.apply({ kind: 'cut', a: ['a1'], b: ['b1', 'b2'] }, 'cut-a1');
      w.run(100_000_000);
      return overlapsOf(w).reduce((s, o) => s + (o.toUs - o.fromUs), 0);
    };
    expect(overlapFor(0)).toBe(0);
    // a1's last renewal (t≈20 s) is good until t≈50 s by a1's clock; a2 reads a few seconds
    // before that, when its clock already says 50 s, and takes the lock: both believe for up to
    // the skew (here ~3.6 s, depending on where a2's cycle falls)
    const skewed = overlapFor(5_000_000);
    expect(skewed).toBeGreaterThan(2_000_000);
    expect(skewed).toBeLessThanOrEqual(5_000_000);
  });

  it('property: with clocks in sync, random partitions and pauses never grant the lock twice; a skewed clock does', () => {
    const faults = fc.array(
      fc.record({
        atS: fc.integer({ min: 5, max: 150 }),
        forS: fc.integer({ min: 1, max: 60 }),
        what: fc.constantFrom('isolate', 'pause', 'cut-service'),
        who: fc.constantFrom('a1', 'a2', 'c1'),
      }),
      { maxLength: 4 },
    );
    const run = (skewS: number, fs: { atS: number; forS: number; what: string; who: string }[]): number => {
      const w = smallWorld('ddb-prop', { keep: true, messages: false });
      if (skewS) w.net.host('a2').stepClock(skewS * 1_000_000);
      const dep = deploy(w);
      agents(w, dep, ['a1', 'a2', 'c1']);
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
                : { kind: 'cut' as const, a: [f.who], b: ['b1', 'b2'] },
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
    const [skewS] = skewed.counterexample as [number, unknown];
    expect(skewS).toBeGreaterThan(0);
  });

  it('a regional outage (HTTP 500) fails every call after retry_timeout and is reported as store down', () => {
    const w = smallWorld('ddb-outage');
    const dep = deploy(w);
    const as = agents(w, dep, ['a1', 'a2', 'c1']);
    w.run(20_000_000);
    w.nemesis.apply({ kind: 'dynamodb-outage' }, 'out', 40_000_000);
    w.run(55_000_000);
    for (const a of as) expect(a.log.at(-1)?.what).toBe('dcs-error');
    expect(as[0]!.log.at(-1)?.error).toMatch(/InternalServerError/);
    const q = w.sim.trace.records().filter((r) => r.k === 'dcs.quorum').map((r) => (r as { ok: boolean }).ok);
    expect(q).toEqual([true, false]);
    w.run(150_000_000);
    expect(dep.leaderHolder('demo')).not.toBeNull();
    expect(overlapsOf(w).map(describeOverlap)).toEqual([]);
  });
});
