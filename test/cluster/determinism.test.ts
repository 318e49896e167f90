// A cluster run is a pure function of its seed: the same faults give the same trace hash.
import { describe, expect, it } from 'vitest';
import { testCluster } from './helpers.js';

function runOnce(seed: string): string {
  const t = testCluster({ seed, dcs: { loop_wait: 5, synchronous_mode: 'quorum' } });
  t.run(30);
  const leader = t.leader() as string;
  t.w.nemesis.apply({ kind: 'power-off', host: leader }, 'kill', 40_000_000);
  t.w.nemesis.apply({ kind: 'switchover' }, 'sw');
  t.run(90);
  return t.w.sim.trace.digest();
}

describe('cluster determinism', () => {
  it('same seed, same trace; another seed, another trace', () => {
    const a = runOnce('det-1');
    expect(runOnce('det-1')).toBe(a);
    expect(runOnce('det-2')).not.toBe(a);
  });
});
