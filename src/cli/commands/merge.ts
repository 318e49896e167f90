// `haywire merge <report.json>...`: combine the reports of `--shard k/n` runs of one check or one
// sweep into the report a single run would have written.
import { readFileSync, writeFileSync } from 'node:fs';
import type { CheckReport } from '../../explore/check.js';
import { MergeError, mergeReports, parseReport, type MergeableReport } from '../../parallel/merge.js';
import type { SweepReport } from '../../sweep/sweep.js';
import { sweepTable } from '../../sweep/table.js';
import { CliError, EXIT } from '../exitCodes.js';
import { printCheckReport } from './check.js';
import { writeSweepOutputs } from './sweep.js';
import type { CommandModule } from './types.js';

export const mergeCommand: CommandModule = {
  name: 'merge',
  register(program, ctx) {
    program
      .command('merge')
      .description('combine the results of sharded check or sweep runs into one report')
      .argument('<reports...>', 'JSON reports written by haywire check --json or haywire sweep --json')
      .option('--json <file>', 'write the merged report')
      .option('--html <file>', 'write the heatmaps (sweeps)')
      .option('--coverage', 'print the coverage table (checks)')
      .addHelpText('after', '\nExit code: 1 when a merged check found a failure, 2 for bad input, else 0.\nExample:\n  haywire merge shard-*.json --json all.json --html all.html')
      .action((files: string[], o: { json?: string; html?: string; coverage?: boolean }) => {
        const { io } = ctx;
        let reports: MergeableReport[];
        let merged;
        try {
          reports = files.map((f) => {
            let text: string;
            try {
              text = readFileSync(f, 'utf8');
            } catch (e) {
              throw new MergeError(`${f}: cannot read (${(e as { code?: string }).code ?? (e as Error).message})`);
            }
            return parseReport(text, f);
          });
          merged = mergeReports(reports);
        } catch (e) {
          if (e instanceof MergeError) throw new CliError(`haywire merge: ${e.message}`, EXIT.badInput);
          throw e;
        }
        if (merged.missing.length > 0) {
          const n = merged.report.shard?.n ?? merged.shards.length;
          io.err(`haywire merge: shards ${merged.missing.map((k) => `${k}/${n}`).join(', ')} missing; the report covers ${merged.shards.length} of ${n}\n`);
        }
        const r = merged.report;
        if (r.kind === 'haywire.check') {
          printCheckReport(io, r as CheckReport, { ...(o.coverage ? { coverage: true } : {}) });
          if (o.json !== undefined) writeFileSync(o.json, `${JSON.stringify(r, null, 1)}\n`);
          if ((r as CheckReport).failure) ctx.setExit(EXIT.failed);
        } else {
          const s = r as SweepReport;
          io.out(`haywire sweep ${s.scenario} (merged from ${merged.shards.length} shard${merged.shards.length === 1 ? '' : 's'}): ${s.points.length} points × ${s.seeds} seeds\n\n`);
          io.out(sweepTable(s));
          writeSweepOutputs(s, { json: o.json, html: o.html });
        }
      });
  },
};
