// `haywire sweep`: a scenario over a parameter grid, N replicates per point, with common random
// numbers — replicate r runs with the same seed at every grid point, so every point sees the same
// faults, the same link latencies and the same draws of every named random stream (the kernel
// derives each stream from the run seed and the stream's name alone: src/sim/kernel/rng.ts). With
// `faults: random`, replicate r's fault schedule is drawn once (fast-check, from the sweep's seed)
// and used at every point. Differences between points are then the configuration's, not noise.
import fc from 'fast-check';
import { scheduleArb, type GeneratedSchedule, type ScheduleOptions } from '../explore/arbitraries.js';
import { coreOf, scheduleScenarioText } from '../explore/schedule.js';
import { faultSpaceOf } from '../explore/space.js';
import type { IncidentKind } from '../report/incident.js';
import { INCIDENT_KINDS } from '../report/incident.js';
import { applyOverrides, loadScenarioText, type Loaded } from '../scenarios/load.js';
import { runJobs } from '../parallel/pool.js';
import { inShard, type Shard } from '../parallel/shard.js';
import { gridPoints, parseGrid, type GridAxis, type GridPoint } from './grid.js';
import type { SweepJob, SweepRunResult } from './run.js';
import { scenarioYaml } from '../explore/schedule.js';

export interface SweepOptions {
  /** `key=v1,v2` arguments. */
  grid: readonly string[];
  /** Replicates per point (default 5). */
  seeds?: number;
  /** The scenario's own faults (default), or a random schedule per replicate. */
  faults?: 'scenario' | 'random';
  /** fast-check seed of the random schedules (default 1). */
  faultSeed?: number;
  schedule?: ScheduleOptions;
  workers?: number;
  shard?: Shard;
  onProgress?: (done: number, total: number) => void;
}

export interface Quantiles {
  n: number;
  p50: number | null;
  p90: number | null;
  max: number | null;
  mean: number | null;
}

export interface PointSummary {
  index: number;
  label: string;
  values: Record<string, string | number | boolean>;
  /** Patroni's effective timing at this point (it raises ttl below 20, and so on). */
  effective: { ttl: number; loop_wait: number; retry_timeout: number } | null;
  runs: number;
  /** Fraction of runs with at least one incident of each kind (warning or critical; missed failovers: misjudgments). */
  incidentRate: Partial<Record<IncidentKind, number>>;
  /** Fraction of runs with a critical incident (confirmed split-brain, lost writes, unresolved divergence). */
  criticalRate: number;
  /** Fraction of runs with a false failover, and false failovers per run. */
  falseFailoverRate: number;
  falseFailoversPerRun: number;
  failoversPerRun: number;
  lostWrites: number;
  /** Recovery time of the promotions (per run: its longest), ms. */
  recoveryMs: Quantiles;
  /** Longest client-observed write unavailability per run, ms. */
  unavailableMs: Quantiles;
  /** Random-fault sweeps: fraction of runs that converged after the heal. */
  livenessRate: number | null;
  warnings: string[];
}

export interface SweepReport {
  kind: 'haywire.sweep';
  schemaVersion: 1;
  scenario: string;
  baseSeed: string;
  seeds: number;
  faults: 'scenario' | 'random';
  faultSeed: number | null;
  axes: GridAxis[];
  shard: Shard | null;
  points: PointSummary[];
  runs: SweepRunResult[];
}

/** The seed of replicate r (the same at every grid point: common random numbers). */
export function replicateSeed(baseSeed: string, r: number): string {
  return `${baseSeed}-${r + 1}`;
}

function quantiles(xs: readonly number[]): Quantiles {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number | null => (s.length === 0 ? null : (s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 1e-9))] as number));
  return {
    n: s.length,
    p50: q(0.5),
    p90: q(0.9),
    max: s.length === 0 ? null : (s[s.length - 1] as number),
    mean: s.length === 0 ? null : Math.round((s.reduce((a, b) => a + b, 0) / s.length) * 1000) / 1000,
  };
}

const rate = (n: number, d: number): number => (d === 0 ? 0 : Math.round((n / d) * 1e6) / 1e6);

