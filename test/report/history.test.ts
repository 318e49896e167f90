// The history builder: streaming from a live trace equals a pass over kept records; memory follows
// changes, not records (cycle lines run-length encoded, LSN samples and client buckets bounded).
import { describe, expect, it } from 'vitest';
import { Trace } from '../../src/sim/kernel/trace.js';
import { HistoryBuilder, buildHistory } from '../../src/report/history.js';
import { mergeIntervals, subtractIntervals, intersectIntervals, piecewise, SpanTrack } from '../../src/report/intervals.js';
import fc from 'fast-check';
import { pausedPrimary } from './fixtures/scenarios.js';

describe('history builder', () => {
  it('streaming through trace.subscribe gives the same history as a pass over the kept records', () => {
    const recs = pausedPrimary().records();
    let now = 0;
    const trace = new Trace(() => now, { keep: true });
    const live = new HistoryBuilder();
    trace.subscribe(live.push);
    for (const r of recs) {
      now = r.t;
      const { t: _t, k, ...fields } = r as unknown as { t: number; k: string } & Record<string, unknown>;
      trace.emit(k as never, fields as never);
    }
    const a = live.finish();
    const b = buildHistory(trace.records());
    const strip = (h: typeof a): unknown => JSON.parse(JSON.stringify({ ...h, writes: [...h.writes.rows()] }));
    expect(strip(a)).toEqual(strip(b));
    expect(a.recordCount).toBe(recs.length);
  });

  it('writable intervals: running and not in recovery, minus host power-off', () => {
    const h = buildHistory(pausedPrimary().records());
    expect(h.writable.pg1).toEqual([{ fromUs: 0, toUs: 62_010_000 }]);
    expect(h.writable.pg2).toEqual([{ fromUs: 50_050_000, toUs: 150_000_000 }]);
    expect(h.writable.pg3).toEqual([]);
  });

  it('keeps one span per change, not per record', () => {
    const b = new HistoryBuilder();
    let t = 0;
    b.push({ t, k: 'run.start', scenario: 's', seed: '1', pgNodes: ['pg1'], dcs: { backend: 'etcd', members: [] }, clients: ['c'], hosts: [], patroni: {} } as never);
    for (let i = 0; i < 50_000; i++) {
      t += 10_000;
      b.push({ t, k: 'patroni.cycle', node: 'pg1', message: 'no action. I am (pg1), the leader with the lock', hasLock: true, role: 'primary', paused: false } as never);
      b.push({ t, k: 'pg.lsn', node: 'pg1', flushLsn: i * 100 } as never);
      b.push({ t, k: 'dcs.leader', store: 'etcd', holder: 'pg1', reason: 'updated', expiresAtUs: t + 30_000_000 } as never);
      b.push({ t, k: 'client.invoke', client: 'c', op: i, type: 'read' } as never);
      b.push({ t: t + 1, k: 'client.complete', client: 'c', op: i, outcome: 'ok', node: 'pg1', sawWriteId: 0 } as never);
    }
    const h = b.finish();
    expect(h.cycles.pg1).toHaveLength(1);
    expect(h.cycles.pg1![0]!.count).toBe(50_000);
    expect(h.leader.etcd).toHaveLength(1);
    expect(h.grants).toHaveLength(1);
    expect(h.lsn.pg1!.length).toBeLessThanOrEqual(4096);
    expect(h.clientBuckets.length).toBeLessThanOrEqual(2001);
    expect(h.clientBuckets.reduce((a, x) => a + x.ok, 0)).toBe(50_000);
    expect(h.recordCount).toBe(250_001);
  });
});

describe('intervals', () => {
  const arb = fc.array(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 30 })).map(([a, l]) => ({ fromUs: a, toUs: a + l })), { maxLength: 12 });
  const covered = (xs: { fromUs: number; toUs: number }[], t: number): boolean => xs.some((x) => x.fromUs <= t && t < x.toUs);

  it('merge, intersect and subtract agree with point membership', () => {
    fc.assert(
      fc.property(arb, arb, (a, b) => {
        const ma = mergeIntervals(a);
        const mb = mergeIntervals(b);
        const inter = intersectIntervals(ma, mb);
        const sub = subtractIntervals(ma, mb);
        for (let t = 0; t < 135; t++) {
          expect(covered(ma, t)).toBe(covered(a, t));
          expect(covered(inter, t)).toBe(covered(a, t) && covered(b, t));
          expect(covered(sub, t)).toBe(covered(a, t) && !covered(b, t));
        }
      }),
    );
  });

  it('piecewise samples once per piece and merges', () => {
    expect(piecewise([5, 10, 15], 0, 20, (t) => t >= 5 && t < 15)).toEqual([{ fromUs: 5, toUs: 15 }]);
  });

  it('a track merges equal values and lets the later of two same-instant changes win', () => {
    const tr = new SpanTrack<string>();
    tr.set(0, 'a');
    tr.set(5, 'a');
    tr.set(10, 'b');
    tr.set(10, 'a');
    tr.set(20, 'c');
    expect(tr.finish(30)).toEqual([
      { fromUs: 0, toUs: 20, v: 'a' },
      { fromUs: 20, toUs: 30, v: 'c' },
    ]);
  });
});
