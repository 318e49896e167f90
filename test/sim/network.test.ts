import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Feed, HOSTS, Recorder, Shell, smallWorld } from '../helpers/world.js';
import type { NetFault } from '../../src/sim/net/faults.js';
import type { World } from '../../src/sim/world.js';
import { NetError, type StreamEnd } from '../../src/sim/net/network.js';

// Domain membership of the small world, for the reference model.
const DOMAINS: Record<string, string[]> = {
  a1: ['eu', 'dc1', 'room1', 'r1'],
  a2: ['eu', 'dc1', 'room1', 'r2'],
  b1: ['eu', 'dc2', 'room2', 'r3'],
  b2: ['eu', 'dc2', 'room2', 'r4'],
  c1: ['us', 'dc3', 'room3', 'r5'],
};
const NAMES = [...HOSTS, 'eu', 'us', 'dc1', 'dc2', 'dc3', 'room1', 'r1', 'r4'];

function members(sel: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const s of sel) for (const h of HOSTS) if (h === s || (DOMAINS[h] as string[]).includes(s)) out.add(h);
  return out;
}

/** Reference semantics, written independently of src/sim/net/faults.ts: can `a` send to `b`? */
function refAllows(f: NetFault, a: string, b: string): boolean {
  if (a === b) return true;
  switch (f.kind) {
    case 'isolate': {
      const t = members(f.targets);
      return t.has(a) === t.has(b);
    }
    case 'split': {
      const g = (h: string): number => {
        const i = f.groups.findIndex((grp) => members(grp).has(h));
        return i >= 0 ? i : f.rest === 'connected' ? -1 : f.groups.length;
      };
      const ga = g(a);
      const gb = g(b);
      return ga === -1 || gb === -1 || ga === gb;
    }
    case 'cut': {
      const A = members(f.a);
      const B = members(f.b);
      return !((A.has(a) && B.has(b)) || (B.has(a) && A.has(b)));
    }
    case 'one-way':
      return !(members(f.from).has(a) && members(f.to).has(b));
    case 'bridge': {
      const br = members(f.bridge);
      if (br.has(a) || br.has(b)) return true;
      const A = members(f.a);
      const B = members(f.b);
      return !((A.has(a) && B.has(b)) || (B.has(a) && A.has(b)));
    }
    case 'ring': {
      // 5 hosts in host order: majority 3, each sees itself and one neighbour each side
      const i = HOSTS.indexOf(a as (typeof HOSTS)[number]);
      const j = HOSTS.indexOf(b as (typeof HOSTS)[number]);
      const d = Math.min(Math.abs(i - j), 5 - Math.abs(i - j));
      return d <= 1;
    }
    case 'degrade':
      return true;
  }
}

const sel = fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 });
const faultArb: fc.Arbitrary<NetFault> = fc.oneof(
  sel.map((targets) => ({ kind: 'isolate', targets }) as NetFault),
  fc
    .record({ groups: fc.array(sel, { minLength: 1, maxLength: 3 }), rest: fc.constantFrom('group', 'connected') })
    .map((r) => ({ kind: 'split', groups: r.groups, rest: r.rest }) as NetFault),
  fc.record({ a: sel, b: sel }).map((r) => ({ kind: 'cut', a: r.a, b: r.b }) as NetFault),
  fc.record({ from: sel, to: sel }).map((r) => ({ kind: 'one-way', from: r.from, to: r.to }) as NetFault),
  fc.record({ a: sel, b: sel, bridge: sel }).map((r) => ({ kind: 'bridge', ...r }) as NetFault),
  fc.constant({ kind: 'ring' } as NetFault),
);

/** Send one datagram on every ordered pair; return the set of "a>b" that arrived. */
function probeAll(w: World): Set<string> {
  const got = new Set<string>();
  for (const a of HOSTS) {
    for (const b of HOSTS) {
      if (a === b) continue;
      w.net.sendDatagram(w.net.host(a), w.net.host(b), 'probe', 0, () => got.add(`${a}>${b}`));
    }
  }
  w.run(w.sim.nowUs + 2_000_000);
  return got;
}

describe('partitions', () => {
  it('every shape delivers and drops exactly the messages it should (also overlapping, then healed)', () => {
    fc.assert(
      fc.property(fc.array(faultArb, { minLength: 1, maxLength: 3 }), (faults) => {
        const w = smallWorld('p', { keep: false, messages: false });
        faults.forEach((f, i) => w.net.applyFault(`f${i}`, f));
        const got = probeAll(w);
        for (const a of HOSTS) {
          for (const b of HOSTS) {
            if (a === b) continue;
            const expected = faults.every((f) => refAllows(f, a, b));
            expect(got.has(`${a}>${b}`), `${a}>${b} under ${JSON.stringify(faults)}`).toBe(expected);
            expect(w.net.canReach(w.net.host(a), w.net.host(b))).toBe(expected);
          }
        }
        // healing every fault restores full connectivity
        faults.forEach((_, i) => w.net.healFault(`f${i}`));
        expect(probeAll(w).size).toBe(HOSTS.length * (HOSTS.length - 1));
      }),
    );
  });

  it('one-way: b stops hearing a while a still hears b', () => {
    const w = smallWorld();
    w.net.applyFault('x', { kind: 'one-way', from: ['a1'], to: ['b1'] });
    const got = probeAll(w);
    expect(got.has('a1>b1')).toBe(false);
    expect(got.has('b1>a1')).toBe(true);
  });

  it('bridge: the two halves cannot talk, the bridge host talks to both', () => {
    const w = smallWorld();
    w.net.applyFault('x', { kind: 'bridge', a: ['dc1'], b: ['dc2', 'dc3'], bridge: ['b1'] });
    const got = probeAll(w);
    expect(got.has('a1>b2')).toBe(false);
    expect(got.has('b2>a1')).toBe(false);
    expect(got.has('a1>c1')).toBe(false);
    expect(got.has('a1>b1') && got.has('b1>a1') && got.has('b1>c1') && got.has('c1>b1')).toBe(true);
  });

  it('faults can name failure domains: cut dc2 from dc1 leaves dc3 connected to both', () => {
    const w = smallWorld();
    w.net.applyFault('x', { kind: 'cut', a: ['dc2'], b: ['dc1'] });
    const got = probeAll(w);
    expect(got.has('a1>b1') || got.has('b2>a2')).toBe(false);
    expect(got.has('a1>c1') && got.has('b1>c1') && got.has('a1>a2')).toBe(true);
  });
});

