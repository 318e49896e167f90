import { describe, expect, it } from 'vitest';
import { bootstrap, oneQuery, pgWorld, run, startTask, writeIdAllocator } from './helpers.js';
import type { SqlResult } from '../../src/sim/pg/sql.js';
import { DirectRouter } from '../../src/sim/client/router.js';
import { Writer } from '../../src/sim/client/workload.js';
import { startLsnSampler } from '../../src/sim/pg/sampler.js';
import { PgClientSession } from '../../src/sim/client/session.js';
import type { TraceRecord } from '../../src/sim/kernel/trace.js';

type ReadResult = Extract<SqlResult, { kind: 'read' }>;

function recs<K extends TraceRecord['k']>(all: readonly TraceRecord[], k: K): Extract<TraceRecord, { k: K }>[] {
  return all.filter((r) => r.k === k) as Extract<TraceRecord, { k: K }>[];
}

function lastReplication(all: readonly TraceRecord[], node: string): Extract<TraceRecord, { k: 'pg.replication' }> | undefined {
  return recs(all, 'pg.replication').filter((r) => r.node === node).pop();
}

describe('PostgreSQL operations', () => {
  it('a crashed primary whose WAL the new primary has can follow it; after single-user recovery it cannot', () => {
    for (const singleUser of [false, true]) {
      const { w, servers, op, client } = pgWorld(`single-${singleUser}`);
      const [pg1, pg2] = [servers.pg1!, servers.pg2!];
      run(w, op, bootstrap(pg1, [pg2]));
      const next = writeIdAllocator();
      for (let i = 0; i < 3; i++) run(w, client, oneQuery(client, pg1, { kind: 'write', writeId: next() }));
      w.run(w.sim.nowUs + 1_000_000);
      w.sim.schedule(0, () => pg1.postmaster.crash('kill -9'));
      w.run(w.sim.nowUs + 1);
      expect(pg1.controldata()!.clusterState).toBe('in production');
      run(w, op, pg2.promote(60_000));
      if (singleUser) {
        expect(run(w, op, pg1.crashRecoverySingleUser())).toBe(true);
        expect(pg1.controldata()!.clusterState).toBe('shut down');
      }
      run(w, op, pg1.start({ standby: true, upstream: { host: 'pg2', applicationName: 'pg1' } }));
      w.run(w.sim.nowUs + 3_000_000);
      expect(lastReplication(w.sim.trace.records(), 'pg1')?.status).toBe(singleUser ? 'diverged' : 'streaming');
    }
  });

  it("a primary's fast shutdown waits for an unreachable standby until wal_sender_timeout", () => {
    const { w, servers, op } = pgWorld('shutdown-wait');
    const [pg1, pg2] = [servers.pg1!, servers.pg2!];
    run(w, op, bootstrap(pg1, [pg2], { wal_sender_timeout: 30_000 }));
    w.run(w.sim.nowUs + 2_000_000);
    w.net.applyFault('cut', { kind: 'isolate', targets: ['pg2'] });
    const t0 = w.sim.nowUs;
    let shutdownSeenAt = 0;
    run(w, op, pg1.stop('fast', { onShutdown: () => (shutdownSeenAt = w.sim.nowUs) }));
    const took = w.sim.nowUs - t0;
    expect(shutdownSeenAt - t0).toBeLessThan(1_000_000);
    expect(took).toBeGreaterThan(15_000_000);
    expect(took).toBeLessThanOrEqual(31_000_000);
  });

  it('a paused replica serves stale reads; promotion ends the pause and replays everything received', () => {
    const { w, servers, op, client } = pgWorld('pause');
    const [pg1, pg2] = [servers.pg1!, servers.pg2!];
    run(w, op, bootstrap(pg1, [pg2]));
    const next = writeIdAllocator();
    const first = next();
    run(w, client, oneQuery(client, pg1, { kind: 'write', writeId: first }));
    w.run(w.sim.nowUs + 500_000);
    run(w, op, pg2.setReplayPaused(true));
    expect(run(w, op, pg2.clusterInfo()).replayPaused).toBe(true);
    const later: number[] = [];
    for (let i = 0; i < 3; i++) {
      const id = next();
      later.push(id);
      run(w, client, oneQuery(client, pg1, { kind: 'write', writeId: id }));
    }
    w.run(w.sim.nowUs + 1_000_000);
    const r = run(w, client, oneQuery(client, pg2, { kind: 'read' })) as ReadResult;
    expect(r.sawWriteId).toBe(first);
    expect(pg2.hasWrite(later[2]!)).toBe(true); // received and flushed, not replayed
    run(w, op, pg2.promote(60_000));
    const r2 = run(w, client, oneQuery(client, pg2, { kind: 'read' })) as ReadResult;
    expect(r2.sawWriteId).toBe(later[2]);
    expect(() => run(w, op, pg2.setReplayPaused(false))).toThrow(/recovery is not in progress/);
  });

  it('the replay-pause fault pauses and resumes replay', () => {
    const { w, servers, op, client } = pgWorld('pause-fault');
    const [pg1, pg2] = [servers.pg1!, servers.pg2!];
    run(w, op, bootstrap(pg1, [pg2]));
    w.nemesis.apply({ kind: 'replay-pause', node: 'pg2' }, 'p', 5_000_000);
    run(w, client, oneQuery(client, pg1, { kind: 'write', writeId: 1 }));
    w.run(w.sim.nowUs + 1_000_000);
    expect((run(w, client, oneQuery(client, pg2, { kind: 'read' })) as ReadResult).sawWriteId).toBe(0);
    w.run(w.sim.nowUs + 5_000_000);
    expect((run(w, client, oneQuery(client, pg2, { kind: 'read' })) as ReadResult).sawWriteId).toBe(1);
  });

  it('recovery_min_apply_delay holds replay back by the delay', () => {
    const { w, servers, op, client } = pgWorld('delay');
    const [pg1, pg2] = [servers.pg1!, servers.pg2!];
    run(w, op, bootstrap(pg1, []));
    run(w, op, pg2.basebackup('pg1'));
    run(w, op, pg2.start({ standby: true, upstream: { host: 'pg1', applicationName: 'pg2' }, settings: { recovery_min_apply_delay: 10_000 } }));
    run(w, client, oneQuery(client, pg1, { kind: 'write', writeId: 1 }));
    w.run(w.sim.nowUs + 5_000_000);
    expect((run(w, client, oneQuery(client, pg2, { kind: 'read' })) as ReadResult).sawWriteId).toBe(0);
    w.run(w.sim.nowUs + 6_000_000);
    expect((run(w, client, oneQuery(client, pg2, { kind: 'read' })) as ReadResult).sawWriteId).toBe(1);
  });

  it('a WAL bandwidth cap makes a replica lag under a heavy write load', () => {
    const { w, servers, op } = pgWorld('bandwidth', { perNode: { pg1: { timings: { walSenderBytesPerSec: 1024 * 1024 } } } });
    const [pg1, pg2] = [servers.pg1!, servers.pg2!];
    run(w, op, bootstrap(pg1, [pg2]));
    startLsnSampler(w.sim);
    new Writer(w.net.host('app'), { name: 'w1', router: new DirectRouter('pg1'), ratePerSec: 4, writeBytes: 512 * 1024 }).start();
    w.run(w.sim.nowUs + 20_000_000);
    const lag = pg1.dd.flushLsn - pg2.dd.flushLsn;
    // 2 MB/s generated, 1 MB/s shipped: about 20 MB behind after 20 s
    expect(lag).toBeGreaterThan(10 * 1024 * 1024);
    expect(recs(w.sim.trace.records(), 'pg.lsn').some((s) => s.node === 'pg2' && s.replayLsn !== undefined)).toBe(true);
  });

  it('smart shutdown lets open sessions keep writing and finishes when they disconnect', () => {
    const { w, servers, op, client } = pgWorld('smart');
    const pg1 = servers.pg1!;
    run(w, op, bootstrap(pg1, []));
    const session = run(w, client, PgClientSession.open(client, pg1.postmaster, { connectTimeoutUs: 5_000_000 }));
    const stop = startTask(op, pg1.stop('smart'));
    w.run(w.sim.nowUs + 2_000_000);
    expect(stop.result()).toBeNull();
    // no new connections...
    expect(() => run(w, client, oneQuery(client, pg1, { kind: 'read' }))).toThrow(/shutting down/);
    // ...but the open session still commits
    const r = run(w, client, session.query({ kind: 'write', writeId: 1 }, 5_000_000));
    expect(r.kind).toBe('write');
    session.close();
    w.run(w.sim.nowUs + 2_000_000);
    expect(stop.result()?.ok).toBe(true);
    expect(pg1.controldata()!.clusterState).toBe('shut down');
    expect(pg1.hasWrite(1)).toBe(true);
  });

  it('stop escalates to immediate, then SIGKILL, when the postmaster does not stop in time', () => {
    const { w, servers, op } = pgWorld('escalate');
    const pg1 = servers.pg1!;
    run(w, op, bootstrap(pg1, []));
    pg1.postmaster.pause('SIGSTOP');
    const t0 = w.sim.nowUs;
    expect(run(w, op, pg1.stop('fast', { stopTimeoutMs: 5_000 }))).toBe(true);
    expect(w.sim.nowUs - t0).toBeGreaterThanOrEqual(10_000_000);
    expect(pg1.isRunning()).toBe(false);
    expect(pg1.groundState).toBe('crashed');
  });

  it('a query over the local socket to a paused server times out when asked to', () => {
    const { w, servers, op } = pgWorld('paused-query');
    const pg1 = servers.pg1!;
    run(w, op, bootstrap(pg1, []));
    pg1.postmaster.pause('SIGSTOP');
    expect(() => run(w, op, pg1.clusterInfo({ timeoutMs: 2_000 }))).toThrow(/timeout/);
    const p = startTask(op, pg1.clusterInfo());
    w.run(w.sim.nowUs + 10_000_000);
    expect(p.result()).toBeNull();
    pg1.postmaster.resume('SIGCONT');
    w.run(w.sim.nowUs + 1_000);
    expect(p.result()?.ok).toBe(true);
  });

  it('two isolated standbys promoted in a split both create "timeline 2": different branches', () => {
    const { w, servers, op } = pgWorld('split-tl');
    const [pg1, pg2, pg3] = [servers.pg1!, servers.pg2!, servers.pg3!];
    run(w, op, bootstrap(pg1, [pg2, pg3]));
    run(w, op, pg1.stop('immediate'));
    run(w, op, pg2.promote(60_000));
    run(w, op, pg3.promote(60_000));
    const p = recs(w.sim.trace.records(), 'pg.promote');
    expect(p.map((x) => x.timeline)).toEqual([2, 2]);
    expect(p[0]!.branch).not.toBe(p[1]!.branch);
    // pg3 (timeline 2, other branch) cannot follow pg2
    run(w, op, pg3.stop('fast'));
    run(w, op, pg3.start({ standby: true, upstream: { host: 'pg2', applicationName: 'pg3' } }));
    w.run(w.sim.nowUs + 3_000_000);
    expect(lastReplication(w.sim.trace.records(), 'pg3')?.status).toBe('diverged');
  });
});
