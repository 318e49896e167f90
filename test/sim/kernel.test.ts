import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Sim } from '../../src/sim/kernel/sim.js';
import { EventHeap } from '../../src/sim/kernel/heap.js';
import { RngRegistry } from '../../src/sim/kernel/rng.js';
import { Deferred } from '../../src/sim/kernel/task.js';
import { Shell, smallWorld } from '../helpers/world.js';

describe('event queue', () => {
  it('orders by time, then by insertion sequence', () => {
    const sim = new Sim({ seed: 's' });
    const order: string[] = [];
    sim.schedule(20, () => order.push('c'));
    sim.schedule(10, () => order.push('a'));
    sim.schedule(10, () => order.push('b'));
    sim.schedule(0, () => {
      order.push('now');
      sim.schedule(10, () => order.push('d')); // same time as a,b but scheduled later
    });
    sim.run();
    expect(order).toEqual(['now', 'a', 'b', 'd', 'c']);
    expect(sim.nowUs).toBe(20);
  });

  it('skips cancelled timers and stops at the horizon', () => {
    const sim = new Sim({ seed: 's' });
    const fired: number[] = [];
    const t = sim.schedule(5, () => fired.push(5));
    sim.schedule(7, () => fired.push(7));
    sim.schedule(50, () => fired.push(50));
    t.cancel();
    sim.run(10);
    expect(fired).toEqual([7]);
    expect(sim.nowUs).toBe(10);
    sim.run();
    expect(fired).toEqual([7, 50]);
  });

  it('heap pops any insertion order sorted by (time, seq)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 200 }), (times) => {
        const h = new EventHeap<{ timeUs: number; seq: number }>();
        times.forEach((t, i) => h.push({ timeUs: t, seq: i }));
        const out: { timeUs: number; seq: number }[] = [];
        for (let e = h.pop(); e; e = h.pop()) out.push(e);
        const sorted = times.map((t, i) => ({ timeUs: t, seq: i })).sort((a, b) => a.timeUs - b.timeUs || a.seq - b.seq);
        expect(out).toEqual(sorted);
      }),
    );
  });
});

describe('random streams', () => {
  it('depend only on (seed, name): adding a stream does not change another', () => {
    const a = new RngRegistry('seed-1');
    const xs = [a.stream('x').next(), a.stream('x').next()];
    const b = new RngRegistry('seed-1');
    b.stream('y').next();
    b.stream('z').next();
    const ys = [b.stream('x').next(), b.stream('x').next()];
    expect(ys).toEqual(xs);
    const c = new RngRegistry('seed-2');
    expect(c.stream('x').next()).not.toBe(xs[0]);
  });
});

describe('tasks', () => {
  it('run blocking-style code over virtual time', () => {
    const w = smallWorld();
    const p = new Shell(w.net.host('a1'), 'shell');
    p.start();
    const log: string[] = [];
    const gate = new Deferred<number>();
    p.spawn(
      'worker',
      (function* () {
        log.push(`start ${w.sim.nowUs}`);
        yield* p.sleep(1000);
        log.push(`slept ${w.sim.nowUs}`);
        const v = yield* gate.wait();
        log.push(`got ${v} at ${w.sim.nowUs}`);
        return v;
      })(),
    );
    w.sim.schedule(5000, () => gate.resolve(42));
    w.run(10_000);
    expect(log).toEqual(['start 0', 'slept 1000', 'got 42 at 5000']);
  });

  it('a failing task nobody waits for is a simulator bug that stops the run', () => {
    const w = smallWorld();
    const p = new Shell(w.net.host('a1'), 'shell');
    p.start();
    p.spawn(
      'boom',
      (function* () {
        yield* p.sleep(10);
        throw new Error('kaboom');
      })(),
    );
    expect(() => w.run(100)).toThrow(/kaboom/);
    expect(w.sim.trace.records().some((r) => r.k === 'sim.bug')).toBe(true);
  });
});
