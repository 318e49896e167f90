// split-brain: maximal intervals of true time during which two or more PostgreSQL instances were
// writable primaries (running and not in recovery, host powered) at once. Confirmed when at least
// two of them committed writes inside the overlap that clients saw acknowledged; latent otherwise
// (the cluster was exposed, no client happened to write on both sides).
//
// The explanation names the instance that was primary first ("old") and the one that became
// primary during the overlap ("new"), how long they overlapped, and why the old one kept going,
// from the evidence in the records: its Patroni agent paused or dead (and the watchdog that did or
// did not stop it), the DCS granting the key twice, the old primary cut off from the DCS, Patroni's
// own belief that it still held the lock, an operator promoting a standby cluster, clock steps.
import { fmtAt, fmtDuration, listText, draft, type IncidentDraft } from '../incident.js';
import type { Interval } from '../intervals.js';
import { dcsMembersOf } from '../history.js';
import type { DetectorContext } from './context.js';
import {
  agentOutages,
  clockEventsIn,
  cyclesIn,
  dcsMajorityLost,
  doubleGrants,
  faultNames,
  faultsIn,
  operationsIn,
  pgAfter,
  promotionOf,
  watchdogAt,
  watchdogFired,
} from './evidence.js';

interface Episode extends Interval {
  nodes: string[];
}

/** Maximal intervals where at least two nodes were writable. */
export function overlapEpisodes(writable: Record<string, Interval[]>): Episode[] {
  const ev: { t: number; d: number; node: string }[] = [];
  for (const [node, ivs] of Object.entries(writable)) {
    for (const iv of ivs) {
      ev.push({ t: iv.fromUs, d: 1, node });
      ev.push({ t: iv.toUs, d: -1, node });
    }
  }
  // ends before starts at the same instant: touching intervals do not overlap
  ev.sort((a, b) => a.t - b.t || a.d - b.d);
  const out: Episode[] = [];
  const active = new Set<string>();
  let cur: Episode | null = null;
  for (const e of ev) {
    if (e.d > 0) active.add(e.node);
    else active.delete(e.node);
    if (active.size >= 2) {
      if (cur === null) cur = { fromUs: e.t, toUs: e.t, nodes: [] };
      for (const n of active) if (!cur.nodes.includes(n)) cur.nodes.push(n);
    } else if (cur !== null) {
      cur.toUs = e.t;
      if (cur.toUs > cur.fromUs) out.push(cur);
      cur = null;
    }
  }
  return out;
}

function writableSince(ctx: DetectorContext, node: string, tUs: number): number {
  for (const iv of ctx.h.writable[node] ?? []) if (iv.fromUs <= tUs && tUs < iv.toUs) return iv.fromUs;
  return tUs;
}

