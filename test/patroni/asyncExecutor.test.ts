// patroni/async_executor.py semantics: one action at a time; an action scheduled while the HA
// cycle holds the executor lock starts only after the cycle; it looks busy until the cycle that
// saw it finish lets go of the lock.
import { describe, expect, it } from 'vitest';
import { World } from '../../src/sim/world.js';
import { Process } from '../../src/sim/host/process.js';
import { AsyncExecutor } from '../../src/sim/patroni/asyncExecutor.js';
import type { Task } from '../../src/sim/kernel/task.js';
import { sToUs } from '../../src/sim/kernel/time.js';

class P extends Process {
  protected onStart(): void {}
}

describe('AsyncExecutor', () => {
  it('runs one action at a time, after the HA cycle that scheduled it, and wakes the HA loop', () => {
    const w = new World({ seed: 'ae' });
    const h = w.addHost({ name: 'n', domains: ['x'] });
    const p = new P(h, 'patroni');
    p.start();
    let wakeups = 0;
    const ex = new AsyncExecutor(p, () => wakeups++);
    const log: string[] = [];
    function* action(): Task<boolean> {
      log.push(`action start ${w.sim.nowUs / 1e6}`);
      yield* p.sleep(sToUs(3));
      log.push(`action end ${w.sim.nowUs / 1e6}`);
      return true;
    }
    function* cycle(): Task<void> {
      yield* ex.lock.acquire('ha');
      expect(ex.try_run_async('promote', action)).toBeNull();
      expect(ex.try_run_async('restart', action)).toBe('Failed to run restart, promote is already in progress');
      yield* p.sleep(sToUs(1));
      log.push(`cycle end ${w.sim.nowUs / 1e6}`);
      ex.lock.release('ha');
    }
    p.spawn('cycle', cycle());
    w.run(sToUs(2));
    expect(log).toEqual(['cycle end 1', 'action start 1']);
    expect(ex.busy).toBe(true);
    // a second cycle holds the lock while the action ends: it stays busy until that cycle is over
    function* cycle2(): Task<void> {
      yield* ex.lock.acquire('ha');
      yield* p.sleep(sToUs(5));
      log.push(`cycle2 busy=${ex.busy}`);
      ex.lock.release('ha');
    }
    p.spawn('cycle2', cycle2());
    w.run(sToUs(10));
    expect(log).toEqual(['cycle end 1', 'action start 1', 'action end 4', 'cycle2 busy=true']);
    expect(ex.busy).toBe(false);
    expect(wakeups).toBe(1);
  });

  it('cancel() stops the running action and frees the executor', () => {
    const w = new World({ seed: 'ae2' });
    const h = w.addHost({ name: 'n', domains: ['x'] });
    const p = new P(h, 'patroni');
    p.start();
    const ex = new AsyncExecutor(p, () => undefined);
    let finished = false;
    ex.try_run_async('reinitialize', function* () {
      yield* p.sleep(sToUs(60));
      finished = true;
      return true;
    });
    w.run(sToUs(1));
    expect(ex.busy).toBe(true);
    ex.cancel();
    expect(ex.busy).toBe(false);
    w.run(sToUs(120));
    expect(finished).toBe(false);
  });
});
