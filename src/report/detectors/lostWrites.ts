// lost-write: writes a client saw acknowledged (client.complete ok) that are not in the final
// authoritative history (see lineage.ts), judged at the end of the run after heal and convergence.
// Grouped by why they are missing, one incident per group:
//  - left behind by a fork: committed on a timeline past the point where the final history forked
//    away from it (async lag at a failover, writes on the losing side of a split-brain);
//  - lost in crash recovery on their own writer (only WAL up to the last flush survives);
//  - never committed: acknowledged although no server recorded the commit;
//  - missing from the final snapshot (when the PostgreSQL model's own snapshot is the oracle).
// Writes whose outcome is unknown (info, or never completed) are not incidents: `indeterminate`
// lists them with whether they survived.
import { spanAt } from '../intervals.js';
import { draft, fmtAt, fmtBytes, fmtLsn, fmtWriteIds, plural, type IncidentDraft } from '../incident.js';
import { forkOf, inLineage, type ForkPoint } from '../lineage.js';
import type { WriteRow } from '../writes.js';
import type { DetectorContext } from './context.js';
import { fateOf } from './forks.js';

export interface IndeterminateWrite {
  writeId: number;
  outcome: 'info' | 'pending';
  committed: boolean;
  inFinalHistory: boolean;
}

interface Group {
  key: string;
  reason: 'fork' | 'crash-recovery' | 'never-committed' | 'missing-from-snapshot';
  writes: WriteRow[];
  fork?: ForkPoint | null;
  recoveryUs?: number;
}

export function lostWriteGroups(ctx: DetectorContext): Group[] {
  const { h, lineage, oracle } = ctx;
  const groups = new Map<string, Group>();
  const add = (g: Omit<Group, 'writes'>, w: WriteRow): void => {
    let x = groups.get(g.key);
    if (!x) {
      x = { ...g, writes: [] };
      groups.set(g.key, x);
    }
    x.writes.push(w);
  };
  for (const w of h.writes.rows()) {
    if (w.outcome !== 'ok' || oracle.containsWrite(w.writeId)) continue;
    if (w.commitNode === null) add({ key: 'never-committed', reason: 'never-committed' }, w);
    else if (!Number.isNaN(w.crashLostUs)) add({ key: `crash:${w.commitNode}:${w.crashLostUs}`, reason: 'crash-recovery', recoveryUs: w.crashLostUs }, w);
    else if (inLineage(lineage, w)) add({ key: 'snapshot', reason: 'missing-from-snapshot' }, w);
    else {
      const fork = forkOf(h, lineage, w);
      const k = fork ? `fork:${fork.lineageBranch}@${fork.forkLsn}:${w.branch}:${w.commitNode}` : `orphan:${w.branch}:${w.commitNode}`;
      add({ key: k, reason: 'fork', fork }, w);
    }
  }
  return [...groups.values()];
}

