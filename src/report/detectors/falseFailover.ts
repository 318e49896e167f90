// false-failover: an automatic promotion while the primary it replaced was, in ground truth,
// healthy and reachable — throughout the ttl before the promotion (the period in which it should
// have renewed its leader key) its host was up, its PostgreSQL was a writable primary (or being
// demoted by Patroni, never crashed), every client host could reach it both ways, and it could
// reach a majority of the DCS members both ways. Operator-requested promotions (switchover, manual
// failover, promote-cluster) are not judged. The cause is read from the evidence: a paused or dead
// Patroni agent, DCS latency or instability (degraded links, lost quorum, DCS leader changes), a
// DCS-only cut (some members unreachable), clock steps, a stalled disk, and Patroni's own log lines.
import { draft, fmtAt, fmtDuration, listText, type IncidentDraft } from '../incident.js';
import { coversAt, piecewise, type Interval } from '../intervals.js';
import { dcsMembersOf, type FaultSpan } from '../history.js';
import type { DetectorContext } from './context.js';
import {
  agentOutages,
  clockEventsIn,
  cycleAt,
  cyclesIn,
  dcsLeaderChanges,
  dcsMajorityLost,
  faultNames,
  faultsIn,
  pgAt,
  quorumLost,
} from './evidence.js';
import { promotions, type Promotion } from './promotions.js';

const UNHEALTHY = new Set(['crashed', 'crash-recovery', 'uninitialized', 'rewinding', 'cloning']);

/** Whether `x` was healthy and reachable over [fromUs, toUs): the conditions of a false failover. */
export function healthyAndReachable(ctx: DetectorContext, x: string, fromUs: number, toUs: number): { ok: boolean; why: string } {
  const { truth, h } = ctx;
  if (!coversAt(h.writable[x] ?? [], fromUs)) return { ok: false, why: `${x} was not a writable primary at ${fmtAt(fromUs)}` };
  const pts = truth.changePoints();
  const bad = piecewise(pts, fromUs, toUs, (t) => {
    if (!truth.hostUp(x, t)) return true;
    const st = pgAt(ctx, x, t);
    return st === undefined || UNHEALTHY.has(st.state);
  });
  if (bad.length > 0) return { ok: false, why: `${x} was down or unhealthy at ${fmtAt((bad[0] as Interval).fromUs)}` };
  const clientsCut = piecewise(pts, fromUs, toUs, (t) => truth.clientReach(x, t).cut.length > 0);
  if (clientsCut.length > 0) return { ok: false, why: `some clients could not reach ${x} at ${fmtAt((clientsCut[0] as Interval).fromUs)}` };
  if (h.meta.dcsMembers.length === 0) return { ok: false, why: 'the DCS members are unknown' };
  const dcs = dcsMajorityLost(ctx, x, fromUs, toUs);
  if (dcs.length > 0) return { ok: false, why: `${x} could not reach a DCS majority at ${fmtAt((dcs[0] as Interval).fromUs)}` };
  return { ok: true, why: '' };
}

/**
 * Whether `x` deleted its own leader key in [fromUs, toUs]: Patroni hands the key over on purpose
 * when it is shut down (SIGTERM: `Ha.shutdown` → `release_leader_key_voluntarily`) or demotes
 * gracefully, so the promotion that follows answers an operator's stop, like a switchover, and is
 * not a misjudgment. (A Patroni killed or frozen releases nothing: the key expires.)
 */
function releasedVoluntarily(ctx: DetectorContext, x: string, fromUs: number, toUs: number): boolean {
  for (const [key, spans] of Object.entries(ctx.h.leader)) {
    if (key.includes('@')) continue;
    for (let i = 1; i < spans.length; i++) {
      const s = spans[i] as (typeof spans)[number];
      if (s.fromUs < fromUs || s.fromUs > toUs) continue;
      if (s.v.holder === null && s.v.reason === 'deleted' && spans[i - 1]?.v.holder === x) return true;
    }
  }
  return false;
}

export function detectFalseFailovers(ctx: DetectorContext): IncidentDraft[] {
  const out: IncidentDraft[] = [];
  for (const p of promotions(ctx)) {
    if (p.kind !== 'failover' || p.previous === null) continue;
    const inc = judge(ctx, p, p.previous);
    if (inc) out.push(inc);
  }
  return out;
}

