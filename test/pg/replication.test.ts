import { describe, expect, it } from 'vitest';
import { bootstrap, oneQuery, pgWorld, run, startTask, writeIdAllocator } from './helpers.js';
import type { SqlResult } from '../../src/sim/pg/sql.js';
import { PgClientSession } from '../../src/sim/client/session.js';
import { BranchMap, containsWrite } from '../../src/sim/pg/lineage.js';
import type { TraceRecord } from '../../src/sim/kernel/trace.js';

type WriteResult = Extract<SqlResult, { kind: 'write' }>;

function recs<K extends TraceRecord['k']>(all: readonly TraceRecord[], k: K): Extract<TraceRecord, { k: K }>[] {
  return all.filter((r) => r.k === k) as Extract<TraceRecord, { k: K }>[];
}

describe('synchronous replication', () => {
  it('a commit blocks while the only sync standby is cut off, stays invisible, and completes after the heal', () => {
    const { w, servers, op, client } = pgWorld('sync-1');
    const pg1 = servers.pg1!;
    const pg2 = servers.pg2!;
    run(w, op, bootstrap(pg1, [pg2], { synchronous_standby_names: 'pg2', synchronous_commit: 'on' }));
    w.run(w.sim.nowUs + 1_000_000);
    // pg2 is the sync standby
    expect(pg1.postmaster.replicationRows().map((r) => [r.application_name, r.sync_state])).toEqual([['pg2', 'sync']]);
    const next = writeIdAllocator();
    const w1 = next();
    const t0 = w.sim.nowUs;
    run(w, client, oneQuery(client, pg1, { kind: 'write', writeId: w1 }));
    const fastUs = w.sim.nowUs - t0;
    expect(fastUs).toBeLessThan(20_000);
    w.net.applyFault('cut', { kind: 'isolate', targets: ['pg2'] });
    const w2 = next();
    const pending = startTask(client, oneQuery(client, pg1, { kind: 'write', writeId: w2 }, null));
    w.run(w.sim.nowUs + 20_000_000);
    expect(pending.result()).toBeNull();
    // committed locally (flushed) but not visible while it waits
    expect(pg1.hasWrite(w2)).toBe(true);
    const read = run(w, client, oneQuery(client, pg1, { kind: 'read' })) as Extract<SqlResult, { kind: 'read' }>;
    expect(read.sawWriteId).toBe(w1);
    const healAt = w.sim.nowUs;
    w.net.healFault('cut');
    w.run(w.sim.nowUs + 60_000_000);
    const r = pending.result();
    expect(r?.ok).toBe(true);
    const done = recs(w.sim.trace.records(), 'pg.write').find((x) => x.writeId === w2);
    expect(done).toBeDefined();
    expect(pg2.hasWrite(w2)).toBe(true);
    expect(w.sim.nowUs).toBeGreaterThan(healAt);
  });

  it('ANY 1 (pg2, pg3): one standby cut off does not block; both cut off does', () => {
    const { w, servers, op, client } = pgWorld('sync-2');
    const [pg1, pg2, pg3] = [servers.pg1!, servers.pg2!, servers.pg3!];
    run(w, op, bootstrap(pg1, [pg2, pg3], { synchronous_standby_names: 'ANY 1 (pg2, pg3)' }));
    w.run(w.sim.nowUs + 1_000_000);
    expect(pg1.postmaster.replicationRows().map((r) => r.sync_state)).toEqual(['quorum', 'quorum']);
    const next = writeIdAllocator();
    w.net.applyFault('a', { kind: 'isolate', targets: ['pg2'] });
    const t0 = w.sim.nowUs;
    run(w, client, oneQuery(client, pg1, { kind: 'write', writeId: next() }));
    expect(w.sim.nowUs - t0).toBeLessThan(100_000);
    w.net.applyFault('b', { kind: 'isolate', targets: ['pg3'] });
    const p = startTask(client, oneQuery(client, pg1, { kind: 'write', writeId: next() }, null));
    w.run(w.sim.nowUs + 10_000_000);
    expect(p.result()).toBeNull();
  });

  it("Patroni's strict placeholder blocks every commit; clearing synchronous_standby_names releases them", () => {
    const { w, servers, op, client } = pgWorld('sync-3');
    const [pg1, pg2] = [servers.pg1!, servers.pg2!];
    run(w, op, bootstrap(pg1, [pg2], { synchronous_standby_names: '__patroni_strict_sync_replica_placeholder__' }));
    const next = writeIdAllocator();
    const p = startTask(client, oneQuery(client, pg1, { kind: 'write', writeId: next() }, null));
    w.run(w.sim.nowUs + 5_000_000);
    expect(p.result()).toBeNull();
    run(w, op, pg1.reload({ synchronous_standby_names: '' }));
    w.run(w.sim.nowUs + 1_000_000);
    expect(p.result()?.ok).toBe(true);
    expect(recs(w.sim.trace.records(), 'pg.sync').map((r) => r.synchronousStandbyNames)).toContain('');
  });

  it('a cancelled sync wait leaves the write locally visible but not replicated; the client sees an unknown outcome', () => {
    const { w, servers, op, client } = pgWorld('sync-4');
    const [pg1, pg2] = [servers.pg1!, servers.pg2!];
    run(w, op, bootstrap(pg1, [pg2], { synchronous_standby_names: 'pg2' }));
    w.net.applyFault('cut', { kind: 'isolate', targets: ['pg2'] });
    const next = writeIdAllocator();
    const wid = next();
    const outcome = run(
      w,
      client,
      (function* () {
        const s = yield* PgClientSession.open(client, pg1.postmaster, { connectTimeoutUs: 5_000_000 });
        try {
          yield* s.query({ kind: 'write', writeId: wid }, 2_000_000, 'cancel-and-close');
          return 'ok';
        } catch (e) {
          return (e as Error).name;
        }
      })(),
    );
    expect(outcome).toBe('QueryTimeout');
    w.run(w.sim.nowUs + 500_000);
    const sw = recs(w.sim.trace.records(), 'pg.syncwait');
    expect(sw.map((r) => [r.writeId, r.outcome])).toEqual([[wid, 'cancelled']]);
    // visible on the primary, absent from the standby
    const read = run(w, client, oneQuery(client, pg1, { kind: 'read' })) as Extract<SqlResult, { kind: 'read' }>;
    expect(read.sawWriteId).toBe(wid);
    expect(pg1.hasWrite(wid)).toBe(true);
    expect(pg2.hasWrite(wid, 'walEnd')).toBe(false);
  });

  it('a cancel request that waits for the answer gets COMMIT success with a WARNING', () => {
    const { w, servers, op, client } = pgWorld('sync-5');
    const [pg1, pg2] = [servers.pg1!, servers.pg2!];
    run(w, op, bootstrap(pg1, [pg2], { synchronous_standby_names: 'pg2' }));
    w.net.applyFault('cut', { kind: 'isolate', targets: ['pg2'] });
    const r = run(
      w,
      client,
      (function* () {
        const s = yield* PgClientSession.open(client, pg1.postmaster, { connectTimeoutUs: 5_000_000 });
        return yield* s.query({ kind: 'write', writeId: 1 }, 1_000_000, 'cancel');
      })(),
    ) as WriteResult;
    expect(r.warning).toMatch(/canceling wait for synchronous replication/);
    expect(pg2.hasWrite(1, 'walEnd')).toBe(false);
  });

  it('stopping the primary terminates waiting commits: connection lost (unknown), committed locally', () => {
    const { w, servers, op, client } = pgWorld('sync-6');
    const [pg1, pg2] = [servers.pg1!, servers.pg2!];
    run(w, op, bootstrap(pg1, [pg2], { synchronous_standby_names: 'pg2' }));
    w.net.applyFault('cut', { kind: 'isolate', targets: ['pg2'] });
    const p = startTask(
      client,
      (function* () {
        const s = yield* PgClientSession.open(client, pg1.postmaster, { connectTimeoutUs: 5_000_000 });
        return yield* s.query({ kind: 'write', writeId: 1 }, null);
      })(),
    );
    w.run(w.sim.nowUs + 3_000_000);
    run(w, op, pg1.stop('fast', { stopTimeoutMs: 120_000 }));
    const r = p.result();
    expect(r?.ok).toBe(false);
    expect((r as { error: Error }).error.name).toBe('ConnectionLost');
    expect(recs(w.sim.trace.records(), 'pg.syncwait').map((x) => x.outcome)).toEqual(['terminated']);
    expect(pg1.hasWrite(1)).toBe(true);
    expect(pg1.controldata()!.clusterState).toBe('shut down');
  });
});

