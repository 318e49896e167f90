// Cluster benchmarks, the figures users care about:
//  - a simulated day of the standard cluster (bench/standard.yaml: 3 Patroni nodes, 3 etcd members,
//    HAProxy, 20 writes/s) under random faults (one drawn by fast-check in every 15-minute window),
//    the trace streamed (each record serialised as a trace file line would be, then dropped):
//    virtual seconds per wall second, events per virtual second, and memory after a GC at 1/4, 1/2,
//    3/4 and the end of the day, with the peak RSS;
//  - haywire check's rate: 10-minute schedules of the standard cluster run through the whole check
//    pipeline (build, run, detectors, liveness, coverage) on one core.
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { faultArb, type GeneratedSchedule } from '../src/explore/arbitraries.js';
import { CheckContext } from '../src/explore/check.js';
import { runScheduleJob } from '../src/explore/property.js';
import { scheduleScenarioText } from '../src/explore/schedule.js';
import { faultSpaceOf } from '../src/explore/space.js';
import { buildScenario } from '../src/scenarios/build.js';
import { loadScenarioText, type Loaded } from '../src/scenarios/load.js';
import { recordLine } from '../src/sim/kernel/trace.js';

const STANDARD = new URL('../../bench/standard.yaml', import.meta.url);
const DAY_S = 86_400;
const WINDOW_S = 15 * 60;

function gcFn(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  return typeof gc === 'function' ? gc : () => undefined;
}

function standard(phases: Record<string, string>): Loaded {
  const text = readFileSync(STANDARD, 'utf8').replace(/\nphases:[\s\S]*$/, `\nphases: { ${Object.entries(phases).map(([k, v]) => `${k}: ${v}`).join(', ')} }\n`);
  return loadScenarioText(text, 'bench/standard.yaml');
}

export interface DayBench {
  virtualSeconds: number;
  wallSeconds: number;
  /** Virtual seconds per wall second (goal >= 10,000). */
  speedup: number;
  events: number;
  eventsPerVirtualSecond: number;
  traceRecords: number;
  traceBytes: number;
  faults: number;
  /** heapUsed after a full GC at 1/4, 1/2, 3/4 and the end of the day, MB. */
  heapMbAtQuarters: number[];
  /** Peak resident set size of the process, MB. */
  peakRssMb: number;
}

/** One fault drawn in every 15-minute window of the day (seeded: the same day every time). */
function dayOfFaults(base: Loaded): GeneratedSchedule {
  const space = faultSpaceOf(base);
  const faults = [];
  for (let w = 0; w < DAY_S / WINDOW_S; w++) {
    const startMs = Math.max(space.chaosStartMs, w * WINDOW_S * 1000);
    const endMs = Math.min(space.chaosEndMs, (w + 1) * WINDOW_S * 1000 - 60_000);
    if (endMs - startMs < 60_000) continue;
    const win = { ...space, chaosStartMs: startMs, chaosEndMs: endMs };
    const [f] = fc.sample(faultArb(win, { maxDurationMs: 5 * 60_000 }), { seed: 1000 + w, numRuns: 1 });
    if (f) faults.push(f);
  }
  return { faults, outside: [] };
}

export function benchDay(virtualSeconds = DAY_S): DayBench {
  const gc = gcFn();
  const base = standard({ warmup: '1m', chaos: `${virtualSeconds - 120}s`, converge: '1m' });
  const schedule = dayOfFaults(base);
  const loaded = loadScenarioText(scheduleScenarioText(base, faultSpaceOf(base), schedule), 'bench/standard.yaml');
  let records = 0;
  let bytes = 0;
  const built = buildScenario(loaded.scenario, {
    listeners: [
      (r) => {
        records++;
        bytes += recordLine(r).length + 1;
      },
    ],
  });
  gc();
  const endUs = loaded.scenario.phases.endUs;
  const quarters: number[] = [];
  let nextQuarter = 1;
  const t0 = performance.now();
  let wall = 0;
  built.run((nowUs) => {
    if (nextQuarter <= 4 && nowUs >= (endUs * nextQuarter) / 4) {
      const paused = performance.now();
      gc();
      quarters.push(Math.round((process.memoryUsage().heapUsed / 1048576) * 10) / 10);
      nextQuarter++;
      wall -= performance.now() - paused;
    }
  });
  wall += performance.now() - t0;
  const events = built.world.sim.eventsRun;
  return {
    virtualSeconds: endUs / 1e6,
    wallSeconds: Math.round(wall) / 1000,
    speedup: Math.round(endUs / 1e3 / wall),
    events,
    eventsPerVirtualSecond: Math.round(events / (endUs / 1e6)),
    traceRecords: records,
    traceBytes: bytes,
    faults: schedule.faults.length,
    heapMbAtQuarters: quarters,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

export interface CheckBench {
  schedules: number;
  /** Virtual length of each schedule's run, s. */
  scheduleSeconds: number;
  wallSeconds: number;
  /** Schedules run through the whole check pipeline per second, one core (goal >= 20). */
  schedulesPerSecondPerCore: number;
  /** Virtual seconds per wall second of those runs. */
  speedup: number;
  eventsPerSchedule: number;
}

export function benchCheck(n = 20): CheckBench {
  const base = standard({ warmup: '1m', chaos: '8m', converge: '1m' });
  const ctx = new CheckContext(base, 'bench/standard.check.yaml', ['safety', 'liveness']);
  const schedules = fc.sample(ctx.arb, { seed: 1, numRuns: n + 2 });
  // warm up the JIT on two schedules not counted
  runScheduleJob(ctx.job(0, schedules[0] as GeneratedSchedule));
  runScheduleJob(ctx.job(1, schedules[1] as GeneratedSchedule));
  let events = 0;
  const t0 = performance.now();
  for (let i = 2; i < n + 2; i++) events += runScheduleJob(ctx.job(i, schedules[i] as GeneratedSchedule)).events;
  const wall = (performance.now() - t0) / 1000;
  const len = base.scenario.phases.endUs / 1e6;
  return {
    schedules: n,
    scheduleSeconds: len,
    wallSeconds: Math.round(wall * 1000) / 1000,
    schedulesPerSecondPerCore: Math.round((n / wall) * 100) / 100,
    speedup: Math.round((n * len) / wall),
    eventsPerSchedule: Math.round(events / n),
  };
}
