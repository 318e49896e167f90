// A port of `patroni/quorum.py QuorumStateResolver`: the state machine that moves
// synchronous_standby_names (`numsync` of `sync`, "ANY n (...)") and the /sync key (`quorum` of
// `voters`) to the optimal state for the current set of `active` standbys, one safe step at a time.
//
// Invariant kept at every step (check_invariants): any set of nodes that can acknowledge a commit
// overlaps any set of nodes that can reach quorum in a leader race:
//   |voters ∪ {leader} ∪ sync ∪ {leader_wanted}| <= quorum + numsync + 1   (when voters is non-empty)
// and one of (voters ∪ {leader}) / (sync ∪ {leader_wanted}) contains the other.
// Rule: increase quorum/numsync first, decrease later. The generator is ported line by line; its
// transitions are computed eagerly (Python's `list(self._generate_transitions())`).
import { CaseInsensitiveSet } from './collections.js';

export type TransitionType = 'sync' | 'quorum' | 'restart';

/** `patroni/quorum.py Transition`: the new state of SSN ('sync') or of /sync ('quorum'), or 'restart'. */
export interface Transition {
  type: TransitionType;
  leader: string;
  num: number;
  names: CaseInsensitiveSet;
}

/** `patroni/quorum.py QuorumError` */
export class QuorumError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuorumError';
  }
}

export interface QuorumInput {
  leader: string;
  quorum: number;
  voters: Iterable<string>;
  numsync: number;
  sync: Iterable<string>;
  numsync_confirmed: number;
  active: Iterable<string>;
  sync_wanted: number;
  leader_wanted: string;
}

export class QuorumStateResolver implements Iterable<Transition> {
  leader: string;
  quorum: number;
  voters: CaseInsensitiveSet;
  numsync: number;
  sync: CaseInsensitiveSet;
  numsync_confirmed: number;
  active: CaseInsensitiveSet;
  readonly sync_wanted: number;
  readonly leader_wanted: string;

  constructor(i: QuorumInput) {
    this.leader = i.leader;
    this.quorum = i.quorum;
    this.voters = new CaseInsensitiveSet(i.voters);
    this.sync = new CaseInsensitiveSet(i.sync);
    // numsync can't be bigger than the number of listed synchronous nodes
    this.numsync = Math.min(i.numsync, this.sync.size);
    this.numsync_confirmed = i.numsync_confirmed;
    this.active = new CaseInsensitiveSet(i.active);
    this.sync_wanted = i.sync_wanted;
    this.leader_wanted = i.leader_wanted;
  }

  /** `QuorumStateResolver.check_invariants` */
  check_invariants(): void {
    const voters = this.voters.union([this.leader]);
    const sync = this.sync.union([this.leader_wanted]);
    if (this.voters.size > 0 && !(voters.union(sync).size <= this.quorum + this.numsync + 1)) {
      throw new QuorumError(
        `Quorum and sync not guaranteed to overlap: nodes ${voters.union(sync).size} >= quorum ${this.quorum} + sync ${this.sync} + 1`,
      );
    }
    if (!(voters.isSubsetOf(sync) || sync.isSubsetOf(voters))) {
      throw new QuorumError(`Mismatched sets: voter only=${voters.minus(sync)} sync only=${sync.minus(voters)}`);
    }
  }

  /** `QuorumStateResolver.quorum_update` */
  private quorum_update(out: Transition[], quorumIn: number, votersIn: CaseInsensitiveSet, leader: string | null = null, adjust_quorum = true): void {
    let quorum = quorumIn;
    let voters = votersIn;
    if (quorum < 0) throw new QuorumError(`Quorum ${quorum} < 0 of (${voters})`);
    if (quorum > 0 && quorum >= voters.size) throw new QuorumError(`Quorum ${quorum} >= N of (${voters})`);

    const old_leader = this.leader;
    if (leader !== null) {
      this.leader = leader;
    } else if (this.numsync_confirmed === 0 && this.voters.size === 0) {
      // no node is known to have caught up with the primary: reset quorum/voters in /sync
      quorum = 0;
      voters = new CaseInsensitiveSet();
    } else if (adjust_quorum) {
      // fewer nodes known to have caught up than numsync: raise quorum so the race finds a sync node
      quorum += Math.max(this.numsync - this.numsync_confirmed, 0);
    }

    if (this.leader === old_leader && quorum === this.quorum && voters.equals(this.voters)) {
      if (this.voters.size > 0) return;
      // no change: hint the caller to re-read the state and restart the resolver
      out.push({ type: 'restart', leader: this.leader, num: this.quorum, names: this.voters });
    }

    this.quorum = quorum;
    this.voters = voters;
    this.check_invariants();
    out.push({ type: 'quorum', leader: this.leader, num: this.quorum, names: this.voters });
  }

