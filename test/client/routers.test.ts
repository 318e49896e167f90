import { describe, expect, it } from 'vitest';
import { bootstrap, pgWorld, run } from '../pg/helpers.js';
import { FakeDcs, FakeRest, FakeStore, recs } from './helpers.js';
import { Haproxy, HaproxyRouter } from '../../src/sim/client/haproxy.js';
import { LibpqRouter } from '../../src/sim/client/libpq.js';
import { VipManager, VipRouter } from '../../src/sim/client/vip.js';
import { Writer } from '../../src/sim/client/workload.js';
import { clientHistory } from '../../src/sim/client/history.js';
import type { World } from '../../src/sim/world.js';

/** (time, node) of every acknowledged write. */
function acks(w: World): { t: number; node: string }[] {
  return recs(w.sim.trace.records(), 'client.complete')
    .filter((c) => c.outcome === 'ok')
    .map((c) => ({ t: c.t, node: c.node! }));
}

describe('HAProxy health-checking Patroni REST', () => {
  function setup(seed: string, shutdownSessions: boolean) {
    const env = pgWorld(seed);
    const { w, servers, op } = env;
    const [pg1, pg2] = [servers.pg1!, servers.pg2!];
    run(w, op, bootstrap(pg1, [pg2]));
    // what Patroni's REST says: pg1 is the leader until the test flips it
    const says = { primary: 'pg1' };
    new FakeRest(w.net.host('pg1'), () => says.primary === 'pg1').start();
    new FakeRest(w.net.host('pg2'), () => says.primary === 'pg2').start();
    w.addHost({ name: 'lb', domains: ['eu', 'dc1', 'room1', 'r7'] });
    const ha = new Haproxy(w.net.host('lb'), { backends: [{ node: 'pg1' }, { node: 'pg2' }], shutdownSessions });
    ha.start();
    w.run(w.sim.nowUs + 10_000_000);
    expect(ha.upServers()).toEqual(['pg1']);
    const writer = new Writer(w.net.host('app'), { name: 'w1', router: new HaproxyRouter(ha), ratePerSec: 20, timeoutMs: 2000 });
    writer.start();
    w.run(w.sim.nowUs + 5_000_000);
    return { ...env, ha, says, pg1, pg2 };
  }

  it('writes go to the old primary until fall=3 checks fail (inter 3 s), then sessions are shut down', () => {
    const { w, op, ha, says, pg2 } = setup('ha-1', true);
    // Patroni demotes pg1 in its REST answer and pg2 is promoted; pg1's PostgreSQL keeps accepting writes
    run(w, op, pg2.promote(60_000));
    const flipAt = w.sim.nowUs;
    says.primary = 'pg2';
    w.run(w.sim.nowUs + 30_000_000);
    clientHistory(w.sim).finish();
    const a = acks(w);
    const lastOld = Math.max(...a.filter((x) => x.node === 'pg1').map((x) => x.t));
    const firstNew = Math.min(...a.filter((x) => x.node === 'pg2').map((x) => x.t));
    // the first failed check comes within one interval, the third two intervals later
    expect(lastOld - flipAt).toBeGreaterThan(6_000_000);
    expect(lastOld - flipAt).toBeLessThanOrEqual(9_100_000);
    const down = recs(w.sim.trace.records(), 'router.target').find((r) => r.router === 'haproxy' && /pg1 is DOWN/.test(r.reason));
    expect(down).toBeDefined();
    expect(lastOld).toBeLessThanOrEqual(down!.t);
    expect(firstNew).toBeGreaterThan(down!.t);
    expect(ha.upServers()).toEqual(['pg2']);
  });

  it('without shutdown-sessions, an established session keeps writing to the old primary after it is marked down', () => {
    const { w, op, says, pg2 } = setup('ha-2', false);
    run(w, op, pg2.promote(60_000));
    says.primary = 'pg2';
    w.run(w.sim.nowUs + 30_000_000);
    const down = recs(w.sim.trace.records(), 'router.target').find((r) => /pg1 is DOWN/.test(r.reason))!;
    const late = acks(w).filter((x) => x.node === 'pg1' && x.t > down.t + 10_000_000);
    expect(late.length).toBeGreaterThan(100);
  });

  it('an HAProxy cut off from pg1 marks it down after its checks time out', () => {
    const { w, ha } = setup('ha-3', true);
    const cutAt = w.sim.nowUs;
    w.net.applyFault('cut', { kind: 'cut', a: ['lb'], b: ['pg1'] });
    w.run(w.sim.nowUs + 40_000_000);
    const down = recs(w.sim.trace.records(), 'router.target').find((r) => /pg1 is DOWN/.test(r.reason))!;
    // three checks, each waiting `timeout check` (5 s) plus inter (3 s) between them
    expect(down.t - cutAt).toBeGreaterThan(15_000_000);
    expect(down.t - cutAt).toBeLessThanOrEqual(25_000_000);
    expect(ha.upServers()).toEqual([]);
  });
});

