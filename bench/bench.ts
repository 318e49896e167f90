// `npm run bench` — the figures that matter, from one run. `--json` prints one JSON object.
// `--quick` shortens the day to an hour and the check to 5 schedules (a smoke test of the bench).
import { benchKernel } from './kernel.js';
import { benchCheck, benchDay } from './cluster.js';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const kernel = benchKernel(quick ? 30 : 150, quick ? 1 : 5);
const check = benchCheck(quick ? 5 : 20);
const day = benchDay(quick ? 3600 : 86_400);
const result = { ...kernel, check, day };

if (json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const fmt = (n: number): string => n.toLocaleString('en-US');
  console.log('haywire benchmark');
  console.log('kernel (12 hosts, timers every 10 ms, 36 TCP streams; median of 5)');
  console.log(`  kernel, default trace:  ${fmt(kernel.kernelEventsPerSec)} events/s (${fmt(kernel.kernelEvents)} events per run)`);
  console.log(`  kernel, full trace:     ${fmt(kernel.kernelEventsPerSecFullTrace)} events/s (every message recorded: ${fmt(kernel.traceRecords)} records)`);
  console.log(`  bare heap loop:         ${fmt(kernel.bareEventsPerSec)} events/s`);
  console.log(`  ratio kernel / bare:    ${(kernel.ratio * 100).toFixed(1)} % (goal >= 30 %); full trace ${(kernel.ratioFullTrace * 100).toFixed(1)} %`);
  console.log(`check: ${check.schedules} schedules of ${check.scheduleSeconds / 60} min (3 Patroni, 3 etcd, HAProxy, 20 writes/s; build, run, detectors, liveness, coverage)`);
  console.log(`  ${check.schedulesPerSecondPerCore} schedules/s per core (goal >= 20) · ${fmt(check.speedup)}x real time · ${fmt(check.eventsPerSchedule)} events per schedule`);
  console.log(`day: ${fmt(day.virtualSeconds)} s simulated, ${day.faults} random faults, trace streamed (${fmt(day.traceRecords)} records, ${fmt(Math.round(day.traceBytes / 1048576))} MB as NDJSON)`);
  console.log(`  ${fmt(day.speedup)}x real time (goal >= 10,000) · ${day.wallSeconds} s wall · ${fmt(day.eventsPerVirtualSecond)} events per virtual second`);
  console.log(`  heap after GC at 1/4, 1/2, 3/4, end: ${day.heapMbAtQuarters.join(' / ')} MB · peak RSS ${day.peakRssMb} MB`);
}
