// The timing facts every Patroni operator relies on, on the real etcd and PostgreSQL models:
// failover after the primary's host dies takes about ttl plus the leader race; a killed postmaster
// is restarted in place on the same timeline (or fails over with primary_start_timeout: 0); a
// frozen primary Patroni without a watchdog leaves a writable old primary next to the new one
// (split-brain), while the watchdog resets its host before the lock can expire.
import { describe, expect, it } from 'vitest';
import { testCluster } from './helpers.js';

const TTL = 30;
const LOOP_WAIT = 10;

function recs<K extends string>(t: ReturnType<typeof testCluster>, k: K): Record<string, unknown>[] {
  return t.records.filter((r) => r.k === k) as unknown as Record<string, unknown>[];
}

describe('timing facts', () => {
  it('the primary host dies: a replica is primary within about ttl plus the race', () => {
    const t = testCluster({ seed: 'power-off', spec: { watchdog: { mode: 'off' } } });
    t.run(40);
    const old = t.leader() as string;
    expect(t.primaries()).toEqual([old]);
    const offAt = t.w.sim.nowUs / 1e6;
    t.w.nemesis.apply({ kind: 'power-off', host: old });
    const at = t.until(() => t.primaries().length === 1 && t.primaries()[0] !== old, 60);
    expect(at).not.toBeNull();
    const took = (at as number) - offAt;
    // the lock outlives its holder by at most ttl after the last renewal; the race adds the 2 s
    // REST timeout towards the dead node, then pg_ctl promote
    expect(took).toBeGreaterThan(TTL - LOOP_WAIT);
    expect(took).toBeLessThan(TTL + 3.5);
    const promotes = recs(t, 'pg.promote');
    expect(promotes.map((p) => p.timeline)).toEqual([2]);
  });

  it('a killed postmaster is restarted in place, on the same timeline, by the same leader', () => {
    const t = testCluster({ seed: 'kill-pm' });
    t.run(40);
    const old = t.leader() as string;
    t.w.nemesis.apply({ kind: 'crash', process: `${old}/postgres` });
    t.run(LOOP_WAIT + 5);
    expect(t.cycles(old)).toContain('starting primary after failure');
    expect(t.leader()).toBe(old);
    expect(t.primaries()).toEqual([old]);
    expect(recs(t, 'pg.promote')).toEqual([]);
    expect(t.c.node(old).server.timeline).toBe(1);
  });

  it('with primary_start_timeout: 0 a killed postmaster fails over instead', () => {
    const t = testCluster({ seed: 'kill-pm-0', dcs: { primary_start_timeout: 0 } });
    t.run(40);
    const old = t.leader() as string;
    t.w.nemesis.apply({ kind: 'crash', process: `${old}/postgres` });
    const at = t.until(() => t.primaries().length === 1 && t.primaries()[0] !== old, LOOP_WAIT + 10);
    expect(at).not.toBeNull();
    t.run(5); // the old leader logs after the 2 s it gives the others to take the key
    expect(t.cycles(old)).toContain('stopped PostgreSQL to fail over after a crash');
    expect(t.leader()).not.toBe(old);
    expect(recs(t, 'pg.promote').map((p) => p.timeline)).toEqual([2]);
  });

  it('a primary whose Patroni is frozen past ttl keeps accepting writes without a watchdog: split-brain', () => {
    const t = testCluster({ seed: 'freeze', spec: { watchdog: { mode: 'off' } } });
    t.run(40);
    const old = t.leader() as string;
    t.w.nemesis.apply({ kind: 'pause', process: `${old}/patroni` }, 'freeze', 60_000_000);
    const at = t.until(() => t.primaries().length === 2, 45);
    expect(at, 'two writable primaries at once').not.toBeNull();
    expect(t.leader()).not.toBe(old);
    expect(recs(t, 'patroni.watchdog').filter((r) => r.event === 'fired')).toEqual([]);
    // when Patroni resumes it sees the other leader and demotes its PostgreSQL
    t.run(40);
    expect(t.primaries()).toHaveLength(1);
    expect(t.primaries()[0]).not.toBe(old);
    // its first cycle after SIGCONT may still read its own name from the watch cache: the CAS then fails
    const demoted = t.cycles(old).filter((m) => m === 'demoting self because I do not have the lock and I was a leader' || m === 'demoted self because failed to update leader lock in DCS');
    expect(demoted.length).toBeGreaterThan(0);
  });

  it('a primary cut off from the DCS demotes itself before its lock can expire: no overlap (defaults: loop_wait + 2*retry_timeout = ttl)', () => {
    const t = testCluster({ seed: 'dcs-cut' });
    t.run(40);
    const old = t.leader() as string;
    t.w.nemesis.apply({ kind: 'cut', a: [old], b: ['etcd1', 'etcd2', 'etcd3'] }, 'cut', 60_000_000);
    let overlap = false;
    let oldWritableUntil = 0;
    t.until(() => {
      const p = t.primaries();
      if (p.length > 1) overlap = true;
      if (p.includes(old)) oldWritableUntil = t.w.sim.nowUs;
      return false;
    }, 60);
    expect(overlap).toBe(false);
    expect(t.cycles(old)).toContain('demoted self because DCS is not accessible and I was a leader');
    const acquired = t.records.find((r) => r.k === 'dcs.leader' && (r as { reason: string }).reason === 'acquired' && (r as { holder: string }).holder !== old && r.t > 40e6);
    expect(acquired).toBeDefined();
    expect(oldWritableUntil).toBeLessThan((acquired as { t: number }).t);
    expect(t.leader()).not.toBe(old);
  });

  it('the whole DCS down without failsafe_mode: the primary demotes itself (every node read-only until it returns)', () => {
    const t = testCluster({ seed: 'dcs-down' });
    t.run(40);
    const old = t.leader() as string;
    for (const s of t.c.dcs.servers) s.pause('DCS down');
    const at = t.until(() => t.primaries().length === 0, LOOP_WAIT + 10 + 5);
    expect(at, 'no primary once the leader fails to reach the DCS').not.toBeNull();
    t.run(5); // the cycle logs once the demotion (stop + start as a replica) is done
    expect(t.cycles(old)).toContain('demoted self because DCS is not accessible and I was a leader');
    t.run(30);
    expect(t.primaries()).toEqual([]);
    for (const s of t.c.dcs.servers) s.resume('DCS up');
    expect(t.until(() => t.primaries().length === 1, 60)).not.toBeNull();
  });

  it('kill -9 of the primary Patroni leaves PostgreSQL writable: without a watchdog a second primary appears', () => {
    const t = testCluster({ seed: 'kill-patroni', spec: { watchdog: { mode: 'off' } } });
    t.run(40);
    const old = t.leader() as string;
    t.w.nemesis.apply({ kind: 'crash', process: `${old}/patroni` });
    expect(t.until(() => t.primaries().length === 2, TTL + 10)).not.toBeNull();
  });

  it('kill -9 of the primary Patroni with an active watchdog: /dev/watchdog was not closed cleanly, the host is reset', () => {
    const t = testCluster({ seed: 'kill-patroni-wd', spec: { watchdog: { mode: 'automatic' } } });
    t.run(40);
    const old = t.leader() as string;
    t.w.nemesis.apply({ kind: 'crash', process: `${old}/patroni` });
    let overlap = false;
    t.until(() => {
      if (t.primaries().length > 1) overlap = true;
      return false;
    }, TTL + 10);
    expect(overlap).toBe(false);
    expect(t.records.some((r) => r.k === 'patroni.watchdog' && (r as { event: string; node: string }).event === 'fired' && (r as { node: string }).node === old)).toBe(true);
  });

  it('with the watchdog the frozen primary host is reset before its lock expires: no overlap', () => {
    const t = testCluster({ seed: 'freeze-wd', spec: { watchdog: { mode: 'required' } } });
    t.run(40);
    const old = t.leader() as string;
    const frozenAt = t.w.sim.nowUs;
    t.w.nemesis.apply({ kind: 'pause', process: `${old}/patroni` }, 'freeze', 60_000_000);
    let overlap = false;
    t.until(() => {
      if (t.primaries().length > 1) overlap = true;
      return false;
    }, 60);
    expect(overlap).toBe(false);
    const fired = t.records.filter((r) => r.k === 'patroni.watchdog' && (r as { event: string }).event === 'fired');
    expect(fired).toHaveLength(1);
    // ttl 30 - safety_margin 5 = 25 s after the last keepalive, which came less than loop_wait before the freeze
    const firedAtS = (fired[0]?.t ?? 0) / 1e6;
    expect(firedAtS - frozenAt / 1e6).toBeLessThanOrEqual(25);
    expect(firedAtS - frozenAt / 1e6).toBeGreaterThan(25 - LOOP_WAIT);
    expect(t.records.some((r) => r.k === 'host.power' && (r as { host: string; on: boolean }).host === old && !(r as { on: boolean }).on)).toBe(true);
  });
});
