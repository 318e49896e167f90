// The report room's public surface: analyse a run (streaming or from records / a trace file),
// then render it for a terminal, CI (JSON, JUnit), a browser (HTML), or keep the trace (NDJSON).
export { RunAnalyzer, analyzeHistory, analyzeRecords, analyzeTraceFile, timelineOf, detectAll, unexpectedIncidents, type Analysis, type AnalyzeOptions, type RunResult } from './analyze.js';
export { HistoryBuilder, buildHistory, type History } from './history.js';
export { INCIDENT_KINDS, replayCommand, type Incident, type IncidentKind, type Severity } from './incident.js';
export { EXPECTATIONS, EXPECTATION_NAMES, evaluateExpectations, validateExpectation, suggestExpectation, type ExpectationResult } from './expectations.js';
export type { Metrics } from './metrics.js';
export type { DetectorOptions } from './settings.js';
export type { WriteOracle } from './lineage.js';
export { SCHEMA_VERSION, reportDocument, reportJson, writeJsonReport, type ReportDocument } from './json.js';
export { junitXml, writeJunitReport } from './junit.js';
export { renderTerminal, renderRun, shouldUseColor, type TerminalOptions } from './terminal.js';
export { buildTimeline, cursorAt, type Timeline, type TimelineCursor } from './timeline.js';
export { renderHtml, writeHtmlReport, type HtmlRun } from './html.js';
export { TraceFileWriter, openTraceFile, TraceFileError, TRACE_FORMAT, TRACE_VERSION, type TraceHeader, type TraceFooter } from './traceFile.js';
