// missed-failover: writes unavailable to clients for longer than a budget (default ttl + loop_wait
// + 10 s) while a replica could have taken over.
//
// Writes are available at t when some node is a writable primary that at least one client host can
// reach both ways (any writable primary, when the run names no client hosts). A replica could take
// over at t when its host is up, its PostgreSQL runs in recovery, its Patroni runs, it reaches a DCS
// majority and a client, and it is caught up: the primary's last known flush position minus the
// replica's latest receive/replay position is within `maximum_lag_on_failover`.
//
// Within an unavailability window, the instants where such a replica existed and nothing in
// Patroni's rules forbade its promotion are misjudgment; when they last longer than the budget the
// window is a missed failover (warning). When replicas existed but every one was held back by a
// rule — pause mode, no DCS quorum, synchronous mode with the replica outside the synchronous set
// (strict or not), a nofailover tag, a crashed primary that Patroni restarts in place within
// primary_start_timeout — the window is reported as a legitimate stall (info) with those reasons.
import { parseSyncStandbyNames } from '../../sim/patroni/ssn.js';
import { draft, fmtAt, fmtDuration, listText, type IncidentDraft } from '../incident.js';
import { longest, piecewise, spanAt, complementIntervals, type Interval } from '../intervals.js';
import type { DetectorContext } from './context.js';
import { cycleAt, cyclesIn, maintenanceModeAt, pgAt, quorumLost } from './evidence.js';

/** Whether some writable primary is reachable by a client at t, and which. */
export function availablePrimary(ctx: DetectorContext, t: number): string | null {
  const { h, truth } = ctx;
  const knownClients = h.meta.clients.some((c) => c.host !== null);
  for (const n of h.pgNodes) {
    const w = h.writable[n] ?? [];
    if (!w.some((iv) => iv.fromUs <= t && t < iv.toUs)) continue;
    if (!knownClients || truth.clientReach(n, t).reachable.length > 0) return n;
  }
  return null;
}

/** Windows of true time with no writable primary reachable by clients (after the first one existed). */
export function writeOutages(ctx: DetectorContext): Interval[] {
  const { h, truth } = ctx;
  const avail = piecewise(truth.changePoints(), h.startUs, h.endUs, (t) => availablePrimary(ctx, t) !== null);
  const first = avail[0];
  if (!first) return [];
  return complementIntervals(avail, first.fromUs, h.endUs);
}

function lastFlush(ctx: DetectorContext, node: string, beforeUs: number): number | null {
  let best: number | null = null;
  for (const s of ctx.h.lsn[node] ?? []) if (s.tUs <= beforeUs && (best === null || s.flushLsn > best)) best = s.flushLsn;
  for (const w of ctx.h.writes.rows()) {
    if (w.commitNode === node && w.commitUs <= beforeUs && Number.isNaN(w.crashLostUs) && (best === null || w.lsn > best)) best = w.lsn;
  }
  return best;
}

function replicaPos(ctx: DetectorContext, node: string, tUs: number): number | null {
  let pos: number | null = null;
  for (const s of ctx.h.lsn[node] ?? []) {
    if (s.tUs > tUs) break;
    pos = Math.max(s.receiveLsn ?? 0, s.replayLsn ?? 0, s.flushLsn);
  }
  return pos;
}

