// Evidence queries the detectors share: what the Patroni agent process was doing, the watchdog,
// a node's reach to the DCS majority, double grants of the leader key, Patroni's own log lines,
// faults, clock steps and operator actions around an instant. Each returns plain facts; the
// detectors turn them into sentences.
import type { ProcState } from '../../sim/host/process.js';
import type { BranchInfo, CycleSpan, FaultSpan, Grant, OperationEvent, PgStateValue, WatchdogEvent } from '../history.js';
import { lastSpanStartedBy, piecewise, spanAt, type Interval, type Span } from '../intervals.js';
import type { WatchdogMode } from '../settings.js';
import type { DetectorContext } from './context.js';

export interface AgentOutage extends Interval {
  state: Exclude<ProcState, 'running'>;
}

/** Periods in [fromUs, toUs) when the node's Patroni process was not running (paused, crashed, stopped). */
export function agentOutages(ctx: DetectorContext, node: string, fromUs: number, toUs: number): AgentOutage[] {
  const out: AgentOutage[] = [];
  for (const s of ctx.truth.patroniSpans(node)) {
    if (s.v === 'running') continue;
    if (s.toUs <= fromUs || s.fromUs >= toUs) continue;
    out.push({ state: s.v, fromUs: s.fromUs, toUs: s.toUs });
  }
  return out;
}

export interface WatchdogView {
  /** The configured mode from run.start, if given. */
  mode: WatchdogMode | undefined;
  /** The last activation/disable/fire/failure event at or before t. */
  last: WatchdogEvent | undefined;
  /** Active at t: activated and neither disabled, fired nor failed since. */
  active: boolean;
  /** Whether the node ever activated a watchdog in the run. */
  everActivated: boolean;
}

export function watchdogAt(ctx: DetectorContext, node: string, tUs: number): WatchdogView {
  const events = ctx.h.watchdog.filter((e) => e.node === node);
  let last: WatchdogEvent | undefined;
  for (const e of events) if (e.tUs <= tUs) last = e;
  return {
    mode: ctx.h.settings.nodes[node]?.watchdog,
    last,
    active: last?.event === 'activated',
    everActivated: events.some((e) => e.event === 'activated'),
  };
}

export function watchdogFired(ctx: DetectorContext, node: string, fromUs: number, toUs: number): WatchdogEvent | undefined {
  return ctx.h.watchdog.find((e) => e.node === node && e.event === 'fired' && e.tUs >= fromUs && e.tUs <= toUs);
}

/** Periods in [fromUs, toUs) when `host` could not reach a majority of the DCS members (both ways). */
export function dcsMajorityLost(ctx: DetectorContext, host: string, fromUs: number, toUs: number): Interval[] {
  if (ctx.h.meta.dcsMembers.length === 0) return [];
  return piecewise(ctx.truth.changePoints(), fromUs, toUs, (t) => ctx.truth.hostUp(host, t) && !ctx.truth.dcsReach(host, t).majority);
}

/** Grants of the leader key to `a` and to `b` (same store) that overlapped in true time within the window. */
export function doubleGrants(ctx: DetectorContext, a: string, b: string, fromUs: number, toUs: number): { store: string; fromUs: number; toUs: number; a: Grant; b: Grant }[] {
  const out: { store: string; fromUs: number; toUs: number; a: Grant; b: Grant }[] = [];
  const ga = ctx.h.grants.filter((g) => g.holder === a);
  const gb = ctx.h.grants.filter((g) => g.holder === b);
  for (const x of ga) {
    for (const y of gb) {
      if (x.store !== y.store) continue;
      const from = Math.max(x.fromUs, y.fromUs, fromUs);
      const to = Math.min(x.toUs, y.toUs, toUs);
      if (to > from) out.push({ store: x.store, fromUs: from, toUs: to, a: x, b: y });
    }
  }
  return out;
}

/** Patroni's cycle line in force at t (the last one logged at or before t). */
export function cycleAt(ctx: DetectorContext, node: string, tUs: number): CycleSpan | undefined {
  return lastSpanStartedBy(ctx.h.cycles[node] ?? [], tUs) as CycleSpan | undefined;
}

/**
 * Runs of identical cycle lines in force during [fromUs, toUs]: the line logged last before the
 * window (what the node believed when it began) and every line logged inside it.
 */
export function cyclesIn(ctx: DetectorContext, node: string, fromUs: number, toUs: number): CycleSpan[] {
  return (ctx.h.cycles[node] ?? []).filter((c) => c.toUs > fromUs && c.fromUs <= toUs);
}

export function faultsIn(ctx: DetectorContext, fromUs: number, toUs: number, pred: (f: FaultSpan) => boolean = () => true): FaultSpan[] {
  return ctx.h.faults.filter((f) => f.toUs > fromUs && f.fromUs < toUs && pred(f));
}

