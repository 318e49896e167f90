// The JSON report (`--json FILE`): `{ schemaVersion, generator, runs: [...] }`, one entry per
// scenario run. The shape is documented in docs/report-schema.md and pinned by a test; bump
// SCHEMA_VERSION on any change that removes or renames a field or changes a meaning (adding
// optional fields keeps the version).
import { writeFileSync } from 'node:fs';
import type { RunResult } from './analyze.js';

export const SCHEMA_VERSION = 1;

export interface ReportDocument {
  schemaVersion: typeof SCHEMA_VERSION;
  generator: 'haywire';
  runs: RunResult[];
}

export function reportDocument(runs: readonly RunResult[]): ReportDocument {
  return { schemaVersion: SCHEMA_VERSION, generator: 'haywire', runs: [...runs] };
}

/** JSON text of the report: non-finite numbers become null, 2-space indentation, trailing newline. */
export function reportJson(runs: readonly RunResult[]): string {
  return `${JSON.stringify(reportDocument(runs), (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}

export function writeJsonReport(file: string, runs: readonly RunResult[]): void {
  writeFileSync(file, reportJson(runs));
}