describe('asynchronous replication and failover', () => {
  it('an async primary acknowledges writes that are lost when a lagging replica is promoted', () => {
    const { w, servers, op, client } = pgWorld('async-1');
    const [pg1, pg2] = [servers.pg1!, servers.pg2!];
    run(w, op, bootstrap(pg1, [pg2]));
    const next = writeIdAllocator();
    const replicated: number[] = [];
    for (let i = 0; i < 5; i++) {
      const id = next();
      replicated.push(id);
      run(w, client, oneQuery(client, pg1, { kind: 'write', writeId: id }));
    }
    w.run(w.sim.nowUs + 1_000_000);
    w.net.applyFault('cut', { kind: 'isolate', targets: ['pg2'] });
    const acked: number[] = [];
    for (let i = 0; i < 5; i++) {
      const id = next();
      const r = run(w, client, oneQuery(client, pg1, { kind: 'write', writeId: id })) as WriteResult;
      expect(r.node).toBe('pg1');
      acked.push(id);
    }
    w.sim.schedule(0, () => pg1.postmaster.crash('kill -9'));
    w.run(w.sim.nowUs + 1000);
    expect(run(w, op, pg2.promote(60_000))).toBe(true);
    // the detector-facing helper, from the trace alone
    const table = new BranchMap();
    for (const b of recs(w.sim.trace.records(), 'pg.branch')) {
      table.add({ id: b.branch, timeline: b.timeline, parent: b.parentBranch, switchLsn: b.switchLsn, creator: b.node, sysid: b.sysid, createdAtUs: b.t, reason: b.reason });
    }
    const writes = new Map(recs(w.sim.trace.records(), 'pg.write').map((x) => [x.writeId, { branch: x.branch, lsn: x.lsn }]));
    const snap = pg2.snapshot();
    const lineage = { branch: snap.branch, lsn: snap.flushLsn };
    for (const id of replicated) expect(containsWrite(table, lineage, writes.get(id)!)).toBe(true);
    for (const id of acked) expect(containsWrite(table, lineage, writes.get(id)!)).toBe(false);
    // and the old primary still has them (until it is rewound)
    for (const id of acked) expect(pg1.hasWrite(id)).toBe(true);
  });

  it('a diverged former primary cannot stream until pg_rewind; the rewind discards exactly the writes past the fork', () => {
    const { w, servers, op, client } = pgWorld('rewind-1', { node: { settings: { wal_log_hints: true } } });
    const [pg1, pg2] = [servers.pg1!, servers.pg2!];
    run(w, op, bootstrap(pg1, [pg2]));
    const next = writeIdAllocator();
    const common: number[] = [];
    for (let i = 0; i < 3; i++) {
      const id = next();
      common.push(id);
      run(w, client, oneQuery(client, pg1, { kind: 'write', writeId: id }));
    }
    w.run(w.sim.nowUs + 1_000_000);
    w.net.applyFault('cut', { kind: 'isolate', targets: ['pg2'] });
    const orphans: number[] = [];
    for (let i = 0; i < 4; i++) {
      const id = next();
      orphans.push(id);
      run(w, client, oneQuery(client, pg1, { kind: 'write', writeId: id }));
    }
    expect(run(w, op, pg2.promote(60_000))).toBe(true);
    w.net.healFault('cut');
    const newer: number[] = [];
    for (let i = 0; i < 3; i++) {
      const id = next();
      newer.push(id);
      run(w, client, oneQuery(client, pg2, { kind: 'write', writeId: id }));
    }
    run(w, op, pg1.stop('fast'));
    // start the old primary as a standby of the new one: diverged, it cannot stream
    run(w, op, pg1.start({ standby: true, upstream: { host: 'pg2', applicationName: 'pg1' } }));
    w.run(w.sim.nowUs + 10_000_000);
    const repl = recs(w.sim.trace.records(), 'pg.replication').filter((r) => r.node === 'pg1');
    expect(repl[repl.length - 1]!.status).toBe('diverged');
    for (const id of newer) expect(pg1.hasWrite(id, 'walEnd')).toBe(false);
    run(w, op, pg1.stop('fast'));
    // pg_rewind before pg2 checkpointed: pg_control still shows timeline 1 on the source
    const early = run(w, op, pg1.rewind('pg2'));
    expect(early.ok).toBe(true);
    expect(pg1.timeline).toBe(1);
    run(w, op, pg2.checkpoint());
    const oldBranch = pg1.snapshot().branch;
    const res = run(w, op, pg1.rewind('pg2'));
    expect(res.ok).toBe(true);
    const rw = recs(w.sim.trace.records(), 'pg.rewind').filter((r) => r.ok && r.fromBranch !== r.toBranch);
    expect(rw).toHaveLength(1);
    const ev = rw[0]!;
    expect(ev.fromBranch).toBe(oldBranch);
    const discarded = pg1.registry.writesOnBranchBetween(ev.fromBranch, ev.forkLsn, ev.discardedUpToLsn);
    expect(discarded).toEqual(orphans);
    run(w, op, pg1.start({ standby: true, upstream: { host: 'pg2', applicationName: 'pg1' } }));
    w.run(w.sim.nowUs + 5_000_000);
    const last = recs(w.sim.trace.records(), 'pg.replication').filter((r) => r.node === 'pg1').pop()!;
    expect(last.status).toBe('streaming');
    for (const id of [...common, ...newer]) expect(pg1.hasWrite(id)).toBe(true);
    for (const id of orphans) expect(pg1.hasWrite(id, 'walEnd')).toBe(false);
  });

  it('pg_rewind refuses without wal_log_hints or checksums', () => {
    const { w, servers, op } = pgWorld('rewind-2');
    const [pg1, pg2] = [servers.pg1!, servers.pg2!];
    run(w, op, bootstrap(pg1, [pg2]));
    run(w, op, pg2.promote(60_000));
    run(w, op, pg1.stop('fast'));
    const r = run(w, op, pg1.rewind('pg2'));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/wal_log_hints/);
  });

  it('cascading replication: pg3 streams from pg2, and follows pg2 onto its new timeline', () => {
    const { w, servers, op, client } = pgWorld('cascade-1');
    const [pg1, pg2, pg3] = [servers.pg1!, servers.pg2!, servers.pg3!];
    run(w, op, bootstrap(pg1, [pg2, pg3], {}, (r) => (r.name === 'pg3' ? 'pg2' : 'pg1')));
    const next = writeIdAllocator();
    const id = next();
    run(w, client, oneQuery(client, pg1, { kind: 'write', writeId: id }));
    w.run(w.sim.nowUs + 2_000_000);
    expect(pg3.hasWrite(id)).toBe(true);
    expect(pg1.postmaster.replicationRows().map((r) => r.application_name)).toEqual(['pg2']);
    expect(pg2.postmaster.replicationRows().map((r) => r.application_name)).toEqual(['pg3']);
    run(w, op, pg1.stop('fast'));
    expect(run(w, op, pg2.promote(60_000))).toBe(true);
    const id2 = next();
    run(w, client, oneQuery(client, pg2, { kind: 'write', writeId: id2 }));
    w.run(w.sim.nowUs + 2_000_000);
    expect(pg3.hasWrite(id2)).toBe(true);
    expect(pg3.timeline).toBe(2);
  });

  it('wal_receiver_timeout notices a silent break; the walsender gives up after wal_sender_timeout', () => {
    const { w, servers, op } = pgWorld('timeout-1');
    const [pg1, pg2] = [servers.pg1!, servers.pg2!];
    run(w, op, bootstrap(pg1, [pg2], { wal_receiver_timeout: 20_000, wal_sender_timeout: 30_000 }));
    w.run(w.sim.nowUs + 5_000_000);
    const cutAt = w.sim.nowUs;
    w.net.applyFault('cut', { kind: 'isolate', targets: ['pg2'] });
    w.run(w.sim.nowUs + 60_000_000);
    const stop = recs(w.sim.trace.records(), 'pg.replication').find((r) => r.node === 'pg2' && r.status === 'stopped');
    expect(stop?.reason).toMatch(/timeout/);
    // noticed within (timeout - time since the last message, timeout]
    expect(stop!.t - cutAt).toBeLessThanOrEqual(20_000_000);
    expect(stop!.t - cutAt).toBeGreaterThan(5_000_000);
    expect(pg1.postmaster.replicationRows()).toEqual([]);
    w.net.healFault('cut');
    w.run(w.sim.nowUs + 30_000_000);
    const last = recs(w.sim.trace.records(), 'pg.replication').filter((r) => r.node === 'pg2').pop()!;
    expect(last.status).toBe('streaming');
  });
});