/** Whether a fault description names a host (word match). */
export function faultNames(f: FaultSpan, host: string): boolean {
  return new RegExp(`(^|[^\\w-])${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^\\w-]|$)`).test(f.what);
}

export function clockEventsIn(ctx: DetectorContext, hosts: readonly string[], fromUs: number, toUs: number): { tUs: number; host: string; reason: string; offsetUs: number; driftPpm: number }[] {
  return ctx.h.clocks.filter((c) => c.tUs >= fromUs && c.tUs <= toUs && hosts.includes(c.host));
}

/** Periods in [fromUs, toUs) when a store reported no quorum. */
export function quorumLost(ctx: DetectorContext, fromUs: number, toUs: number): { store: string; fromUs: number; toUs: number }[] {
  const out: { store: string; fromUs: number; toUs: number }[] = [];
  for (const [store, spans] of Object.entries(ctx.h.quorum)) {
    for (const s of spans) {
      if (s.v.ok || s.toUs <= fromUs || s.fromUs >= toUs) continue;
      out.push({ store, fromUs: Math.max(s.fromUs, fromUs), toUs: Math.min(s.toUs, toUs) });
    }
  }
  return out;
}

/** DCS leader changes (term or leader) in the window, per store. */
export function dcsLeaderChanges(ctx: DetectorContext, fromUs: number, toUs: number): { store: string; tUs: number; leader: string | null | undefined }[] {
  const out: { store: string; tUs: number; leader: string | null | undefined }[] = [];
  for (const [store, spans] of Object.entries(ctx.h.quorum)) {
    for (let i = 1; i < spans.length; i++) {
      const s = spans[i] as Span<{ ok: boolean; leader?: string | null }>;
      const p = spans[i - 1] as Span<{ ok: boolean; leader?: string | null }>;
      if (s.fromUs < fromUs || s.fromUs > toUs) continue;
      if ((s.v.leader ?? null) !== (p.v.leader ?? null)) out.push({ store, tUs: s.fromUs, leader: s.v.leader });
    }
  }
  return out;
}

export type OperationKind = 'switchover' | 'failover' | 'promote-cluster' | 'demote-cluster' | 'pause' | 'resume' | 'other';

export function operationKind(op: OperationEvent): OperationKind {
  const o = op.operation.toLowerCase().replace(/_/g, '-');
  if (o.includes('switchover')) return 'switchover';
  if (o.includes('promote-cluster') || o.includes('promote cluster')) return 'promote-cluster';
  if (o.includes('demote-cluster')) return 'demote-cluster';
  if (o.includes('failover')) return 'failover';
  if (o === 'pause' || o.endsWith(' pause')) return 'pause';
  if (o === 'resume' || o.endsWith(' resume')) return 'resume';
  return 'other';
}

export function operationsIn(ctx: DetectorContext, fromUs: number, toUs: number, kinds: readonly OperationKind[]): OperationEvent[] {
  return ctx.h.operations.filter((o) => o.tUs >= fromUs && o.tUs <= toUs && o.ok && kinds.includes(operationKind(o)));
}

export function pgAt(ctx: DetectorContext, node: string, tUs: number): PgStateValue | undefined {
  return spanAt(ctx.h.pg[node] ?? [], tUs)?.v;
}

/** The pg.state span that ended a node's writable interval at `tUs` (the state it moved to). */
export function pgAfter(ctx: DetectorContext, node: string, tUs: number): Span<PgStateValue> | undefined {
  return (ctx.h.pg[node] ?? []).find((s) => s.fromUs >= tUs);
}

/** The promotion that made `node` writable at about `tUs` (its most recent pg.promote at or before it). */
export function promotionOf(ctx: DetectorContext, node: string, tUs: number): BranchInfo | undefined {
  let best: BranchInfo | undefined;
  for (const b of ctx.h.branches) if (b.node === node && b.promoted && b.atUs <= tUs + 1 && (best === undefined || b.atUs > best.atUs)) best = b;
  return best;
}

/** Whether the Patroni agent was paused (patroni.cycle paused=true or `pause` in the dynamic config) around t. */
export function maintenanceModeAt(ctx: DetectorContext, tUs: number): boolean {
  let any = false;
  for (const node of Object.keys(ctx.h.cycles)) {
    const c = cycleAt(ctx, node, tUs);
    if (c && c.v.paused) any = true;
  }
  if (any) return true;
  if (ctx.h.settings.paused) {
    // paused from the start unless an operator resumed before t
    return !ctx.h.operations.some((o) => o.ok && o.tUs <= tUs && operationKind(o) === 'resume');
  }
  return false;
}
