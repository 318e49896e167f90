// undetected-partition (seed row P6): a partition nobody noticed.
//  - Replica cut: a running replica (or synchronous standby) cut off, in either direction, from
//    its upstream (a cascading upstream standby, else the primary) for longer than the threshold
//    (default ttl) while the cluster's own view kept reporting it healthy: its Patroni ran and could
//    reach a DCS majority, so its member key stayed fresh and its REST API kept answering. A primary
//    that itself lost the DCS majority is not counted: that partition Patroni does act on.
//  - Stale reads: a client kept being served reads that missed acknowledged writes for longer than
//    the threshold (clients on a minority side, a replica that silently stopped receiving WAL).
import { spanAt, piecewise, type Interval } from '../intervals.js';
import { parseSyncStandbyNames } from '../../sim/patroni/ssn.js';
import { draft, fmtAt, fmtDuration, plural, type IncidentDraft } from '../incident.js';
import type { DetectorContext } from './context.js';
import { cyclesIn, pgAt } from './evidence.js';

/**
 * The primary `except` answers to at t: a writable node of its own cluster (the nodes that share its
 * store) when there is one, else any writable node (a standby cluster's source).
 */
function primaryAt(ctx: DetectorContext, t: number, except: string): string | null {
  const store = ctx.h.meta.nodeStore[except];
  let other: string | null = null;
  for (const n of ctx.h.pgNodes) {
    if (n === except) continue;
    if (!(ctx.h.writable[n] ?? []).some((iv) => iv.fromUs <= t && t < iv.toUs)) continue;
    if (store === undefined || ctx.h.meta.nodeStore[n] === store) return n;
    other ??= n;
  }
  return other;
}

/**
 * Where a replica should be getting WAL from: its recorded upstream (primary_conninfo) when that
 * server is running — a standby (cascading replication), a primary, or a standby cluster's source —
 * else the primary it answers to.
 */
function upstreamAt(ctx: DetectorContext, r: string, t: number): string | null {
  const rep = spanAt(ctx.h.replication[r] ?? [], t)?.v;
  if (rep?.upstream && rep.upstream !== r && ctx.h.pgNodes.includes(rep.upstream)) {
    const st = pgAt(ctx, rep.upstream, t);
    if (st && st.state === 'running') return rep.upstream;
  }
  return primaryAt(ctx, t, r);
}

function isSyncStandby(ctx: DetectorContext, primary: string, r: string, t: number): boolean {
  const ssn = spanAt(ctx.h.sync[primary] ?? [], t)?.v.synchronousStandbyNames;
  if (!ssn) return false;
  try {
    const p = parseSyncStandbyNames(ssn);
    return p.has_star || [...p.members].some((m) => m.toLowerCase() === r.toLowerCase());
  } catch {
    return false;
  }
}

