// `haywire check`: keep a scenario's cluster, draw fault schedules into its chaos window with
// fast-check, run them until the first one that fails the property (`--until`), shrink it with
// fast-check's own shrinker, and write the minimal schedule as a scenario file that `haywire run`
// reproduces exactly (same trace hash).
//
// Two phases, so the search can run on many threads or machines with the same result:
//  1. search: the schedules are `fc.sample(arb, { seed, numRuns })` — exactly the values
//     `fc.check` would try, in the same order — run as independent jobs (worker threads, or the
//     slice of a `--shard k/n`), stopping after the first failing index;
//  2. shrink: `fc.check` with the same seed and `path: "<index>"` replays that schedule and shrinks
//     it. The shrink is bounded by a number of runs (not by time), so it is deterministic too.
// The report keeps every run up to the first failure (later ones, run by other threads, are
// dropped), so it is the same JSON on one thread, on many, or merged from shards.
import { readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { loadScenarioFile, type Loaded } from '../scenarios/load.js';
import { simulateScenario } from '../scenarios/simulate.js';
import { runJobs } from '../parallel/pool.js';
import { inShard, type Shard } from '../parallel/shard.js';
import { scheduleArb, type GeneratedSchedule, type ScheduleOptions } from './arbitraries.js';
import { emptyCoverage, mergeCoverage, type Coverage } from './coverage.js';
import type { LivenessResult } from './liveness.js';
import { CRASH_PREFIX, expectFor, failures, runScheduleJob, type IncidentBrief, type ScheduleJob, type ScheduleRunResult, type UntilTarget } from './property.js';
import { coreOf, faultEntry, normalizeSchedule, scheduleScenarioText } from './schedule.js';
import { faultSpaceOf, type FaultSpace } from './space.js';
import { judgeLiveness } from './liveness.js';

export interface CheckOptions {
  /** Schedules to try (default 100). */
  runs?: number;
  /** fast-check seed (default: a random one, printed). */
  seed?: number;
  until?: UntilTarget[];
  schedule?: ScheduleOptions;
  /** Worker threads for the search (default 1). */
  workers?: number;
  shard?: Shard;
  /** Where the minimal scenario goes (the file name is part of the trace hash). */
  out: string;
  /** Shrink at most this many runs (default 200); 0: do not shrink. */
  shrinkRuns?: number;
  /** Convergence budget after the heal, ms (default: the converge window minus 2 × loop_wait). */
  budgetMs?: number;
  /**
   * Start from this fast-check path instead of searching ("12" or a shrunk "12:0:3", as a previous
   * check printed it): replay that schedule and shrink it.
   */
  path?: string;
  /** Progress (runs done, failure found...). */
  onProgress?: (e: CheckProgress) => void;
}

export type CheckProgress = { phase: 'search'; done: number; total: number } | { phase: 'shrink'; runs: number; failing: number };

/** One run of the search, as the report keeps it. */
export interface CheckRunBrief {
  index: number;
  traceHash: string;
  failed: boolean;
  reasons: string[];
  incidents: string[];
  liveness: { ok: boolean; recoveryMs: number | null; verdict?: 'legitimate' | 'misjudgment' };
  coverage: Coverage;
}

export interface CheckFailure {
  /** Index of the first failing schedule in the sequence. */
  index: number;
  /** fast-check's path of the minimal counterexample (replays it: --seed S --path P). */
  path: string;
  shrinks: number;
  /** Runs spent shrinking (the bound is CheckOptions.shrinkRuns). */
  shrinkRuns: number;
  /** What fails, for the original and the minimal schedule. */
  originalReasons: string[];
  reasons: string[];
  incidents: IncidentBrief[];
  liveness: LivenessResult;
  /** The minimal schedule's fault entries, as written. */
  faults: Record<string, unknown>[];
  outside: string[];
  file: string;
  traceHash: string;
  /** `haywire run <file>` gave the same trace hash and the same failure. */
  reproduced: boolean;
}

export interface CheckReport {
  kind: 'haywire.check';
  schemaVersion: 1;
  scenario: string;
  seed: number;
  runs: number;
  until: UntilTarget[];
  shard: Shard | null;
  /** Schedules run (up to and including the first failure). */
  executed: number;
  results: CheckRunBrief[];
  coverage: Coverage;
  liveness: { converged: number; legitimateStalls: number; misjudgments: number; recoveryMsP50: number | null; recoveryMsMax: number | null };
  failure: CheckFailure | null;
}

export function randomSeed(): number {
  return (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) >>> 1;
}

function brief(r: ScheduleRunResult): CheckRunBrief {
  return {
    index: r.index,
    traceHash: r.traceHash,
    failed: r.failed,
    reasons: r.reasons,
    incidents: r.incidents.filter((i) => i.severity !== 'info').map((i) => i.kind),
    liveness: { ok: r.liveness.ok, recoveryMs: r.liveness.recoveryMs, ...(r.liveness.stall ? { verdict: r.liveness.stall.verdict } : {}) },
    coverage: r.coverage,
  };
}

/** Summaries of a list of runs (the search's, or merged shards'). */
export function summarize(results: readonly CheckRunBrief[]): Pick<CheckReport, 'coverage' | 'liveness'> {
  const coverage = emptyCoverage();
  for (const r of results) mergeCoverage(coverage, r.coverage);
  const rec = results.map((r) => r.liveness.recoveryMs).filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  return {
    coverage,
    liveness: {
      converged: results.filter((r) => r.liveness.ok).length,
      legitimateStalls: results.filter((r) => r.liveness.verdict === 'legitimate').length,
      misjudgments: results.filter((r) => r.liveness.verdict === 'misjudgment').length,
      recoveryMsP50: rec.length === 0 ? null : (rec[Math.floor((rec.length - 1) / 2)] as number),
      recoveryMsMax: rec.length === 0 ? null : (rec[rec.length - 1] as number),
    },
  };
}

/** Everything a check needs to turn a schedule into a job. */
export class CheckContext {
  readonly space: FaultSpace;
  readonly arb: fc.Arbitrary<GeneratedSchedule>;

  constructor(
    readonly base: Loaded,
    readonly file: string,
    readonly until: UntilTarget[],
    scheduleOpts: ScheduleOptions = {},
    readonly budgetMs?: number,
  ) {
    this.space = faultSpaceOf(base);
    this.arb = scheduleArb(this.space, scheduleOpts);
  }

  text(schedule: GeneratedSchedule, header: string[] = []): string {
    const s = this.base.scenario;
    return scheduleScenarioText(this.base, this.space, schedule, {
      expect: expectFor(this.until),
      header,
      name: `${s.name}-check`,
      description: `A schedule generated by haywire check for ${s.name} (--until ${this.until.join(',')}).`,
    });
  }

  job(index: number, schedule: GeneratedSchedule): ScheduleJob {
    return {
      kind: 'schedule',
      index,
      text: this.text(schedule),
      file: this.file,
      entries: normalizeSchedule(this.space, schedule),
      coreNodes: coreOf(this.space, schedule).nodes,
      until: this.until,
      ...(this.budgetMs !== undefined ? { budgetMs: this.budgetMs } : {}),
    };
  }
}

export async function check(base: Loaded, opts: CheckOptions): Promise<CheckReport> {
  const runs = opts.runs ?? 100;
  const seed = opts.seed ?? randomSeed();
  const until = opts.until ?? ['safety', 'liveness'];
  const ctx = new CheckContext(base, opts.out, until, opts.schedule ?? {}, opts.budgetMs);
  const report: CheckReport = {
    kind: 'haywire.check',
    schemaVersion: 1,
    scenario: base.scenario.file,
    seed,
    runs,
    until,
    shard: opts.shard ?? null,
    executed: 0,
    results: [],
    ...summarize([]),
    failure: null,
  };
  if (opts.path !== undefined) {
    const index = Number(opts.path.split(':')[0]);
    if (!Number.isInteger(index) || index < 0) throw new Error(`--path: expected a fast-check path such as 12 or 12:0:3, got "${opts.path}"`);
    report.runs = Math.max(runs, index + 1);
    report.failure = shrinkAndWrite(ctx, seed, report.runs, index, opts.path, null, opts);
    return report;
  }
  const schedules = fc.sample(ctx.arb, { seed, numRuns: runs });
  const indices = schedules.map((_, i) => i).filter((i) => inShard(i, opts.shard));
  const jobs = indices.map((i) => ctx.job(i, schedules[i] as GeneratedSchedule));
  let done = 0;
  const raw = await runJobs(jobs, {
    workers: opts.workers ?? 1,
    stopAfter: (r) => r.failed,
    onResult: () => opts.onProgress?.({ phase: 'search', done: ++done, total: jobs.length }),
  });
  const firstFail = raw.findIndex((r) => r?.failed === true);
  const kept = (firstFail >= 0 ? raw.slice(0, firstFail + 1) : raw).filter((r): r is ScheduleRunResult => r !== undefined);
  report.results = kept.map(brief);
  report.executed = report.results.length;
  Object.assign(report, summarize(report.results));
  if (firstFail >= 0) {
    const failing = raw[firstFail] as ScheduleRunResult;
    report.failure = shrinkAndWrite(ctx, seed, runs, failing.index, String(failing.index), { text: (jobs[firstFail] as ScheduleJob).text, result: failing }, opts);
  }
  return report;
}

/** Shrink the failing schedule at `path` with fast-check and write the minimal scenario. */
function shrinkAndWrite(
  ctx: CheckContext,
  seed: number,
  runs: number,
  index: number,
  startPath: string,
  known: { text: string; result: ScheduleRunResult } | null,
  opts: CheckOptions,
): CheckFailure {
  const budget = opts.shrinkRuns ?? 200;
  const memo = new Map<string, ScheduleRunResult>();
  if (known) memo.set(known.text, known.result);
  let spent = 0;
  let failingSeen = 0;
  let first: ScheduleRunResult | null = known?.result ?? null;
  const evaluate = (s: GeneratedSchedule): ScheduleRunResult | null => {
    const job = ctx.job(index, s);
    const hit = memo.get(job.text);
    if (hit) {
      first ??= hit;
      return hit;
    }
    if (first !== null && spent >= budget) return null;
    spent++;
    const r = runScheduleJob(job);
    memo.set(job.text, r);
    first ??= r;
    if (r.failed) failingSeen++;
    opts.onProgress?.({ phase: 'shrink', runs: spent, failing: failingSeen });
    return r;
  };
  const out = fc.check(
    fc.property(ctx.arb, (s) => {
      const r = evaluate(s);
      return r === null ? true : !r.failed;
    }),
    { seed, numRuns: runs, path: startPath, endOnFailure: budget === 0 },
  );
  if (!out.failed || out.counterexample === null) {
    throw new Error(`the schedule at fast-check path ${startPath} (seed ${seed}) does not fail --until ${ctx.until.join(',')}${first ? '' : ''}`);
  }
  const minimal = out.counterexample[0];
  const path = out.counterexamplePath ?? startPath;
  const job = ctx.job(index, minimal);
  const result = memo.get(job.text) ?? runScheduleJob(job);

  // write the minimal scenario and run it as `haywire run` would
  const header = [
    `Minimal counterexample found by haywire check (fast-check seed ${seed}, path ${path}).`,
    `Scenario: ${ctx.base.scenario.file}; property: --until ${ctx.until.join(',')}.`,
    `Fails with: ${result.reasons.join('; ')}.`,
    `Replay: haywire run ${opts.out}`,
    `Shrink again: haywire check ${ctx.base.scenario.file} --seed ${seed} --path ${path} --until ${ctx.until.join(',')}`,
    '',
  ];
  writeFileSync(opts.out, ctx.text(minimal, header));
  if (result.reasons.some((r) => r.startsWith(CRASH_PREFIX))) {
    // the simulator throws on this schedule: check that it still does when run from the file
    const again = runScheduleJob({ ...job, text: readFileSync(opts.out, 'utf8'), file: opts.out });
    return {
      index,
      path,
      shrinks: out.numShrinks,
      shrinkRuns: spent,
      originalReasons: first?.reasons ?? [],
      reasons: again.reasons,
      incidents: [],
      liveness: again.liveness,
      faults: job.entries.map(faultEntry),
      outside: [...minimal.outside],
      file: opts.out,
      traceHash: '',
      reproduced: again.reasons.join() === result.reasons.join(),
    };
  }
  const again = simulateScenario(loadScenarioFile(opts.out));
  const liveness = judgeLiveness(again.analysis, { coreNodes: job.coreNodes, ...(ctx.budgetMs !== undefined ? { budgetUs: ctx.budgetMs * 1000 } : {}) });
  const reasons = failures(ctx.until, again.analysis.result.incidents, liveness);
  return {
    index,
    path,
    shrinks: out.numShrinks,
    shrinkRuns: spent,
    originalReasons: first?.reasons ?? [],
    reasons,
    incidents: again.analysis.result.incidents.map((i) => ({ kind: i.kind, severity: i.severity, startMs: i.startMs, explanation: i.explanation })),
    liveness,
    faults: job.entries.map(faultEntry),
    outside: [...minimal.outside],
    file: opts.out,
    traceHash: again.traceHash,
    reproduced: again.traceHash === result.traceHash && reasons.length > 0,
  };
}

/** Replay one schedule by fast-check seed and path (what `--path` does): shrink from there. */
export function scheduleAt(ctx: CheckContext, seed: number, index: number): GeneratedSchedule {
  return fc.sample(ctx.arb, { seed, numRuns: index + 1 })[index] as GeneratedSchedule;
}