export function detectSplitBrain(ctx: DetectorContext): IncidentDraft[] {
  const { h } = ctx;
  const out: IncidentDraft[] = [];
  for (const ep of overlapEpisodes(h.writable)) {
    const nodes = [...ep.nodes].sort((a, b) => writableSince(ctx, a, ep.fromUs) - writableSince(ctx, b, ep.fromUs) || (a < b ? -1 : 1));
    // acknowledged writes committed inside the overlap, per node
    const acked = new Map<string, number[]>();
    const indeterminate: number[] = [];
    for (const w of h.writes.rows()) {
      if (w.commitNode === null || !nodes.includes(w.commitNode)) continue;
      if (w.commitUs < ep.fromUs || w.commitUs >= ep.toUs) continue;
      if (w.outcome === 'ok') {
        let l = acked.get(w.commitNode);
        if (!l) {
          l = [];
          acked.set(w.commitNode, l);
        }
        l.push(w.writeId);
      } else if (w.outcome === 'info' || w.outcome === 'pending') indeterminate.push(w.writeId);
    }
    const confirmed = [...acked.values()].filter((l) => l.length > 0).length >= 2;
    const old = nodes[0] as string;
    const newer = nodes[nodes.length - 1] as string;
    const cause = explainOverlap(ctx, old, newer, ep, confirmedSubject(acked));
    const dur = fmtDuration(ep.toUs - ep.fromUs);
    const became = cause.newBecame;
    const counts = nodes.map((n) => `${acked.get(n)?.length ?? 0} on ${n}`);
    let explanation: string;
    if (confirmed) {
      explanation = `${old} kept accepting writes for ${dur} after ${newer} ${became}${cause.clauses.length > 0 ? `: ${cause.clauses.join('; ')}` : ''} (acknowledged writes in the overlap: ${listText(counts)}).`;
    } else {
      const oneSide = nodes.filter((n) => (acked.get(n)?.length ?? 0) > 0);
      const sides =
        oneSide.length === 1
          ? `only ${oneSide[0]} acknowledged client writes in the overlap (${acked.get(oneSide[0] as string)?.length ?? 0}), so it stayed latent`
          : 'no client write was acknowledged on both sides (latent)';
      explanation = `${listText(nodes)} were both writable primaries for ${dur} after ${newer} ${became}, but ${sides}${cause.clauses.length > 0 ? `: ${cause.clauses.join('; ')}` : ''}.`;
    }
    const writes = nodes.flatMap((n) => acked.get(n) ?? []).sort((a, b) => a - b);
    out.push(
      draft('split-brain', confirmed ? 'critical' : 'warning', ep.fromUs, ep.toUs, {
        nodes,
        writes,
        explanation,
        evidence: cause.evidence,
        details: {
          confirmed,
          durationMs: (ep.toUs - ep.fromUs) / 1000,
          oldPrimary: old,
          newPrimary: newer,
          ackedWrites: Object.fromEntries(nodes.map((n) => [n, acked.get(n)?.length ?? 0])),
          indeterminateWrites: indeterminate.sort((a, b) => a - b),
          causes: cause.causes,
        },
      }),
    );
  }
  return out;
}

/** Confirmed explanations start with the old primary, so its agent is "its"; latent ones name it. */
function confirmedSubject(acked: Map<string, number[]>): boolean {
  return [...acked.values()].filter((l) => l.length > 0).length >= 2;
}

interface OverlapCause {
  newBecame: string;
  clauses: string[];
  evidence: string[];
  causes: string[];
}

