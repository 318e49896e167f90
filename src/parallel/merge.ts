// `haywire merge`: put the reports of `--shard k/n` runs back together. Shards of one check or one
// sweep hold disjoint slices of the same sequence of jobs, each result a pure function of its job,
// so the merge of all n shards is the report one machine would have written.
import { summarize, type CheckReport } from '../explore/check.js';
import { summarizePoints, type SweepReport } from '../sweep/sweep.js';
import { gridPoints } from '../sweep/grid.js';

export type MergeableReport = CheckReport | SweepReport;

export class MergeError extends Error {}

export interface Merged<R extends MergeableReport> {
  report: R;
  /** Shards present (1-based), and the n they were cut into; missing ones are listed. */
  shards: number[];
  missing: number[];
}

function shardsOf(reports: readonly MergeableReport[]): { n: number; present: number[]; missing: number[] } {
  const ns = new Set(reports.map((r) => r.shard?.n ?? 1));
  if (ns.size > 1) throw new MergeError(`the reports were cut into different numbers of shards (${[...ns].join(', ')})`);
  const n = [...ns][0] ?? 1;
  const present = reports.map((r) => r.shard?.k ?? 1).sort((a, b) => a - b);
  for (let i = 1; i < present.length; i++) if (present[i] === present[i - 1]) throw new MergeError(`shard ${present[i]}/${n} is given twice`);
  const missing: number[] = [];
  for (let k = 1; k <= n; k++) if (!present.includes(k)) missing.push(k);
  return { n, present, missing };
}

function same(reports: readonly MergeableReport[], what: string, get: (r: MergeableReport) => unknown): void {
  const first = JSON.stringify(get(reports[0] as MergeableReport));
  for (const r of reports) {
    if (JSON.stringify(get(r)) !== first) throw new MergeError(`the reports differ in ${what} (${first} vs ${JSON.stringify(get(r))}): not shards of one run`);
  }
}

export function mergeCheckReports(reports: readonly CheckReport[]): Merged<CheckReport> {
  if (reports.length === 0) throw new MergeError('nothing to merge');
  same(reports, 'scenario', (r) => r.scenario);
  same(reports, 'seed', (r) => (r as CheckReport).seed);
  same(reports, 'runs', (r) => (r as CheckReport).runs);
  same(reports, 'until', (r) => (r as CheckReport).until);
  const { present, missing } = shardsOf(reports);
  const failures = reports.map((r) => r.failure).filter((f): f is NonNullable<CheckReport['failure']> => f !== null);
  const failure = failures.sort((a, b) => a.index - b.index)[0] ?? null;
  const results = reports
    .flatMap((r) => r.results)
    .filter((r) => failure === null || r.index <= failure.index)
    .sort((a, b) => a.index - b.index);
  const first = reports[0] as CheckReport;
  const report: CheckReport = {
    kind: 'haywire.check',
    schemaVersion: 1,
    scenario: first.scenario,
    seed: first.seed,
    runs: first.runs,
    until: first.until,
    shard: missing.length === 0 ? null : (first.shard ?? null),
    executed: results.length,
    results,
    ...summarize(results),
    failure,
  };
  return { report, shards: present, missing };
}

export function mergeSweepReports(reports: readonly SweepReport[]): Merged<SweepReport> {
  if (reports.length === 0) throw new MergeError('nothing to merge');
  same(reports, 'scenario', (r) => r.scenario);
  same(reports, 'seed', (r) => (r as SweepReport).baseSeed);
  same(reports, 'seeds', (r) => (r as SweepReport).seeds);
  same(reports, 'grid', (r) => (r as SweepReport).axes);
  same(reports, 'faults', (r) => [(r as SweepReport).faults, (r as SweepReport).faultSeed]);
  const { present, missing } = shardsOf(reports);
  const seen = new Set<string>();
  const runs = reports
    .flatMap((r) => r.runs)
    .filter((r) => {
      const k = `${r.point}/${r.replicate}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => a.point - b.point || a.replicate - b.replicate);
  const first = reports[0] as SweepReport;
  const report: SweepReport = {
    ...first,
    shard: missing.length === 0 ? null : first.shard,
    points: summarizePoints(gridPoints(first.axes), runs),
    runs,
  };
  return { report, shards: present, missing };
}

/** Merge reports of one kind (all checks or all sweeps). */
export function mergeReports(reports: readonly MergeableReport[]): Merged<MergeableReport> {
  const kinds = new Set(reports.map((r) => r.kind));
  if (kinds.size > 1) throw new MergeError('cannot merge check and sweep reports together');
  if (reports[0]?.kind === 'haywire.check') return mergeCheckReports(reports as CheckReport[]);
  return mergeSweepReports(reports as SweepReport[]);
}

/** Read a report file's JSON, checking that it is one haywire can merge. */
export function parseReport(text: string, file: string): MergeableReport {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new MergeError(`${file}: not JSON (${(e as Error).message})`);
  }
  const kind = (data as { kind?: unknown } | null)?.kind;
  if (kind !== 'haywire.check' && kind !== 'haywire.sweep') throw new MergeError(`${file}: not a haywire check or sweep report (written by --json)`);
  if ((data as { schemaVersion?: unknown }).schemaVersion !== 1) throw new MergeError(`${file}: unknown schemaVersion`);
  return data as MergeableReport;
}
