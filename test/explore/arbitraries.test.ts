// The fault-schedule, configuration and topology arbitraries: every value is a valid scenario
// inside the scenario's own fault space, and fast-check's shrinking goes toward fewer faults,
// earlier times, shorter durations and simpler targets.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  ALL_KINDS,
  faultArb,
  patroniConfigArb,
  scheduleArb,
  supportedKinds,
  topologyArb,
  type GeneratedAction,
  type GeneratedSchedule,
} from '../../src/explore/arbitraries.js';
import { normalizeSchedule, scheduleScenarioText, touchedHosts } from '../../src/explore/schedule.js';
import { faultSpaceOf } from '../../src/explore/space.js';
import { checkBuildable } from '../../src/scenarios/build.js';
import { loadScenarioFile, loadScenarioText } from '../../src/scenarios/load.js';
import { cloneConfig, validateAndAdjustTimeouts, type DynamicConfig } from '../../src/sim/patroni/config.js';

const base = loadScenarioFile('test/explore/fixtures/unsafe-async.yaml');
const space = faultSpaceOf(base);
const multi = loadScenarioFile('scenarios/examples/etcd-dc-partition.yaml');
const multiSpace = faultSpaceOf(multi);

/** Every host or domain name a generated action names. */
function names(a: GeneratedAction): string[] {
  const out: string[] = [];
  const walk = (v: unknown, key: string): void => {
    if (typeof v === 'string' && ['targets', 'a', 'b', 'from', 'to', 'bridge', 'groups', 'host', 'node', 'candidate'].includes(key)) out.push(v);
    else if (typeof v === 'string' && key === 'process') out.push(v.slice(0, v.lastIndexOf('/')));
    else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k === 'kind' ? '' : k);
  };
  walk(a, '');
  return out;
}

describe('fault space', () => {
  it('is read from the scenario and its dry build', () => {
    expect(space.nodes).toEqual(['pg1', 'pg2', 'pg3']);
    expect(space.dcsHosts).toHaveLength(3);
    expect(space.dcsProcesses.every((p) => /^[\w-]+\/[\w-]+$/.test(p))).toBe(true);
    expect(space.nodeProcesses).toEqual(['patroni', 'postgres']);
    expect(space.chaosStartMs).toBe(20_000);
    expect(space.chaosEndMs).toBe(60_000);
    expect([space.ttlS, space.loopWaitS, space.retryTimeoutS]).toEqual([20, 5, 5]);
    // the datacentres of a multi-DC scenario are targets; a domain naming every host is not
    expect(multiSpace.domains).toEqual(expect.arrayContaining(['dc1', 'dc2', 'dc3']));
    expect(multiSpace.domains).not.toContain('eu');
    expect(multiSpace.synchronous).toBe(true);
  });
});

describe('scheduleArb', () => {
  it('draws schedules that are valid scenarios, inside the chaos window, naming only what the scenario has', () => {
    const known = new Set([...multiSpace.hosts, ...multiSpace.domains, '@primary', '@replicas', '@sync']);
    fc.assert(
      fc.property(scheduleArb(multiSpace), (s) => {
        const text = scheduleScenarioText(multi, multiSpace, s);
        const loaded = loadScenarioText(text, 'gen.yaml');
        expect(loaded.scenario.phases.heal).toBe('none');
        expect(loaded.scenario.faults).toHaveLength(s.faults.length);
        for (const f of s.faults) {
          expect(f.atMs).toBeGreaterThanOrEqual(multiSpace.chaosStartMs);
          expect(f.atMs).toBeLessThan(multiSpace.chaosEndMs);
          for (const n of names(f.action)) expect(known.has(n) || multiSpace.clusters[0]?.nodes.includes(n)).toBe(true);
        }
        // at most a minority of nodes and of DCS hosts stay out of the final heal
        expect(s.outside.filter((h) => multiSpace.nodes.includes(h)).length * 2).toBeLessThan(multiSpace.nodes.length);
        expect(s.outside.filter((h) => multiSpace.dcsHosts.includes(h)).length * 2).toBeLessThan(multiSpace.dcsHosts.length);
      }),
      { numRuns: 40 },
    );
  });

  it('draws every kind the scenario supports', () => {
    const seen = new Set(fc.sample(faultArb(multiSpace), { seed: 5, numRuns: 600 }).map((f) => f.action.kind));
    expect([...seen].sort()).toEqual([...supportedKinds(multiSpace)].sort());
    expect(supportedKinds(multiSpace).length).toBe(ALL_KINDS.length);
  });

  it('shrinks an always-failing property to one fault at the start of the chaos, as short as allowed, on @primary', () => {
    const out = fc.check(fc.property(scheduleArb(space), () => false), { seed: 42 });
    const s = out.counterexample?.[0] as GeneratedSchedule;
    expect(s.faults).toHaveLength(1);
    expect(s.outside).toEqual([]);
    const f = s.faults[0];
    expect(f?.atMs).toBe(space.chaosStartMs);
    expect(f?.forMs).toBe(1000);
    expect(f?.action).toEqual({ kind: 'isolate', targets: '@primary' });
  });

  it('shrinks to the ingredient that matters: the one long pause, its shortest failing length, earliest', () => {
    // fails when the primary's Patroni is paused for longer than 12 s (a stand-in for "longer than ttl")
    const longPause = (s: GeneratedSchedule): boolean => s.faults.some((f) => f.action.kind === 'pause' && (f.forMs ?? 0) > 12_000);
    const out = fc.check(fc.property(scheduleArb(space, { kinds: ['isolate', 'pause', 'crash', 'degrade'] }), (s) => !longPause(s)), { seed: 3, numRuns: 500 });
    expect(out.failed).toBe(true);
    const s = out.counterexample?.[0] as GeneratedSchedule;
    expect(s.faults).toHaveLength(1);
    expect(s.faults[0]).toEqual({ atMs: space.chaosStartMs, forMs: 12_001, action: { kind: 'pause', process: '@primary/patroni' } });
  });
});

