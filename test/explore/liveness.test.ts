// Liveness after the heal, and coverage, on real runs: a healed partition converges; a DCS that
// stays down is a legitimate stall; clients cut off from a primary that keeps the DCS is a
// misjudgment; coverage names what each fault hit and in which state.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { coverageOf, coverageTable, emptyCoverage, mergeCoverage, statesAt } from '../../src/explore/coverage.js';
import { judgeLiveness } from '../../src/explore/liveness.js';
import { normalizeSchedule } from '../../src/explore/schedule.js';
import { faultSpaceOf } from '../../src/explore/space.js';
import { loadScenarioText } from '../../src/scenarios/load.js';
import { simulateScenario } from '../../src/scenarios/simulate.js';
import type { GeneratedSchedule } from '../../src/explore/arbitraries.js';

const fixture = parse(readFileSync('test/explore/fixtures/unsafe-async.yaml', 'utf8')) as Record<string, unknown>;

function run(faults: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  const data = { ...fixture, ...extra, phases: { warmup: '20s', chaos: '40s', converge: '40s', heal: 'none' }, faults };
  const loaded = loadScenarioText(stringify(data), 'liveness.yaml');
  return { loaded, sim: simulateScenario(loaded) };
}

describe('liveness after the heal', () => {
  it('a partition of the primary healed at the end of the chaos converges: one primary, replicas streaming, writes acknowledged', () => {
    const { sim } = run([{ at: '30s', for: '30s', kind: 'isolate', targets: '@primary' }]);
    const l = judgeLiveness(sim.analysis);
    expect(l.ok).toBe(true);
    expect(l.primary).not.toBeNull();
    expect(l.recoveryMs).not.toBeNull();
    expect(l.recoveryMs as number).toBeLessThan(l.budgetMs);
    expect(l.healMs).toBe(60_000);
    expect(l.budgetMs).toBe(40_000 - 10_000);
  });

  it('a DCS that stays down is a legitimate stall (Patroni promotes nobody without a DCS quorum)', () => {
    const { sim } = run([{ at: '40s', kind: 'dcs-outage', mode: 'crash' }]);
    const l = judgeLiveness(sim.analysis);
    expect(l.ok).toBe(false);
    expect(l.stall?.verdict).toBe('legitimate');
    expect(l.stall?.reasons.join(' ')).toMatch(/quorum/);
  });

  it('clients cut off from a primary that keeps the DCS is a misjudgment', () => {
    const { sim } = run([{ at: '40s', kind: 'cut', a: 'app1', b: '@primary' }]);
    const l = judgeLiveness(sim.analysis);
    expect(l.ok).toBe(false);
    expect(l.stall?.verdict).toBe('misjudgment');
    expect(l.stall?.problems.join(' ')).toMatch(/client writes failed|no client write/);
  });
});

describe('coverage', () => {
  it('counts what each fault hit and the cluster state it met', () => {
    const { loaded, sim } = run([
      { at: '25s', for: '30s', id: 'f1', kind: 'pause', process: '@primary/patroni' },
      { at: '40s', for: '5s', id: 'f2', kind: 'isolate', targets: 'etcd1' },
    ]);
    const space = faultSpaceOf(loaded);
    const schedule: GeneratedSchedule = {
      outside: [],
      faults: [
        { atMs: 25_000, forMs: 30_000, action: { kind: 'pause', process: '@primary/patroni' } },
        { atMs: 40_000, forMs: 5_000, action: { kind: 'isolate', targets: 'etcd1' } },
      ],
    };
    const cov = coverageOf(sim.analysis, normalizeSchedule(space, schedule));
    // paused while it held the leader key, longer than ttl: a promotion happened while it lasted
    expect(cov.cells['pause primary']).toMatchObject({ steady: 1, 'primary-holds-lock': 1, 'during:promotion': 1 });
    // by 40 s the paused primary's Patroni is down and a failover has happened or is under way
    const isolate = Object.keys(cov.cells).find((k) => k.startsWith('isolate '));
    expect(isolate).toMatch(/^isolate dcs-(leader|member)$/);
    expect(cov.cells[isolate as string]).toHaveProperty('primary-agent-down');
    expect(statesAt(sim.analysis, 21_000_000, 22_000_000)).toContain('steady');
    const total = mergeCoverage(mergeCoverage(emptyCoverage(), cov), cov);
    expect(total.runs).toBe(2);
    expect(total.cells['pause primary']?.steady).toBe(2);
    expect(coverageTable(total)).toMatch(/never reached: .*sync-standby-lags/);
  });
});