export function detectMissedFailovers(ctx: DetectorContext): IncidentDraft[] {
  const { h, truth, opts } = ctx;
  const s = h.settings;
  const budget = opts.missedFailoverBudgetUs;
  const out: IncidentDraft[] = [];
  for (const u of writeOutages(ctx)) {
    if (u.toUs - u.fromUs <= budget) continue;
    const x = availablePrimary(ctx, u.fromUs - 1) ?? lastPrimaryBefore(ctx, u.fromUs);
    const xFlush = x ? lastFlush(ctx, x, u.fromUs) : null;
    const ssn = x ? spanAt(h.sync[x] ?? [], u.fromUs - 1)?.v.synchronousStandbyNames : undefined;
    let syncSet: Set<string> | null = null;
    if (s.synchronousMode !== 'off' && ssn !== undefined) {
      try {
        syncSet = new Set([...parseSyncStandbyNames(ssn).members].map((m) => m.toLowerCase()));
      } catch {
        syncSet = new Set();
      }
    } else if (s.synchronousMode !== 'off') syncSet = new Set();
    const points = [...truth.changePoints()];
    for (const samples of Object.values(h.lsn)) for (const smp of samples) if (smp.tUs > u.fromUs && smp.tUs < u.toUs) points.push(smp.tUs);
    const knownClients = h.meta.clients.some((c) => c.host !== null);
    const eligible = (t: number): string[] =>
      h.pgNodes.filter((r) => {
        if (r === x || !truth.hostUp(r, t)) return false;
        const st = pgAt(ctx, r, t);
        if (!st || st.state !== 'running' || !st.inRecovery) return false;
        const ps = truth.patroniState(r, t);
        if (ps !== undefined && ps !== 'running') return false;
        if (h.meta.dcsMembers.length > 0 && !truth.dcsReach(r, t).majority) return false;
        if (knownClients && truth.clientReach(r, t).reachable.length === 0) return false;
        const pos = replicaPos(ctx, r, t);
        if (xFlush !== null && pos !== null && xFlush - pos > s.maximumLagOnFailoverBytes) return false;
        return true;
      });
    const blocker = (r: string, t: number): string | null => {
      if (maintenanceModeAt(ctx, t)) return 'the cluster was in maintenance mode (pause)';
      const q = quorumLost(ctx, t, t + 1);
      if (q.length > 0) return `the DCS (${(q[0] as { store: string }).store}) had no quorum`;
      if (s.nodes[r]?.nofailover) return `${r} is tagged nofailover`;
      if (syncSet !== null && !syncSet.has(r.toLowerCase())) {
        return s.synchronousModeStrict
          ? `synchronous_mode_strict: ${r} was not a synchronous standby, and no synchronous standby could take over`
          : `synchronous_mode: ${r} was not a synchronous standby, and no synchronous standby could take over`;
      }
      if (x) {
        const xs = pgAt(ctx, x, t);
        const xAgent = truth.patroniState(x, t);
        const xDcs = h.meta.dcsMembers.length === 0 || truth.dcsReach(x, t).majority;
        if (xs && (xs.state === 'crashed' || xs.state === 'starting' || xs.state === 'crash-recovery' || xs.state === 'stopped') && (xAgent === undefined || xAgent === 'running') && xDcs && t - u.fromUs < s.primaryStartTimeoutS * 1e6) {
          return `${x}'s Patroni was restarting its crashed PostgreSQL in place (primary_start_timeout ${s.primaryStartTimeoutS} s)`;
        }
      }
      return null;
    };
    const misjudged = piecewise(points, u.fromUs, u.toUs, (t) => eligible(t).some((r) => blocker(r, t) === null));
    const anyEligible = piecewise(points, u.fromUs, u.toUs, (t) => eligible(t).length > 0);
    const worst = longest(misjudged);
    const dur = fmtDuration(u.toUs - u.fromUs);
    const head = `Writes were unavailable for ${dur} from ${fmtAt(u.fromUs)} (budget ${fmtDuration(budget)})`;
    if (worst && worst.toUs - worst.fromUs > budget) {
      const mid = worst.fromUs + (worst.toUs - worst.fromUs) / 2;
      const cands = eligible(mid).filter((r) => blocker(r, mid) === null);
      const why = whyNoFailover(ctx, x, cands, worst);
      out.push(
        draft('missed-failover', 'warning', u.fromUs, u.toUs, {
          nodes: [...(x ? [x] : []), ...cands],
          writes: [],
          explanation: `${head} although ${listText(cands)} ${cands.length === 1 ? 'was a caught-up replica' : 'were caught-up replicas'} reachable by clients and by the DCS majority: ${why.text}.`,
          evidence: [
            `no writable primary reachable by clients from ${fmtAt(u.fromUs)} to ${fmtAt(u.toUs)}`,
            `${listText(cands)} could have taken over from ${fmtAt(worst.fromUs)} for ${fmtDuration(worst.toUs - worst.fromUs)}`,
            ...why.evidence,
          ],
          details: { verdict: 'misjudgment', unavailableMs: (u.toUs - u.fromUs) / 1000, budgetMs: budget / 1000, previousPrimary: x, candidates: cands },
        }),
      );
      continue;
    }
    const eligibleRun = longest(anyEligible);
    if (!eligibleRun || eligibleRun.toUs - eligibleRun.fromUs <= budget) continue;
    const reasons = new Set<string>();
    for (const t of [eligibleRun.fromUs, eligibleRun.fromUs + (eligibleRun.toUs - eligibleRun.fromUs) / 2, eligibleRun.toUs - 1]) {
      for (const r of eligible(t)) {
        const b = blocker(r, t);
        if (b) reasons.add(b);
      }
    }
    out.push(
      draft('missed-failover', 'info', u.fromUs, u.toUs, {
        nodes: [...(x ? [x] : []), ...eligible(eligibleRun.fromUs)],
        writes: [],
        explanation: `${head}, and no failover happened by design: ${[...reasons].join('; ')}.`,
        evidence: [`no writable primary reachable by clients from ${fmtAt(u.fromUs)} to ${fmtAt(u.toUs)}`, ...[...reasons]],
        details: { verdict: 'legitimate', unavailableMs: (u.toUs - u.fromUs) / 1000, budgetMs: budget / 1000, previousPrimary: x, reasons: [...reasons] },
      }),
    );
  }
  return out;
}

