import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Recorder, Shell, smallWorld, Echo } from '../helpers/world.js';
import { NetError } from '../../src/sim/net/network.js';

describe('processes', () => {
  it('a paused process handles nothing until resumed, then everything in order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }), // pause start (ms)
        fc.integer({ min: 1, max: 400 }), // pause length (ms)
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 30 }), // timer times (ms)
        (pauseAtMs, pauseLenMs, timesMs) => {
          const w = smallWorld();
          const p = new Shell(w.net.host('a1'), 'p');
          p.start();
          const fired: { i: number; atUs: number }[] = [];
          timesMs.forEach((t, i) => p.after(t * 1000, () => fired.push({ i, atUs: w.sim.nowUs })));
          const pauseFrom = pauseAtMs * 1000;
          const pauseTo = pauseFrom + pauseLenMs * 1000;
          w.sim.schedule(pauseFrom, () => p.pause());
          w.sim.schedule(pauseTo, () => p.resume());
          w.run(2_000_000);
          // nothing ran while paused
          for (const f of fired) expect(f.atUs <= pauseFrom || f.atUs >= pauseTo).toBe(true);
          // every timer ran exactly once, those due during the pause at the resume
          expect(fired.length).toBe(timesMs.length);
          for (const f of fired) {
            const due = (timesMs[f.i] as number) * 1000;
            if (due > pauseFrom && due < pauseTo) expect(f.atUs).toBe(pauseTo);
            else if (due !== pauseFrom && due !== pauseTo) expect(f.atUs).toBe(due);
          }
          // order of handling is the order of due times
          const dueOrder = fired.map((f) => timesMs[f.i] as number);
          expect([...dueOrder].sort((a, b) => a - b)).toEqual(dueOrder);
        },
      ),
    );
  });

  it('messages to a paused process wait; the caller times out meanwhile', () => {
    const w = smallWorld();
    const server = new Recorder(w.net.host('a2'), 'srv');
    const client = new Shell(w.net.host('a1'), 'cli');
    server.start();
    client.start();
    server.pause();
    let outcome = '';
    client.spawn(
      'call',
      (function* () {
        try {
          yield* client.net.call(client, server, Echo, { n: 1 }, { timeoutUs: 100_000 });
          outcome = 'ok';
        } catch (e) {
          outcome = e instanceof NetError ? e.code : 'other';
        }
      })(),
    );
    w.run(500_000);
    expect(outcome).toBe('timeout');
    expect(server.received).toEqual([]);
    w.sim.schedule(0, () => server.resume());
    w.run(600_000);
    // the request was queued by the kernel and handled on resume, long after the caller gave up
    expect(server.received.map((r) => r.n)).toEqual([1]);
    expect(server.received[0]?.atUs).toBe(500_000);
  });

  it('a crash loses timers and tasks; a restart begins a new life', () => {
    const w = smallWorld();
    const p = new Shell(w.net.host('a1'), 'p');
    p.start();
    const fired: string[] = [];
    p.after(100, () => fired.push('old timer'));
    p.spawn(
      't',
      (function* () {
        yield* p.sleep(200);
        fired.push('old task');
      })(),
    );
    w.sim.schedule(50, () => p.crash());
    w.sim.schedule(60, () => {
      p.start();
      p.after(100, () => fired.push('new timer'));
    });
    w.run(1000);
    expect(fired).toEqual(['new timer']);
    expect(p.running).toBe(true);
  });

  it('a connection to a process that is down is refused; to a powered-off host it times out', () => {
    const w = smallWorld();
    const server = new Recorder(w.net.host('a2'), 'srv');
    const client = new Shell(w.net.host('a1'), 'cli');
    client.start();
    const outcomes: string[] = [];
    const attempt = function* () {
      try {
        yield* client.net.call(client, server, Echo, { n: 1 }, { timeoutUs: 1_000_000 });
        outcomes.push('ok');
      } catch (e) {
        outcomes.push(e instanceof NetError ? e.code : String(e));
      }
    };
    client.spawn('1', attempt()); // server never started: refused
    w.run(2_000_000);
    w.net.host('a2').powerOff();
    client.spawn('2', attempt());
    w.run(4_000_000);
    expect(outcomes).toEqual(['refused', 'timeout']);
  });
});

describe('clocks', () => {
  it('offset and drift shift local timers and nothing else', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -3_600_000_000, max: 3_600_000_000 }), // offset µs
        fc.integer({ min: -500, max: 500 }), // drift ppm
        fc.integer({ min: 1, max: 60_000_000 }), // local timer µs
        (offsetUs, ppm, localUs) => {
          const w = smallWorld();
          const skewed = w.addHost({ name: 'x', domains: ['eu', 'dc1', 'room1', 'r1'], clockOffsetUs: offsetUs, clockDriftPpm: ppm });
          const plain = w.net.host('a1');
          const ps = new Shell(skewed, 'p');
          const pp = new Shell(plain, 'p');
          ps.start();
          pp.start();
          let firedSkewed = -1;
          let firedPlain = -1;
          ps.after(localUs, () => (firedSkewed = w.sim.nowUs));
          pp.after(localUs, () => (firedPlain = w.sim.nowUs));
          w.run(200_000_000);
          // drift: the local duration is measured by a clock running at (1 + ppm/1e6)
          expect(firedPlain).toBe(localUs);
          expect(Math.abs(firedSkewed - localUs / (1 + ppm / 1e6))).toBeLessThanOrEqual(1);
          // offset: the wall clock reads true time + offset + drift; monotonic has no offset
          const t = w.sim.nowUs;
          expect(skewed.clock.wallUs(t) - skewed.clock.monoUs(t)).toBe(offsetUs);
          expect(Math.abs(skewed.clock.monoUs(t) - t * (1 + ppm / 1e6))).toBeLessThan(1e-3 * t + 1);
          // and nothing else: the network and other hosts do not care
          expect(w.net.canReach(skewed, plain)).toBe(true);
          expect(plain.clock.wallUs(t)).toBe(t);
        },
      ),
    );
  });

  it('a wall-clock step moves wall time only', () => {
    const w = smallWorld();
    const h = w.net.host('a1');
    w.run(1_000_000);
    h.stepClock(-5_000_000);
    expect(h.clock.wallUs(w.sim.nowUs)).toBe(-4_000_000);
    expect(h.clock.monoUs(w.sim.nowUs)).toBe(1_000_000);
  });
});

describe('request/response', () => {
  it('a request the caller gave up on is still delivered and executed (the indeterminate outcome)', () => {
    const w = smallWorld();
    const server = new Recorder(w.net.host('b1'), 'srv');
    const client = new Shell(w.net.host('a1'), 'cli');
    server.start();
    client.start();
    // the path is cut while the request is in flight; the caller times out; the cut heals later
    w.net.applyFault('p', { kind: 'cut', a: ['a1'], b: ['b1'] });
    let outcome = '';
    client.spawn(
      'call',
      (function* () {
        try {
          yield* client.net.call(client, server, Echo, { n: 7 }, { timeoutUs: 1_000_000 });
          outcome = 'ok';
        } catch (e) {
          outcome = e instanceof NetError ? e.code : 'other';
        }
      })(),
    );
    w.run(2_000_000);
    expect(outcome).toBe('timeout');
    expect(server.received).toEqual([]);
    w.net.healFault('p');
    w.run(20_000_000);
    expect(server.received.map((r) => r.n)).toEqual([7]);
  });
});
