// `haywire run [file|dir...]`: run scenarios (default: the built-in library), print the report,
// write --json / --junit / --html / --trace, and exit 0 (all expectations hold), 1 (one failed or
// an unexpected incident), 2 (bad input) or 3 (haywire cannot run it).
import { formatDiagnostic } from '../../scenarios/errors.js';
import { formatDuration } from '../../scenarios/units.js';
import { EXIT } from '../exitCodes.js';
import type { CliIo } from '../io.js';
import { displayPath, expandScenarioPaths, libraryDir } from '../paths.js';
import { pipelineStatus, traceFileFor, type RunRequest, type ScenarioOutcome } from '../pipeline.js';
import { Progress } from '../progress.js';
import { loadScenarios, reportFailures, reportScenarioError } from '../scenarioFiles.js';
import type { CommandContext, CommandModule } from './types.js';

export interface RunOptions {
  json?: string;
  junit?: string;
  html?: string;
  trace?: string;
  seed?: string;
  quiet?: boolean;
  /** Backends to use instead of the registry's (programmatic use and tests; no command-line flag). */
  backends?: RunRequest['backends'];
}

/** One line of the summary table. */
export interface SummaryRow {
  file: string;
  covers: string[];
  verdict: 'pass' | 'fail' | 'invalid' | 'cannot run';
  incidents: string[];
}

export interface RunReport {
  outcomes: ScenarioOutcome[];
  rows: SummaryRow[];
}

/** Run scenario files (also used by the bare `haywire`). */
export function runScenarios(paths: readonly string[], opts: RunOptions, ctx: CommandContext): RunReport {
  const { io } = ctx;
  const report: RunReport = { outcomes: [], rows: [] };
  const { files, problems } = expandScenarioPaths(paths.length > 0 ? paths : [displayPath(libraryDir(), io.cwd)], io.cwd);
  for (const p of problems) io.err(`${p}\n`);
  const loaded = loadScenarios(files, opts.seed !== undefined ? { overrides: { seed: opts.seed } } : {});
  if (reportFailures(io, loaded) || problems.length > 0) {
    ctx.setExit(EXIT.badInput);
    return report;
  }
  if (!opts.quiet) for (const l of loaded.loaded) for (const w of l.warnings) io.err(`${formatDiagnostic(w)}\n`);
  const status = pipelineStatus();
  if (!status.ready) {
    io.err(`haywire run: cannot run scenarios yet; missing:\n${status.missing.map((m) => `  - ${m}`).join('\n')}\n`);
    ctx.setExit(EXIT.cannot);
    return report;
  }
  const n = loaded.loaded.length;
  loaded.loaded.forEach((l, i) => {
    const s = l.scenario;
    const progress = new Progress(io);
    const label = `[${i + 1}/${n}] ${s.file}`;
    try {
      const outcome = status.pipeline.run(l, {
        ...(opts.trace !== undefined ? { traceFile: traceFileFor(opts.trace, s.name, n > 1) } : {}),
        ...(opts.backends ? { backends: opts.backends } : {}),
        onProgress: (v, end) => progress.update(`${label}  ${formatDuration(Math.floor(v / 1e6) * 1e6)} of ${formatDuration(end)} simulated`),
      });
      progress.clear();
      report.outcomes.push(outcome);
      report.rows.push({ file: s.file, covers: s.covers, verdict: outcome.verdict, incidents: outcome.incidents });
      if (!opts.quiet) {
        const text = status.pipeline.render(outcome, io.color);
        io.out(text.endsWith('\n') ? text : `${text}\n`);
      }
      if (outcome.verdict === 'fail') ctx.setExit(EXIT.failed);
    } catch (e) {
      progress.clear();
      const verdict = reportScenarioError(io, ctx, e);
      if (verdict === null) throw e;
      report.rows.push({ file: s.file, covers: s.covers, verdict, incidents: [] });
    }
  });
  status.pipeline.write(report.outcomes, { json: opts.json, junit: opts.junit, html: opts.html });
  return report;
}

/** "split-brain ×2, lost-write" (kinds in order of first occurrence). */
export function incidentSummary(kinds: readonly string[]): string {
  if (kinds.length === 0) return '-';
  const counts = new Map<string, number>();
  for (const k of kinds) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].map(([k, n]) => (n > 1 ? `${k} ×${n}` : k)).join(', ');
}

export function summaryTable(rows: readonly SummaryRow[]): string {
  const w = Math.max(8, ...rows.map((o) => o.file.length));
  const c = Math.max(6, ...rows.map((o) => o.covers.join(' ').length));
  const lines = [`${'SCENARIO'.padEnd(w)}  ${'COVERS'.padEnd(c)}  ${'VERDICT'.padEnd(10)}  INCIDENTS`];
  for (const o of rows) {
    lines.push(`${o.file.padEnd(w)}  ${o.covers.join(' ').padEnd(c)}  ${o.verdict.padEnd(10)}  ${incidentSummary(o.incidents)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function printSummary(io: CliIo, rows: readonly SummaryRow[]): void {
  io.out(summaryTable(rows));
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
      .option('--trace <file>', 'write the full trace (NDJSON), the input of `haywire replay` (one file per scenario)')
      .option('--seed <seed>', "override every scenario's seed")
      .option('-q, --quiet', 'print the summary only')
      .addHelpText(
        'after',
        '\nExit code: 0 when every expectation holds, 1 when one fails or an unexpected incident\n' +
          'occurs, 2 for bad input, 3 when haywire cannot run it.\n' +
          'Examples:\n  haywire run scenarios/examples/etcd-dc-partition.yaml --html report.html\n  haywire run --seed 42 scenarios/',
      )
      .action((paths: string[], opts: RunOptions) => {
        const report = runScenarios(paths, opts, ctx);
        if (report.rows.length > 1 || opts.quiet) printSummary(ctx.io, report.rows);
      });
  },
};