describe('latency by failure-domain distance', () => {
  it('follows the defaults: rack < DC < cross-DC < cross-continent', () => {
    const w = smallWorld();
    const rtt = (a: string, b: string): number => w.net.baseRttUs(w.net.host(a), w.net.host(b)) / 1000;
    expect(rtt('a1', 'a2')).toBeGreaterThanOrEqual(0.08); // same room, different rack
    expect(rtt('a1', 'a2')).toBeLessThanOrEqual(0.3);
    expect(rtt('a1', 'b1')).toBeGreaterThanOrEqual(2); // cross-DC
    expect(rtt('a1', 'b1')).toBeLessThanOrEqual(40);
    expect(rtt('a1', 'c1')).toBeGreaterThanOrEqual(80); // cross-continent
    expect(rtt('a1', 'c1')).toBeLessThanOrEqual(300);
    expect(rtt('a1', 'b1')).toBe(rtt('b1', 'a1'));
  });

  it('overrides per pair of domains replace the class', () => {
    const { World } = w0;
    const w = new World({ seed: 's', network: { overrides: [{ between: ['dc1', 'dc2'], rttMs: 7 }] } });
    w.addHost({ name: 'x', domains: ['eu', 'dc1'] });
    w.addHost({ name: 'y', domains: ['eu', 'dc2'] });
    expect(w.net.baseRttUs(w.net.host('x'), w.net.host('y'))).toBe(7000);
  });
});

describe('streams', () => {
  function setup(): { w: World; server: Recorder; client: Shell; end: () => StreamEnd<{ n: number }, { ack: number }> } {
    const w = smallWorld();
    const server = new Recorder(w.net.host('b1'), 'srv');
    const client = new Shell(w.net.host('a1'), 'cli');
    server.start();
    client.start();
    let e: StreamEnd<{ n: number }, { ack: number }> | null = null;
    client.spawn(
      'connect',
      (function* () {
        e = yield* client.net.connect(client, server, Feed, 1_000_000);
      })(),
    );
    w.run(1_000_000);
    return {
      w,
      server,
      client,
      end: () => {
        if (!e) throw new Error('not connected');
        return e;
      },
    };
  }

  it('keep order, and a partition shorter than TCP retries delays but loses nothing', () => {
    const { w, server, end } = setup();
    w.net.applyFault('p', { kind: 'isolate', targets: ['b1'] });
    for (let i = 0; i < 20; i++) w.sim.schedule(i * 100_000, () => end().send({ n: i }));
    w.run(w.sim.nowUs + 5_000_000);
    expect(server.received).toEqual([]);
    w.net.healFault('p');
    w.run(w.sim.nowUs + 20_000_000);
    expect(server.received.map((r) => r.n)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('a process exit is seen as EOF; a power loss is silent', () => {
    const a = setup();
    let closed: string | null = null;
    a.end().onClose((r) => (closed = r));
    a.server.crash();
    a.w.run(a.w.sim.nowUs + 1_000_000);
    expect(closed).toBe('eof');

    const b = setup();
    let closedB: string | null = null;
    b.end().onClose((r) => (closedB = r));
    b.w.net.host('b1').powerOff();
    b.w.run(b.w.sim.nowUs + 10_000_000);
    expect(closedB).toBe(null);
    expect(b.end().send({ n: 1 })).toBe(true); // the sender does not know
  });

  it('after the peer host reboots, the next segment is answered with a reset', () => {
    const { w, end } = setup();
    let closed: string | null = null;
    end().onClose((r) => (closed = r));
    w.net.host('b1').reset('test');
    w.run(w.sim.nowUs + 5_000_000);
    expect(closed).toBe(null);
    end().send({ n: 1 });
    w.run(w.sim.nowUs + 5_000_000);
    expect(closed).toBe('reset');
  });

  it('connecting through a partition times out', () => {
    const w = smallWorld();
    const server = new Recorder(w.net.host('b1'), 'srv');
    const client = new Shell(w.net.host('a1'), 'cli');
    server.start();
    client.start();
    w.net.applyFault('p', { kind: 'cut', a: ['a1'], b: ['b1'] });
    let err = '';
    client.spawn(
      'c',
      (function* () {
        try {
          yield* client.net.connect(client, server, Feed, 500_000);
        } catch (e) {
          err = e instanceof NetError ? e.code : String(e);
        }
      })(),
    );
    w.run(2_000_000);
    expect(err).toBe('timeout');
  });
});

import * as w0 from '../../src/sim/world.js';
