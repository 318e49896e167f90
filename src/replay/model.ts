// What the replay walks through: one analysed run — the timeline lanes (src/report/timeline.ts),
// the history and its ground truth for the details of a node in focus, the event log, and the
// instants the cursor can jump to (events, incidents, faults).
import { timelineOf, type Analysis } from '../report/analyze.js';
import type { History } from '../report/history.js';
import type { Timeline } from '../report/timeline.js';
import { GroundTruth } from '../report/truth.js';
import type { ClientErrorRun } from './clientLog.js';
import { buildEventLog, visibleEntries, type LogEntry } from './eventLog.js';
import { msToUsExact } from './text.js';

export interface ReplaySource {
  kind: 'scenario' | 'trace' | 'records';
  /** The file as the user named it. */
  path: string;
}

export interface ReplayModel {
  source: ReplaySource;
  /** The scenario file the run came from, and its seed. */
  scenario: string;
  seed: string;
  traceHash: string;
  verdict: 'pass' | 'fail';
  startUs: number;
  endUs: number;
  nodes: string[];
  timeline: Timeline;
  history: History;
  truth: GroundTruth;
  log: LogEntry[];
  /** Incidents sorted by start, with their start and end in µs. */
  incidents: (Timeline['incidents'][number] & { fromUs: number; toUs: number })[];
  /** Fault starts in µs, sorted, distinct. */
  faultStartsUs: number[];
  /** Client errors dropped beyond the collector's cap (0 normally). */
  clientErrorsDropped: number;
  /** The log as seen with a node in focus (memoised). */
  entries(focus: string | null): readonly LogEntry[];
  /** Distinct instants of those entries, sorted (what → and ← step through). */
  stops(focus: string | null): readonly number[];
}

export function buildReplayModel(analysis: Analysis, clientRuns: readonly ClientErrorRun[], source: ReplaySource, clientErrorsDropped = 0): ReplayModel {
  const timeline = timelineOf(analysis);
  const history = analysis.history;
  const log = buildEventLog(history, timeline, clientRuns);
  const entryCache = new Map<string | null, readonly LogEntry[]>();
  const stopCache = new Map<string | null, readonly number[]>();
  const entries = (focus: string | null): readonly LogEntry[] => {
    let e = entryCache.get(focus);
    if (!e) {
      e = visibleEntries(log, focus);
      entryCache.set(focus, e);
    }
    return e;
  };
  const r = analysis.result;
  return {
    source,
    scenario: r.scenario,
    seed: r.seed,
    traceHash: r.traceHash,
    verdict: r.verdict,
    startUs: msToUsExact(timeline.startMs),
    endUs: msToUsExact(timeline.endMs),
    nodes: timeline.nodes.map((n) => n.name),
    timeline,
    history,
    truth: new GroundTruth(history),
    log,
    incidents: timeline.incidents.map((i) => ({ ...i, fromUs: msToUsExact(i.fromMs), toUs: msToUsExact(i.toMs) })).sort((a, b) => a.fromUs - b.fromUs),
    faultStartsUs: [...new Set(timeline.faults.map((f) => msToUsExact(f.fromMs)))].sort((a, b) => a - b),
    clientErrorsDropped,
    entries,
    stops(focus) {
      let s = stopCache.get(focus);
      if (!s) {
        s = [...new Set(entries(focus).map((e) => e.tUs))].sort((a, b) => a - b);
        stopCache.set(focus, s);
      }
      return s;
    },
  };
}
