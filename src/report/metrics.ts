// Run metrics: what clients experienced (write availability and every unavailability window),
// per-promotion recovery time, data lost, failovers and switchovers.
//
// Definitions (also in docs/report-schema.md):
//  - Unavailability windows (client view): order write operations by invoke time; a window opens at
//    the invoke of a write that did not succeed (fail, info, or never completed) after the last
//    success, and closes at the completion of the next successful write (or the end of the run).
//    Overlapping windows are merged. `writeAvailability` = 1 − (time in windows) / (time from the
//    first write invoke to the end of the run); null without writes.
//  - `noPrimaryWindows` (ground truth): no writable primary reachable by a client host.
//  - Recovery time of a promotion: the last acknowledgement of a write committed on the previous
//    timeline branch at or before the promotion, to the first acknowledgement of a write committed
//    on the new branch (null when either does not exist).
//  - Data lost: acknowledged writes missing from the final history, and the WAL bytes past the fork
//    (or the last flush, for crash recovery) up to the last of them.
import type { IncidentDraft } from './incident.js';
import type { DetectorContext } from './detectors/context.js';
import { mergeIntervals, type Interval } from './intervals.js';
import { writeOutages } from './detectors/missedFailover.js';
import { promotions, type PromotionKind } from './detectors/promotions.js';

export interface Window {
  startMs: number;
  endMs: number;
  durationMs: number;
}

export interface PromotionMetric {
  atMs: number;
  node: string;
  previousPrimary: string | null;
  timeline: number;
  kind: PromotionKind;
  /** Last ack on the old timeline to first ack on the new one; null when unknown. */
  recoveryMs: number | null;
}

export interface Metrics {
  durationMs: number;
  writes: { invoked: number; acknowledged: number; failed: number; indeterminate: number; pending: number };
  reads: { ok: number; failed: number; indeterminate: number; stale: number };
  writeAvailability: number | null;
  unavailableWindows: Window[];
  maxUnavailableMs: number;
  noPrimaryWindows: Window[];
  failovers: number;
  switchovers: number;
  promotions: PromotionMetric[];
  maxRecoveryMs: number | null;
  lostWrites: number;
  lostBytes: number;
  indeterminateWrites: { total: number; inFinalHistory: number; missing: number };
  splitBrainMs: number;
}

const ms = (us: number): number => Math.round(us) / 1000;
const win = (iv: Interval): Window => ({ startMs: ms(iv.fromUs), endMs: ms(iv.toUs), durationMs: ms(iv.toUs - iv.fromUs) });

export function computeMetrics(ctx: DetectorContext, incidents: readonly IncidentDraft[]): Metrics {
  const { h } = ctx;
  const ops: { inv: number; done: number; ok: boolean }[] = [];
  const counts = { invoked: 0, acknowledged: 0, failed: 0, indeterminate: 0, pending: 0 };
  let firstInvoke = Number.POSITIVE_INFINITY;
  for (const w of h.writes.rows()) {
    if (Number.isNaN(w.invokeUs)) continue;
    counts.invoked++;
    if (w.outcome === 'ok') counts.acknowledged++;
    else if (w.outcome === 'fail') counts.failed++;
    else if (w.outcome === 'info') counts.indeterminate++;
    else counts.pending++;
    if (w.invokeUs < firstInvoke) firstInvoke = w.invokeUs;
    ops.push({ inv: w.invokeUs, done: Number.isNaN(w.completeUs) ? h.endUs : w.completeUs, ok: w.outcome === 'ok' });
  }
  ops.sort((a, b) => a.inv - b.inv || a.done - b.done);
  const windows: Interval[] = [];
  let open: number | null = null;
  for (const o of ops) {
    if (!o.ok) {
      if (open === null) open = o.inv;
    } else if (open !== null && o.done > open) {
      windows.push({ fromUs: open, toUs: o.done });
      open = null;
    }
  }
  if (open !== null) windows.push({ fromUs: open, toUs: h.endUs });
  const merged = mergeIntervals(windows);
  const total = merged.reduce((a, b) => a + (b.toUs - b.fromUs), 0);
  const span = h.endUs - firstInvoke;
  const availability = ops.length === 0 || span <= 0 ? null : Math.max(0, Math.min(1, 1 - total / span));

  const lostInc = incidents.filter((i) => i.kind === 'lost-write');
  const lostWrites = lostInc.reduce((a, i) => a + i.writes.length, 0);
  const lostBytes = lostInc.reduce((a, i) => a + (typeof i.details.bytes === 'number' ? i.details.bytes : 0), 0);

  const proms = promotions(ctx);
  const promotionMetrics: PromotionMetric[] = proms.map((p) => {
    let lastOld = Number.NEGATIVE_INFINITY;
    let firstNew = Number.POSITIVE_INFINITY;
    for (const w of h.writes.rows()) {
      if (w.outcome !== 'ok' || Number.isNaN(w.completeUs)) continue;
      if (w.branch === p.branch.parentBranch && w.completeUs <= p.atUs && w.completeUs > lastOld) lastOld = w.completeUs;
      if (w.branch === p.branch.branch && w.completeUs < firstNew) firstNew = w.completeUs;
    }
    return {
      atMs: ms(p.atUs),
      node: p.node,
      previousPrimary: p.previous,
      timeline: p.branch.timeline,
      kind: p.kind,
      recoveryMs: Number.isFinite(lastOld) && Number.isFinite(firstNew) ? ms(firstNew - lastOld) : null,
    };
  });
  const recoveries = promotionMetrics.map((p) => p.recoveryMs).filter((x): x is number => x !== null);
  let indTotal = 0;
  let indIn = 0;
  for (const w of h.writes.rows()) {
    if (Number.isNaN(w.invokeUs) || (w.outcome !== 'info' && w.outcome !== 'pending')) continue;
    indTotal++;
    if (ctx.oracle.containsWrite(w.writeId)) indIn++;
  }
  return {
    durationMs: ms(h.endUs - h.startUs),
    writes: counts,
    reads: { ok: h.reads.ok, failed: h.reads.fail, indeterminate: h.reads.info, stale: h.reads.stale },
    writeAvailability: availability === null ? null : Math.round(availability * 1e6) / 1e6,
    unavailableWindows: merged.map(win),
    maxUnavailableMs: merged.length === 0 ? 0 : Math.max(...merged.map((x) => ms(x.toUs - x.fromUs))),
    noPrimaryWindows: writeOutages(ctx).map(win),
    failovers: promotionMetrics.filter((p) => p.kind === 'failover' || p.kind === 'manual-failover').length,
    switchovers: promotionMetrics.filter((p) => p.kind === 'switchover').length,
    promotions: promotionMetrics,
    maxRecoveryMs: recoveries.length === 0 ? null : Math.max(...recoveries),
    lostWrites,
    lostBytes,
    indeterminateWrites: { total: indTotal, inFinalHistory: indIn, missing: indTotal - indIn },
    splitBrainMs: ms(incidents.filter((i) => i.kind === 'split-brain').reduce((a, i) => a + (i.endUs - i.startUs), 0)),
  };
}