describe('the heal of the core', () => {
  const sched = (outside: string[], action: GeneratedAction): GeneratedSchedule => ({ outside, faults: [{ atMs: 50_000, forMs: 30_000, action }] });

  it('cuts faults that touch the core at the end of the chaos, and leaves those outside it running', () => {
    const core = normalizeSchedule(space, sched(['pg3'], { kind: 'pause', process: 'pg2/patroni' }));
    expect(core[0]).toMatchObject({ forMs: 10_000, healedAtChaosEnd: true });
    const outside = normalizeSchedule(space, sched(['pg3'], { kind: 'pause', process: 'pg3/patroni' }));
    expect(outside[0]).toMatchObject({ forMs: 30_000, healedAtChaosEnd: false });
    // roles are only known when the fault fires: treated as touching the core
    expect(touchedHosts(space, { kind: 'isolate', targets: '@primary' })).toBeNull();
    const role = normalizeSchedule(space, sched(['pg3'], { kind: 'isolate', targets: '@replicas' }));
    expect(role[0]?.healedAtChaosEnd).toBe(true);
  });

  it('orders faults by start and names them f1..fn', () => {
    const s: GeneratedSchedule = {
      outside: [],
      faults: [
        { atMs: 40_000, forMs: 1000, action: { kind: 'isolate', targets: 'pg1' } },
        { atMs: 30_000, forMs: 1000, action: { kind: 'isolate', targets: 'pg2' } },
      ],
    };
    expect(normalizeSchedule(space, s).map((e) => [e.id, e.atMs])).toEqual([
      ['f1', 30_000],
      ['f2', 40_000],
    ]);
  });
});

describe('patroniConfigArb', () => {
  it('draws configurations Patroni accepts without adjusting them', () => {
    fc.assert(
      fc.property(patroniConfigArb(), (c) => {
        const cfg = cloneConfig(c as unknown as DynamicConfig);
        const warnings = validateAndAdjustTimeouts(cfg);
        expect([cfg.ttl, cfg.loop_wait, cfg.retry_timeout]).toEqual([c.ttl, c.loop_wait, c.retry_timeout]);
        expect(c.loop_wait + 2 * c.retry_timeout).toBeLessThanOrEqual(c.ttl);
        expect(warnings).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('draws configurations the scenario format validates', () => {
    fc.assert(
      fc.property(patroniConfigArb(), (c) => {
        const { watchdog, ...dynamic } = c;
        const text = stringify({ covers: ['D1'], dcs: { backend: 'etcd' }, patroni: { ...dynamic, watchdog, nodes: 3 } });
        const l = loadScenarioText(text, 'cfg.yaml');
        expect(l.scenario.clusters[0]?.dynamic.ttl).toBe(c.ttl);
      }),
      { numRuns: 30 },
    );
  });
});

describe('topologyArb', () => {
  it('draws topologies that validate and build', () => {
    fc.assert(
      fc.property(topologyArb(), (t) => {
        const text = stringify({
          covers: ['W4'],
          topology: { hosts: t.hosts, latency: { overrides: t.overrides } },
          dcs: { backend: 'etcd', members: t.dcsMembers },
          patroni: { nodes: t.nodes },
        });
        const l = loadScenarioText(text, 'topo.yaml');
        expect(l.scenario.clusters[0]?.nodes.map((n) => n.name)).toEqual(t.nodes);
        checkBuildable(l.scenario);
      }),
      { numRuns: 15 },
    );
  });
});
