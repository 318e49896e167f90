// The sweep's results as a terminal table: one row per grid point.
import type { PointSummary, Quantiles, SweepReport } from './sweep.js';

const pct = (x: number): string => (x === 0 ? '0' : `${Math.round(x * 1000) / 10}%`);

function secs(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}

const q = (x: Quantiles): string => (x.n === 0 ? '-' : `${secs(x.p50)}/${secs(x.max)}`);

function effective(p: PointSummary): string {
  const e = p.effective;
  return e ? `${e.ttl}/${e.loop_wait}/${e.retry_timeout}` : '-';
}

export function sweepTable(r: SweepReport): string {
  const live = r.points.some((p) => p.livenessRate !== null);
  const head = ['POINT', 'TTL/LW/RT', 'RUNS', 'SPLIT-BRAIN', 'LOST-WRITE', 'FALSE-FO', 'MISSED-FO', 'CRITICAL', 'FAILOVERS', 'RECOVERY p50/max', 'UNAVAIL p50/max', ...(live ? ['CONVERGED'] : [])];
  const rows = r.points.map((p) => [
    p.label,
    effective(p),
    String(p.runs),
    pct(p.incidentRate['split-brain'] ?? 0),
    pct(p.incidentRate['lost-write'] ?? 0),
    pct(p.falseFailoverRate),
    pct(p.incidentRate['missed-failover'] ?? 0),
    pct(p.criticalRate),
    String(p.failoversPerRun),
    q(p.recoveryMs),
    q(p.unavailableMs),
    ...(live ? [p.livenessRate === null ? '-' : pct(p.livenessRate)] : []),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  const out = [line(head), ...rows.map(line)];
  const notes: string[] = [];
  const adjusted = r.points.filter((p) => p.effective && ['ttl', 'loop_wait', 'retry_timeout'].some((k) => typeof p.values[k] === 'number' && p.values[k] !== (p.effective as Record<string, number>)[k]));
  if (adjusted.length > 0) notes.push(`Patroni adjusted the timing of ${adjusted.length} point${adjusted.length === 1 ? '' : 's'} (ttl >= 20, loop_wait + 2*retry_timeout <= ttl): TTL/LW/RT shows what ran.`);
  notes.push(`${r.seeds} replicate${r.seeds === 1 ? '' : 's'} per point, seeds ${r.baseSeed}-1..${r.baseSeed}-${r.seeds} at every point (common random numbers); faults: ${r.faults === 'random' ? `random schedule per replicate (fast-check seed ${r.faultSeed})` : "the scenario's own"}.`);
  notes.push('Rates: fraction of runs with at least one incident of the kind. FALSE-FO: promotions while the old primary was healthy. RECOVERY: last ack on the old timeline to first ack on the new one.');
  return `${out.join('\n')}\n\n${notes.join('\n')}\n`;
}