  /** `QuorumStateResolver.sync_update` */
  private sync_update(out: Transition[], numsync: number, sync: CaseInsensitiveSet): void {
    if (numsync < 0) throw new QuorumError(`Sync ${numsync} < 0 of (${sync})`);
    if (numsync > sync.size) throw new QuorumError(`Sync ${numsync} > N of (${sync})`);
    this.numsync = numsync;
    this.sync = sync;
    this.check_invariants();
    out.push({ type: 'sync', leader: this.leader, num: this.numsync, names: this.sync });
  }

  /** `QuorumStateResolver.__iter__`: merge runs of the same type (keep the last), stop after 'restart'. */
  *[Symbol.iterator](): Iterator<Transition> {
    const ts = this.transitions();
    for (let i = 0; i < ts.length; i++) {
      const cur = ts[i] as Transition;
      const next = ts[i + 1];
      if (next !== undefined && next.type === cur.type) continue;
      yield cur;
      if (cur.type === 'restart') break;
    }
  }

  /** Every transition the generator produces (Python `list(self._generate_transitions())`). */
  transitions(): Transition[] {
    const out: Transition[] = [];
    this.generate(out);
    return out;
  }

  /** `QuorumStateResolver.__handle_non_steady_cases` */
  private handle_non_steady_cases(out: Transition[]): void {
    if (this.sync.isProperSubsetOf(this.voters)) {
      // Case 1: voters ⊋ sync, in the middle of changing voters. Evict dead voters that are not synced.
      const remove_from_voters = this.voters.minus(this.sync.union(this.active));
      if (remove_from_voters.size > 0) {
        this.quorum_update(
          out,
          this.voters.size - remove_from_voters.size - this.numsync,
          this.voters.minus(remove_from_voters),
          null,
          this.sync.minus(this.active).size === 0,
        );
      }
      // start syncing to voters that are alive
      const add_to_sync = this.voters.intersect(this.active).minus(this.sync);
      if (add_to_sync.size > 0) this.sync_update(out, this.numsync, this.sync.union(add_to_sync));
    } else if (this.sync.isProperSupersetOf(this.voters)) {
      // Case 2: sync ⊋ voters, in the middle of changing the replication factor.
      let remove_from_sync = this.sync.minus(this.active);
      const sync = this.sync.minus(remove_from_sync);
      // remove dead nodes only if sync stays non-empty and keeps common nodes with voters
      if (remove_from_sync.size > 0 && sync.size > 0 && (this.voters.size === 0 || sync.intersect(this.voters).size > 0)) {
        this.sync_update(out, Math.min(this.numsync, this.sync.size - remove_from_sync.size), sync);
      }
      const add_to_voters = this.sync.minus(this.voters).intersect(this.active);
      if (add_to_voters.size > 0) {
        const voters = this.voters.union(add_to_voters);
        this.quorum_update(out, voters.size - this.numsync, voters);
      }
      remove_from_sync = this.sync.minus(this.voters);
      if (remove_from_sync.size > 0) {
        this.sync_update(out, Math.min(this.numsync, this.sync.size - remove_from_sync.size), this.sync.minus(remove_from_sync));
      }
    }

    // after handling these two cases voters and sync must match
    if (!this.voters.equals(this.sync)) throw new Error(`assertion failed: voters ${this.voters} != sync ${this.sync}`);

    let safety_margin = this.quorum + Math.min(this.numsync, this.numsync_confirmed) - this.voters.union(this.sync).size;
    if (safety_margin > 0) {
      // in the middle of changing the replication factor
      if (this.numsync > this.sync_wanted) {
        // Case 3: replication factor is bigger than needed
        const numsync = Math.max(this.sync_wanted, this.voters.size - this.quorum);
        this.sync_update(out, numsync, this.sync);
      } else {
        // Case 4: quorum is bigger than needed
        this.quorum_update(out, this.sync.size - this.numsync, this.voters);
      }
    } else {
      safety_margin = this.quorum + this.numsync - this.voters.union(this.sync).size;
      if (this.numsync === this.sync_wanted && safety_margin > 0 && this.numsync > this.numsync_confirmed) {
        this.quorum_update(out, this.sync.size - this.numsync, this.voters);
      }
    }
  }

