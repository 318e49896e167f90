// false-failover, missed-failover and undetected-partition: misjudgment judged against ground
// truth, with the unsafe and the safe variant of each.
import { describe, expect, it } from 'vitest';
import { analyzeRecords } from '../../src/report/analyze.js';
import { Cluster, S } from './fixtures/script.js';
import { asyncFailover, clientCut, isolatedPrimary, legitimateStall, pausedPrimary, replicaCut } from './fixtures/scenarios.js';

const of = (c: Cluster, kind: string, opts = {}) => analyzeRecords(c.records(), opts).result.incidents.filter((i) => i.kind === kind);

describe('false-failover', () => {
  it('a promotion while the primary was healthy and reachable, its agent frozen, is false and says why', () => {
    const ff = of(pausedPrimary(), 'false-failover');
    expect(ff).toHaveLength(1);
    expect(ff[0]!.nodes).toEqual(['pg1', 'pg2']);
    expect(ff[0]!.endMs).toBe(50_050);
    expect(ff[0]!.explanation).toBe(
      "pg2 was promoted at 50.05 s although pg1 was healthy and reachable by clients and by the DCS majority: pg1's Patroni was paused for 41 s from 21 s (longer than ttl 30 s), so it could not renew the leader key.",
    );
    expect(ff[0]!.details.causes).toEqual(['agent-paused']);
  });

  it('a failover after the primary was really isolated is not false', () => {
    expect(of(isolatedPrimary(), 'false-failover')).toEqual([]);
  });

  it('a failover after the primary host died is not false', () => {
    expect(of(asyncFailover(), 'false-failover')).toEqual([]);
    expect(of(pausedPrimary({ watchdog: true }), 'false-failover')).toEqual([]);
  });

  it('names a DCS-only cut and DCS latency when the primary kept a majority', () => {
    const c = new Cluster();
    c.heartbeats('pg1', 0, 20 * S, { acquired: true });
    c.writes(500, 60 * S, 500, 'pg1');
    c.cut(15 * S, 60 * S, ['pg1'], ['etcd1']);
    c.emit(15 * S, 'fault', { id: 'f-slow', kind: 'degrade', on: true, what: 'degrade [pg1]<->[etcd2,etcd3] +4000ms' });
    c.expire(50 * S, 'pg1');
    c.promote(50 * S, 'pg2', c.lsnAt('pg1', 50 * S));
    c.pgState(52 * S, 'pg1', 'stopping', false);
    c.end(60 * S);
    const ff = of(c, 'false-failover');
    expect(ff).toHaveLength(1);
    expect(ff[0]!.details.causes).toEqual(expect.arrayContaining(['dcs-partial-cut', 'dcs-latency']));
    expect(ff[0]!.explanation).toContain('a DCS-only cut: pg1 could not reach etcd1 (a majority stayed reachable)');
    expect(ff[0]!.explanation).toContain('DCS latency: degrade [pg1]<->[etcd2,etcd3] +4000ms');
  });

  it('a switchover is not judged', () => {
    const c = new Cluster();
    c.heartbeats('pg1', 0, 30 * S, { acquired: true });
    c.emit(29 * S, 'patroni.operation', { node: 'pg1', operation: 'switchover', ok: true, message: 'Successfully switched over to "pg2"' });
    c.pgState(30 * S, 'pg1', 'stopping', false);
    c.promote(31 * S, 'pg2', c.lsn('pg1'));
    c.end(60 * S);
    const r = analyzeRecords(c.records()).result;
    expect(r.incidents.filter((i) => i.kind === 'false-failover')).toEqual([]);
    expect(r.metrics.switchovers).toBe(1);
    expect(r.metrics.failovers).toBe(0);
  });
});

