import { describe, expect, it } from 'vitest';
import { bootstrap, pgWorld, run } from './helpers.js';
import { DirectRouter } from '../../src/sim/client/router.js';
import { Writer } from '../../src/sim/client/workload.js';
import { clientHistory } from '../../src/sim/client/history.js';
import type { TraceRecord } from '../../src/sim/kernel/trace.js';

function recs<K extends TraceRecord['k']>(all: readonly TraceRecord[], k: K): Extract<TraceRecord, { k: K }>[] {
  return all.filter((r) => r.k === k) as Extract<TraceRecord, { k: K }>[];
}

describe('crash recovery', () => {
  it('with synchronous_commit=off, a crash loses exactly the acknowledged writes past the last flush', () => {
    const { w, servers, op } = pgWorld('crash-off');
    const pg1 = servers.pg1!;
    run(w, op, bootstrap(pg1, [], { synchronous_commit: 'off' }));
    const writer = new Writer(w.net.host('app'), { name: 'w1', router: new DirectRouter('pg1'), ratePerSec: 100, timeoutMs: 2000 });
    writer.start();
    w.run(w.sim.nowUs + 3_050_000);
    const flushedAtCrash = pg1.dd.flushLsn;
    w.sim.schedule(0, () => pg1.postmaster.crash('kill -9'));
    w.run(w.sim.nowUs + 1_000);
    writer.crash('stop the workload');
    clientHistory(w.sim).finish();
    const all = w.sim.trace.records();
    const acked = new Set(recs(all, 'client.complete').filter((c) => c.outcome === 'ok').map((c) => c.op));
    const invokes = new Map(recs(all, 'client.invoke').map((i) => [i.op, i.writeId!]));
    const ackedIds = [...acked].map((op) => invokes.get(op)!);
    const lsnOf = new Map(recs(all, 'pg.write').map((x) => [x.writeId, x.lsn]));
    const lost = ackedIds.filter((id) => lsnOf.get(id)! > flushedAtCrash);
    const kept = ackedIds.filter((id) => lsnOf.get(id)! <= flushedAtCrash);
    expect(lost.length).toBeGreaterThan(0);
    expect(kept.length).toBeGreaterThan(100);
    run(w, op, pg1.start({ standby: false, upstream: null }));
    const rec = recs(w.sim.trace.records(), 'pg.recovery').pop()!;
    expect(rec.replayedToLsn).toBe(flushedAtCrash);
    expect(rec.lostFromLsn).toBe(flushedAtCrash);
    for (const id of lost) expect(pg1.hasWrite(id)).toBe(false);
    for (const id of kept) expect(pg1.hasWrite(id)).toBe(true);
    // the primary writes on after the lost tail: a new branch with the same timeline number
    const br = recs(w.sim.trace.records(), 'pg.branch').pop()!;
    expect(br.timeline).toBe(1);
    expect(br.switchLsn).toBe(flushedAtCrash);
    expect(pg1.snapshot().branch).toBe(br.branch);
  });

  it('with synchronous_commit=on, a crash loses no acknowledged write', () => {
    const { w, servers, op } = pgWorld('crash-on');
    const pg1 = servers.pg1!;
    run(w, op, bootstrap(pg1, []));
    const writer = new Writer(w.net.host('app'), { name: 'w1', router: new DirectRouter('pg1'), ratePerSec: 100, timeoutMs: 2000 });
    writer.start();
    w.run(w.sim.nowUs + 3_050_000);
    w.sim.schedule(0, () => pg1.postmaster.crash('kill -9'));
    w.run(w.sim.nowUs + 1_000);
    writer.crash('stop');
    clientHistory(w.sim).finish();
    run(w, op, pg1.start({ standby: false, upstream: null }));
    const all = w.sim.trace.records();
    const invokes = new Map(recs(all, 'client.invoke').map((i) => [i.op, i.writeId!]));
    const acked = recs(all, 'client.complete').filter((c) => c.outcome === 'ok').map((c) => invokes.get(c.op)!);
    expect(acked.length).toBeGreaterThan(100);
    for (const id of acked) expect(pg1.hasWrite(id)).toBe(true);
    // every operation completed exactly once
    expect(recs(all, 'client.complete').length).toBe(recs(all, 'client.invoke').length);
  });

  it('a disk stall slows commits to the stall latency', () => {
    const { w, servers, op } = pgWorld('stall');
    const pg1 = servers.pg1!;
    run(w, op, bootstrap(pg1, []));
    const writer = new Writer(w.net.host('app'), { name: 'w1', router: new DirectRouter('pg1'), ratePerSec: 10, timeoutMs: null });
    writer.start();
    w.run(w.sim.nowUs + 2_000_000);
    const stallFrom = w.sim.nowUs;
    w.nemesis.apply({ kind: 'disk-stall', host: 'pg1', latencyUs: 400_000 }, 'stall', 3_000_000);
    w.run(w.sim.nowUs + 5_000_000);
    const all = w.sim.trace.records();
    const inv = new Map(recs(all, 'client.invoke').map((i) => [i.op, i.t]));
    const lat = recs(all, 'client.complete').map((c) => ({ invokedAt: inv.get(c.op)!, us: c.t - inv.get(c.op)! }));
    const before = lat.filter((l) => l.invokedAt < stallFrom);
    const during = lat.filter((l) => l.invokedAt >= stallFrom + 500_000 && l.invokedAt < stallFrom + 2_500_000);
    const after = lat.filter((l) => l.invokedAt > stallFrom + 4_000_000);
    expect(before.length).toBeGreaterThan(5);
    expect(during.length).toBeGreaterThanOrEqual(2);
    expect(after.length).toBeGreaterThan(3);
    for (const l of before) expect(l.us).toBeLessThan(5_000);
    for (const l of during) expect(l.us).toBeGreaterThanOrEqual(300_000);
    for (const l of after) expect(l.us).toBeLessThan(5_000);
  });
});

describe('re-clone', () => {
  function cloneTimeUs(writes: number): number {
    const { w, servers, op } = pgWorld(`clone-${writes}`);
    const [pg1, pg2] = [servers.pg1!, servers.pg2!];
    run(w, op, bootstrap(pg1, []));
    const writer = new Writer(w.net.host('app'), { name: 'w1', router: new DirectRouter('pg1'), ratePerSec: 100, writeBytes: 1024 * 1024 });
    writer.start();
    w.run(w.sim.nowUs + writes * 10_000);
    writer.crash('stop');
    const t0 = w.sim.nowUs;
    expect(run(w, op, pg2.basebackup('pg1'))).toBe(true);
    return w.sim.nowUs - t0;
  }

  it('takes longer for more data', () => {
    const small = cloneTimeUs(10);
    const large = cloneTimeUs(500);
    // ~490 MB more at 100 MB/s: about five seconds more
    expect(large - small).toBeGreaterThan(4_000_000);
    expect(large - small).toBeLessThan(8_000_000);
  });

  it('fails (and leaves no data directory) when the source is unreachable', () => {
    const { w, servers, op } = pgWorld('clone-cut');
    const [pg1, pg2] = [servers.pg1!, servers.pg2!];
    run(w, op, bootstrap(pg1, []));
    w.net.applyFault('cut', { kind: 'isolate', targets: ['pg2'] });
    expect(run(w, op, pg2.basebackup('pg1'))).toBe(false);
    expect(pg2.dataDirectory().exists).toBe(false);
    expect(recs(w.sim.trace.records(), 'pg.clone').pop()!.ok).toBe(false);
  });
});
