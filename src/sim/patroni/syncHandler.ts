// A port of `patroni/postgresql/sync.py SyncHandler` and `_ReplicaList`: which standbys are
// eligible to be synchronous (from pg_stat_replication and the members' tags), which of them are
// confirmed to have caught up since synchronous_standby_names last changed, and writing the
// setting in the order-preserving way the HA loop relies on.
import type { Task } from '../kernel/task.js';
import type { Cluster, Member } from '../dcs/cluster.js';
import { CaseInsensitiveSet, pyCompare } from './collections.js';
import { PostgresConnectionException } from './errors.js';
import type { Postgresql } from './postgresql.js';
import { buildSyncStandbyNames, emptySsn, parseSyncStandbyNames, SsnParseError, STRICT_SYNC_PLACEHOLDER, type ParsedSsn, type SyncType } from './ssn.js';

/** `patroni/postgresql/sync.py _SyncState` */
export interface SyncStateNow {
  sync_type: SyncType;
  numsync: number;
  sync: CaseInsensitiveSet;
  sync_confirmed: CaseInsensitiveSet;
  active: CaseInsensitiveSet;
}

/** `patroni/postgresql/sync.py _Replica` */
interface Replica {
  pid: number;
  application_name: string;
  sync_state: string;
  lsn: number;
  nofailover: boolean;
  sync_priority: number;
}

/** `_ReplicaList._should_cascade` */
function shouldCascade(members: Map<string, Member>, replication: Set<string>, member: Member): boolean {
  const rf = member.replicatefrom;
  if (!rf || !members.has(rf.toLowerCase())) return false;
  const up = members.get(rf.toLowerCase()) as Member;
  if (!up.replicatefrom) return replication.has(up.name.toLowerCase());
  return shouldCascade(members, replication, up);
}

/** `_ReplicaList.__init__`: eligible replicas sorted by (sync_priority, sync_state, lsn) descending, and max_lsn. */
function* replicaList(pg: Postgresql, cluster: Cluster): Task<{ list: Replica[]; maxLsn: number }> {
  const sc = yield* pg.synchronousCommit();
  const col = sc === 'remote_apply' ? 'replay_lsn' : sc === 'remote_write' ? 'write_lsn' : 'flush_lsn';
  const members = new Map<string, Member>();
  for (const m of cluster.members) {
    if (m.is_running && !m.nosync && m.name.toLowerCase() !== pg.name.toLowerCase()) members.set(m.name.toLowerCase(), m);
  }
  const rows = new Map<string, { pid: number; application_name: string; sync_state: string; lsn: number }>();
  for (const row of yield* pg.pgStatReplication()) {
    const lsn = row[col];
    if (lsn === null || lsn === undefined || !members.has(row.application_name.toLowerCase())) continue;
    rows.set(row.application_name.toLowerCase(), { pid: row.pid, application_name: row.application_name, sync_state: row.sync_state, lsn });
  }
  const replicationNames = new Set(rows.keys());
  const list: Replica[] = [];
  for (const row of rows.values()) {
    const member = members.get(row.application_name.toLowerCase());
    if (member && !shouldCascade(members, replicationNames, member)) {
      list.push({ ...row, nofailover: member.nofailover, sync_priority: member.sync_priority });
    }
  }
  // sort by (sync_priority, sync_state, lsn) descending; JS sort is stable like Python's
  list.sort((a, b) => b.sync_priority - a.sync_priority || pyCompare(b.sync_state, a.sync_state) || b.lsn - a.lsn);
  let maxLsn: number;
  if (list.length > 1) maxLsn = Math.max(...list.map((r) => r.lsn));
  else maxLsn = yield* pg.lastOperation();
  return { list, maxLsn };
}

export class SyncHandler {
  /** Last known value of synchronous_standby_names. */
  private ssnValue = '';
  private ssnData: ParsedSsn = emptySsn();
  private primaryFlushLsn = 0;
  /** "sync" connections verified to reach primaryFlushLsn: member name (lower) → walsender pid. */
  private readonly readyReplicas = new Map<string, number>();

  constructor(private readonly pg: Postgresql) {}

