// Cost of an idle etcd cluster with Patroni-like clients: one simulated hour must stay cheap.
import { describe, expect, it } from 'vitest';
import { etcdBackend } from '../../../src/sim/dcs/etcd/deploy.js';
import { patroniLoop, quorumWorld, run } from './helpers.js';

describe('quorum store cost', () => {
  it('1 simulated hour of a 3-member etcd with 3 Patroni-like clients', () => {
    const q = quorumWorld(etcdBackend, { seed: 'perf', keep: false });
    q.clients.forEach((c, i) => run(q.patroni[i]!, 'loop', patroniLoop(c)));
    const t0 = performance.now();
    q.world.run(3_600_000_000);
    const ms = performance.now() - t0;
    const events = q.world.sim.eventsRun;
    console.log(`etcd 1h: ${events} events, ${ms.toFixed(0)} ms wall, ${Math.round(events / (ms / 1000))} events/s, ${q.world.sim.trace.length} records`);
    // heartbeats (10/s to 2 followers, with responses) and ticks dominate: ~80 events/s simulated
    expect(events).toBeLessThan(3600 * 150);
    expect(q.dep.leaderHolder('demo')).not.toBeNull();
  });
});
