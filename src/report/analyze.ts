// One run, analysed: history → detectors → incidents, metrics, expectations. Use `RunAnalyzer` as a
// trace listener during a run (streaming), or `analyzeRecords` on a list of records (tests, a trace
// read back from a file).
//
//   const analyzer = new RunAnalyzer();
//   world.sim.trace.subscribe(analyzer.push);
//   world.run(untilUs);
//   const { result } = analyzer.finish({ traceHash: world.sim.trace.digest(), endUs: world.nowUs, expect });
import type { TraceRecord } from '../sim/kernel/trace.js';
import { detectorContext, type DetectorContext } from './detectors/context.js';
import { detectDivergence } from './detectors/divergence.js';
import { detectFalseFailovers } from './detectors/falseFailover.js';
import { detectLostWrites, indeterminateWrites, type IndeterminateWrite } from './detectors/lostWrites.js';
import { detectMissedFailovers } from './detectors/missedFailover.js';
import { detectSplitBrain } from './detectors/splitBrain.js';
import { detectUndetectedPartitions } from './detectors/undetectedPartition.js';
import { evaluateExpectations, EXPECTATIONS_BY_KIND, type ExpectationResult } from './expectations.js';
import { HistoryBuilder, type History } from './history.js';
import { INCIDENT_KINDS, replayCommand, type Incident, type IncidentDraft } from './incident.js';
import type { WriteOracle } from './lineage.js';
import { computeMetrics, type Metrics } from './metrics.js';
import type { DetectorOptions } from './settings.js';
import { buildTimeline, type Timeline } from './timeline.js';
import { openTraceFile } from './traceFile.js';

export interface RunResult {
  /** The scenario file (as given to the CLI). */
  scenario: string;
  seed: string;
  traceHash: string;
  durationMs: number;
  /** pass: every expectation held and no unexpected warning/critical incident. */
  verdict: 'pass' | 'fail';
  incidents: Incident[];
  metrics: Metrics;
  expectations: ExpectationResult[];
  /** Writes whose outcome clients do not know, and whether each is in the final history. */
  indeterminateWrites: IndeterminateWrite[];
  /** The node whose data is the final authoritative history, and why. */
  finalHistory: { node: string | null; why: string; timelines: number[] };
}

export interface AnalyzeOptions {
  /** Override `run.start`'s scenario path (the replay command uses it). */
  scenario?: string;
  seed?: string;
  traceHash?: string;
  /** The scenario's `expect` block. */
  expect?: Readonly<Record<string, unknown>>;
  detectors?: DetectorOptions;
  /** The PostgreSQL model's end-of-run snapshot, when available; default: lineage semantics. */
  oracle?: WriteOracle;
  /** End of the run in true µs (default: the last record). */
  endUs?: number;
}

export interface Analysis {
  result: RunResult;
  history: History;
  context: DetectorContext;
}

const KIND_ORDER = new Map<string, number>(INCIDENT_KINDS.map((k, i) => [k, i]));

/** Run every detector over a context, in a stable order. */
export function detectAll(ctx: DetectorContext): IncidentDraft[] {
  const all = [
    ...detectSplitBrain(ctx),
    ...detectLostWrites(ctx),
    ...detectDivergence(ctx),
    ...detectFalseFailovers(ctx),
    ...detectMissedFailovers(ctx),
    ...detectUndetectedPartitions(ctx),
  ];
  return all.sort((a, b) => a.startUs - b.startUs || (KIND_ORDER.get(a.kind) ?? 0) - (KIND_ORDER.get(b.kind) ?? 0) || a.endUs - b.endUs);
}

export function analyzeHistory(history: History, opts: AnalyzeOptions = {}): Analysis {
  const ctx = detectorContext(history, opts.detectors, opts.oracle);
  const drafts = detectAll(ctx);
  const scenario = opts.scenario ?? history.meta.scenario;
  const seed = opts.seed ?? history.meta.seed;
  const perKind = new Map<string, number>();
  const incidents: Incident[] = drafts.map((d) => {
    const n = (perKind.get(d.kind) ?? 0) + 1;
    perKind.set(d.kind, n);
    const { startUs, endUs: _e, ...rest } = d;
    return {
      id: `${d.kind}-${n}`,
      kind: rest.kind,
      severity: rest.severity,
      startMs: rest.startMs,
      endMs: rest.endMs,
      nodes: rest.nodes,
      writes: rest.writes,
      explanation: rest.explanation,
      replay: replayCommand(scenario, seed, startUs),
      evidence: rest.evidence,
      details: rest.details,
    };
  });
  const metrics = computeMetrics(ctx, drafts);
  const expectations = evaluateExpectations(opts.expect, { incidents, metrics, history });
  const unexpected = unexpectedIncidents(incidents, opts.expect);
  const result: RunResult = {
    scenario,
    seed,
    traceHash: opts.traceHash ?? '',
    durationMs: metrics.durationMs,
    verdict: expectations.every((e) => e.ok) && unexpected.length === 0 ? 'pass' : 'fail',
    incidents,
    metrics,
    expectations,
    indeterminateWrites: indeterminateWrites(ctx),
    finalHistory: {
      node: ctx.lineage.node,
      why: ctx.lineage.why,
      timelines: ctx.lineage.chain.map((b) => history.branches.find((x) => x.branch === b)?.timeline ?? -1),
    },
  };
  return { result, history, context: ctx };
}

/** Warning and critical incidents of kinds the `expect` block says nothing about. */
export function unexpectedIncidents(incidents: readonly Incident[], expect: Readonly<Record<string, unknown>> | undefined): Incident[] {
  const names = new Set(Object.keys(expect ?? {}));
  if (names.has('incidents')) return [];
  return incidents.filter((i) => i.severity !== 'info' && !EXPECTATIONS_BY_KIND[i.kind].some((n) => names.has(n)));
}

/** A streaming analyzer: subscribe `push` to the trace, call `finish` at the end of the run. */
export class RunAnalyzer {
  private readonly builder = new HistoryBuilder();
  readonly push = (rec: TraceRecord): void => this.builder.push(rec);

  finish(opts: AnalyzeOptions = {}): Analysis {
    return analyzeHistory(this.builder.finish(opts.endUs), opts);
  }
}

export function analyzeRecords(records: Iterable<TraceRecord>, opts: AnalyzeOptions = {}): Analysis {
  const b = new HistoryBuilder();
  for (const r of records) b.push(r);
  return analyzeHistory(b.finish(opts.endUs), opts);
}

/** Analyse a trace file written by `TraceFileWriter` (streamed: the file is not held in memory). */
export function analyzeTraceFile(path: string, opts: AnalyzeOptions = {}): Analysis {
  const reader = openTraceFile(path);
  const b = new HistoryBuilder();
  for (const r of reader.records()) b.push(r);
  const o: AnalyzeOptions = { scenario: reader.header.scenario, seed: reader.header.seed, ...opts };
  if (o.traceHash === undefined && reader.footer) o.traceHash = reader.footer.traceHash;
  return analyzeHistory(b.finish(o.endUs), o);
}

/** The timeline lanes of an analysed run (for the HTML report and the replay). */
export function timelineOf(a: Analysis): Timeline {
  return buildTimeline(a.history, a.result.incidents);
}
