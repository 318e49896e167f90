// The state expectations (src/report/stateChecks.ts) on a small hand-written history: a primary
// pg1 crashes at 40 s, pg2 takes the leader key at 55 s and is promoted to timeline 2, pg1 comes
// back as its replica. Each kind must pass on what happened and fail on what did not.
import { describe, expect, it } from 'vitest';
import { evaluateExpectations, validateExpectation, type RunOutcome } from '../../src/report/expectations.js';
import { buildHistory } from '../../src/report/history.js';
import type { TraceRecord } from '../../src/sim/kernel/trace.js';
import type { Metrics } from '../../src/report/metrics.js';

const s = (x: number): number => x * 1_000_000;
const recs = [
  { t: 0, k: 'run.start', scenario: 'x.yaml', seed: '1', pgNodes: ['pg1', 'pg2'], dcs: { backend: 'etcd', members: ['etcd1'] }, clients: [], hosts: [], patroni: { ttl: 30, loop_wait: 10, retry_timeout: 10 } },
  { t: 0, k: 'run.phase', phase: 'warmup' },
  { t: s(5), k: 'pg.state', node: 'pg1', state: 'running', inRecovery: false, timeline: 1, branch: 1 },
  { t: s(6), k: 'dcs.leader', store: 'etcd', holder: 'pg1', reason: 'acquired' },
  { t: s(8), k: 'pg.state', node: 'pg2', state: 'running', inRecovery: true, timeline: 1, branch: 1 },
  { t: s(8), k: 'pg.replication', node: 'pg2', upstream: 'pg1', status: 'streaming' },
  { t: s(9), k: 'pg.sync', node: 'pg1', synchronousStandbyNames: 'ANY 1 ("pg2")', synchronousCommit: 'on' },
  { t: s(10), k: 'patroni.watchdog', node: 'pg1', event: 'activated', timeoutMs: 25000 },
  { t: s(30), k: 'run.phase', phase: 'chaos' },
  { t: s(40), k: 'fault', id: 'crash1', kind: 'power-off', on: true, what: 'power off pg1' },
  { t: s(40), k: 'pg.state', node: 'pg1', state: 'crashed', inRecovery: false, timeline: 1, branch: 1 },
  { t: s(40), k: 'pg.replication', node: 'pg2', upstream: 'pg1', status: 'stopped' },
  { t: s(50), k: 'patroni.cycle', node: 'pg2', message: 'no action. I am (pg2), a secondary, and following a leader (pg1)', hasLock: false, role: 'replica', paused: false },
  { t: s(55), k: 'dcs.leader', store: 'etcd', holder: null, reason: 'expired' },
  { t: s(55), k: 'dcs.leader', store: 'etcd', holder: 'pg2', reason: 'acquired' },
  { t: s(55), k: 'patroni.cycle', node: 'pg2', message: 'promoted self to leader by acquiring session lock', hasLock: true, role: 'primary', paused: false },
  { t: s(56), k: 'pg.promote', node: 'pg2', timeline: 2, branch: 2, parentBranch: 1, switchLsn: 100 },
  { t: s(56), k: 'pg.state', node: 'pg2', state: 'running', inRecovery: false, timeline: 2, branch: 2 },
  { t: s(57), k: 'pg.sync', node: 'pg2', synchronousStandbyNames: '', synchronousCommit: 'on' },
  { t: s(60), k: 'patroni.operation', operation: 'switchover', ok: false, message: 'No candidates found to switchover to' },
  { t: s(70), k: 'fault', id: 'crash1', kind: 'power-off', on: false, what: 'power off pg1' },
  { t: s(90), k: 'pg.state', node: 'pg1', state: 'running', inRecovery: true, timeline: 1, branch: 1 },
  { t: s(88), k: 'pg.rewind', node: 'pg1', ok: true, fromBranch: 1, toBranch: 2, forkLsn: 100, discardedUpToLsn: 120 },
  { t: s(89), k: 'pg.clone', node: 'pg3', source: 'pg2', ok: true },
  { t: s(91), k: 'pg.replication', node: 'pg1', upstream: 'pg2', status: 'streaming' },
  { t: s(91), k: 'pg.sync', node: 'pg2', synchronousStandbyNames: '"pg1"', synchronousCommit: 'on' },
  { t: s(100), k: 'run.end', reason: 'end' },
] as unknown as TraceRecord[];

const history = buildHistory(recs, s(100));
const run: RunOutcome = { incidents: [], metrics: { writes: { failed: 0, acknowledged: 0 } } as unknown as Metrics, history };
const check = (expect: Record<string, unknown>): { ok: boolean; message: string; actual: unknown }[] =>
  evaluateExpectations(expect, run).map((r) => ({ ok: r.ok, message: r.message, actual: r.actual }));
const ok = (e: Record<string, unknown>): boolean => check(e).every((r) => r.ok);

