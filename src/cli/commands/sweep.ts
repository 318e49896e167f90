// `haywire sweep <scenario> --grid key=v1,v2 ... --seeds N`: the scenario over a parameter grid with
// common random numbers; a table of incident rates, false failovers and recovery times per point,
// and (--html) a heatmap per metric.
import { writeFileSync } from 'node:fs';
import { defaultWorkers } from '../../parallel/pool.js';
import { parseShard, type Shard } from '../../parallel/shard.js';
import { ScenarioInputError } from '../../scenarios/errors.js';
import { GridError } from '../../sweep/grid.js';
import { writeSweepHtml } from '../../sweep/html.js';
import { sweep, type SweepReport } from '../../sweep/sweep.js';
import { sweepTable } from '../../sweep/table.js';
import { CliError, EXIT } from '../exitCodes.js';
import { Progress } from '../progress.js';
import { loadScenarios, reportFailures, reportScenarioError } from '../scenarioFiles.js';
import type { CommandModule } from './types.js';

interface SweepCliOptions {
  grid: string[];
  seeds: string;
  faults: string;
  faultSeed?: string;
  maxFaults?: string;
  json?: string;
  html?: string;
  workers?: string;
  shard?: string;
}

function int(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new CliError(`${name}: expected a whole number >= ${min}, got "${v}"`, EXIT.badInput);
  return n;
}

export function writeSweepOutputs(report: SweepReport, files: { json?: string | undefined; html?: string | undefined }): void {
  if (files.json !== undefined) writeFileSync(files.json, `${JSON.stringify(report, null, 1)}\n`);
  if (files.html !== undefined) writeSweepHtml(files.html, report);
}

export const sweepCommand: CommandModule = {
  name: 'sweep',
  register(program, ctx) {
    program
      .command('sweep')
      .description('run a scenario over a grid of settings with common random numbers and compare incident rates')
      .argument('<scenario>', 'a scenario file')
      .requiredOption('--grid <key=values...>', 'axes: Patroni keys (ttl=10,30,60 loop_wait=2,10) or dotted scenario paths (workload.0.rate=10,50)')
      .option('--seeds <n>', 'replicates per grid point (the same seeds at every point)', '5')
      .option('--faults <mode>', "scenario: the scenario's own faults; random: a generated schedule per replicate", 'scenario')
      .option('--fault-seed <n>', 'fast-check seed of the random schedules', '1')
      .option('--max-faults <n>', 'faults per random schedule, at most', '4')
      .option('--json <file>', 'write the sweep report as JSON (input of haywire merge)')
      .option('--html <file>', 'write the heatmaps as a self-contained HTML page')
      .option('--workers <n>', `worker threads (default: the cores, ${defaultWorkers()} here)`)
      .option('--shard <k/n>', 'run only the k-th of n slices of the runs (merge with haywire merge)')
      .addHelpText(
        'after',
        '\nExit code: 0, or 2 for bad input.\nExample (the cross-continent question, W1-W3):\n' +
          '  haywire sweep scenarios/examples/cross-continent.yaml --grid ttl=30,60,90 loop_wait=5,10 retry_timeout=10 --seeds 5 --html sweep.html',
      )
      .action(async (file: string, o: SweepCliOptions) => {
        const { io } = ctx;
        if (o.faults !== 'scenario' && o.faults !== 'random') throw new CliError(`--faults: expected scenario or random, got "${o.faults}"`, EXIT.badInput);
        let shard: Shard | undefined;
        try {
          shard = o.shard !== undefined ? parseShard(o.shard) : undefined;
        } catch (e) {
          throw new CliError((e as Error).message, EXIT.badInput);
        }
        const loaded = loadScenarios([file]);
        if (reportFailures(io, loaded)) {
          ctx.setExit(EXIT.badInput);
          return;
        }
        const base = loaded.loaded[0];
        if (!base) return;
        const progress = new Progress(io);
        let report: SweepReport;
        try {
          report = await sweep(base, {
            grid: o.grid,
            seeds: int('--seeds', o.seeds, 1) ?? 5,
            faults: o.faults,
            faultSeed: int('--fault-seed', o.faultSeed, 0) ?? 1,
            schedule: { maxFaults: int('--max-faults', o.maxFaults, 1) ?? 4 },
            workers: int('--workers', o.workers, 1) ?? defaultWorkers(),
            ...(shard ? { shard } : {}),
            onProgress: (done, total) => progress.update(`sweep: ${done}/${total} runs`),
          });
        } catch (e) {
          progress.clear();
          if (e instanceof GridError) throw new CliError(e.message, EXIT.badInput);
          if (e instanceof ScenarioInputError) io.err('a grid point does not validate:\n');
          if (reportScenarioError(io, ctx, e) !== null) return;
          throw e;
        }
        progress.clear();
        io.out(`haywire sweep ${report.scenario}${shard ? ` (shard ${shard.k}/${shard.n})` : ''}: ${report.points.length} points × ${report.seeds} seeds\n\n`);
        io.out(sweepTable(report));
        writeSweepOutputs(report, { json: o.json, html: o.html });
      });
  },
};
