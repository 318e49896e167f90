// Loading the scenario files a command names, printing every diagnostic the way compilers do.
import { formatDiagnostic, ScenarioInputError, type Diagnostic } from '../scenarios/errors.js';
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

/** Print the failures of a load; true if there were any. */
export function reportFailures(io: CliIo, report: LoadReport): boolean {
  for (const f of report.failed) printDiagnostics(io, f.diagnostics);
  if (report.failed.length > 0) {
    const n = report.failed.length;
    io.err(`${n} scenario file${n === 1 ? '' : 's'} with errors\n`);
  }
  return report.failed.length > 0;
}