describe('state expectations', () => {
  it('leader: who holds the key, when', () => {
    expect(ok({ leader: 'pg2' })).toBe(true);
    expect(ok({ leader: 'pg1' })).toBe(false);
    expect(ok({ leader: { node: 'pg2', within: '15s', after: 'crash1' } })).toBe(true);
    const late = check({ leader: { node: 'pg2', within: '10s', after: 'crash1' } })[0];
    expect(late?.ok).toBe(false);
    expect(late?.message).toMatch(/took 15 s/);
    expect(ok({ leader: { node: 'pg1', throughout: true, after: '10s' } })).toBe(false);
    expect(ok({ leader: { node: 'pg2', throughout: true, after: '55s' } })).toBe(true);
    expect(ok({ leader: { node: 'pg1', never: true, after: 'crash1' } })).toBe(false); // its key lived until it expired at 55 s
    expect(ok({ leader: { node: 'pg1', never: true, after: '56s' } })).toBe(true);
    expect(ok({ leader: { node: 'pg1', throughout: true, after: '10s', until: 'crash1' } })).toBe(true);
    expect(ok({ leader: { node: 'pg2', never: true, until: 'crash1' } })).toBe(true);
    expect(validateExpectation('leader', { node: 'pg1', until: 'crash1' })).toMatch(/only with throughout/);
    expect(ok({ leader: { node: 'pg1', never: true } })).toBe(false); // held it at the start of the chaos phase
    expect(ok({ leader: { node: 'pg2', store: 'zookeeper' } })).toBe(false);
  });

  it('role, timeline, upstream and synchronous standbys in ground truth', () => {
    expect(ok({ role: [{ node: 'pg2', is: 'primary' }, { node: 'pg1', is: 'replica' }] })).toBe(true);
    expect(ok({ role: { node: 'pg1', is: 'stopped', within: '1s', after: 'crash1' } })).toBe(true);
    expect(ok({ role: { node: 'pg2', is: 'primary', within: '16s', after: 'crash1' } })).toBe(true);
    expect(ok({ role: { node: 'pg2', is: 'primary', within: '15s', after: 'crash1' } })).toBe(false);
    expect(ok({ timeline: 2 })).toBe(true);
    expect(ok({ timeline: { node: 'pg1', is: 2 } })).toBe(true); // a standby follows its upstream's timeline
    expect(check({ timeline: 1 })[0]?.actual).toBe(2);
    expect(ok({ upstream: { node: 'pg1', is: 'pg2' } })).toBe(true);
    expect(ok({ upstream: { node: 'pg2', is: 'none' } })).toBe(true);
    expect(ok({ syncStandbys: { is: 'pg1' } })).toBe(true);
    expect(ok({ syncStandbys: { node: 'pg1', is: ['pg2'], throughout: true, after: '10s' } })).toBe(true);
    expect(ok({ syncStandbys: { node: 'pg1', ssn: 'ANY 2 ("pg2")', within: '1m', after: '0s' } })).toBe(false);
    expect(ok({ syncStandbys: { node: 'pg2', is: 'none', throughout: true, after: '0s', until: '90s' } })).toBe(true); // '' before its first record
    expect(ok({ syncStandbys: { node: 'pg2', ssn: '"pg1"', within: '2s', after: 'crash1' } })).toBe(false);
    expect(ok({ syncStandbys: { node: 'pg2', ssn: '"pg1"', within: '60s', after: 'crash1' } })).toBe(true);
  });

  it('events: log lines, operations, watchdog', () => {
    expect(ok({ log: { node: 'pg2', contains: 'promoted self', within: '20s', after: 'crash1' } })).toBe(true);
    expect(ok({ log: { node: 'pg1', contains: 'promoted self' } })).toBe(false);
    expect(ok({ log: { contains: 'demoted', never: true } })).toBe(true);
    expect(ok({ operation: { kind: 'switchover', ok: false, message: 'No candidates' } })).toBe(true);
    expect(ok({ operation: { kind: 'switchover', ok: true } })).toBe(false);
    expect(ok({ watchdog: { node: 'pg1', event: 'activated', timeout: '25s', after: '0s' } })).toBe(true);
    expect(ok({ watchdog: { node: 'pg1', event: 'fired', never: true, after: '0s' } })).toBe(true);
    expect(ok({ rewind: 'pg1', clone: { node: 'pg3', source: 'pg2', within: '50s', after: 'crash1' } })).toBe(true);
    expect(ok({ clone: { node: 'pg3', source: 'pg1' } })).toBe(false);
    expect(ok({ rewind: { node: 'pg2' } })).toBe(false);
  });

  it('converged: one primary, the others streaming on its timeline', () => {
    expect(ok({ converged: true })).toBe(true);
    const early = buildHistory(recs.filter((r) => r.t <= s(60)), s(60));
    const r = evaluateExpectations({ converged: true }, { ...run, history: early })[0];
    expect(r?.ok).toBe(false);
    expect(r?.message).toMatch(/pg1 is crashed/);
  });

  it('an unknown fault id or a malformed value is an error, not a silent pass', () => {
    expect(check({ leader: { node: 'pg2', within: '1m', after: 'nope' } })[0]?.message).toMatch(/neither a fault/);
    expect(validateExpectation('role', { node: 'pg1', is: 'leader' })).toMatch(/is: expected one of/);
    expect(validateExpectation('leader', { node: 'pg1', within: '10 parsecs' })).toMatch(/within/);
    expect(validateExpectation('leader', { node: 'pg1', within: '10s', never: true })).toMatch(/at most one/);
    expect(validateExpectation('syncStandbys', { is: ['a'], ssn: 'a' })).toMatch(/give is/);
    expect(validateExpectation('leader', { nod: 'pg1' })).toMatch(/unknown key "nod"/);
    expect(validateExpectation('converged', 'yes')).toMatch(/true or false/);
  });

  it('leaderlessMs: the longest time without a holder after the first grant', () => {
    expect(check({ leaderlessMs: 0 })[0]?.actual).toBe(0);
  });
});
