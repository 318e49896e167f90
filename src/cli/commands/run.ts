// `haywire run [file|dir...]`: run scenarios (default: the built-in library), print the report,
// write --json / --junit / --html / --trace, and exit 0 (all expectations hold), 1 (one failed or
// an unexpected incident), 2 (bad input) or 3 (haywire cannot run it).
import { formatDiagnostic } from '../../scenarios/errors.js';
import { formatDuration } from '../../scenarios/units.js';
import { CliError, EXIT } from '../exitCodes.js';
import type { CliIo } from '../io.js';
import { displayPath, expandScenarioPaths, libraryDir } from '../paths.js';
import { pipelineStatus, type ScenarioOutcome } from '../pipeline.js';
import { Progress } from '../progress.js';
import { loadScenarios, reportFailures } from '../scenarioFiles.js';
import type { CommandContext, CommandModule } from './types.js';

export interface RunOptions {
  json?: string;
  junit?: string;
  html?: string;
  trace?: string;
  seed?: string;
  quiet?: boolean;
}

/** Run scenario files; returns the outcomes (also used by the bare `haywire`). */
export function runScenarios(paths: readonly string[], opts: RunOptions, ctx: CommandContext): ScenarioOutcome[] {
  const { io } = ctx;
  const { files, problems } = expandScenarioPaths(paths.length > 0 ? paths : [displayPath(libraryDir(), io.cwd)], io.cwd);
  for (const p of problems) io.err(`${p}\n`);
  const report = loadScenarios(files, opts.seed !== undefined ? { overrides: { seed: opts.seed } } : {});
  if (reportFailures(io, report) || problems.length > 0) {
    ctx.setExit(EXIT.badInput);
    return [];
  }
  if (!opts.quiet) for (const l of report.loaded) for (const w of l.warnings) io.err(`${formatDiagnostic(w)}\n`);
  const status = pipelineStatus();
  if (!status.ready) {
    throw new CliError(
      `haywire run: cannot run scenarios yet; missing:\n${status.missing.map((m) => `  - ${m}`).join('\n')}\n` +
        `The ${report.loaded.length} scenario file(s) are valid ("haywire validate" checks files now).`,
      EXIT.cannot,
    );
  }
  const outcomes: ScenarioOutcome[] = [];
  report.loaded.forEach((l, i) => {
    const progress = new Progress(io);
    const label = `[${i + 1}/${report.loaded.length}] ${l.scenario.file}`;
    const outcome = status.pipeline.run(l, {
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      keepTrace: opts.trace !== undefined,
      onProgress: (v, end) => progress.update(`${label}  ${formatDuration(Math.round(v / 1e5) * 1e5)} / ${formatDuration(end)} virtual`),
    });
    progress.clear();
    outcomes.push(outcome);
    if (!opts.quiet) io.out(status.pipeline.render(outcome, io.color));
  });
  status.pipeline.write(outcomes, opts);
  if (outcomes.some((o) => o.verdict === 'fail')) ctx.setExit(EXIT.failed);
  return outcomes;
}

export function summaryTable(outcomes: readonly ScenarioOutcome[]): string {
  const w = Math.max(8, ...outcomes.map((o) => o.file.length));
  const lines = [`${'SCENARIO'.padEnd(w)}  ${'COVERS'.padEnd(14)}  VERDICT  INCIDENTS`];
  for (const o of outcomes) {
    lines.push(`${o.file.padEnd(w)}  ${o.covers.join(' ').padEnd(14)}  ${o.verdict.padEnd(7)}  ${o.incidents.length > 0 ? o.incidents.join(', ') : '-'}`);
  }
  return `${lines.join('\n')}\n`;
}

export function printSummary(io: CliIo, outcomes: readonly ScenarioOutcome[]): void {
  io.out(summaryTable(outcomes));
}

export const runCommand: CommandModule = {
  name: 'run',
  register(program, ctx) {
    program
      .command('run')
      .description('run scenarios and report split-brain, lost writes and misjudged failovers')
      .argument('[paths...]', 'scenario files or directories (default: the built-in library)')
      .option('--json <file>', 'write the results as JSON ({ schemaVersion, runs: [...] })')
      .option('--junit <file>', 'write a JUnit XML file (one test case per expectation)')
      .option('--html <file>', 'write a self-contained HTML report')
      .option('--trace <file>', 'write the full trace (NDJSON), the input of `haywire replay`')
      .option('--seed <seed>', "override every scenario's seed")
      .option('-q, --quiet', 'print the summary only')
      .addHelpText(
        'after',
        '\nExit code: 0 when every expectation holds, 1 when one fails or an unexpected incident\n' +
          'occurs, 2 for bad input, 3 when haywire cannot run it.\n' +
          'Examples:\n  haywire run scenarios/examples/etcd-dc-partition.yaml --html report.html\n  haywire run --seed 42 scenarios/',
      )
      .action((paths: string[], opts: RunOptions) => {
        const outcomes = runScenarios(paths, opts, ctx);
        if (outcomes.length > 1) printSummary(ctx.io, outcomes);
      });
  },
};
