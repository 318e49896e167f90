// What `haywire run` needs besides the scenario loader: the simulation of a scenario (build the
// world from it, run it, analyse the trace) and the report renderers. Until those parts exist the
// pipeline says what is missing, and `run` fails with that message instead of faking results.
import type { Loaded } from '../scenarios/load.js';

export interface RunRequest {
  /** `--seed` override (already applied to the loaded scenario; kept for the report). */
  seed?: string;
  /** Called between slices of the run with virtual time done and total. */
  onProgress?: (virtualUs: number, endUs: number) => void;
  /** Keep the full trace (for `--trace`). */
  keepTrace?: boolean;
}

export interface ScenarioOutcome {
  file: string;
  name: string;
  covers: string[];
  verdict: 'pass' | 'fail';
  /** Incident kinds found, for the summary table. */
  incidents: string[];
  /** The report's run result (src/report), written by --json / --junit / --html. */
  result: unknown;
  /** NDJSON lines of the trace, when asked for. */
  trace?: string[];
}

export interface Pipeline {
  run(loaded: Loaded, req: RunRequest): ScenarioOutcome;
  /** Write the outputs asked for on the command line. */
  write(outcomes: readonly ScenarioOutcome[], files: { json?: string; junit?: string; html?: string; trace?: string }): void;
  /** The terminal report of one run. */
  render(outcome: ScenarioOutcome, color: boolean): string;
}

export type PipelineStatus = { ready: true; pipeline: Pipeline } | { ready: false; missing: string[] };

/** The pipeline, or the parts it still lacks. */
export function pipelineStatus(): PipelineStatus {
  return {
    ready: false,
    missing: [
      'the mapping of a scenario onto the simulator (src/scenarios/build.ts, waiting for buildCluster in src/sim/cluster)',
      'client workloads and routers (issue 3)',
      'the report renderers for the terminal, --json, --junit and --html (issue 6)',
    ],
  };
}
