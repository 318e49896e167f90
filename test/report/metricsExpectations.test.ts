// Metrics (availability, unavailability windows, recovery time, data lost, failovers) and the
// evaluation of a scenario's `expect` block.
import { describe, expect, it } from 'vitest';
import { analyzeRecords } from '../../src/report/analyze.js';
import { evaluateExpectations, validateExpectation, EXPECTATION_NAMES } from '../../src/report/expectations.js';
import { asyncFailover, clientCut, pausedPrimary } from './fixtures/scenarios.js';

describe('metrics', () => {
  it('an async failover: one failover, its recovery time, the unavailability window, the loss', () => {
    const m = analyzeRecords(asyncFailover().records()).result.metrics;
    expect(m.failovers).toBe(1);
    expect(m.switchovers).toBe(0);
    // last ack on timeline 1 at 19.504 s, first ack on timeline 2 at 41.004 s
    expect(m.promotions).toEqual([{ atMs: 40_050, node: 'pg2', previousPrimary: 'pg1', timeline: 2, kind: 'failover', recoveryMs: 21_500 }]);
    expect(m.maxRecoveryMs).toBe(21_500);
    // the first failed write was invoked at 20.5 s; the next success completed at 41.004 s
    expect(m.unavailableWindows).toEqual([{ startMs: 20_500, endMs: 41_004, durationMs: 20_504 }]);
    expect(m.maxUnavailableMs).toBe(20_504);
    expect(m.noPrimaryWindows).toEqual([{ startMs: 20_000, endMs: 40_050, durationMs: 20_050 }]);
    expect(m.writeAvailability).toBeCloseTo(1 - 20_504 / (150_000 - 500), 6);
    expect(m.lostWrites).toBe(3);
    expect(m.lostBytes).toBe(600);
    expect(m.splitBrainMs).toBe(0);
  });

  it('a healthy run is fully available', () => {
    const m = analyzeRecords(clientCut({ cutS: 0 }).records()).result.metrics;
    expect(m.writeAvailability).toBe(1);
    expect(m.unavailableWindows).toEqual([]);
    expect(m.failovers).toBe(0);
  });

  it('split-brain time is the overlap', () => {
    expect(analyzeRecords(pausedPrimary().records()).result.metrics.splitBrainMs).toBe(11_960);
  });
});

describe('expectations', () => {
  const run = analyzeRecords(pausedPrimary().records()).result;

  it('evaluates names, comparisons, categories, units and percentages', () => {
    const res = evaluateExpectations(
      {
        splitBrain: 'confirmed',
        lostWrites: '> 0',
        failovers: 1,
        maxUnavailableMs: '<= 45s',
        writeAvailability: '>= 99%',
        divergence: 'resolved',
        falseFailovers: '1..2',
        missedFailovers: 0,
        undetectedPartitions: 'none',
      },
      run,
    );
    expect(res.map((r) => [r.name, r.ok, r.actual])).toEqual([
      ['splitBrain', true, 'confirmed'],
      ['lostWrites', true, 24],
      ['failovers', true, 1],
      ['maxUnavailableMs', true, 404],
      ['writeAvailability', true, run.metrics.writeAvailability],
      ['divergence', true, 'resolved'],
      ['falseFailovers', true, 1],
      ['missedFailovers', true, 0],
      ['undetectedPartitions', true, 0],
    ]);
  });

  it('fails with the actual value and a message', () => {
    const [sb, lw, mu] = evaluateExpectations({ splitBrain: 'none', lostWrites: 0, maxUnavailableMs: '< 100' }, run);
    expect(sb).toEqual({ name: 'splitBrain', expected: 'none', ok: false, actual: 'confirmed', message: 'expected splitBrain none, got confirmed (1)' });
    expect(lw).toMatchObject({ ok: false, actual: 24, message: 'expected lostWrites 0, got 24' });
    expect(mu).toMatchObject({ ok: false, actual: 404 });
  });

  it('"latent" is not satisfied by a confirmed split-brain; "any" is', () => {
    const [a, b] = evaluateExpectations({ splitBrain: 'latent', splitBrains: '>= 1' }, run);
    expect(a!.ok).toBe(false);
    expect(b!.ok).toBe(true);
    expect(evaluateExpectations({ splitBrain: 'any' }, run)[0]!.ok).toBe(true);
  });

  it('unknown names and unreadable values fail with a suggestion', () => {
    const [x, y] = evaluateExpectations({ lostWirtes: 0, failovers: 'lots' }, run);
    expect(x!.ok).toBe(false);
    expect(x!.message).toContain('did you mean "lostWrites"?');
    expect(y!.ok).toBe(false);
    expect(y!.message).toContain('cannot read lots');
    expect(validateExpectation('maxUnavailableMs', '<= 45000')).toBeNull();
    expect(validateExpectation('maxUnavailableMs', '<= 45 parsecs')).toContain('cannot read');
    expect(EXPECTATION_NAMES).toEqual(expect.arrayContaining(['splitBrain', 'lostWrites', 'failovers', 'maxUnavailableMs']));
  });

  it('the verdict fails on an unexpected incident and passes when every incident kind is expected', () => {
    expect(analyzeRecords(pausedPrimary().records(), { expect: { splitBrain: 'confirmed' } }).result.verdict).toBe('fail');
    const full = { splitBrain: 'confirmed', lostWrites: 24, divergence: 'resolved', falseFailovers: 1 };
    expect(analyzeRecords(pausedPrimary().records(), { expect: full }).result.verdict).toBe('pass');
  });
});
