// A generated schedule as a scenario: the scenario's own file with its `faults` replaced by the
// schedule, the end of the chaos healing the core, and an `expect` block that fails while the
// property does. The text is what `haywire check` writes and what every exploration run loads, so
// a written counterexample replays exactly (same scenario, same seed, same trace hash).
//
// Safety then liveness (TigerBeetle's VOPR): during the chaos window faults come and go; at its end
// a core is healed — a DCS quorum and a majority of the database nodes (and every client host) — by
// ending every fault that touches it at that instant. Faults confined to hosts outside the core
// keep their own duration. Then the cluster must converge (src/explore/liveness.ts).
import { Document, isMap, isScalar, isSeq, visit } from 'yaml';
import { loadScenarioText, type Loaded } from '../scenarios/load.js';
import type { GeneratedAction, GeneratedFault, GeneratedSchedule, NetAction, Selector } from './arbitraries.js';
import { hostsOfName, type FaultSpace } from './space.js';
import { formatDuration } from '../scenarios/units.js';

export interface ScheduledEntry extends GeneratedFault {
  id: string;
  /** The heal of the core ended it at the end of the chaos (its duration was cut). */
  healedAtChaosEnd: boolean;
}

/** Hosts a selector names (null: a role, known only when the fault fires). */
function selectorHosts(space: FaultSpace, s: Selector): string[] | null {
  const out: string[] = [];
  for (const n of Array.isArray(s) ? s : [s]) {
    const hs = hostsOfName(space, n);
    if (hs === null) return null;
    out.push(...hs);
  }
  return out;
}

function netHosts(space: FaultSpace, a: NetAction): string[] | null {
  const all = (...xs: (Selector | undefined)[]): string[] | null => {
    const out: string[] = [];
    for (const x of xs) {
      if (x === undefined) continue;
      const h = selectorHosts(space, x);
      if (h === null) return null;
      out.push(...h);
    }
    return out;
  };
  switch (a.kind) {
    case 'isolate':
      return all(a.targets);
    case 'split':
      return all(...a.groups);
    case 'cut':
      return all(a.a, a.b);
    case 'one-way':
      return all(a.from, a.to);
    case 'bridge':
      return all(a.a, a.b, a.bridge);
    case 'ring':
      return [...space.hosts];
    case 'degrade':
      return a.b === undefined ? all(a.a) : all(a.a, a.b);
  }
}

/**
 * The hosts an action touches, as far as the schedule can tell before the run (null: it names a
 * role or the whole cluster, so it is treated as touching the core).
 */
export function touchedHosts(space: FaultSpace, a: GeneratedAction): string[] | null {
  switch (a.kind) {
    case 'flap':
      return netHosts(space, a.fault);
    case 'crash':
    case 'pause':
      return a.process.startsWith('@') ? null : [a.process.slice(0, a.process.lastIndexOf('/'))];
    case 'power-off':
    case 'reset':
    case 'clock-step':
    case 'clock-drift':
    case 'disk-stall':
      return selectorHosts(space, a.host);
    case 'replay-pause':
    case 'pg-start-fails':
    case 'patroni-stop':
      return selectorHosts(space, a.node);
    case 'dcs-outage':
    case 'switchover':
    case 'failover':
    case 'pause-cluster':
    case 'restart':
    case 'reinit':
      return null;
    default:
      return netHosts(space, a);
  }
}

/** The core that the end of the chaos heals: every host but the schedule's `outside` ones. */
export function coreOf(space: FaultSpace, schedule: GeneratedSchedule): { nodes: string[]; dcsHosts: string[]; hosts: string[] } {
  const out = new Set(schedule.outside);
  return {
    nodes: space.nodes.filter((n) => !out.has(n)),
    dcsHosts: space.dcsHosts.filter((h) => !out.has(h)),
    hosts: space.hosts.filter((h) => !out.has(h)),
  };
}

/**
 * The schedule as it runs: sorted by start (stable), ids f1..fn, and every fault that touches the
 * core and would outlast the chaos window cut to end with it.
 */
