import { describe, expect, it } from 'vitest';
import { bootstrap, oneQuery, pgWorld, run, writeIdAllocator } from './helpers.js';
import type { SqlResult } from '../../src/sim/pg/sql.js';

describe('PostgreSQL server: life cycle', () => {
  it('initdb, start, write, stop fast: controldata says shut down at the shutdown checkpoint', () => {
    const { w, servers, op, client } = pgWorld('basics-1');
    const pg1 = servers.pg1!;
    expect(pg1.controldata()).toBeNull();
    expect(run(w, op, pg1.initdb())).toBe(true);
    const cd0 = pg1.controldata()!;
    expect(cd0.clusterState).toBe('shut down');
    expect(cd0.timeline).toBe(1);
    expect(run(w, op, pg1.start({ standby: false, upstream: null }))).toBe(true);
    expect(pg1.isReady()).toBe(true);
    expect(pg1.controldata()!.clusterState).toBe('in production');
    const next = writeIdAllocator();
    const r = run(w, client, oneQuery(client, pg1, { kind: 'write', writeId: next() })) as Extract<SqlResult, { kind: 'write' }>;
    expect(r.node).toBe('pg1');
    expect(r.timeline).toBe(1);
    expect(pg1.hasWrite(1)).toBe(true);
    const info = run(w, op, pg1.clusterInfo());
    expect(info.timeline).toBe(1);
    expect(info.walPosition).toBeGreaterThanOrEqual(r.lsn);
    let shutdownAt: number | null = null;
    expect(run(w, op, pg1.stop('fast', { onShutdown: (ckpt) => (shutdownAt = ckpt) }))).toBe(true);
    expect(pg1.isRunning()).toBe(false);
    const cd = pg1.controldata()!;
    expect(cd.clusterState).toBe('shut down');
    expect(shutdownAt).toBe(cd.checkpointLsn);
    expect(cd.checkpointLsn).toBeGreaterThanOrEqual(r.lsn);
    expect(pg1.groundState).toBe('stopped');
  });

  it('immediate shutdown leaves "in production"; the next start runs crash recovery', () => {
    const { w, servers, op } = pgWorld('basics-2');
    const pg1 = servers.pg1!;
    run(w, op, pg1.initdb());
    run(w, op, pg1.start({ standby: false, upstream: null }));
    run(w, op, pg1.stop('immediate'));
    expect(pg1.controldata()!.clusterState).toBe('in production');
    expect(run(w, op, pg1.start({ standby: false, upstream: null }))).toBe(true);
    const kinds = w.sim.trace.records().filter((r) => r.k === 'pg.state').map((r) => (r as { state: string }).state);
    expect(kinds).toContain('crash-recovery');
    expect(w.sim.trace.records().some((r) => r.k === 'pg.recovery')).toBe(true);
  });

  it('a replica streams, is read-only, and promotes to timeline 2; pg_control shows it after the checkpoint', () => {
    const { w, servers, op, client } = pgWorld('basics-3');
    const pg1 = servers.pg1!;
    const pg2 = servers.pg2!;
    run(w, op, bootstrap(pg1, [pg2]));
    const next = writeIdAllocator();
    run(w, client, oneQuery(client, pg1, { kind: 'write', writeId: next() }));
    w.run(w.sim.nowUs + 2_000_000);
    expect(pg2.hasWrite(1)).toBe(true);
    const info = run(w, op, pg2.clusterInfo());
    expect(info.timeline).toBe(0);
    expect(info.receiverState).toBe('streaming');
    expect(info.upstreamHost).toBe('pg1');
    const rows = run(w, op, pg1.clusterInfo()).replication;
    expect(rows.map((r) => r.application_name)).toEqual(['pg2']);
    expect(() => run(w, client, oneQuery(client, pg2, { kind: 'write', writeId: next() }))).toThrow(/read-only/);
    expect(pg2.controldata()!.clusterState).toBe('in archive recovery');
    expect(pg2.controldata()!.minRecoveryEndLsn).toBeGreaterThan(0);
    expect(run(w, op, pg2.promote(60_000))).toBe(true);
    expect(pg2.timeline).toBe(2);
    const hist = pg2.timelineHistory(2);
    expect(hist).toHaveLength(1);
    expect(hist[0]!.timeline).toBe(1);
    // fast promotion: pg_control keeps timeline 1 until the checkpoint
    expect(pg2.controldata()!.timeline).toBe(1);
    expect(run(w, op, pg2.clusterInfo()).pgControlTimeline).toBe(1);
    run(w, op, pg2.checkpoint());
    expect(pg2.controldata()!.timeline).toBe(2);
    const r = run(w, client, oneQuery(client, pg2, { kind: 'write', writeId: next() })) as Extract<SqlResult, { kind: 'write' }>;
    expect(r.timeline).toBe(2);
  });

  it('a standby stopped fast says "shut down in recovery" with its replay position as minimum recovery end', () => {
    const { w, servers, op, client } = pgWorld('basics-4');
    const [pg1, pg2] = [servers.pg1!, servers.pg2!];
    run(w, op, bootstrap(pg1, [pg2]));
    const r = run(w, client, oneQuery(client, pg1, { kind: 'write', writeId: 1 })) as Extract<SqlResult, { kind: 'write' }>;
    w.run(w.sim.nowUs + 1_000_000);
    run(w, op, pg2.stop('fast'));
    const cd = pg2.controldata()!;
    expect(cd.clusterState).toBe('shut down in recovery');
    expect(cd.minRecoveryEndLsn).toBeGreaterThanOrEqual(r.lsn);
    expect(cd.minRecoveryEndTimeline).toBe(1);
    expect(pg2.timelineHistory(1)).toEqual([]);
  });
});
