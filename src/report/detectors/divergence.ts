// divergence: a fork of the timeline history with WAL past the fork that the final authoritative
// history does not contain. One incident per fork point (a lineage branch and the LSN where the
// histories part); for every node that held WAL past it, what became of that copy — rewound,
// re-cloned away, or still diverged at the end. Critical while a copy is still diverged at the end,
// a warning once every copy was resolved (acknowledged writes lost on the way are the lost-write
// detector's to report).
import { draft, fmtAt, fmtLsn, plural, type IncidentDraft } from '../incident.js';
import type { DetectorContext } from './context.js';
import { fateOf, findForks, type Fate } from './forks.js';

export function detectDivergence(ctx: DetectorContext): IncidentDraft[] {
  const { h } = ctx;
  const out: IncidentDraft[] = [];
  for (const f of findForks(ctx)) {
    const fates: Fate[] = [];
    const parts: string[] = [];
    const writes: number[] = [];
    let acked = 0;
    for (const l of f.losing) {
      for (const w of l.writes) {
        writes.push(w.writeId);
        if (w.outcome === 'ok') acked++;
      }
      const writers = new Set(l.writes.map((w) => w.commitNode));
      for (const node of l.holders) {
        const own = l.writes.filter((w) => w.commitNode === node).length;
        const what =
          own > 0
            ? `${node} held ${plural(own, 'write')} past the fork on timeline ${l.timeline} (${l.writes.filter((w) => w.commitNode === node && w.outcome === 'ok').length} acknowledged)`
            : writers.size > 0
              ? `${node} had replicated WAL past the fork on timeline ${l.timeline}`
              : `${node} held WAL past the fork on timeline ${l.timeline} (up to ${fmtLsn(l.maxLsn)})`;
        const fate = fateOf(ctx, node, l.branch, f.atUs, f.point.forkLsn);
        fates.push(fate);
        parts.push(`${what}; ${fate.text}`);
      }
    }
    if (fates.length === 0) continue;
    const unresolved = fates.filter((x) => x.tUs === null || x.kind === 'still-diverged');
    const endUs = unresolved.length > 0 ? h.endUs : Math.max(...fates.map((x) => x.tUs ?? h.endUs));
    const firstWrite = Math.min(...f.losing.flatMap((l) => l.writes.map((w) => w.commitUs)), f.atUs);
    const startUs = Math.min(firstWrite, f.atUs);
    const winner = f.point.winner;
    const head = winner
      ? `Timeline ${f.timeline} forked at LSN ${fmtLsn(f.point.forkLsn)} when ${winner.node} was promoted at ${fmtAt(winner.atUs)} (timeline ${winner.timeline})`
      : `The history forked at LSN ${fmtLsn(f.point.forkLsn)} of timeline ${f.timeline}`;
    const nodes = [...new Set([...(winner ? [winner.node] : []), ...fates.map((x) => x.node)])];
    const evidence = [
      ...(winner ? [`${winner.node} promoted at ${fmtAt(winner.atUs)}: timeline ${winner.timeline} starts at ${fmtLsn(winner.switchLsn)}`] : []),
      ...f.losing.map((l) => `timeline ${l.timeline} (branch ${l.branch}) runs past the fork up to ${fmtLsn(l.maxLsn)}: ${plural(l.writes.length, 'client write')}`),
      ...fates.map((x) => x.text),
    ];
    out.push(
      draft('divergence', unresolved.length > 0 ? 'critical' : 'warning', startUs, endUs, {
        nodes,
        writes: writes.sort((a, b) => a - b),
        explanation: `${head}: ${parts.join('; ')}.`,
        evidence,
        details: {
          forkLsn: f.point.forkLsn,
          forkTimeline: f.timeline,
          winner: winner ? { node: winner.node, timeline: winner.timeline, atMs: winner.atUs / 1000 } : null,
          acknowledgedPastFork: acked,
          copies: fates.map((x) => ({ node: x.node, branch: x.branch, fate: x.kind, atMs: x.tUs === null ? null : x.tUs / 1000 })),
          stillDiverged: unresolved.map((x) => x.node),
        },
      }),
    );
  }
  return out;
}
