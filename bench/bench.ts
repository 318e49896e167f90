// `npm run bench` — the figures that matter, from one run. `--json` prints one JSON object.
import { benchKernel } from './kernel.js';

const json = process.argv.includes('--json');
const kernel = benchKernel();
const result = { ...kernel };

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
}