/** Per-point statistics from the runs (a sweep's, or merged shards'). */
export function summarizePoints(points: readonly Pick<GridPoint, 'index' | 'label' | 'values'>[], runs: readonly SweepRunResult[]): PointSummary[] {
  return points.map((p) => {
    const rs = runs.filter((r) => r.point === p.index).sort((a, b) => a.replicate - b.replicate);
    const incidentRate: Partial<Record<IncidentKind, number>> = {};
    for (const k of INCIDENT_KINDS) {
      const n = rs.filter((r) => (r.incidents[k] ?? 0) > 0).length;
      if (n > 0) incidentRate[k] = rate(n, rs.length);
    }
    const live = rs.filter((r) => r.liveness !== undefined);
    return {
      index: p.index,
      label: p.label,
      values: p.values,
      effective: rs[0]?.effective ?? null,
      runs: rs.length,
      incidentRate,
      criticalRate: rate(rs.filter((r) => r.critical > 0).length, rs.length),
      falseFailoverRate: rate(rs.filter((r) => r.falseFailovers > 0).length, rs.length),
      falseFailoversPerRun: rate(rs.reduce((a, r) => a + r.falseFailovers, 0), rs.length),
      failoversPerRun: rate(rs.reduce((a, r) => a + r.failovers, 0), rs.length),
      lostWrites: rs.reduce((a, r) => a + r.lostWrites, 0),
      recoveryMs: quantiles(rs.map((r) => r.maxRecoveryMs).filter((x): x is number => x !== null)),
      unavailableMs: quantiles(rs.map((r) => r.maxUnavailableMs)),
      livenessRate: live.length === 0 ? null : rate(live.filter((r) => r.liveness?.ok).length, live.length),
      warnings: [...new Set(rs.flatMap((r) => r.warnings))],
    };
  });
}

/** The jobs of a sweep, in order (point-major), each with the scenario text it runs. */
export function sweepJobs(base: Loaded, axes: readonly GridAxis[], opts: SweepOptions): { points: GridPoint[]; jobs: SweepJob[] } {
  const seeds = opts.seeds ?? 5;
  const points = gridPoints(axes);
  const data = base.source.data as Record<string, unknown>;
  let schedules: GeneratedSchedule[] = [];
  let space: ReturnType<typeof faultSpaceOf> | null = null;
  if (opts.faults === 'random') {
    space = faultSpaceOf(base);
    schedules = fc.sample(scheduleArb(space, opts.schedule ?? {}), { seed: opts.faultSeed ?? 1, numRuns: seeds });
  }
  const jobs: SweepJob[] = [];
  for (const p of points) {
    const pointData = applyOverrides(data, p.overrides);
    // validate the point once, with the user's file name, so a bad value is a positioned error
    loadScenarioText(scenarioYaml(pointData), base.scenario.file);
    for (let r = 0; r < seeds; r++) {
      const seed = replicateSeed(base.scenario.seed, r);
      let text: string;
      let coreNodes: string[] | undefined;
      if (space !== null) {
        const s = schedules[r] as GeneratedSchedule;
        text = scheduleScenarioText({ data: pointData, seed }, space, s, {});
        coreNodes = coreOf(space, s).nodes;
      } else text = scenarioYaml({ ...pointData, seed });
      jobs.push({ kind: 'sweep', point: p.index, replicate: r, text, file: base.scenario.file, ...(coreNodes ? { coreNodes } : {}) });
    }
  }
  return { points, jobs };
}

export async function sweep(base: Loaded, opts: SweepOptions): Promise<SweepReport> {
  const axes = parseGrid(opts.grid, base.source.data as Record<string, unknown>);
  const { points, jobs: all } = sweepJobs(base, axes, opts);
  const jobs = all.filter((_, i) => inShard(i, opts.shard));
  let done = 0;
  const results = await runJobs(jobs, { workers: opts.workers ?? 1, onResult: () => opts.onProgress?.(++done, jobs.length) });
  const runs = results.filter((r): r is SweepRunResult => r !== undefined);
  return {
    kind: 'haywire.sweep',
    schemaVersion: 1,
    scenario: base.scenario.file,
    baseSeed: base.scenario.seed,
    seeds: opts.seeds ?? 5,
    faults: opts.faults ?? 'scenario',
    faultSeed: opts.faults === 'random' ? (opts.faultSeed ?? 1) : null,
    axes,
    shard: opts.shard ?? null,
    points: summarizePoints(points, runs),
    runs,
  };
}