function judge(ctx: DetectorContext, p: Promotion, x: string): IncidentDraft | null {
  const { h } = ctx;
  const s = h.settings;
  const ttlUs = s.ttlS * 1e6;
  const fromUs = Math.max(h.startUs, p.atUs - ttlUs);
  const check = healthyAndReachable(ctx, x, fromUs, p.atUs);
  if (!check.ok) return null;
  if (releasedVoluntarily(ctx, x, fromUs, p.atUs)) return null;
  const y = p.node;
  const clauses: string[] = [];
  const causes: string[] = [];
  const evidence: string[] = [
    `${y} promoted at ${fmtAt(p.atUs)} (timeline ${p.branch.timeline})`,
    `${x} was a healthy primary reachable by every client and by a DCS majority from ${fmtAt(fromUs)} to ${fmtAt(p.atUs)}`,
  ];
  const win0 = Math.max(h.startUs, p.atUs - ttlUs - s.loopWaitS * 1e6);
  for (const o of agentOutages(ctx, x, win0, p.atUs)) {
    const len = o.toUs - o.fromUs;
    clauses.push(
      o.state === 'paused'
        ? `${x}'s Patroni was paused for ${fmtDuration(o.toUs - o.fromUs)} from ${fmtAt(o.fromUs)}${len > ttlUs ? ` (longer than ttl ${s.ttlS} s)` : ''}, so it could not renew the leader key`
        : `${x}'s Patroni was ${o.state} at ${fmtAt(o.fromUs)}, so nobody renewed the leader key`,
    );
    causes.push(o.state === 'paused' ? 'agent-paused' : 'agent-dead');
  }
  for (const q of quorumLost(ctx, win0, p.atUs)) {
    clauses.push(`the DCS (${q.store}) had no quorum for ${fmtDuration(q.toUs - q.fromUs)} from ${fmtAt(q.fromUs)}`);
    causes.push('dcs-quorum');
  }
  const leaderChanges = dcsLeaderChanges(ctx, win0, p.atUs);
  if (leaderChanges.length > 0) {
    clauses.push(`the DCS leader changed ${leaderChanges.length === 1 ? `at ${fmtAt((leaderChanges[0] as { tUs: number }).tUs)}` : `${leaderChanges.length} times`}`);
    causes.push('dcs-leader-change');
  }
  const dcsHosts = dcsMembersOf(h.meta, x).map((m) => m.host);
  const touches = (f: FaultSpan, hosts: readonly string[]): boolean => hosts.some((hh) => faultNames(f, hh));
  for (const f of faultsIn(ctx, win0, p.atUs, (f) => f.kind === 'degrade' || f.kind === 'flap')) {
    if (touches(f, [x, ...dcsHosts]) || !/\[/.test(f.what)) {
      clauses.push(`DCS latency: ${f.what} from ${fmtAt(f.fromUs)}`);
      causes.push('dcs-latency');
    }
  }
  // DCS-only cuts: some members unreachable from x (a majority still was), or members cut from each other
  const partial = new Set<string>();
  for (const t of [win0, ...ctx.truth.changePoints().filter((t) => t > win0 && t < p.atUs)]) {
    for (const m of dcsMembersOf(h.meta, x)) if (!ctx.truth.twoWay(x, m.host, t) && ctx.truth.hostUp(m.host, t)) partial.add(m.name);
  }
  const memberCuts = faultsIn(ctx, win0, p.atUs, (f) => touches(f, dcsHosts) && f.kind !== 'degrade' && f.kind !== 'pause' && f.kind !== 'crash');
  if (partial.size > 0) {
    clauses.push(`a DCS-only cut: ${x} could not reach ${listText([...partial].sort())} (a majority stayed reachable)`);
    causes.push('dcs-partial-cut');
  } else if (memberCuts.length > 0) {
    clauses.push(`a cut inside the DCS: ${memberCuts.map((f) => f.what).join('; ')}`);
    causes.push('dcs-internal-cut');
  }
  for (const f of faultsIn(ctx, win0, p.atUs, (f) => (f.kind === 'pause' || f.kind === 'crash') && touches(f, dcsHosts))) {
    clauses.push(`a DCS member was disrupted: ${f.what} at ${fmtAt(f.fromUs)}`);
    causes.push('dcs-member-fault');
  }
  for (const f of faultsIn(ctx, win0, p.atUs, (f) => f.kind === 'disk-stall' && touches(f, [x]))) {
    clauses.push(`${f.what} from ${fmtAt(f.fromUs)}`);
    causes.push('disk-stall');
  }
  for (const c of clockEventsIn(ctx, [x, y, ...dcsHosts], win0, p.atUs)) {
    clauses.push(`${c.host}'s clock changed at ${fmtAt(c.tUs)} (${c.reason})`);
    causes.push('clock');
  }
  const xLines = cyclesIn(ctx, x, win0, p.atUs);
  const lastX = xLines[xLines.length - 1];
  if (lastX) evidence.push(`${x} Patroni, last line before the promotion: "${lastX.v.message}"`);
  const yLine = cycleAt(ctx, y, p.atUs + 1);
  if (yLine) evidence.push(`${y} Patroni at ${fmtAt(yLine.fromUs)}: "${yLine.v.message}"`);
  if (clauses.length === 0) {
    clauses.push(lastX ? `no fault explains it; ${x}'s Patroni last logged "${lastX.v.message}"` : `no fault explains it`);
    causes.push('unexplained');
  }
  return draft('false-failover', 'warning', fromUs, p.atUs, {
    nodes: [x, y],
    writes: [],
    explanation: `${y} was promoted at ${fmtAt(p.atUs)} although ${x} was healthy and reachable by clients and by the DCS majority: ${clauses.join('; ')}.`,
    evidence,
    details: { previousPrimary: x, promoted: y, promotedAtMs: p.atUs / 1000, timeline: p.branch.timeline, causes },
  });
}
