// lost-write and divergence on synthetic histories: writes left behind by an asynchronous failover
// (rewound, re-cloned, or still diverged at the end), writes lost in crash recovery with
// synchronous_commit=off (whose LSNs the restarted primary reuses), writes acknowledged without a
// commit, indeterminate writes; and the lineage semantics checked against the PostgreSQL model's
// own containsWrite.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeRecords } from '../../src/report/analyze.js';
import { buildHistory } from '../../src/report/history.js';
import { branchTable, finalLineage, inLineage } from '../../src/report/lineage.js';
import { containsWrite } from '../../src/sim/pg/lineage.js';
import { Cluster, S, Script } from './fixtures/script.js';
import { asyncFailover, isolatedPrimary, pausedPrimary } from './fixtures/scenarios.js';

const run = (c: Cluster) => analyzeRecords(c.records()).result;

describe('lost-write', () => {
  it('an asynchronous failover loses exactly the acknowledged writes the promoted replica had not received', () => {
    const r = run(asyncFailover({ lagWrites: 3 }));
    const lost = r.incidents.filter((i) => i.kind === 'lost-write');
    expect(lost).toHaveLength(1);
    expect(lost[0]!.writes).toEqual([37, 38, 39]);
    expect(lost[0]!.details.reason).toBe('fork');
    expect(lost[0]!.details.bytes).toBe(600);
    expect(lost[0]!.explanation).toMatch(/^3 acknowledged writes \(#37–#39\) committed on pg1 \(timeline 1\) are missing from the final history: pg2 was promoted at 40\.05 s from LSN 0\/3001C20, 600 B behind them \(replication was asynchronous\), and pg1 was rewound at 98 s/);
    expect(r.metrics.lostWrites).toBe(3);
    expect(r.metrics.lostBytes).toBe(600);
    expect(r.finalHistory.node).toBe('pg2');
  });

  it('a caught-up replica loses nothing', () => {
    const r = run(asyncFailover({ lagWrites: 0 }));
    expect(r.incidents.filter((i) => i.kind === 'lost-write' || i.kind === 'divergence')).toEqual([]);
    expect(r.metrics.lostWrites).toBe(0);
  });

  it('a failover after the primary was isolated (clients cut too) loses nothing', () => {
    expect(run(isolatedPrimary()).metrics.lostWrites).toBe(0);
  });

  it('split-brain writes on the losing side are lost, the winning side keeps its own', () => {
    const r = run(pausedPrimary());
    const lost = r.incidents.find((i) => i.kind === 'lost-write')!;
    const sb = r.incidents.find((i) => i.kind === 'split-brain')!;
    const acked = sb.details.ackedWrites as Record<string, number>;
    expect(lost.writes).toHaveLength(acked.pg1!);
    for (const id of lost.writes) expect(sb.writes).toContain(id);
  });

  for (const silentFork of [true, false]) {
    it(`synchronous_commit=off: a crash loses the acknowledged tail; the restarted primary reuses its LSNs (${silentFork ? 'with' : 'without'} a pg.branch fork)`, () => {
      const c = new Cluster();
      c.emit(0, 'pg.sync', { node: 'pg1', synchronousStandbyNames: '', synchronousCommit: 'off' });
      const before = c.writes(500, 20 * S, 500, 'pg1');
      const flushed = c.lsnAt('pg1', 19 * S);
      c.powerOff(20 * S, 'pg1');
      c.powerOn(21 * S, 'pg1');
      c.pgState(51 * S, 'pg1', 'crash-recovery', false);
      c.emit(52 * S, 'pg.recovery', { node: 'pg1', replayedToLsn: flushed, lostFromLsn: flushed });
      let branch = 1;
      if (silentFork) {
        branch = 2;
        c.timelineOf.set(2, 1);
        c.lsnOf.set(2, flushed);
        c.emit(52 * S + 10, 'pg.branch', { node: 'pg1', branch: 2, parentBranch: 1, timeline: 1, switchLsn: flushed, sysid: '1', reason: 'crash recovery lost the unflushed tail (same timeline, new WAL)' });
      } else c.lsnOf.set(1, flushed);
      c.pgState(53 * S, 'pg1', 'running', false, branch);
      const after = c.writes(54 * S, 70 * S, 500, 'pg1');
      c.end(70 * S);
      const r = analyzeRecords(c.records()).result;
      const lost = r.incidents.filter((i) => i.kind === 'lost-write');
      expect(lost).toHaveLength(1);
      expect(lost[0]!.details.reason).toBe('crash-recovery');
      const expected = before.filter((id) => id > before.length - 2); // the writes committed after 19 s
      expect(lost[0]!.writes).toEqual(expected);
      expect(lost[0]!.explanation).toContain('were lost in crash recovery at 52 s');
      for (const id of after) expect(lost[0]!.writes).not.toContain(id);
      expect(r.incidents.filter((i) => i.kind === 'divergence' || i.kind === 'split-brain')).toEqual([]);
      expect(r.metrics.failovers).toBe(0);
    });
  }

  it('an acknowledged write that no server committed is reported as such', () => {
    const c = new Cluster();
    c.writes(500, 5 * S, 500, 'pg1');
    const bogus = c.write(6 * S, 'pg1', 'ok', { commit: false });
    c.end(10 * S);
    const lost = run(c).incidents.filter((i) => i.kind === 'lost-write');
    expect(lost).toHaveLength(1);
    expect(lost[0]!.writes).toEqual([bogus]);
    expect(lost[0]!.details.reason).toBe('never-committed');
  });

  it('indeterminate writes are listed separately, with whether they survived, never as lost', () => {
    const c = new Cluster();
    const committed = c.write(1 * S, 'pg1', 'info');
    const notCommitted = c.write(2 * S, 'pg1', 'info', { commit: false });
    const pending = c.write(3 * S, 'pg1', 'pending');
    c.end(10 * S);
    const r = run(c);
    expect(r.incidents).toEqual([]);
    expect(r.indeterminateWrites).toEqual([
      { writeId: committed, outcome: 'info', committed: true, inFinalHistory: true },
      { writeId: notCommitted, outcome: 'info', committed: false, inFinalHistory: false },
      { writeId: pending, outcome: 'pending', committed: true, inFinalHistory: true },
    ]);
    expect(r.metrics.indeterminateWrites).toEqual({ total: 3, inFinalHistory: 2, missing: 1 });
  });

  it('lineage containment agrees with the PostgreSQL model\'s containsWrite on random timeline trees', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ parentPick: fc.nat(), step: fc.integer({ min: 0, max: 2000 }) }), { minLength: 0, maxLength: 8 }),
        fc.array(fc.record({ branchPick: fc.nat(), off: fc.integer({ min: 1, max: 3000 }) }), { minLength: 1, maxLength: 40 }),
        fc.nat(),
        (tree, writes, finalPick) => {
          const s = new Script();
          const switchOf = new Map<number, number>([[1, 0]]);
          s.emit(0, 'pg.branch', { node: 'n1', branch: 1, parentBranch: null, timeline: 1, switchLsn: 0, sysid: '1', reason: 'initdb' });
          tree.forEach((b, i) => {
            const id = i + 2;
            const parent = 1 + (b.parentPick % (id - 1));
            const sw = (switchOf.get(parent) as number) + b.step;
            switchOf.set(id, sw);
            s.emit(id, 'pg.promote', { node: `n${id}`, timeline: id, branch: id, parentBranch: parent, switchLsn: sw });
          });
          const n = tree.length + 1;
          writes.forEach((w, i) => {
            const b = 1 + (w.branchPick % n);
            s.emit(100 + i, 'pg.write', { node: `n${b}`, writeId: i + 1, branch: b, timeline: b, lsn: (switchOf.get(b) as number) + w.off });
          });
          const final = 1 + (finalPick % n);
          s.emit(1000, 'pg.state', { node: `n${final}`, state: 'running', inRecovery: false, timeline: final, branch: final });
          s.emit(2000, 'run.end', { reason: 'done' });
          const h = buildHistory(s.records());
          const l = finalLineage(h);
          const table = branchTable(h);
          for (const row of h.writes.rows()) {
            const pg = containsWrite(table, { branch: final, lsn: Number.POSITIVE_INFINITY }, { branch: row.branch, lsn: row.lsn });
            expect(inLineage(l, row)).toBe(pg);
          }
        },
      ),
    );
  });
});

