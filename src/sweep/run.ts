// One run of a sweep: a grid point × a replicate seed. The scenario text already carries the
// point's overrides, the replicate's seed and (with random faults) the replicate's schedule; the
// run reports what the per-point statistics need. Pure: the same job gives the same result in any
// thread.
import { judgeLiveness } from '../explore/liveness.js';
import type { IncidentKind } from '../report/incident.js';
import { loadScenarioText } from '../scenarios/load.js';
import { simulateScenario } from '../scenarios/simulate.js';

export interface SweepJob {
  kind: 'sweep';
  point: number;
  replicate: number;
  text: string;
  file: string;
  /** Judge liveness after the heal over these core nodes (random-fault sweeps). */
  coreNodes?: string[];
}

export interface SweepRunResult {
  point: number;
  replicate: number;
  seed: string;
  traceHash: string;
  /** Patroni's effective timing (after its own adjustment of ttl / loop_wait / retry_timeout). */
  effective: { ttl: number; loop_wait: number; retry_timeout: number };
  /** Incidents of severity warning or critical, by kind (missed failovers: misjudgments only). */
  incidents: Partial<Record<IncidentKind, number>>;
  critical: number;
  confirmedSplitBrains: number;
  lostWrites: number;
  falseFailovers: number;
  failovers: number;
  switchovers: number;
  /** Longest recovery: last ack on the old timeline to first ack on the new one (null: no promotion). */
  maxRecoveryMs: number | null;
  maxUnavailableMs: number;
  writeAvailability: number | null;
  /** Liveness after the heal (random-fault sweeps): ok, or the stall's verdict. */
  liveness?: { ok: boolean; recoveryMs: number | null; verdict?: 'legitimate' | 'misjudgment' };
  /** Patroni's configuration warnings (e.g. it raised ttl to 20). */
  warnings: string[];
}

export function runSweepJob(job: SweepJob): SweepRunResult {
  const loaded = loadScenarioText(job.text, job.file);
  const sim = simulateScenario(loaded);
  const a = sim.analysis;
  const r = a.result;
  const incidents: Partial<Record<IncidentKind, number>> = {};
  for (const i of r.incidents) {
    if (i.severity === 'info') continue;
    if (i.kind === 'missed-failover' && i.details.verdict === 'legitimate') continue;
    incidents[i.kind] = (incidents[i.kind] ?? 0) + 1;
  }
  const p = a.history.meta.patroni;
  const out: SweepRunResult = {
    point: job.point,
    replicate: job.replicate,
    seed: loaded.scenario.seed,
    traceHash: sim.traceHash,
    effective: { ttl: Number(p.ttl), loop_wait: Number(p.loop_wait), retry_timeout: Number(p.retry_timeout) },
    incidents,
    critical: r.incidents.filter((i) => i.severity === 'critical').length,
    confirmedSplitBrains: r.incidents.filter((i) => i.kind === 'split-brain' && i.details.confirmed === true).length,
    lostWrites: r.metrics.lostWrites,
    falseFailovers: r.incidents.filter((i) => i.kind === 'false-failover').length,
    failovers: r.metrics.failovers,
    switchovers: r.metrics.switchovers,
    maxRecoveryMs: r.metrics.maxRecoveryMs,
    maxUnavailableMs: r.metrics.maxUnavailableMs,
    writeAvailability: r.metrics.writeAvailability,
    warnings: [...new Set(a.history.warnings.map((w) => w.message))],
  };
  if (job.coreNodes) {
    const l = judgeLiveness(a, { coreNodes: job.coreNodes });
    out.liveness = { ok: l.ok, recoveryMs: l.recoveryMs, ...(l.stall ? { verdict: l.stall.verdict } : {}) };
  }
  return out;
}
