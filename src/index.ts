// haywire as a library: `import { simulate, arbitraries } from 'haywire'`.
//
//   const scenario = loadScenario('my-cluster.yaml');
//   fc.assert(fc.property(arbitraries.faultSchedule(scenario), (schedule) => {
//     const run = simulate(scenario, { schedule });
//     return run.incidents.every((i) => i.severity !== 'critical') && run.liveness.ok;
//   }));
//
// A run is deterministic: the same scenario, seed and schedule give the same `traceHash`, and
// `scheduleScenario(scenario, schedule)` is the scenario file `haywire run` replays it from.
import * as fcArbitraries from './explore/arbitraries.js';
import { coreOf, normalizeSchedule, scheduleScenarioText } from './explore/schedule.js';
import { faultSpaceOf, type FaultSpace } from './explore/space.js';
import { coverageOf, type Coverage } from './explore/coverage.js';
import { judgeLiveness, type LivenessResult } from './explore/liveness.js';
import type { Incident } from './report/incident.js';
import type { RunResult } from './report/analyze.js';
import { loadScenarioFile, loadScenarioText, type Loaded, type LoadOptions } from './scenarios/load.js';
import { simulateScenario } from './scenarios/simulate.js';
import type { TraceRecord } from './sim/kernel/trace.js';
import { stringify } from 'yaml';
import type fc from 'fast-check';

export type { Loaded as LoadedScenario } from './scenarios/load.js';
export type { RunResult } from './report/analyze.js';
export type { Incident, IncidentKind, Severity } from './report/incident.js';
export type { LivenessResult } from './explore/liveness.js';
export type { Coverage } from './explore/coverage.js';
export type { FaultSpace } from './explore/space.js';
export type {
  GeneratedSchedule,
  GeneratedFault,
  GeneratedAction,
  GeneratedKind,
  ScheduleOptions,
  PatroniConfigSample,
  PatroniConfigOptions,
  TopologySample,
  TopologyOptions,
} from './explore/arbitraries.js';
export { check, type CheckOptions, type CheckReport } from './explore/check.js';
export { sweep, type SweepOptions, type SweepReport } from './sweep/sweep.js';
export { mergeReports } from './parallel/merge.js';
export { ScenarioInputError, ScenarioCannotRunError, formatDiagnostic } from './scenarios/errors.js';

/** A scenario given as a file path, YAML text (anything with a newline), plain data, or already loaded. */
export type ScenarioSource = string | Record<string, unknown> | Loaded;

function isLoaded(x: unknown): x is Loaded {
  return x !== null && typeof x === 'object' && 'scenario' in x && 'source' in x;
}

/** Load a scenario (validated; throws `ScenarioInputError` with positioned diagnostics). */
export function loadScenario(source: ScenarioSource, opts: LoadOptions & { file?: string } = {}): Loaded {
  if (isLoaded(source)) return opts.overrides ? loadScenarioText(stringify(source.source.data), source.scenario.file, opts) : source;
  if (typeof source === 'string') {
    return source.includes('\n') ? loadScenarioText(source, opts.file ?? 'scenario.yaml', opts) : loadScenarioFile(source, opts);
  }
  return loadScenarioText(stringify(source), opts.file ?? 'scenario.yaml', opts);
}

const spaces = new WeakMap<Loaded, FaultSpace>();

/** The fault space of a scenario (its hosts, domains, processes and chaos window); cached. */
export function faultSpace(scenario: Loaded): FaultSpace {
  let s = spaces.get(scenario);
  if (!s) {
    s = faultSpaceOf(scenario);
    spaces.set(scenario, s);
  }
  return s;
}

export interface SimulateOptions {
  /** Override the scenario's seed. */
  seed?: string | number;
  /** Replace the scenario's faults by a generated schedule (the end of the chaos heals its core). */
  schedule?: fcArbitraries.GeneratedSchedule;
  /** Keep every trace record and return them. */
  keepRecords?: boolean;
  /** Receives every trace record as it is emitted. */
  listener?: (rec: TraceRecord) => void;
}

export interface Simulation {
  result: RunResult;
  incidents: Incident[];
  /** The same scenario and seed give the same hash on every machine. */
  traceHash: string;
  /** Convergence after the heal (over the schedule's core with a schedule, else every node). */
  liveness: LivenessResult;
  /** With a schedule: what its faults hit, in which cluster states. */
  coverage?: Coverage;
  /** The scenario that ran (with a schedule: the generated one; `scenarioText` writes it). */
  scenario: Loaded;
  records?: TraceRecord[];
}

/** The scenario file of a schedule: `haywire run` on it reproduces `simulate(scenario, { schedule })`. */
export function scheduleScenario(scenario: ScenarioSource, schedule: fcArbitraries.GeneratedSchedule, opts: { seed?: string | number; file?: string } = {}): string {
  const base = loadScenario(scenario);
  return scheduleScenarioText(base, faultSpace(base), schedule, opts.seed !== undefined ? { seed: String(opts.seed) } : {});
}

/** Run a scenario (optionally with a generated fault schedule) and analyse it. */
export function simulate(scenario: ScenarioSource, opts: SimulateOptions = {}): Simulation {
  let loaded = loadScenario(scenario, opts.seed !== undefined && opts.schedule === undefined ? { overrides: { seed: String(opts.seed) } } : {});
  let coreNodes: string[] | undefined;
  let entries: ReturnType<typeof normalizeSchedule> | undefined;
  if (opts.schedule) {
    const base = loadScenario(scenario);
    const space = faultSpace(base);
    const text = scheduleScenarioText(base, space, opts.schedule, opts.seed !== undefined ? { seed: String(opts.seed) } : {});
    loaded = loadScenarioText(text, base.scenario.file);
    coreNodes = coreOf(space, opts.schedule).nodes;
    entries = normalizeSchedule(space, opts.schedule);
  }
  const sim = simulateScenario(loaded, { ...(opts.keepRecords ? { keepRecords: true } : {}), ...(opts.listener ? { listener: opts.listener } : {}) });
  const liveness = judgeLiveness(sim.analysis, coreNodes ? { coreNodes } : {});
  return {
    result: sim.analysis.result,
    incidents: sim.analysis.result.incidents,
    traceHash: sim.traceHash,
    liveness,
    ...(entries ? { coverage: coverageOf(sim.analysis, entries) } : {}),
    scenario: loaded,
    ...(sim.records ? { records: sim.records } : {}),
  };
}

/** fast-check arbitraries over a scenario's own fault space, and over configurations and topologies. */
export const arbitraries = {
  /** Fault schedules for the scenario's chaos window (fewer, shorter, earlier, simpler when shrunk). */
  faultSchedule(scenario: ScenarioSource, opts: fcArbitraries.ScheduleOptions = {}): fc.Arbitrary<fcArbitraries.GeneratedSchedule> {
    return fcArbitraries.scheduleArb(faultSpace(loadScenario(scenario)), opts);
  },
  /** One fault of the scenario's fault space. */
  fault(scenario: ScenarioSource, opts: fcArbitraries.ScheduleOptions = {}): fc.Arbitrary<fcArbitraries.GeneratedFault> {
    return fcArbitraries.faultArb(faultSpace(loadScenario(scenario)), opts);
  },
  /** Patroni dynamic configurations within its validator's bounds. */
  patroniConfig: fcArbitraries.patroniConfigArb,
  /** Topologies: nodes over datacentres with DCS members and cross-datacentre RTTs. */
  topology: fcArbitraries.topologyArb,
  /** Every fault kind a schedule may contain. */
  kinds: fcArbitraries.ALL_KINDS,
};