function lastPrimaryBefore(ctx: DetectorContext, tUs: number): string | null {
  let best: { n: string; end: number } | null = null;
  for (const n of ctx.h.pgNodes) {
    for (const iv of ctx.h.writable[n] ?? []) {
      if (iv.fromUs >= tUs) break;
      const end = Math.min(iv.toUs, tUs);
      if (!best || end > best.end) best = { n, end };
    }
  }
  return best?.n ?? null;
}

function whyNoFailover(ctx: DetectorContext, x: string | null, cands: string[], win: Interval): { text: string; evidence: string[] } {
  const { h, truth } = ctx;
  const mid = win.fromUs + (win.toUs - win.fromUs) / 2;
  const evidence: string[] = [];
  const holder = leaderHolderAt(ctx, mid);
  if (holder !== undefined) evidence.push(`leader key at ${fmtAt(mid)}: ${holder ?? 'nobody'}`);
  for (const c of cands) {
    const line = cycleAt(ctx, c, mid);
    if (line) evidence.push(`${c} Patroni: "${line.v.message}"`);
  }
  if (x) {
    const xw = (h.writable[x] ?? []).some((iv) => iv.fromUs <= mid && mid < iv.toUs);
    const xAgent = truth.patroniState(x, mid);
    const xDcs = h.meta.dcsMembers.length > 0 && truth.dcsReach(x, mid).majority;
    const lines = cyclesIn(ctx, x, win.fromUs, win.toUs);
    if (lines[0]) evidence.push(`${x} Patroni: "${lines[0].v.message}"`);
    if (xw && (xAgent === undefined || xAgent === 'running') && xDcs) {
      return { text: `${x} stayed primary and kept the leader key because it could still reach the DCS, while no client could reach it`, evidence };
    }
    if (holder === x) {
      const st = xAgent && xAgent !== 'running' ? ` (its Patroni was ${xAgent})` : '';
      return { text: `the leader key still named ${x}${st}, so no replica could take it`, evidence };
    }
  }
  if (holder === null) return { text: `the leader key was free, yet no replica acquired it`, evidence };
  return { text: `no replica acquired the leader key`, evidence };
}

function leaderHolderAt(ctx: DetectorContext, tUs: number): string | null | undefined {
  for (const [key, spans] of Object.entries(ctx.h.leader)) {
    if (key.includes('@')) continue;
    const s = spanAt(spans, tUs);
    if (s) return s.v.holder;
  }
  return undefined;
}
