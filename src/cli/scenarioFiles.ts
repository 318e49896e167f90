// Loading the scenario files a command names, printing every diagnostic the way compilers do.
import { formatDiagnostic, ScenarioCannotRunError, ScenarioInputError, type Diagnostic } from '../scenarios/errors.js';
import { EXIT } from './exitCodes.js';
import type { CommandContext } from './commands/types.js';
import { loadScenarioFile, type Loaded, type LoadOptions } from '../scenarios/load.js';
import type { CliIo } from './io.js';

export interface LoadReport {
  loaded: Loaded[];
  /** Files that failed, with their diagnostics. */
  failed: { file: string; diagnostics: Diagnostic[] }[];
}

export function loadScenarios(files: readonly string[], opts: LoadOptions = {}): LoadReport {
  const report: LoadReport = { loaded: [], failed: [] };
  for (const f of files) {
    try {
      report.loaded.push(loadScenarioFile(f, opts));
    } catch (e) {
      if (!(e instanceof ScenarioInputError)) throw e;
      report.failed.push({ file: f, diagnostics: e.diagnostics });
    }
  }
  return report;
}

export function printDiagnostics(io: CliIo, ds: readonly Diagnostic[]): void {
  for (const d of ds) io.err(`${formatDiagnostic(d)}\n`);
}

/**
 * A scenario that does not validate (exit 2) or that haywire cannot run (exit 3): print its
 * diagnostics, set the exit code and say which. Null for any other error (the caller rethrows).
 */
export function reportScenarioError(io: CliIo, ctx: Pick<CommandContext, 'setExit'>, e: unknown): 'invalid' | 'cannot run' | null {
  if (e instanceof ScenarioInputError) {
    printDiagnostics(io, e.diagnostics);
    ctx.setExit(EXIT.badInput);
    return 'invalid';
  }
  if (e instanceof ScenarioCannotRunError) {
    for (const d of e.diagnostics) io.err(`${formatDiagnostic(d)} (cannot run)\n`);
    ctx.setExit(EXIT.cannot);
    return 'cannot run';
  }
  return null;
}

/** Print the failures of a load; true if there were any. */
export function reportFailures(io: CliIo, report: LoadReport): boolean {
  for (const f of report.failed) printDiagnostics(io, f.diagnostics);
  if (report.failed.length > 0) {
    const n = report.failed.length;
    io.err(`${n} scenario file${n === 1 ? '' : 's'} with errors\n`);
  }
  return report.failed.length > 0;
}
