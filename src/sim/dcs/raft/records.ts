// Ground-truth records of a quorum store: `dcs.leader` when the store's authoritative state of the
// leader key changes (a committed entry is applied by the first member, i.e. at commit time; a
// lease/session renewal or expiry decided by the store's leader), and `dcs.quorum` when the store's
// own leadership changes.
import type { Sim } from '../../kernel/sim.js';

type LeaderReason = 'acquired' | 'updated' | 'expired' | 'deleted' | 'taken' | 'lost';

export interface QuorumMemberView {
  id: string;
  alive: boolean;
  isLeader: boolean;
  term: number;
}

export class QuorumStoreRecorder {
  /** Highest raft index whose effects were reported (the first member to apply reports). */
  private reportedThrough = 0;
  private lastQuorum = '';
  /** The leader key's holder in the authoritative state, as reported. */
  holder: string | null = null;
  /** The lease / session the holder's key is tied to in the authoritative state (0 or '' if none). */
  leaseOfHolder: number | string = 0;

  constructor(
    private readonly sim: Sim,
    readonly store: string,
  ) {}

  /** Whether effects of entry `index` are new (not yet reported by another member). */
  isNew(index: number): boolean {
    return index > this.reportedThrough;
  }

  /** A member applied entries up to `index`. */
  appliedThrough(index: number): void {
    if (index > this.reportedThrough) this.reportedThrough = index;
  }

  leader(holder: string | null, reason: LeaderReason, expiresAtUs?: number): void {
    const rec: { store: string; holder: string | null; reason: LeaderReason; expiresAtUs?: number } = { store: this.store, holder, reason };
    if (expiresAtUs !== undefined && Number.isFinite(expiresAtUs)) rec.expiresAtUs = Math.round(expiresAtUs);
    this.sim.trace.emit('dcs.leader', rec);
    this.holder = reason === 'expired' || reason === 'deleted' || reason === 'lost' ? null : holder;
  }

  /** Re-evaluate the store's leadership from its members (call on any role change). */
  quorum(members: readonly QuorumMemberView[]): void {
    let best: QuorumMemberView | null = null;
    for (const m of members) {
      if (!m.alive || !m.isLeader) continue;
      if (best === null || m.term > best.term) best = m;
    }
    const key = best ? `${best.id}@${best.term}` : 'none';
    if (key === this.lastQuorum) return;
    this.lastQuorum = key;
    if (best) this.sim.trace.emit('dcs.quorum', { store: this.store, ok: true, leader: best.id, term: best.term });
    else this.sim.trace.emit('dcs.quorum', { store: this.store, ok: false, leader: null });
  }
}

/** A store member that runs the raft core (etcd, Consul server, ZooKeeper server). */
export interface RaftMemberView {
  readonly name: string;
  readonly alive: boolean;
  readonly raft: { readonly isLeader: boolean; readonly term: number } | null;
}

/** `recorder.quorum` of a raft ensemble: the live member that leads in the highest term. */
export function recordRaftQuorum(recorder: QuorumStoreRecorder, members: readonly RaftMemberView[]): void {
  recorder.quorum(members.map((m) => ({ id: m.name, alive: m.alive, isLeader: m.raft?.isLeader ?? false, term: m.raft?.term ?? 0 })));
}
