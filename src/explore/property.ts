// What counts as a failure in an exploration (`haywire check --until ...`), and one run of a
// generated schedule judged against it: safety from the detectors' incidents, liveness from the
// convergence after the heal (src/explore/liveness.ts), coverage from the schedule and the history.
// A run is a pure function of its input (the scenario text, the file name it runs as, and the
// schedule's entries), so it can run in any thread and give the same result.
import type { Incident, IncidentKind } from '../report/incident.js';
import { loadScenarioText } from '../scenarios/load.js';
import { simulateScenario } from '../scenarios/simulate.js';
import { coverageOf, type Coverage } from './coverage.js';
import { judgeLiveness, type LivenessResult } from './liveness.js';
import type { ExpectBlock, ScheduledEntry } from './schedule.js';

export const UNTIL_TARGETS = [
  'safety',
  'liveness',
  'any',
  'split-brain',
  'lost-write',
  'divergence',
  'false-failover',
  'missed-failover',
  'undetected-partition',
] as const;
export type UntilTarget = (typeof UNTIL_TARGETS)[number];

export const UNTIL_HELP: Record<UntilTarget, string> = {
  safety: 'a critical incident: confirmed split-brain, lost acknowledged writes, unresolved divergence',
  liveness: 'no convergence within the budget after the heal, judged a misjudgment (legitimate stalls pass)',
  any: 'any warning or critical incident, or a liveness misjudgment',
  'split-brain': 'any split-brain (latent or confirmed)',
  'lost-write': 'an acknowledged write missing from the final history',
  divergence: 'any timeline divergence',
  'false-failover': 'a promotion while the old primary was healthy and reachable',
  'missed-failover': 'unavailability beyond the budget while a replica could have taken over',
  'undetected-partition': 'a partition nobody noticed',
};

/** Parse "safety,liveness" / ["split-brain", "lost-write"]; throws on an unknown target. */
export function parseUntil(input: string | readonly string[] | undefined): UntilTarget[] {
  const parts = (typeof input === 'string' ? input.split(',') : (input ?? ['safety', 'liveness'])).map((s) => s.trim()).filter((s) => s !== '');
  const out: UntilTarget[] = [];
  for (const p of parts) {
    if (!(UNTIL_TARGETS as readonly string[]).includes(p)) throw new Error(`unknown --until target "${p}"; one of ${UNTIL_TARGETS.join(', ')}`);
    if (!out.includes(p as UntilTarget)) out.push(p as UntilTarget);
  }
  if (out.length === 0) throw new Error('--until names no target');
  return out;
}

/** The `expect` block of a written counterexample: it fails while the property fails. */
export function expectFor(until: readonly UntilTarget[]): ExpectBlock {
  const e: ExpectBlock = {};
  for (const u of until) {
    switch (u) {
      case 'safety':
        e.confirmedSplitBrains = 0;
        e.lostWrites = 0;
        break;
      case 'any':
        e.incidents = 0;
        break;
      case 'split-brain':
        e.splitBrains = 0;
        break;
      case 'lost-write':
        e.lostWrites = 0;
        break;
      case 'divergence':
        e.divergences = 0;
        break;
      case 'false-failover':
        e.falseFailovers = 0;
        break;
      case 'missed-failover':
        e.missedFailovers = 0;
        break;
      case 'undetected-partition':
        e.undetectedPartitions = 0;
        break;
      case 'liveness':
        break;
    }
  }
  return e;
}

/** "41.2 s" (ms precision, no float noise). */
function secs(ms: number): string {
  return `${(Math.round(ms) / 1000).toString()} s`;
}

const KIND_OF: Partial<Record<UntilTarget, IncidentKind>> = {
  'split-brain': 'split-brain',
  'lost-write': 'lost-write',
  divergence: 'divergence',
  'false-failover': 'false-failover',
  'undetected-partition': 'undetected-partition',
};

/** Why a run fails the property (empty: it holds). */
export function failures(until: readonly UntilTarget[], incidents: readonly Incident[], liveness: LivenessResult): string[] {
  const out: string[] = [];
  const add = (s: string): void => {
    if (!out.includes(s)) out.push(s);
  };
  const livenessFails = !liveness.ok && liveness.stall?.verdict === 'misjudgment';
  for (const u of until) {
    if (u === 'liveness' || u === 'any') {
      if (livenessFails) add(`liveness: not converged ${secs(liveness.budgetMs)} after the heal (${(liveness.stall?.problems ?? []).join('; ')})`);
    }
    for (const i of incidents) {
      const hit =
        (u === 'safety' && i.severity === 'critical') ||
        (u === 'any' && i.severity !== 'info') ||
        (u === 'missed-failover' && i.kind === 'missed-failover' && i.details.verdict !== 'legitimate') ||
        KIND_OF[u] === i.kind;
      if (hit) add(`${i.kind} at ${secs(i.startMs)}`);
    }
  }
  return out;
}

/** One incident, as a check reports it. */
export interface IncidentBrief {
  kind: IncidentKind;
  severity: Incident['severity'];
  startMs: number;
  explanation: string;
}

export interface ScheduleJob {
  kind: 'schedule';
  /** Index of the schedule in the check's sequence. */
  index: number;
  /** The scenario text (src/explore/schedule.ts scheduleScenarioText). */
  text: string;
  /** The file name it runs as (the trace hash includes it). */
  file: string;
  entries: ScheduledEntry[];
  coreNodes: string[];
  until: UntilTarget[];
  /** Convergence budget after the heal (default: converge window − settle). */
  budgetMs?: number;
}

export interface ScheduleRunResult {
  index: number;
  traceHash: string;
  failed: boolean;
  reasons: string[];
  incidents: IncidentBrief[];
  liveness: LivenessResult;
  coverage: Coverage;
  events: number;
  virtualMs: number;
}

/** The reason a run fails when the simulator itself throws: always a failure, whatever --until says. */
export const CRASH_PREFIX = 'haywire crashed: ';

export function runScheduleJob(job: ScheduleJob): ScheduleRunResult {
  const loaded = loadScenarioText(job.text, job.file);
  let sim: ReturnType<typeof simulateScenario>;
  try {
    sim = simulateScenario(loaded);
  } catch (e) {
    // a bug in haywire (a model that throws): worth shrinking like any other failure
    const err = e as Error;
    return {
      index: job.index,
      traceHash: '',
      failed: true,
      reasons: [`${CRASH_PREFIX}${err.message}`],
      incidents: [],
      liveness: { ok: false, converged: false, healMs: 0, budgetMs: 0, convergedAtMs: null, recoveryMs: null, primary: null, coreNodes: job.coreNodes },
      coverage: { runs: 1, faults: job.entries.length, skipped: 0, cells: {} },
      events: 0,
      virtualMs: loaded.scenario.phases.endUs / 1000,
    };
  }
  const a = sim.analysis;
  const liveness = judgeLiveness(a, { coreNodes: job.coreNodes, ...(job.budgetMs !== undefined ? { budgetUs: job.budgetMs * 1000 } : {}) });
  const reasons = failures(job.until, a.result.incidents, liveness);
  return {
    index: job.index,
    traceHash: sim.traceHash,
    failed: reasons.length > 0,
    reasons,
    incidents: a.result.incidents.map((i) => ({ kind: i.kind, severity: i.severity, startMs: i.startMs, explanation: i.explanation })),
    liveness,
    coverage: coverageOf(a, job.entries),
    events: sim.built.world.sim.eventsRun,
    virtualMs: loaded.scenario.phases.endUs / 1000,
  };
}