  /** `SyncHandler._handle_synchronous_standby_names_change` */
  private *handleSsnChange(): Task<void> {
    const ssn = yield* this.pg.synchronousStandbyNames();
    if (ssn === this.ssnValue) return;
    this.ssnValue = ssn;
    try {
      this.ssnData = parseSyncStandbyNames(ssn);
    } catch (e) {
      if (!(e instanceof SsnParseError)) throw e;
      this.ssnData = emptySsn();
    }
    for (const name of [...this.readyReplicas.keys()]) if (!this.ssnData.members.has(name)) this.readyReplicas.delete(name);
    // newly listed replicas count as sync only once they reach this LSN
    this.primaryFlushLsn = yield* this.pg.lastOperation();
    // Patroni forces a tiny WAL write here (txid_current with synchronous_commit=off) to move replication
    this.pg.resetClusterInfoState();
  }

  /** `SyncHandler._process_replica_readiness` */
  private processReplicaReadiness(cluster: Cluster, list: Replica[]): void {
    const quorum = this.pg.gc.is_quorum_commit_mode;
    for (const r of list) {
      const key = r.application_name.toLowerCase();
      if (this.readyReplicas.has(key) || !this.ssnData.members.has(r.application_name)) continue;
      if (quorum) {
        if (r.lsn >= this.primaryFlushLsn && r.sync_state === 'quorum') this.readyReplicas.set(key, r.pid);
      } else if (cluster.sync.matches(r.application_name) || (r.sync_state === 'sync' && r.lsn >= this.primaryFlushLsn)) {
        this.readyReplicas.set(key, r.pid);
      }
    }
  }

  /** `SyncHandler.current_state` */
  *current_state(cluster: Cluster): Task<SyncStateNow> {
    yield* this.handleSsnChange();
    const { list, maxLsn } = yield* replicaList(this.pg, cluster);
    this.processReplicaReadiness(cluster, list);
    const gc = this.pg.gc;
    const active = new CaseInsensitiveSet();
    const syncConfirmed = new CaseInsensitiveSet();
    const syncNodeCount = gc.synchronous_node_count;
    const maxLag = gc.maximum_lag_on_syncnode;
    // prefer members without nofailover (stable sort)
    const ordered = [...list].sort((a, b) => Number(a.nofailover) - Number(b.nofailover));
    for (const r of ordered) {
      if (maxLag <= 0 || maxLsn - r.lsn <= maxLag) {
        if (gc.is_quorum_commit_mode) {
          // nofailover nodes only while there are not enough promotable ones
          if (!r.nofailover || active.size < syncNodeCount) {
            if (this.readyReplicas.has(r.application_name.toLowerCase())) syncConfirmed.add(r.application_name);
            active.add(r.application_name);
          }
        } else {
          active.add(r.application_name);
          if (r.sync_state === 'sync' && this.readyReplicas.has(r.application_name.toLowerCase())) syncConfirmed.add(r.application_name);
          if (active.size >= syncNodeCount) break;
        }
      }
    }
    const sync = this.ssnData.has_star ? new CaseInsensitiveSet([STRICT_SYNC_PLACEHOLDER]) : this.ssnData.members;
    return { sync_type: this.ssnData.sync_type, numsync: this.ssnData.num, sync, sync_confirmed: syncConfirmed, active };
  }

  /** `SyncHandler.set_synchronous_standby_names` */
  *set_synchronous_standby_names(sync: Iterable<string>, num: number | null = null): Task<void> {
    const { value, strict } = buildSyncStandbyNames(sync, num, this.pg.gc.is_quorum_commit_mode);
    const changed = yield* this.pg.setSynchronousStandbyNamesParam(value);
    if (!changed || this.pg.state !== 'running' || strict) return;
    if (!(yield* this.isPrimarySafe())) return;
    // "Usually it takes 1ms to reload postgresql.conf, but we will give it 100ms"
    yield* this.pg.sleepS(0.1);
    this.pg.resetClusterInfoState();
    try {
      if ((yield* this.pg.getPrimaryTimeline()) > 0) yield* this.handleSsnChange();
    } catch (e) {
      if (!(e instanceof PostgresConnectionException)) throw e;
    }
  }

  private *isPrimarySafe(): Task<boolean> {
    return yield* this.pg.isPrimary();
  }
}