export function normalizeSchedule(space: FaultSpace, schedule: GeneratedSchedule): ScheduledEntry[] {
  const core = new Set(coreOf(space, schedule).hosts);
  const sorted = schedule.faults.map((f, i) => ({ f, i })).sort((x, y) => x.f.atMs - y.f.atMs || x.i - y.i);
  return sorted.map(({ f }, i) => {
    const e: ScheduledEntry = { ...f, id: `f${i + 1}`, healedAtChaosEnd: false };
    if (f.forMs !== undefined && f.atMs + f.forMs > space.chaosEndMs) {
      const touched = touchedHosts(space, f.action);
      if (touched === null || touched.some((h) => core.has(h))) {
        e.forMs = Math.max(1, space.chaosEndMs - f.atMs);
        e.healedAtChaosEnd = true;
      }
    }
    return e;
  });
}

/** A fault entry of the scenario format. */
export function faultEntry(e: ScheduledEntry): Record<string, unknown> {
  const entry: Record<string, unknown> = { at: formatDuration(e.atMs * 1000) };
  if (e.forMs !== undefined) entry.for = formatDuration(e.forMs * 1000);
  entry.id = e.id;
  Object.assign(entry, e.action);
  if (e.healedAtChaosEnd) entry.note = 'cut at the end of the chaos window: the core is healed';
  return entry;
}

/** What the written scenario expects (its `expect` block): the property, as expectations. */
export type ExpectBlock = Record<string, string | number>;

export interface ScheduleScenarioOptions {
  /** The run's seed (default: the scenario's). */
  seed?: string;
  expect?: ExpectBlock;
  /** Lines for the header comment. */
  header?: string[];
  /** Replace the scenario's name and description. */
  name?: string;
  description?: string;
}

/** The scenario file text of a schedule: the base scenario's data with faults, phases and expect replaced. */
export function scheduleScenarioText(base: Loaded | { data: Record<string, unknown>; seed: string }, space: FaultSpace, schedule: GeneratedSchedule, opts: ScheduleScenarioOptions = {}): string {
  const src = 'scenario' in base ? { data: base.source.data as Record<string, unknown>, seed: base.scenario.seed } : base;
  const data = structuredClone(src.data);
  const entries = normalizeSchedule(space, schedule).map(faultEntry);
  const phases = (data.phases !== null && typeof data.phases === 'object' ? { ...(data.phases as Record<string, unknown>) } : {}) as Record<string, unknown>;
  phases.heal = 'none';
  if (opts.name !== undefined) data.name = opts.name;
  if (opts.description !== undefined) data.description = opts.description;
  data.seed = opts.seed ?? src.seed;
  data.phases = phases;
  data.faults = entries;
  data.expect = opts.expect ?? {};
  const out: Record<string, unknown> = {};
  // a stable, readable key order: the scenario's own, then what the check adds
  for (const k of Object.keys(data)) out[k] = data[k];
  const header = (opts.header ?? []).map((l) => `# ${l}`.trimEnd()).join('\n');
  const body = scenarioYaml(out);
  return header === '' ? body : `${header}\n${body}`;
}

/** Load a schedule's scenario under the file name it will be written as. */
export function loadSchedule(base: Loaded, space: FaultSpace, schedule: GeneratedSchedule, file: string, opts: ScheduleScenarioOptions = {}): Loaded {
  return loadScenarioText(scheduleScenarioText(base, space, schedule, opts), file);
}

/** YAML for a scenario: short lists and every fault entry on one line, as the examples write them. */
export function scenarioYaml(data: Record<string, unknown>): string {
  const doc = new Document(data);
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((x) => isScalar(x)) && node.items.length <= 8) node.flow = true;
    },
    Map(_, node, path) {
      const parent = path[path.length - 1];
      const grand = path[path.length - 2];
      // faults[i] (a map in the seq under the top-level "faults" key) and latency overrides
      if (isSeq(parent) && grand !== undefined && !isSeq(grand) && !isMap(grand)) {
        const key = (grand as { key?: unknown }).key;
        if (isScalar(key) && (key.value === 'faults' || key.value === 'overrides' || key.value === 'members')) node.flow = true;
      }
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: true });
}
