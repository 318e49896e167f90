import { describe, expect, it } from 'vitest';
import { runPingDemo } from '../../src/demo/pingDemo.js';

describe('determinism', () => {
  it('same seed gives the same trace hash; another seed another', () => {
    const a = runPingDemo('42');
    const b = runPingDemo('42');
    const c = runPingDemo('43');
    expect(a.traceHash).toBe(b.traceHash);
    expect(a.lines).toEqual(b.lines);
    expect(c.traceHash).not.toBe(a.traceHash);
  });

  it('the demo notices the partition on both sides', () => {
    const r = runPingDemo('1');
    expect(r.lines.some((l) => /pg1 has not heard pg2/.test(l))).toBe(true);
    expect(r.lines.some((l) => /pg2 has not heard pg1/.test(l))).toBe(true);
  });
});
