// Where a replay's run comes from: a trace file written by `haywire run --trace` (read in one
// streamed pass), a scenario run now (the same simulation `haywire run` does), or records in
// memory (tests). Each pass feeds the report's analyzer and the client-error log together.
import { RunAnalyzer } from '../report/analyze.js';
import { openTraceFile } from '../report/traceFile.js';
import type { Loaded } from '../scenarios/load.js';
import { simulateScenario, type SimulateOptions } from '../scenarios/simulate.js';
import type { TraceRecord } from '../sim/kernel/trace.js';
import { ClientErrorLog } from './clientLog.js';
import { buildReplayModel, type ReplayModel } from './model.js';

/** Replay a trace file (`--trace FILE`); throws `TraceFileError` for what is not one. */
export function replayTraceFile(path: string, displayPath = path): ReplayModel {
  const reader = openTraceFile(path);
  const analyzer = new RunAnalyzer();
  const clients = new ClientErrorLog();
  for (const r of reader.records()) {
    analyzer.push(r);
    clients.push(r);
  }
  const analysis = analyzer.finish({
    scenario: reader.header.scenario,
    seed: reader.header.seed,
    ...(reader.footer ? { traceHash: reader.footer.traceHash } : {}),
  });
  return buildReplayModel(analysis, clients.finish(), { kind: 'trace', path: displayPath }, clients.dropped);
}

export interface ReplayScenarioOptions {
  onProgress?: SimulateOptions['onProgress'];
  backends?: SimulateOptions['backends'];
}

/** Run a loaded scenario (seed already applied) and replay it. */
export function replayScenario(loaded: Loaded, opts: ReplayScenarioOptions = {}): ReplayModel {
  const clients = new ClientErrorLog();
  const sim = simulateScenario(loaded, {
    listener: clients.push,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.backends ? { backends: opts.backends } : {}),
  });
  return buildReplayModel(sim.analysis, clients.finish(), { kind: 'scenario', path: loaded.scenario.file }, clients.dropped);
}

/** Replay records held in memory (tests, library use). */
export function replayRecords(records: Iterable<TraceRecord>, opts: { endUs?: number; name?: string } = {}): ReplayModel {
  const analyzer = new RunAnalyzer();
  const clients = new ClientErrorLog();
  for (const r of records) {
    analyzer.push(r);
    clients.push(r);
  }
  const analysis = analyzer.finish(opts.endUs !== undefined ? { endUs: opts.endUs } : {});
  return buildReplayModel(analysis, clients.finish(), { kind: 'records', path: opts.name ?? '(records)' }, clients.dropped);
}