describe('divergence', () => {
  it('a fork rewound away is a warning that names the fork, the writes past it and the rewind', () => {
    const d = run(asyncFailover()).incidents.filter((i) => i.kind === 'divergence');
    expect(d).toHaveLength(1);
    expect(d[0]!.severity).toBe('warning');
    expect(d[0]!.writes).toEqual([37, 38, 39]);
    expect(d[0]!.explanation).toBe(
      'Timeline 1 forked at LSN 0/3001C20 when pg2 was promoted at 40.05 s (timeline 2): pg1 held 3 writes past the fork on timeline 1 (3 acknowledged); pg1 was rewound at 98 s, discarding its WAL past 0/3001C20.',
    );
    expect(d[0]!.details.copies).toEqual([{ node: 'pg1', branch: 1, fate: 'rewound', atMs: 98_000 }]);
  });

  it('a diverged former primary never rewound is critical and still diverged at the end', () => {
    const d = run(asyncFailover({ rewind: false })).incidents.filter((i) => i.kind === 'divergence');
    expect(d).toHaveLength(1);
    expect(d[0]!.severity).toBe('critical');
    expect(d[0]!.details.stillDiverged).toEqual(['pg1']);
    expect(d[0]!.explanation).toContain('pg1 still holds them at the end (diverged');
    expect(d[0]!.endMs).toBe(150_000);
  });

  it('a re-clone (reinit) is reported as such', () => {
    const c = asyncFailover({ rewind: false });
    c.pgState(100 * S, 'pg1', 'cloning', true);
    c.emit(110 * S, 'pg.clone', { node: 'pg1', source: 'pg2', ok: true, discardedBranch: 1, discardedUpToLsn: c.lsnOf.get(1)! });
    c.pgState(111 * S, 'pg1', 'running', true, 2);
    const d = run(c).incidents.filter((i) => i.kind === 'divergence');
    expect(d[0]!.details.copies).toEqual([{ node: 'pg1', branch: 1, fate: 're-cloned', atMs: 110_000 }]);
    expect(d[0]!.explanation).toContain('pg1 was re-cloned from pg2 at 110 s');
  });

  it('a failed pg_rewind followed by a reinit says both', () => {
    const c = asyncFailover({ rewind: false });
    c.emit(96 * S, 'pg.rewind', { node: 'pg1', ok: false, fromBranch: 1, toBranch: 2, forkLsn: 0, discardedUpToLsn: 0, reason: 'wal_log_hints is off' });
    c.emit(110 * S, 'pg.clone', { node: 'pg1', source: 'pg2', ok: true, discardedBranch: 1 });
    c.pgState(111 * S, 'pg1', 'running', true, 2);
    const d = run(c).incidents.filter((i) => i.kind === 'divergence');
    expect(d[0]!.explanation).toContain('after pg_rewind failed (wal_log_hints is off)');
  });

  it('WAL past the fork without client writes (a shutdown checkpoint) still counts, from the rewind record', () => {
    const c = asyncFailover({ lagWrites: 0, rewind: false });
    const fork = c.lsnOf.get(1)!;
    c.emit(96 * S, 'pg.rewind', { node: 'pg1', ok: true, fromBranch: 1, toBranch: 2, forkLsn: fork, discardedUpToLsn: fork + 104 });
    const d = run(c).incidents.filter((i) => i.kind === 'divergence');
    expect(d).toHaveLength(1);
    expect(d[0]!.writes).toEqual([]);
    expect(d[0]!.explanation).toContain('pg1 held WAL past the fork on timeline 1');
  });
});
