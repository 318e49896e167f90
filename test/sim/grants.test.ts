import { describe, expect, it } from 'vitest';
import { grantOverlaps, grantsFrom } from '../../src/sim/dcs/grants.js';
import type { TraceRecord } from '../../src/sim/kernel/trace.js';

const rec = (t: number, holder: string | null, reason: string, extra: Record<string, unknown> = {}): TraceRecord =>
  ({ t, k: 'dcs.leader', store: 's', holder, reason, ...extra }) as unknown as TraceRecord;

describe('lock grants', () => {
  it('renewals extend one grant; a hand-over after expiry is not an overlap', () => {
    const g = grantsFrom([
      rec(0, 'a', 'acquired', { expiresAtUs: 30 }),
      rec(10, 'a', 'updated', { expiresAtUs: 40 }),
      rec(40, null, 'expired'),
      rec(41, 'b', 'acquired', { expiresAtUs: 71 }),
    ]);
    expect(g.map((x) => [x.holder, x.fromUs, x.toUs])).toEqual([
      ['a', 0, 10],
      ['a', 10, 40],
      ['b', 41, 71],
    ]);
    expect(grantOverlaps(g)).toEqual([]);
  });

  it('two holders believing at once is reported with the interval', () => {
    const g = grantsFrom([
      rec(0, 'a', 'acquired', { expiresAtUs: 30, server: 'r1' }),
      rec(5, 'b', 'acquired', { expiresAtUs: 35, server: 'r2' }),
    ]);
    const o = grantOverlaps(g);
    expect(o).toHaveLength(1);
    expect([o[0]?.fromUs, o[0]?.toUs]).toEqual([5, 30]);
  });
});