describe('missed-failover', () => {
  it('clients cut from a primary that keeps the leader key, with caught-up replicas: a misjudgment past the budget', () => {
    const mf = of(clientCut(), 'missed-failover');
    expect(mf).toHaveLength(1);
    expect(mf[0]!.severity).toBe('warning');
    expect(mf[0]!.details.verdict).toBe('misjudgment');
    expect(mf[0]!.startMs).toBe(20_000);
    expect(mf[0]!.endMs).toBe(200_000);
    expect(mf[0]!.explanation).toBe(
      'Writes were unavailable for 180 s from 20 s (budget 50 s) although pg2 and pg3 were caught-up replicas reachable by clients and by the DCS majority: pg1 stayed primary and kept the leader key because it could still reach the DCS, while no client could reach it.',
    );
  });

  it('the same cut shorter than ttl + loop_wait + 10 s is within the budget', () => {
    expect(of(clientCut({ cutS: 45 }), 'missed-failover')).toEqual([]);
  });

  it('the budget is configurable', () => {
    expect(of(clientCut({ cutS: 45 }), 'missed-failover', { detectors: { missedFailoverBudgetMs: 30_000 } })).toHaveLength(1);
  });

  it('a replica lagging beyond maximum_lag_on_failover could not have taken over', () => {
    const c = clientCut();
    // both replicas stopped receiving 2 MB before the cut
    for (let t = 20 * S; t < 230 * S; t += 5 * S) c.sample(t + 1, 'pg1', { pg2: c.lsnAt('pg1', 20 * S) - 2 * 1024 * 1024, pg3: c.lsnAt('pg1', 20 * S) - 2 * 1024 * 1024 });
    expect(of(c, 'missed-failover')).toEqual([]);
  });

  it('maintenance mode (pause) is a legitimate stall, reported as info', () => {
    const mf = of(legitimateStall('pause'), 'missed-failover');
    expect(mf).toHaveLength(1);
    expect(mf[0]!.severity).toBe('info');
    expect(mf[0]!.details.verdict).toBe('legitimate');
    expect(mf[0]!.explanation).toContain('no failover happened by design: the cluster was in maintenance mode (pause)');
  });

  it('synchronous_mode with the only synchronous standby gone is a legitimate stall', () => {
    const mf = of(legitimateStall('sync'), 'missed-failover');
    expect(mf).toHaveLength(1);
    expect(mf[0]!.details.verdict).toBe('legitimate');
    expect(mf[0]!.explanation).toContain('synchronous_mode: pg3 was not a synchronous standby');
  });

  it('no DCS quorum is a legitimate stall', () => {
    const c = new Cluster();
    c.heartbeats('pg1', 0, 20 * S, { acquired: true });
    c.writes(500, 20 * S, 500, 'pg1');
    c.powerOff(20 * S, 'pg1');
    c.emit(20 * S, 'dcs.quorum', { store: 'etcd', ok: false, leader: null, term: 3 });
    c.writes(20 * S, 200 * S, 2000, null, 'fail');
    c.end(200 * S);
    // the replicas still reach two etcd members each, but the store itself cannot commit
    const mf = of(c, 'missed-failover');
    expect(mf).toHaveLength(1);
    expect(mf[0]!.details.verdict).toBe('legitimate');
    expect(mf[0]!.explanation).toContain('the DCS (etcd) had no quorum');
  });
});

describe('undetected-partition', () => {
  it('a replica cut from the primary while its Patroni keeps its member key fresh, longer than ttl', () => {
    const up = of(replicaCut(), 'undetected-partition');
    expect(up).toHaveLength(1);
    expect(up[0]!.nodes).toEqual(['pg3', 'pg1']);
    expect(up[0]!.startMs).toBe(20_000);
    expect(up[0]!.endMs).toBe(120_000);
    expect(up[0]!.explanation).toBe(
      'pg3 (replica) was cut off from pg1 for 100 s from 20 s while the cluster kept reporting it healthy: it stayed in the DCS member list, its replication still showed "streaming" until 80 s, Patroni logged "no action. I am (pg3), a secondary, and following a leader (pg1)".',
    );
  });

  it('a cut shorter than the threshold is not reported; the threshold is configurable', () => {
    expect(of(replicaCut({ cutS: 20 }), 'undetected-partition')).toEqual([]);
    expect(of(replicaCut({ cutS: 20 }), 'undetected-partition', { detectors: { partitionThresholdMs: 10_000 } })).toHaveLength(1);
  });

  it('a replica isolated from the DCS too loses its member key: detected, not reported', () => {
    expect(of(replicaCut({ isolate: true }), 'undetected-partition')).toEqual([]);
  });

  it('a cut synchronous standby is named as such', () => {
    const c = replicaCut();
    c.emit(1, 'pg.sync', { node: 'pg1', synchronousStandbyNames: 'pg3', synchronousCommit: 'on' });
    const up = of(c, 'undetected-partition');
    expect(up[0]!.details.syncStandby).toBe(true);
    expect(up[0]!.explanation).toContain('pg3 (synchronous standby)');
    expect(up[0]!.explanation).toContain('pg1 kept it in synchronous_standby_names for 100 s');
  });

  it('clients served stale reads for longer than the threshold', () => {
    const up = of(replicaCut({ reads: true }), 'undetected-partition').filter((i) => i.details.subject === 'stale-reads');
    expect(up).toHaveLength(1);
    expect(up[0]!.explanation).toMatch(/^app1 kept being served stale reads by pg3 for 99 s from 20\.1 s \(100 reads, up to \d+ acknowledged writes behind\): pg3 was cut off from its upstream\.$/);
  });

  it('a primary partitioned away from the DCS is Patroni\'s to handle, not an undetected partition of its replicas', () => {
    expect(of(isolatedPrimary(), 'undetected-partition')).toEqual([]);
  });
});