export function detectLostWrites(ctx: DetectorContext): IncidentDraft[] {
  const { h, lineage } = ctx;
  const out: IncidentDraft[] = [];
  for (const g of lostWriteGroups(ctx)) {
    const ws = [...g.writes].sort((a, b) => a.writeId - b.writeId);
    const ids = ws.map((w) => w.writeId);
    const startUs = Math.min(...ws.map((w) => (Number.isNaN(w.commitUs) ? w.invokeUs : w.commitUs)).filter((x) => !Number.isNaN(x)), h.endUs);
    let endUs = Math.max(...ws.map((w) => w.completeUs).filter((x) => !Number.isNaN(x)), startUs);
    const writer = ws[0]?.commitNode ?? null;
    const timeline = ws[0]?.timeline ?? -1;
    const maxLsn = Math.max(...ws.map((w) => w.lsn));
    const n = plural(ws.length, 'acknowledged write');
    let explanation = '';
    let bytes = 0;
    const evidence: string[] = [];
    const nodes: string[] = writer ? [writer] : [];
    const details: Record<string, unknown> = { reason: g.reason };
    const syncAt = (node: string, t: number): string => {
      const s = spanAt(h.sync[node] ?? [], t);
      if (!s) return '';
      return s.v.synchronousStandbyNames === '' ? ' (replication was asynchronous)' : ` (synchronous_standby_names '${s.v.synchronousStandbyNames}', synchronous_commit ${s.v.synchronousCommit})`;
    };
    if (g.reason === 'fork' && writer) {
      const fork = g.fork ?? null;
      const firstCommit = ws[0]?.commitUs ?? startUs;
      if (fork) {
        bytes = Math.max(0, maxLsn - fork.forkLsn);
        details.forkLsn = fork.forkLsn;
        const fate = fateOf(ctx, writer, ws[0]?.branch ?? -1, fork.winner?.atUs ?? firstCommit, fork.forkLsn);
        details.fate = fate.kind;
        if (fork.winner) {
          if (!nodes.includes(fork.winner.node)) nodes.push(fork.winner.node);
          endUs = Math.max(endUs, fork.winner.atUs);
          explanation =
            `${n} (${fmtWriteIds(ids)}) committed on ${writer} (timeline ${timeline}) are missing from the final history: ` +
            `${fork.winner.node} was promoted at ${fmtAt(fork.winner.atUs)} from LSN ${fmtLsn(fork.forkLsn)}, ${fmtBytes(bytes)} behind them${syncAt(writer, firstCommit)}, and ${fate.text}.`;
          evidence.push(`${fork.winner.node} promoted at ${fmtAt(fork.winner.atUs)}, timeline ${fork.winner.timeline} forks at ${fmtLsn(fork.forkLsn)}`);
        } else {
          explanation = `${n} (${fmtWriteIds(ids)}) committed on ${writer} (timeline ${timeline}) past LSN ${fmtLsn(fork.forkLsn)} are missing from the final history, which ends there (${lineage.why}); ${fate.text}.`;
        }
        evidence.push(fate.text);
      } else {
        explanation = `${n} (${fmtWriteIds(ids)}) committed on ${writer} (timeline ${timeline}) belong to a history the final primary${lineage.node ? ` ${lineage.node}` : ''} does not descend from (separately initialised data).`;
      }
    } else if (g.reason === 'crash-recovery' && writer) {
      const rec = h.recoveries.find((r) => r.node === writer && r.tUs === g.recoveryUs);
      const upTo = rec?.replayedToLsn ?? 0;
      bytes = Math.max(0, maxLsn - upTo);
      explanation = `${n} (${fmtWriteIds(ids)}) on ${writer} were lost in crash recovery at ${fmtAt(g.recoveryUs ?? 0)}: only WAL up to ${fmtLsn(upTo)} had been flushed when it went down${syncAt(writer, ws[0]?.commitUs ?? startUs)}.`;
      endUs = Math.max(endUs, g.recoveryUs ?? endUs);
      evidence.push(`crash recovery on ${writer} at ${fmtAt(g.recoveryUs ?? 0)} replayed to ${fmtLsn(upTo)}`);
    } else if (g.reason === 'never-committed') {
      explanation = `${n} (${fmtWriteIds(ids)}) were acknowledged to clients although no server recorded committing them.`;
      for (const w of ws.slice(0, 5)) evidence.push(`write #${w.writeId}: acknowledged by ${w.ackNode ?? '?'} at ${fmtAt(w.completeUs)}, no pg.write`);
    } else {
      explanation = `${n} (${fmtWriteIds(ids)}) committed on ${writer ?? '?'} are missing from the final data of ${lineage.node ?? 'the last primary'} although its timeline history includes them.`;
    }
    for (const w of ws.slice(0, 5)) {
      if (w.commitNode !== null) evidence.push(`write #${w.writeId}: committed on ${w.commitNode} at ${fmtAt(w.commitUs)} (LSN ${fmtLsn(w.lsn)}), acknowledged at ${fmtAt(w.completeUs)}`);
    }
    if (ws.length > 5) evidence.push(`… and ${ws.length - 5} more`);
    evidence.push(`final history: ${lineage.why}`);
    details.bytes = bytes;
    details.count = ws.length;
    details.finalPrimary = lineage.node;
    out.push(draft('lost-write', 'critical', startUs, endUs, { nodes, writes: ids, explanation, evidence, details }));
  }
  return out.sort((a, b) => a.startUs - b.startUs);
}

/** Writes whose outcome the client does not know, and whether each made it into the final history. */
export function indeterminateWrites(ctx: DetectorContext): IndeterminateWrite[] {
  const out: IndeterminateWrite[] = [];
  for (const w of ctx.h.writes.rows()) {
    if (w.outcome !== 'info' && w.outcome !== 'pending') continue;
    if (Number.isNaN(w.invokeUs)) continue;
    out.push({ writeId: w.writeId, outcome: w.outcome, committed: w.commitNode !== null, inFinalHistory: ctx.oracle.containsWrite(w.writeId) });
  }
  return out.sort((a, b) => a.writeId - b.writeId);
}
