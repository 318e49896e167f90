// The cluster view Patroni reads from its DCS: a port of the immutable data classes in
// patroni/dcs/__init__.py (Member, Leader, Failover, ClusterConfig, SyncState, TimelineHistory,
// Status, Cluster) and of the tag logic in patroni/tags.py. Every backend builds one of these from
// its own storage; the agent reads nothing else.

/** A key's modification version in the store (etcd revision, ZK version, resourceVersion, ...). */
export type KeyVersion = number | string;

/** What a member writes to its member key every cycle (`patroni/ha.py Ha.touch_member`). */
export interface MemberData {
  conn_url?: string;
  api_url?: string;
  state?: string;
  role?: string;
  version?: string;
  xlog_location?: number;
  timeline?: number;
  replication_state?: string;
  receive_lsn?: number;
  replay_lsn?: number;
  tags?: Tags;
  pending_restart?: boolean;
  scheduled_restart?: { schedule: number; role?: string; postgres_version?: string };
  pause?: boolean;
  checkpoint_after_promote?: boolean;
}

/** Per-node tags (`patroni/tags.py`). */
export interface Tags {
  nofailover?: boolean;
  failover_priority?: number;
  nosync?: boolean;
  sync_priority?: number;
  replicatefrom?: string;
  clonefrom?: boolean;
  noloadbalance?: boolean;
  nostream?: boolean;
}

/** `patroni/tags.py Tags._bool_tag`: the boolean wins if set; else a non-positive priority means true. */
function boolTag(tags: Tags | undefined, bool: 'nofailover' | 'nosync', prio: 'failover_priority' | 'sync_priority'): boolean {
  const b = tags?.[bool];
  if (b !== undefined) return Boolean(b);
  const p = tags?.[prio];
  return p !== undefined && p <= 0;
}

/** `patroni/tags.py Tags._priority_tag`: 0 if the boolean tag is true, else the priority (default 1). */
function priorityTag(tags: Tags | undefined, bool: 'nofailover' | 'nosync', prio: 'failover_priority' | 'sync_priority'): number {
  const p = tags?.[prio] ?? 1;
  return tags?.[bool] ? 0 : p;
}

export class TagView {
  constructor(readonly tags: Tags | undefined) {}
  get nofailover(): boolean {
    return boolTag(this.tags, 'nofailover', 'failover_priority');
  }
  get failover_priority(): number {
    return priorityTag(this.tags, 'nofailover', 'failover_priority');
  }
  get nosync(): boolean {
    return boolTag(this.tags, 'nosync', 'sync_priority');
  }
  get sync_priority(): number {
    return priorityTag(this.tags, 'nosync', 'sync_priority');
  }
  get replicatefrom(): string | undefined {
    return this.tags?.replicatefrom;
  }
  get clonefrom(): boolean {
    return Boolean(this.tags?.clonefrom);
  }
  get noloadbalance(): boolean {
    return Boolean(this.tags?.noloadbalance);
  }
  get nostream(): boolean {
    return Boolean(this.tags?.nostream);
  }
}

/** `patroni/dcs/__init__.py Member` */
export class Member extends TagView {
  constructor(
    readonly version: KeyVersion,
    readonly name: string,
    /** Session id, lease id, or ttl: whatever the backend ties the key's life to. */
    readonly session: string | number | null,
    readonly data: MemberData,
  ) {
    super(data.tags);
  }
  get conn_url(): string | undefined {
    return this.data.conn_url;
  }
  get api_url(): string | undefined {
    return this.data.api_url;
  }
  get state(): string {
    return this.data.state ?? 'unknown';
  }
  get is_running(): boolean {
    return this.state === 'running';
  }
  /** `Member.lsn`: xlog_location */
  get lsn(): number | undefined {
    return this.data.xlog_location;
  }
  get receive_lsn(): number | undefined {
    return this.data.receive_lsn;
  }
  get replay_lsn(): number | undefined {
    return this.data.replay_lsn;
  }
  /** True for RemoteMember (the standby cluster's upstream). */
  get isRemote(): boolean {
    return false;
  }
}

/** `patroni/dcs/__init__.py RemoteMember`: the upstream of a standby cluster, from `standby_cluster` config. */
export class RemoteMember extends Member {
  constructor(name: string, data: MemberData & { host?: string; port?: number; primary_slot_name?: string }) {
    super(-1, name, null, data);
  }
  override get isRemote(): boolean {
    return true;
  }
}

/** `patroni/dcs/__init__.py Leader` */
export class Leader {
  constructor(
    readonly version: KeyVersion,
    readonly session: string | number | null,
    readonly member: Member,
  ) {}
  get name(): string {
    return this.member.name;
  }
  get data(): MemberData {
    return this.member.data;
  }
  get conn_url(): string | undefined {
    return this.member.conn_url;
  }
  get timeline(): number | undefined {
    return this.member.data.timeline;
  }
  /** `Leader.checkpoint_after_promote` (this port only models Patroni > 1.5.6). */
  get checkpoint_after_promote(): boolean {
    return this.member.data.role === 'primary' && this.member.data.checkpoint_after_promote === undefined;
  }
}

/** `patroni/dcs/__init__.py Failover`. `scheduled_at` is wall-clock microseconds. Falsy if neither leader nor candidate. */
export class Failover {
  constructor(
    readonly version: KeyVersion,
    readonly leader: string | null,
    readonly candidate: string | null,
    readonly scheduled_at: number | null,
  ) {}
  /** `bool(failover)`: `len` = bool(leader) + bool(candidate). */
  get isSet(): boolean {
    return Boolean(this.leader) || Boolean(this.candidate);
  }
  static fromValue(version: KeyVersion, v: FailoverValue | null | undefined): Failover {
    return new Failover(version, v?.leader ?? null, v?.member ?? null, v?.scheduled_at ?? null);
  }
}