describe('libpq multi-host, target_session_attrs=read-write', () => {
  it('stays on its server while it is up, even after another node was promoted; then moves to the writable one', () => {
    const { w, servers, op } = pgWorld('libpq-1');
    const [pg1, pg2] = [servers.pg1!, servers.pg2!];
    run(w, op, bootstrap(pg1, [pg2]));
    const router = new LibpqRouter('w1:libpq', { hosts: ['pg2', 'pg1'], targetSessionAttrs: 'read-write', connectTimeoutMs: 2000 });
    const writer = new Writer(w.net.host('app'), { name: 'w1', router, ratePerSec: 20, timeoutMs: 2000 });
    writer.start();
    w.run(w.sim.nowUs + 5_000_000);
    expect(new Set(acks(w).map((a) => a.node))).toEqual(new Set(['pg1']));
    run(w, op, pg2.promote(60_000));
    const promotedAt = w.sim.nowUs;
    w.run(w.sim.nowUs + 10_000_000);
    // split brain: the established session keeps writing to pg1
    expect(acks(w).filter((a) => a.node === 'pg1' && a.t > promotedAt + 5_000_000).length).toBeGreaterThan(50);
    run(w, op, pg1.stop('fast'));
    const stoppedAt = w.sim.nowUs;
    w.run(w.sim.nowUs + 5_000_000);
    const after = acks(w).filter((a) => a.t > stoppedAt);
    expect(after.length).toBeGreaterThan(50);
    expect(new Set(after.map((a) => a.node))).toEqual(new Set(['pg2']));
    const targets = recs(w.sim.trace.records(), 'router.target').filter((r) => r.router === 'w1:libpq').map((r) => r.target);
    expect(targets).toEqual(['pg1', 'pg2']);
  });

  it('skips a read-only server and fails when no host is writable', () => {
    const { w, servers, op } = pgWorld('libpq-2');
    const [pg1, pg2] = [servers.pg1!, servers.pg2!];
    run(w, op, bootstrap(pg1, [pg2]));
    run(w, op, pg1.stop('fast'));
    const router = new LibpqRouter('w1:libpq', { hosts: ['pg1', 'pg2'], targetSessionAttrs: 'read-write', connectTimeoutMs: 2000 });
    const writer = new Writer(w.net.host('app'), { name: 'w1', router, ratePerSec: 5, timeoutMs: 2000 });
    writer.start();
    w.run(w.sim.nowUs + 3_000_000);
    const done = recs(w.sim.trace.records(), 'client.complete');
    expect(done.length).toBeGreaterThan(5);
    expect(done.every((c) => c.outcome === 'fail')).toBe(true);
    expect(done[0]!.error).toMatch(/pg2: session is read-only/);
  });
});

describe('a VIP that follows the leader key (vip-manager)', () => {
  it('moves within the polling interval; writes go to the old holder until then, and its sessions are reset', () => {
    const { w, servers, op } = pgWorld('vip-1');
    const [pg1, pg2] = [servers.pg1!, servers.pg2!];
    run(w, op, bootstrap(pg1, [pg2]));
    const store = new FakeStore();
    store.leader = 'pg1';
    for (const n of ['pg1', 'pg2']) {
      new VipManager(w.net.host(n), { vip: 'db-vip', node: n, intervalMs: 1000, dcs: (p) => new FakeDcs(p, n, store) }).start();
    }
    w.run(w.sim.nowUs + 3_000_000);
    const writer = new Writer(w.net.host('app'), { name: 'w1', router: new VipRouter('db-vip'), ratePerSec: 20, timeoutMs: 2000 });
    writer.start();
    w.run(w.sim.nowUs + 3_000_000);
    run(w, op, pg2.promote(60_000));
    const flipAt = w.sim.nowUs;
    store.leader = 'pg2';
    w.run(w.sim.nowUs + 10_000_000);
    const a = acks(w);
    const lastOld = Math.max(...a.filter((x) => x.node === 'pg1').map((x) => x.t));
    expect(lastOld).toBeGreaterThan(flipAt);
    expect(lastOld - flipAt).toBeLessThanOrEqual(2_200_000);
    expect(a.filter((x) => x.node === 'pg2').length).toBeGreaterThan(100);
    const moves = recs(w.sim.trace.records(), 'router.target').filter((r) => r.router === 'db-vip').map((r) => r.target);
    expect(moves[0]).toBe('pg1');
    expect(moves[moves.length - 1]).toBe('pg2');
  });

  it('is removed everywhere while the DCS cannot be read: clients time out', () => {
    const { w, servers, op } = pgWorld('vip-2');
    run(w, op, bootstrap(servers.pg1!, []));
    const store = new FakeStore();
    store.leader = 'pg1';
    new VipManager(w.net.host('pg1'), { vip: 'db-vip', node: 'pg1', dcs: (p) => new FakeDcs(p, 'pg1', store) }).start();
    w.run(w.sim.nowUs + 3_000_000);
    store.down = true;
    w.run(w.sim.nowUs + 3_000_000);
    const last = recs(w.sim.trace.records(), 'router.target').pop()!;
    expect(last.target).toBeNull();
  });
});
