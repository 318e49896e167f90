// One scenario, run: build the world, stream the trace into the report's analyzer (and to any
// other listener, such as a trace file), run every phase, and return the analysis with the
// scenario's expectations evaluated.
import { RunAnalyzer, type Analysis } from '../report/analyze.js';
import type { TraceRecord } from '../sim/kernel/trace.js';
import type { Micros } from '../sim/kernel/time.js';
import { buildScenario, type BuildScenarioOptions, type BuiltScenario } from './build.js';
import type { Loaded } from './load.js';

export interface SimulateOptions {
  onProgress?: (nowUs: Micros, endUs: Micros) => void;
  /** Receives every trace record as it is emitted (a trace file writer). */
  listener?: (rec: TraceRecord) => void;
  /** Keep every record in memory and return them (tests, the replay). */
  keepRecords?: boolean;
  backends?: BuildScenarioOptions['backends'];
}

export interface Simulation {
  analysis: Analysis;
  built: BuiltScenario;
  traceHash: string;
  records?: TraceRecord[];
}

export function simulateScenario(loaded: Loaded, opts: SimulateOptions = {}): Simulation {
  const s = loaded.scenario;
  const analyzer = new RunAnalyzer();
  const records: TraceRecord[] = [];
  const listeners: ((r: TraceRecord) => void)[] = [analyzer.push];
  if (opts.listener) listeners.push(opts.listener);
  if (opts.keepRecords) listeners.push((r) => records.push(r));
  const built = buildScenario(s, { source: loaded.source, listeners, ...(opts.backends ? { backends: opts.backends } : {}) });
  built.run(opts.onProgress);
  const traceHash = built.world.sim.trace.digest();
  const analysis = analyzer.finish({ scenario: s.file, seed: s.seed, traceHash, endUs: s.phases.endUs, expect: s.expect });
  return { analysis, built, traceHash, ...(opts.keepRecords ? { records } : {}) };
}
