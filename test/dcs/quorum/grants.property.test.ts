// The quorum stores never grant the leader key to two holders whose leases overlap in true time,
// whatever the partitions, pauses and clock faults (fast-check over fault schedules).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { grantOverlaps, grantsFrom } from '../../../src/sim/dcs/grants.js';
import type { DcsBackendDefinition } from '../../../src/sim/dcs/backend.js';
import type { FaultAction } from '../../../src/sim/faults/nemesis.js';
import { QUORUM_BACKENDS } from './backends.js';
import { patroniLoop, quorumWorld, run } from './helpers.js';

const DCS = ['dcs1', 'dcs2', 'dcs3'];
const PG = ['pg1', 'pg2', 'pg3'];
const ALL = [...DCS, ...PG];

const faultArb: fc.Arbitrary<{ atS: number; forS: number; action: FaultAction }> = fc.record({
  atS: fc.integer({ min: 5, max: 110 }),
  forS: fc.integer({ min: 1, max: 40 }),
  action: fc.oneof(
    fc.subarray(ALL, { minLength: 1, maxLength: 3 }).map((t): FaultAction => ({ kind: 'isolate', targets: t })),
    fc.tuple(fc.subarray(ALL, { minLength: 1, maxLength: 5 })).map(([g]): FaultAction => ({ kind: 'split', groups: [g] })),
    fc.constantFrom(...DCS).map((h): FaultAction => ({ kind: 'pause', process: `${h}/${h}` })),
    fc.constantFrom(...DCS).map((h): FaultAction => ({ kind: 'crash', process: `${h}/${h}` })),
    fc.constantFrom(...PG).map((h): FaultAction => ({ kind: 'pause', process: `${h}/patroni` })),
    fc.tuple(fc.constantFrom(...ALL), fc.integer({ min: -20_000, max: 20_000 })).map(([h, ms]): FaultAction => ({ kind: 'clock-step', host: h, deltaUs: ms * 1000 })),
    fc.tuple(fc.constantFrom(...ALL), fc.integer({ min: -500, max: 500 })).map(([h, ppm]): FaultAction => ({ kind: 'clock-drift', host: h, ppm })),
  ),
});

function check(backend: DcsBackendDefinition, seed: number, faults: { atS: number; forS: number; action: FaultAction }[]): void {
  const q = quorumWorld(backend, { seed: `prop-${seed}` });
  q.clients.forEach((c, i) => run(q.patroni[i]!, 'loop', patroniLoop(c)));
  q.world.nemesis.schedule(faults.map((f, i) => ({ atUs: f.atS * 1e6, durationUs: f.forS * 1e6, action: f.action, id: `p${i}` })));
  q.world.run(180_000_000);
  const grants = grantsFrom(q.world.sim.trace.records());
  expect(grants.length).toBeGreaterThan(0);
  expect(grantOverlaps(grants)).toEqual([]);
}

describe('quorum stores: no two overlapping grants of the leader key', () => {
  for (const backend of QUORUM_BACKENDS) {
    it(`${backend.kind}`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.array(faultArb, { minLength: 1, maxLength: 8 }), (seed, faults) => check(backend, seed, faults)),
        { numRuns: 40 },
      );
    });
  }
});