export function detectUndetectedPartitions(ctx: DetectorContext): IncidentDraft[] {
  const { h, truth, opts } = ctx;
  const out: IncidentDraft[] = [];
  const threshold = opts.partitionThresholdUs;
  const points = truth.changePoints();
  const replicaCuts: { node: string; iv: Interval }[] = [];
  for (const r of h.pgNodes) {
    const cut = piecewise(points, h.startUs, h.endUs, (t) => {
      if (!truth.hostUp(r, t)) return false;
      const st = pgAt(ctx, r, t);
      if (!st || st.state !== 'running' || !st.inRecovery) return false;
      const up = upstreamAt(ctx, r, t);
      if (up === null || !truth.linkCut(r, up, t) || !truth.hostUp(up, t)) return false;
      // a primary that lost the DCS majority is the partitioned one: Patroni handles that (its key expires)
      const primary = primaryAt(ctx, t, r);
      if (primary !== null && h.meta.dcsMembers.length > 0 && !truth.dcsReach(primary, t).majority) return false;
      const ps = truth.patroniState(r, t);
      if (ps !== undefined && ps !== 'running') return false;
      return h.meta.dcsMembers.length === 0 || truth.dcsReach(r, t).majority;
    });
    for (const iv of cut) {
      if (iv.toUs - iv.fromUs <= threshold) continue;
      replicaCuts.push({ node: r, iv });
      const up = upstreamAt(ctx, r, iv.fromUs) ?? '?';
      const primary = primaryAt(ctx, iv.fromUs, r);
      const sync = primary !== null && isSyncStandby(ctx, primary, r, iv.fromUs);
      const storeOf = (n: string): string | undefined => h.meta.nodeStore[n];
      const fromSource = storeOf(r) !== undefined && storeOf(up) !== undefined && storeOf(r) !== storeOf(up);
      const role = sync ? 'synchronous standby' : fromSource ? 'standby leader, replicating from the source cluster' : up === primary ? 'replica' : `cascading replica (upstream ${up})`;
      const evidence: string[] = [
        `${r} could not exchange packets with ${up} from ${fmtAt(iv.fromUs)} to ${fmtAt(iv.toUs)}`,
        `${r}'s Patroni kept running and reaching a DCS majority, so its member key stayed in the cluster view`,
      ];
      const clauses: string[] = ['it stayed in the DCS member list'];
      const rep = (h.replication[r] ?? []).filter((s) => s.toUs > iv.fromUs && s.fromUs < iv.toUs);
      const streaming = rep.find((s) => s.v.status === 'streaming' && s.toUs > iv.fromUs + 1);
      if (streaming) {
        const until = Math.min(streaming.toUs, iv.toUs);
        clauses.push(`its replication still showed "streaming" until ${fmtAt(until)}`);
        evidence.push(`pg.replication on ${r}: streaming until ${fmtAt(until)} (wal_receiver_timeout notices a silent break)`);
      }
      const lines = cyclesIn(ctx, r, iv.fromUs, iv.toUs);
      const line = lines[0];
      if (line) {
        clauses.push(`Patroni logged "${line.v.message}"`);
        for (const c of lines.slice(0, 4)) evidence.push(`${r} Patroni at ${fmtAt(c.fromUs)}: "${c.v.message}"${c.count > 1 ? ` (×${c.count})` : ''}`);
      }
      if (sync) {
        const stillSync = piecewise(points, iv.fromUs, iv.toUs, (t) => primary !== null && isSyncStandby(ctx, primary, r, t));
        const len = stillSync.reduce((a, b) => a + b.toUs - b.fromUs, 0);
        clauses.push(`${primary} kept it in synchronous_standby_names for ${fmtDuration(len)}`);
      }
      out.push(
        draft('undetected-partition', 'warning', iv.fromUs, iv.toUs, {
          nodes: [r, up],
          writes: [],
          explanation: `${r} (${role}) was cut off from ${up} for ${fmtDuration(iv.toUs - iv.fromUs)} from ${fmtAt(iv.fromUs)} while the cluster kept reporting it healthy: ${clauses.join(', ')}.`,
          evidence,
          details: { subject: 'replica', replica: r, upstream: up, primary, syncStandby: sync, durationMs: (iv.toUs - iv.fromUs) / 1000 },
        }),
      );
    }
  }
  // clients kept reading stale data
  for (const e of h.staleReads) {
    if (e.toUs - e.fromUs <= threshold || e.maxWritesBehind < opts.staleReadMinWritesBehind) continue;
    const overlapping = replicaCuts.find((c) => c.node === e.node && c.iv.fromUs < e.toUs && c.iv.toUs > e.fromUs);
    const primary = primaryAt(ctx, e.fromUs, e.node);
    const cutFromPrimary = primary !== null && piecewise(points, e.fromUs, e.toUs, (t) => truth.linkCut(e.node, primaryAt(ctx, t, e.node) ?? e.node, t)).length > 0;
    const why = overlapping
      ? `${e.node} was cut off from its upstream`
      : cutFromPrimary
        ? `${e.node} was on the other side of a partition from the primary${primary ? ` ${primary}` : ''}`
        : `${e.node} lagged behind and nothing flagged it`;
    out.push(
      draft('undetected-partition', 'warning', e.fromUs, e.toUs, {
        nodes: [e.node, ...(primary && primary !== e.node ? [primary] : [])],
        writes: [],
        explanation: `${e.client} kept being served stale reads by ${e.node} for ${fmtDuration(e.toUs - e.fromUs)} from ${fmtAt(e.fromUs)} (${plural(e.reads, 'read')}, up to ${plural(e.maxWritesBehind, 'acknowledged write')} behind): ${why}.`,
        evidence: [`newest write seen: ${e.lastSawWriteId < 0 ? 'none' : `#${e.lastSawWriteId}`}`, `${plural(e.reads, 'stale read')} from ${fmtAt(e.fromUs)} to ${fmtAt(e.toUs)}`],
        details: { subject: 'stale-reads', client: e.client, node: e.node, reads: e.reads, maxWritesBehind: e.maxWritesBehind, durationMs: (e.toUs - e.fromUs) / 1000 },
      }),
    );
  }
  return out.sort((a, b) => a.startUs - b.startUs);
}