  /** `QuorumStateResolver.__remove_gone_nodes` */
  private remove_gone_nodes(out: Transition[]): void {
    let to_remove = this.sync.minus(this.active);
    if (to_remove.size > 0 && this.sync.equals(to_remove)) {
      this.quorum_update(out, 0, new CaseInsensitiveSet(), null, false);
      this.sync_update(out, 0, new CaseInsensitiveSet());
    } else if (to_remove.size > 0) {
      const can_reduce_quorum_by = this.quorum;
      // if we can reduce the quorum size try to do so first
      if (can_reduce_quorum_by > 0) {
        // sorted order gives deterministic behaviour
        const remove = new CaseInsensitiveSet(to_remove.sorted(true).slice(0, can_reduce_quorum_by));
        const sync = this.sync.minus(remove);
        // when removing nodes from sync we can safely increase numsync if requested
        const numsync = Math.min(this.sync_wanted > this.numsync ? this.sync_wanted : this.numsync, sync.size);
        this.sync_update(out, numsync, sync);
        const voters = this.voters.minus(remove);
        to_remove = to_remove.intersect(this.sync);
        this.quorum_update(out, voters.size - this.numsync, voters, null, to_remove.size === 0);
      }
      if (to_remove.size > 0) {
        if (this.quorum !== 0) throw new Error(`assertion failed: quorum ${this.quorum} != 0`);
        const numsync = this.numsync - to_remove.size;
        const sync = this.sync.minus(to_remove);
        const voters = this.voters.minus(to_remove);
        const sync_decrease = numsync - Math.min(this.sync_wanted, sync.size);
        const quorum = sync_decrease ? Math.min(sync_decrease, voters.size - 1) : 0;
        this.quorum_update(out, quorum, voters, null, false);
        this.sync_update(out, numsync, sync);
      }
    }
  }

  /** `QuorumStateResolver.__add_new_nodes` */
  private add_new_nodes(out: Transition[]): void {
    let to_add = this.active.minus(this.sync);
    if (to_add.size === 0) return;
    // first get to the requested replication factor
    const sync_wanted = Math.min(this.sync_wanted, this.sync.union(to_add).size);
    let increase_numsync_by = sync_wanted - this.numsync;
    if (increase_numsync_by > 0) {
      let add: CaseInsensitiveSet;
      if (this.sync.size > 0) {
        add = new CaseInsensitiveSet(to_add.sorted().slice(0, increase_numsync_by));
        increase_numsync_by = add.size;
      } else {
        // there is only the leader: it is safe to add all nodes at once
        add = to_add;
      }
      this.sync_update(out, this.numsync + increase_numsync_by, this.sync.union(add));
      const voters = this.voters.union(add);
      this.quorum_update(out, voters.size - sync_wanted, voters);
      to_add = to_add.minus(this.sync);
    }
    if (to_add.size > 0) {
      const voters = this.voters.union(to_add);
      this.quorum_update(out, voters.size - sync_wanted, voters, null, sync_wanted > this.numsync_confirmed);
      this.sync_update(out, sync_wanted, this.sync.union(to_add));
    }
  }

  /** `QuorumStateResolver.__handle_replication_factor_change` */
  private handle_replication_factor_change(out: Transition[]): void {
    const sync_increase = Math.min(this.sync_wanted, this.sync.size) - this.numsync;
    if (sync_increase > 0) {
      this.sync_update(out, this.numsync + sync_increase, this.sync);
      this.quorum_update(out, this.voters.size - this.numsync, this.voters);
    } else if (sync_increase < 0) {
      if (this.quorum - sync_increase < this.voters.size) {
        this.quorum_update(out, this.voters.size - this.numsync - sync_increase, this.voters, null, this.sync_wanted > this.numsync_confirmed);
      }
      this.sync_update(out, this.numsync + sync_increase, this.sync);
    }
  }

  /** `QuorumStateResolver._generate_transitions` */
  private generate(out: Transition[]): void {
    try {
      if (this.leader_wanted !== this.leader) {
        // failover
        const voters = this.voters.minus([this.leader_wanted]).union([this.leader]);
        if (this.sync.size === 0) {
          // sync is empty: update synchronous_standby_names first
          this.sync_update(out, voters.size - this.quorum, voters);
        }
        // the leader changed: the old leader becomes a voter
        this.quorum_update(out, this.quorum, voters, this.leader_wanted);
        // right after promote there could be no replication connections yet: give them loop_wait
        if (this.sync.intersect(this.active).size === 0) return;
      } else {
        this.check_invariants();
      }
    } catch (e) {
      if (!(e instanceof QuorumError)) throw e;
      this.quorum_update(out, this.sync.size - this.numsync, this.sync);
    }

    if (this.leader !== this.leader_wanted) throw new Error(`assertion failed: leader ${this.leader} != ${this.leader_wanted}`);

    // numsync_confirmed could be 0 after restart/failover: calculate it from quorum
    if (this.numsync_confirmed === 0 && this.sync.intersect(this.active).size > 0) {
      this.numsync_confirmed = Math.min(this.sync.intersect(this.active).size, this.voters.size - this.quorum);
    }

    this.handle_non_steady_cases(out);
    // steady state: find whether the desired state differs and act on it
    this.remove_gone_nodes(out);
    this.add_new_nodes(out);
    this.handle_replication_factor_change(out);
  }
}