/** Why `old` was still writable while `newer` was: the evidence, as clauses about `old`. */
export function explainOverlap(ctx: DetectorContext, old: string, newer: string, ep: Interval, oldIsSubject = true): OverlapCause {
  const its = oldIsSubject ? 'its' : `${old}'s`;
  const { h } = ctx;
  const s = h.settings;
  const ttlUs = s.ttlS * 1e6;
  const clauses: string[] = [];
  const evidence: string[] = [];
  const causes: string[] = [];
  const promo = promotionOf(ctx, newer, ep.fromUs);
  let newBecame = 'was promoted';
  if (promo && promo.atUs >= ep.fromUs - ttlUs) {
    evidence.push(`${newer} was promoted at ${fmtAt(promo.atUs)} (timeline ${promo.timeline})`);
  } else {
    const branch = (h.pg[newer] ?? []).find((x) => x.fromUs <= ep.fromUs && x.toUs > ep.fromUs)?.v.branch;
    const root = h.branches.find((b) => b.branch === branch && b.parentBranch === null);
    newBecame = root ? 'started as a primary of its own cluster' : 'became writable';
    evidence.push(`${newer} ${newBecame} at ${fmtAt(ep.fromUs)}`);
  }
  const winStart = Math.max(h.startUs, ep.fromUs - ttlUs - s.loopWaitS * 1e6);
  // 1. operators
  for (const op of operationsIn(ctx, winStart, ep.toUs, ['promote-cluster'])) {
    clauses.push(`an operator promoted the standby cluster at ${fmtAt(op.tUs)} while ${old} was still primary`);
    causes.push('promote-cluster');
  }
  for (const op of operationsIn(ctx, winStart, ep.toUs, ['failover'])) {
    if (op.message.includes(newer) || op.node === newer || op.node === undefined) {
      clauses.push(`a manual failover to ${newer} was forced at ${fmtAt(op.tUs)} while ${old} was still primary`);
      causes.push('manual-failover');
    }
  }
  // 2. the old primary's agent
  const outages = agentOutages(ctx, old, winStart, ep.toUs);
  let agentDown = false;
  for (const o of outages) {
    const len = o.toUs - o.fromUs;
    const still = o.toUs >= h.endUs;
    evidence.push(`${old}'s Patroni was ${o.state} from ${fmtAt(o.fromUs)}${still ? ' until the end of the run' : ` to ${fmtAt(o.toUs)}`}`);
    if (o.state === 'paused') {
      clauses.push(
        still
          ? `${its} Patroni was paused from ${fmtAt(o.fromUs)} until the end of the run (ttl ${s.ttlS} s)`
          : `${its} Patroni was paused ${fmtDuration(len)}${len > ttlUs ? ` > ttl ${s.ttlS}` : ''}`,
      );
      causes.push('agent-paused');
    } else {
      clauses.push(`${its} Patroni was not running (${o.state} at ${fmtAt(o.fromUs)}), and nothing else stops PostgreSQL`);
      causes.push('agent-dead');
    }
    agentDown = true;
  }
  if (agentDown) {
    const agentClause = clauses.length;
    const fired = watchdogFired(ctx, old, winStart, ep.toUs);
    const wd = watchdogAt(ctx, old, ep.fromUs);
    if (fired) {
      clauses.push(`the watchdog reset the host only at ${fmtAt(fired.tUs)}`);
      causes.push('watchdog-late');
    } else if (wd.mode === 'off' || (!wd.everActivated && wd.mode === undefined)) {
      clauses.push('no watchdog was configured');
      causes.push('no-watchdog');
    } else if (wd.last?.event === 'failed' || (!wd.everActivated && wd.mode !== undefined)) {
      clauses.push(`the watchdog (mode ${wd.mode ?? 'automatic'}) was not active`);
      causes.push('watchdog-inactive');
    } else if (wd.last?.event === 'disabled') {
      clauses.push(`${its} watchdog had been disabled at ${fmtAt(wd.last.tUs)}`);
      causes.push('watchdog-disabled');
    } else if (wd.active) {
      clauses.push(`${its} watchdog did not fire`);
      causes.push('watchdog-silent');
    }
    if (clauses.length === agentClause + 1 && agentClause > 0) {
      const wdClause = clauses.pop() as string;
      clauses[agentClause - 1] = `${clauses[agentClause - 1]} and ${wdClause}`;
    }
  }
  // 3. the DCS
  for (const d of doubleGrants(ctx, old, newer, winStart, ep.toUs)) {
    clauses.push(`the DCS (${d.store}) granted the leader key to both ${old} and ${newer}`);
    evidence.push(`${d.store} leader key held by ${old} and by ${newer} at once from ${fmtAt(d.fromUs)} for ${fmtDuration(d.toUs - d.fromUs)}`);
    causes.push('double-grant');
  }
  const lost = dcsMajorityLost(ctx, old, winStart, ep.toUs);
  if (lost.length > 0 && !agentDown) {
    const first = lost[0] as Interval;
    const budget = s.loopWaitS + 2 * s.retryTimeoutS;
    clauses.push(
      s.failsafeMode
        ? `${oldIsSubject ? 'it' : old} was cut off from the DCS majority at ${fmtAt(first.fromUs)} and failsafe_mode kept it primary`
        : `${oldIsSubject ? 'it' : old} was cut off from the DCS majority at ${fmtAt(first.fromUs)} and Patroni demotes only after its DCS calls fail (up to loop_wait + 2 × retry_timeout = ${budget} s)`,
    );
    evidence.push(`${old} could not reach a DCS majority from ${fmtAt(first.fromUs)} for ${fmtDuration(first.toUs - first.fromUs)}`);
    causes.push('dcs-cut');
  }
  // 4. what the old primary's Patroni believed
  const lines = cyclesIn(ctx, old, ep.fromUs, ep.toUs);
  const believed = lines.find((c) => c.v.hasLock);
  const storesOf = (n: string): Set<string> => new Set(h.grants.filter((g) => g.holder === n).map((g) => g.store));
  const oldStores = storesOf(old);
  const newStores = storesOf(newer);
  const sharedStore = [...oldStores].some((x) => newStores.has(x));
  if (oldStores.size > 0 && newStores.size > 0 && !sharedStore) {
    evidence.push(`${old} and ${newer} held leader keys in different stores (${[...oldStores].join(', ')} and ${[...newStores].join(', ')}): nothing fences one from the other`);
    if (clauses.length === 0) {
      clauses.push(`${old} and ${newer} hold leader keys in different stores (${[...oldStores].join(', ')} and ${[...newStores].join(', ')}), so nothing fences one from the other`);
      causes.push('separate-stores');
    }
  } else if (believed && !agentDown) {
    clauses.push(`${old}'s Patroni still believed it held the leader lock ("${believed.v.message}")`);
    causes.push('stale-lock-view');
  }
  for (const c of lines) evidence.push(`${old} Patroni at ${fmtAt(c.fromUs)}: "${c.v.message}"${c.count > 1 ? ` (×${c.count})` : ''}`);
  // 5. clocks
  const dcsHosts = [...new Set([...dcsMembersOf(h.meta, old), ...dcsMembersOf(h.meta, newer)].map((m) => m.host))];
  for (const c of clockEventsIn(ctx, [old, newer, ...dcsHosts], winStart, ep.toUs)) {
    clauses.push(`${c.host}'s clock changed at ${fmtAt(c.tUs)} (${c.reason})`);
    causes.push('clock');
  }
  // 6. how it ended
  const after = pgAfter(ctx, old, ep.toUs);
  const stillWritable = (h.writable[old] ?? []).some((iv) => iv.fromUs <= ep.toUs && iv.toUs > ep.toUs);
  if (ep.toUs >= h.endUs) {
    evidence.push(`both were still writable at the end of the run`);
  } else if (!stillWritable && after) {
    evidence.push(`${old} stopped being writable at ${fmtAt(ep.toUs)} (${after.v.state}${after.v.inRecovery ? ', in recovery' : ''}${after.v.reason ? `: ${after.v.reason}` : ''})`);
  }
  const power = faultsIn(ctx, ep.fromUs, ep.toUs + 1, (f) => (f.kind === 'power-off' || f.kind === 'reset') && faultNames(f, old));
  for (const f of power) evidence.push(`fault ${f.id} at ${fmtAt(f.fromUs)}: ${f.what}`);
  if (clauses.length === 0) {
    const demoteLine = lines.find((c) => /demot/i.test(c.v.message));
    clauses.push(
      demoteLine
        ? `${old}'s Patroni demoted it only at its next HA cycle ("${demoteLine.v.message}")`
        : `${old} noticed it had lost the leader key only ${fmtDuration(ep.toUs - ep.fromUs)} later`,
    );
    causes.push('demote-latency');
  }
  const warn = h.warnings.filter((w) => w.node === undefined || w.node === old);
  for (const w of warn) evidence.push(`Patroni warned${w.node ? ` on ${w.node}` : ''}: ${w.message}`);
  if (lines.length === 0 && !agentDown) evidence.push(`${old}'s Patroni logged no cycle during the overlap`);
  return { newBecame, clauses, evidence, causes };
}
