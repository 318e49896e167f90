// Promotions and what triggered them: every timeline branch created by `pg.promote`, the primary
// it replaced, and whether an operator asked for it (switchover, manual failover, standby-cluster
// promotion) or Patroni did it on its own (an automatic failover).
import type { BranchInfo } from '../history.js';
import type { DetectorContext } from './context.js';
import { operationKind } from './evidence.js';

export type PromotionKind = 'failover' | 'switchover' | 'manual-failover' | 'cluster-promotion';

export interface Promotion {
  branch: BranchInfo;
  node: string;
  atUs: number;
  /** The primary it replaced: writable at the promotion or most recently before it (null: none). */
  previous: string | null;
  /** When the previous primary stopped being writable (null if it still was at the promotion). */
  previousEndUs: number | null;
  kind: PromotionKind;
  /** The operator action it answered, if any. */
  operation?: { tUs: number; operation: string; message: string };
}

/** Every promotion of the run that replaced an earlier primary, in time order. */
export function promotions(ctx: DetectorContext): Promotion[] {
  const { h } = ctx;
  const s = h.settings;
  // Patroni's switchover API waits up to 2 × max(10, loop_wait) s for the leader to change
  // (patroni/api.py do_POST_failover); an operation record can come before or after the promotion.
  const opWindowUs = (2 * Math.max(10, s.loopWaitS) + s.ttlS) * 1e6;
  const used = new Set<number>();
  const out: Promotion[] = [];
  for (const b of h.branches) {
    if (!b.promoted || b.parentBranch === null) continue;
    let previous: string | null = null;
    let previousEndUs: number | null = null;
    let bestEnd = Number.NEGATIVE_INFINITY;
    for (const n of h.pgNodes) {
      if (n === b.node) continue;
      for (const iv of h.writable[n] ?? []) {
        if (iv.fromUs > b.atUs) break;
        const end = Math.min(iv.toUs, b.atUs);
        if (end > bestEnd || (end === bestEnd && previous !== null && n < previous)) {
          bestEnd = end;
          previous = n;
          previousEndUs = iv.toUs > b.atUs ? null : iv.toUs;
        }
      }
    }
    if (previous === null) {
      // a standby leader promoted while nothing else was primary is still a promotion of a cluster
      const op = nearestOp(ctx, b.atUs, opWindowUs, used, ['promote-cluster']);
      if (op) out.push({ branch: b, node: b.node, atUs: b.atUs, previous: null, previousEndUs: null, kind: 'cluster-promotion', operation: op });
      continue;
    }
    const op = nearestOp(ctx, b.atUs, opWindowUs, used, ['switchover', 'failover', 'promote-cluster']);
    let kind: PromotionKind = 'failover';
    if (op) {
      const k = operationKind({ tUs: op.tUs, operation: op.operation, ok: true, message: op.message });
      kind = k === 'switchover' ? 'switchover' : k === 'promote-cluster' ? 'cluster-promotion' : 'manual-failover';
    }
    const p: Promotion = { branch: b, node: b.node, atUs: b.atUs, previous, previousEndUs, kind };
    if (op) p.operation = op;
    out.push(p);
  }
  return out;
}

function nearestOp(
  ctx: DetectorContext,
  tUs: number,
  windowUs: number,
  used: Set<number>,
  kinds: ('switchover' | 'failover' | 'promote-cluster')[],
): { tUs: number; operation: string; message: string } | undefined {
  let best: { i: number; d: number } | undefined;
  ctx.h.operations.forEach((o, i) => {
    if (!o.ok || used.has(i)) return;
    const k = operationKind(o);
    if (k !== 'switchover' && k !== 'failover' && k !== 'promote-cluster') return;
    if (!kinds.includes(k)) return;
    if (o.tUs > tUs + windowUs || o.tUs < tUs - windowUs) return;
    const d = Math.abs(o.tUs - tUs);
    if (!best || d < best.d) best = { i, d };
  });
  if (!best) return undefined;
  used.add(best.i);
  const o = ctx.h.operations[best.i];
  return o ? { tUs: o.tUs, operation: o.operation, message: o.message } : undefined;
}
