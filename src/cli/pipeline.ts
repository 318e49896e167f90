// What `haywire run` does with each valid scenario: simulate it (src/scenarios/simulate.ts: build
// the world, run the phases, analyse the trace with src/report), optionally stream the trace to a
// file, and render the results with the report's renderers (terminal, --json, --junit, --html).
import { basename, dirname, extname, join } from 'node:path';
import { timelineOf, type RunResult } from '../report/analyze.js';
import type { HtmlRun } from '../report/html.js';
import { writeHtmlReport } from '../report/html.js';
import { writeJsonReport } from '../report/json.js';
import { writeJunitReport } from '../report/junit.js';
import { renderRun } from '../report/terminal.js';
import { TraceFileWriter } from '../report/traceFile.js';
import type { Loaded } from '../scenarios/load.js';
import { simulateScenario, type SimulateOptions } from '../scenarios/simulate.js';
import { packageVersion } from './paths.js';

export interface RunRequest {
  /** Called between slices of the run with virtual time done and total. */
  onProgress?: (virtualUs: number, endUs: number) => void;
  /** Stream the full trace (NDJSON) to this file. */
  traceFile?: string;
  /** Backends to use instead of the registry's (programmatic use and tests; no command-line flag). */
  backends?: SimulateOptions['backends'];
}

export interface ScenarioOutcome {
  file: string;
  name: string;
  covers: string[];
  verdict: 'pass' | 'fail';
  /** Incident kinds found, in order, for the summary table. */
  incidents: string[];
  result: RunResult;
  html: HtmlRun;
}

export interface OutputFiles {
  json?: string | undefined;
  junit?: string | undefined;
  html?: string | undefined;
}

export interface Pipeline {
  run(loaded: Loaded, req: RunRequest): ScenarioOutcome;
  write(outcomes: readonly ScenarioOutcome[], files: OutputFiles): void;
  render(outcome: ScenarioOutcome, color: boolean): string;
}

export type PipelineStatus = { ready: true; pipeline: Pipeline } | { ready: false; missing: string[] };

const pipeline: Pipeline = {
  run(loaded, req) {
    const s = loaded.scenario;
    const writer = req.traceFile !== undefined ? new TraceFileWriter(req.traceFile, { scenario: s.file, seed: s.seed, haywire: packageVersion() }) : undefined;
    let sim: ReturnType<typeof simulateScenario>;
    try {
      sim = simulateScenario(loaded, {
        ...(req.onProgress ? { onProgress: req.onProgress } : {}),
        ...(writer ? { listener: writer.push } : {}),
        ...(req.backends ? { backends: req.backends } : {}),
      });
    } catch (e) {
      writer?.abandon();
      throw e;
    }
    writer?.close(sim.traceHash);
    const result = sim.analysis.result;
    return {
      file: s.file,
      name: s.name,
      covers: s.covers,
      verdict: result.verdict,
      incidents: result.incidents.map((i) => i.kind),
      result,
      html: { result, timeline: timelineOf(sim.analysis) },
    };
  },
  write(outcomes, files) {
    const results = outcomes.map((o) => o.result);
    if (files.json !== undefined) writeJsonReport(files.json, results);
    if (files.junit !== undefined) writeJunitReport(files.junit, results);
    if (files.html !== undefined) writeHtmlReport(files.html, outcomes.map((o) => o.html));
  },
  render(outcome, color) {
    return renderRun(outcome.result, { color });
  },
};

/** The pipeline (every part it needs is in place). */
export function pipelineStatus(): PipelineStatus {
  return { ready: true, pipeline };
}

/** `--trace FILE` with several scenarios: one file each, named after the scenario. */
export function traceFileFor(base: string, scenarioName: string, many: boolean): string {
  if (!many) return base;
  const ext = extname(base);
  return join(dirname(base), `${basename(base, ext)}.${scenarioName}${ext || '.ndjson'}`);
}