/** What is stored in the failover key. */
export interface FailoverValue {
  leader?: string;
  member?: string;
  scheduled_at?: number;
}

/** Patroni's dynamic configuration as stored in the config key (a subset; unknown keys are kept). */
export type DynamicConfigValue = Record<string, unknown>;

/** `patroni/dcs/__init__.py ClusterConfig` */
export class ClusterConfig {
  constructor(
    readonly version: KeyVersion,
    readonly data: DynamicConfigValue,
    readonly modify_version: KeyVersion,
  ) {}
}

/** What is stored in the sync key. */
export interface SyncValue {
  leader: string | null;
  sync_standby: string | null;
  quorum: number | null;
}

/** `patroni/dcs/__init__.py SyncState` */
export class SyncState {
  constructor(
    readonly version: KeyVersion | null,
    readonly leader: string | null,
    readonly sync_standby: string | null,
    readonly quorum: number,
  ) {}

  static empty(version: KeyVersion | null = null): SyncState {
    return new SyncState(version, null, null, 0);
  }

  /** `SyncState.from_node` */
  static fromValue(version: KeyVersion | null, v: SyncValue | null | undefined): SyncState {
    if (!v || typeof v !== 'object') return SyncState.empty(version);
    const leader = v.leader ?? null;
    return new SyncState(version, leader, v.sync_standby ?? null, leader && v.quorum ? Number(v.quorum) : 0);
  }

  get is_empty(): boolean {
    return !this.leader;
  }

  private static strToList(value: string): string[] {
    return value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }

  get voters(): string[] {
    return !this.is_empty && this.sync_standby ? SyncState.strToList(this.sync_standby) : [];
  }

  get members(): string[] {
    return this.leader ? [this.leader, ...this.voters] : [];
  }

  /** `SyncState.matches`: case-insensitive, like synchronous_standby_names. */
  matches(name: string | null | undefined, checkLeader = false): boolean {
    if (!name || this.is_empty) return false;
    const search = (this.sync_standby ?? '') + (checkLeader ? `,${this.leader ?? ''}` : '');
    return SyncState.strToList(search.toLowerCase()).includes(name.toLowerCase());
  }

  leader_matches(name: string | null | undefined): boolean {
    return Boolean(name && !this.is_empty && name.toLowerCase() === (this.leader ?? '').toLowerCase());
  }
}

/** A line of the history key: [timeline, switch lsn, reason, promote timestamp, new leader]. */
export type HistoryLine = [number, number, string, string?, string?];

/** `patroni/dcs/__init__.py TimelineHistory`. `raw` mirrors `value` ("[]" for an empty list). */
export class TimelineHistory {
  constructor(
    readonly version: KeyVersion,
    readonly lines: HistoryLine[],
    readonly valid = true,
  ) {}
}

/** `patroni/dcs/__init__.py Status` (slots are not modelled). */
export class Status {
  constructor(readonly last_lsn: number) {}
  static empty(): Status {
    return new Status(0);
  }
}

/** `patroni/dcs/__init__.py Cluster`: an immutable snapshot of the DCS as one node read it. */
export class Cluster {
  constructor(
    /** sysid string; "" while bootstrapping; null if no initialize key. */
    readonly initialize: string | null,
    readonly config: ClusterConfig | null,
    readonly leader: Leader | null,
    readonly status: Status,
    readonly members: readonly Member[],
    readonly failover: Failover | null,
    readonly sync: SyncState,
    readonly history: TimelineHistory | null,
    /** The failsafe key: name -> api_url; null if absent or not a dict. */
    readonly failsafe: Record<string, string> | null,
  ) {}

  static empty(): Cluster {
    return new Cluster(null, null, null, Status.empty(), [], null, SyncState.empty(), null, null);
  }

  /** `Cluster.is_empty` */
  get is_empty(): boolean {
    return (
      this.initialize === null &&
      this.config === null &&
      this.leader === null &&
      this.members.length === 0 &&
      this.failover === null &&
      this.sync.is_empty &&
      this.history === null &&
      this.failsafe === null
    );
  }

  get leader_name(): string | null {
    return this.leader?.name ?? null;
  }

  is_unlocked(): boolean {
    return !this.leader_name;
  }

  has_member(name: string): boolean {
    return this.members.some((m) => m.name === name);
  }

  /** `Cluster.get_member`: the member, else the leader (if `fallbackToLeader`). */
  get_member(name: string, fallbackToLeader = true): Member | Leader | null {
    return this.members.find((m) => m.name === name) ?? (fallbackToLeader ? this.leader : null);
  }

  /** `Cluster.get_clone_member`; `pick` chooses among candidates (a seeded draw in the simulator). */
  get_clone_member(exclude: string, pick: (n: number) => number): Member | Leader | null {
    const ex = new Set([exclude, ...(this.leader ? [this.leader.name] : [])]);
    const candidates = this.members.filter((m) => m.clonefrom && m.is_running && !ex.has(m.name));
    return candidates.length > 0 ? (candidates[pick(candidates.length)] as Member) : this.leader;
  }

  /** `Cluster.timeline`: last history line's timeline + 1; empty list → 1; absent or garbage → 0. */
  get timeline(): number {
    if (this.history) {
      if (!this.history.valid) return 0;
      const last = this.history.lines[this.history.lines.length - 1];
      if (last) return Number.isFinite(Number(last[0])) ? Number(last[0]) + 1 : 0;
      return 1;
    }
    return 0;
  }
}
