import { describe, expect, it } from 'vitest';
import { bootstrap, pgWorld, run } from '../pg/helpers.js';
import { recs } from './helpers.js';
import { DirectRouter } from '../../src/sim/client/router.js';
import { Reader, Writer } from '../../src/sim/client/workload.js';
import { clientHistory } from '../../src/sim/client/history.js';

describe('client workloads', () => {
  it('write ids are unique and increasing across writers; every operation completes exactly once', () => {
    const { w, servers, op } = pgWorld('wl-1');
    run(w, op, bootstrap(servers.pg1!, []));
    new Writer(w.net.host('app'), { name: 'w1', router: new DirectRouter('pg1'), ratePerSec: 20 }).start();
    new Writer(w.net.host('op'), { name: 'w2', router: new DirectRouter('pg1'), ratePerSec: 13, arrivals: 'poisson' }).start();
    w.run(w.sim.nowUs + 5_000_000);
    w.sim.schedule(0, () => servers.pg1!.postmaster.crash('kill -9'));
    w.run(w.sim.nowUs + 2_000_000);
    clientHistory(w.sim).finish();
    const all = w.sim.trace.records();
    const inv = recs(all, 'client.invoke');
    const ids = inv.map((i) => i.writeId!);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    const done = recs(all, 'client.complete');
    const keys = done.map((c) => `${c.client}#${c.op}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(keys)).toEqual(new Set(inv.map((i) => `${i.client}#${i.op}`)));
    expect(done.some((c) => c.outcome === 'ok')).toBe(true);
    // the crash: a connection lost with a COMMIT in flight is unknown, later connects fail
    expect(done.some((c) => c.outcome === 'fail')).toBe(true);
  });

  it('operations pending at the end of the run complete as info', () => {
    const { w, servers, op } = pgWorld('wl-2');
    run(w, op, bootstrap(servers.pg1!, []));
    new Writer(w.net.host('app'), { name: 'w1', router: new DirectRouter('pg1'), ratePerSec: 10, timeoutMs: null }).start();
    w.run(w.sim.nowUs + 1_000_000);
    servers.pg1!.postmaster.pause('SIGSTOP');
    w.run(w.sim.nowUs + 1_000_000);
    clientHistory(w.sim).finish();
    const last = recs(w.sim.trace.records(), 'client.complete').pop()!;
    expect(last.outcome).toBe('info');
    expect(clientHistory(w.sim).pendingCount).toBe(0);
  });

  it('retry n times with backoff: each attempt is its own operation', () => {
    const { w, servers, op } = pgWorld('wl-3');
    run(w, op, bootstrap(servers.pg1!, [servers.pg2!]));
    // writing to a replica fails (read-only): 1 + 2 retries per tick, 100 ms then 200 ms apart
    new Writer(w.net.host('app'), { name: 'w1', router: new DirectRouter('pg2'), ratePerSec: 1, retry: { kind: 'retry', attempts: 2, backoffMs: 100, multiplier: 2 } }).start();
    w.run(w.sim.nowUs + 1_500_000);
    const inv = recs(w.sim.trace.records(), 'client.invoke');
    expect(inv.length).toBe(3);
    expect(inv[1]!.t - inv[0]!.t).toBeGreaterThanOrEqual(100_000);
    expect(inv[2]!.t - inv[1]!.t).toBeGreaterThanOrEqual(200_000);
    const done = recs(w.sim.trace.records(), 'client.complete');
    expect(done.every((c) => c.outcome === 'fail' && /read-only/.test(c.error ?? ''))).toBe(true);
  });

  it('a reader on a lagging replica records stale reads', () => {
    const { w, servers, op } = pgWorld('wl-4');
    const [pg1, pg2] = [servers.pg1!, servers.pg2!];
    run(w, op, bootstrap(pg1, [pg2]));
    new Writer(w.net.host('app'), { name: 'w1', router: new DirectRouter('pg1'), ratePerSec: 20 }).start();
    new Reader(w.net.host('op'), { name: 'r1', router: new DirectRouter('pg2'), ratePerSec: 5 }).start();
    w.run(w.sim.nowUs + 3_000_000);
    run(w, op, pg2.setReplayPaused(true));
    const pausedAt = w.sim.nowUs;
    w.run(w.sim.nowUs + 5_000_000);
    const reads = recs(w.sim.trace.records(), 'client.complete').filter((c) => c.client === 'r1' && c.outcome === 'ok');
    const before = reads.filter((r) => r.t < pausedAt);
    const during = reads.filter((r) => r.t > pausedAt + 500_000);
    expect(before.length).toBeGreaterThan(5);
    expect(during.length).toBeGreaterThan(5);
    const frozen = new Set(during.map((r) => r.sawWriteId));
    expect(frozen.size).toBe(1);
    expect(during.every((r) => r.node === 'pg2')).toBe(true);
    const acked = recs(w.sim.trace.records(), 'client.complete').filter((c) => c.client === 'w1' && c.outcome === 'ok').length;
    expect([...frozen][0]!).toBeLessThan(acked - 50);
  });
});
