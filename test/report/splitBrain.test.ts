// split-brain on synthetic Patroni histories: the classic frozen-primary case with and without a
// watchdog, the latent variant (no write reached both sides), and edge cases of the overlap sweep.
import { describe, expect, it } from 'vitest';
import { analyzeRecords } from '../../src/report/analyze.js';
import { overlapEpisodes } from '../../src/report/detectors/splitBrain.js';
import { Cluster, S } from './fixtures/script.js';
import { pausedPrimary } from './fixtures/scenarios.js';

const kinds = (c: Cluster, kind: string) => analyzeRecords(c.records()).result.incidents.filter((i) => i.kind === kind);

describe('split-brain', () => {
  it('a primary whose Patroni is paused past ttl without a watchdog keeps accepting writes: confirmed, with the cause', () => {
    const sb = kinds(pausedPrimary({ pauseS: 41 }), 'split-brain');
    expect(sb).toHaveLength(1);
    const i = sb[0]!;
    expect(i.severity).toBe('critical');
    expect(i.details.confirmed).toBe(true);
    expect(i.nodes).toEqual(['pg1', 'pg2']);
    // pg2 writable from its promotion (50 s + 50 ms) until pg1's Patroni wakes at 62 s and stops it
    expect(i.startMs).toBe(50_050);
    expect(i.endMs).toBe(62_010);
    expect(i.explanation).toMatch(/^pg1 kept accepting writes for 12 s after pg2 was promoted: its Patroni was paused 41 s > ttl 30 and no watchdog was configured/);
    expect(i.details.causes).toEqual(expect.arrayContaining(['agent-paused', 'no-watchdog']));
    expect(i.replay).toBe('haywire replay scenarios/paused-primary.yaml --seed 7 --at 50.05s');
    const acked = i.details.ackedWrites as Record<string, number>;
    expect(acked.pg1).toBeGreaterThan(0);
    expect(acked.pg2).toBeGreaterThan(0);
    expect(i.writes.length).toBe(acked.pg1! + acked.pg2!);
  });

  it('the same freeze with a watchdog (timeout ttl - safety_margin) resets the host before the lease expires: no split-brain', () => {
    expect(kinds(pausedPrimary({ pauseS: 41, watchdog: true }), 'split-brain')).toEqual([]);
  });

  it('a pause shorter than ttl never lets the lease expire: no split-brain', () => {
    const c = new Cluster();
    c.heartbeats('pg1', 0, 21 * S, { acquired: true });
    c.pause(21 * S, 'pg1');
    c.resume(41 * S, 'pg1');
    c.heartbeats('pg1', 41 * S, 100 * S);
    c.writes(500, 100 * S, 500, 'pg1');
    c.end(100 * S);
    expect(kinds(c, 'split-brain')).toEqual([]);
  });

  it('two writable primaries but no write acknowledged by both is latent, and says so', () => {
    const sb = kinds(pausedPrimary({ router: 'haproxy' }), 'split-brain');
    expect(sb).toHaveLength(1);
    expect(sb[0]!.details.confirmed).toBe(false);
    expect(sb[0]!.severity).toBe('warning');
    expect(sb[0]!.explanation).toContain('but only pg2 acknowledged client writes in the overlap (41), so it stayed latent');
    expect(sb[0]!.explanation).toContain("pg1's Patroni was paused 41 s > ttl 30");
    expect((sb[0]!.details.ackedWrites as Record<string, number>).pg1).toBe(0);
  });

  it('two clusters with leader keys in different stores are not fenced from each other, and the report says so', () => {
    const c = new Cluster();
    c.heartbeats('pg1', 0, 60 * S, { acquired: true });
    c.writes(500, 60 * S, 500, 'pg1');
    // a second cluster's leader on its own store, promoted with no operator record
    c.emit(30 * S, 'dcs.leader', { store: 'etcd-dc2', holder: 'pg3', reason: 'acquired', expiresAtUs: 60_000_000 });
    c.emit(30 * S + 10, 'pg.promote', { node: 'pg3', timeline: 2, branch: 9, parentBranch: 1, switchLsn: c.lsnAt('pg1', 30 * S) });
    c.pgState(30 * S + 10, 'pg3', 'running', false, 9);
    c.end(60 * S);
    const sb = kinds(c, 'split-brain');
    expect(sb).toHaveLength(1);
    expect(sb[0]!.details.causes).toEqual(['separate-stores']);
    expect(sb[0]!.explanation).toContain('pg1 and pg3 hold leader keys in different stores (etcd and etcd-dc2), so nothing fences one from the other');
  });

  it('writes on both sides outside the overlap do not confirm it', () => {
    const c = new Cluster();
    c.writes(500, 10 * S, 500, 'pg1');
    c.promote(20 * S, 'pg2', c.lsn('pg1'));
    c.pgState(20 * S + 500, 'pg1', 'stopping', false);
    c.writes(21 * S, 30 * S, 500, 'pg2');
    c.end(30 * S);
    const sb = kinds(c, 'split-brain');
    expect(sb).toHaveLength(1);
    expect(sb[0]!.details.confirmed).toBe(false);
    expect(sb[0]!.endMs - sb[0]!.startMs).toBe(450);
  });

  it('touching intervals (one stops exactly when the other starts) are not an overlap', () => {
    expect(overlapEpisodes({ a: [{ fromUs: 0, toUs: 10 }], b: [{ fromUs: 10, toUs: 20 }] })).toEqual([]);
    expect(overlapEpisodes({ a: [{ fromUs: 0, toUs: 11 }], b: [{ fromUs: 10, toUs: 20 }] })).toEqual([{ fromUs: 10, toUs: 11, nodes: ['a', 'b'] }]);
  });

  it('three primaries at once form one episode naming all of them', () => {
    const ep = overlapEpisodes({
      a: [{ fromUs: 0, toUs: 100 }],
      b: [{ fromUs: 10, toUs: 50 }],
      c: [{ fromUs: 40, toUs: 80 }],
    });
    expect(ep).toEqual([{ fromUs: 10, toUs: 80, nodes: ['a', 'b', 'c'] }]);
  });

  it('a host powered off is not writable even if its server never recorded the crash', () => {
    const c = new Cluster();
    c.emit(10 * S, 'host.power', { host: 'pg1', on: false, reason: 'power off' });
    c.promote(40 * S, 'pg2', c.lsn('pg1'));
    c.end(60 * S);
    expect(kinds(c, 'split-brain')).toEqual([]);
  });

  it('names a DCS that granted the key twice and a primary cut off from the DCS majority', () => {
    const c = new Cluster({ clients: ['app1', 'app2'] });
    c.heartbeats('pg1', 0, 50 * S, { acquired: true });
    c.isolate(20 * S, 80 * S, ['pg1', 'app1']);
    c.writes(500, 70 * S, 500, 'pg1', 'ok', { client: 'app1' });
    // a store that lets the lease live on for pg1 while pg2 takes it (e.g. clocks judged by readers)
    c.promote(45 * S, 'pg2', c.lsnAt('pg1', 20 * S));
    c.writes(46 * S, 80 * S, 500, 'pg2', 'ok', { client: 'app2' });
    c.demote(70 * S, 'pg1', 'pg2', 'demoting self because DCS is not accessible and I was a leader');
    c.end(80 * S);
    const sb = kinds(c, 'split-brain');
    expect(sb).toHaveLength(1);
    expect(sb[0]!.explanation).toContain('the DCS (etcd) granted the leader key to both pg1 and pg2');
    expect(sb[0]!.explanation).toContain('it was cut off from the DCS majority at 20 s');
    expect(sb[0]!.details.causes).toEqual(expect.arrayContaining(['double-grant', 'dcs-cut', 'stale-lock-view']));
  });
});
