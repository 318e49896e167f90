// Patroni's key layout and how a flat key-value store turns into a `Cluster`. Shared by the stores
// Patroni does not ship (memory, Redis, PostgreSQL-as-store, DynamoDB, file): each keeps Patroni's
// keys as flat entries (a Redis key, a table row, an item, a file) and builds the cluster view the
// way Patroni's own flat-KV backends do (`patroni/dcs/raft.py Raft._cluster_from_nodes`,
// `patroni/dcs/etcd.py Etcd._cluster_from_nodes`).
import {
  Cluster,
  ClusterConfig,
  Failover,
  type FailoverValue,
  Leader,
  Member,
  type MemberData,
  Status,
  SyncState,
  type SyncValue,
  TimelineHistory,
  type HistoryLine,
  type KeyVersion,
} from '../cluster.js';

/** Relative key names under `/<namespace>/<scope>/` (`patroni/dcs/__init__.py AbstractDCS._LEADER` ...). */
export const KEY = {
  initialize: 'initialize',
  config: 'config',
  leader: 'leader',
  failover: 'failover',
  history: 'history',
  members: 'members/',
  sync: 'sync',
  status: 'status',
  failsafe: 'failsafe',
} as const;

/**
 * `AbstractDCS.__init__`: `_base_path = re.sub('/+', '/', '/'.join(['', namespace or 'service', scope]))`.
 * Returns the prefix with a trailing slash, e.g. "/service/demo/".
 */
export function basePath(namespace: string, scope: string): string {
  const ns = namespace.length > 0 ? namespace : 'service';
  return `${`/${ns}/${scope}`.replace(/\/+/g, '/')}/`;
}

export function memberKey(name: string): string {
  return `${KEY.members}${name}`;
}

/** One entry as a backend read it: the stored string, its modification version, its owner session. */
export interface KvEntry {
  value: string;
  version: KeyVersion;
  session?: string | number | null;
}

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `Member.from_node`: JSON data; anything unparsable gives empty data. */
function memberFrom(name: string, e: KvEntry): Member {
  const data = parseJson(e.value);
  return new Member(e.version, name, e.session ?? null, isRecord(data) ? (data as MemberData) : {});
}

/** `Failover.from_node`: JSON, or the legacy "leader:member" string. */
function failoverFrom(e: KvEntry): Failover {
  const v = parseJson(e.value);
  if (isRecord(v)) return Failover.fromValue(e.version, v as FailoverValue);
  const [leader, member] = e.value.split(':');
  return new Failover(e.version, leader ? leader : null, member ? member : null, null);
}

/** `TimelineHistory.from_node`: a JSON list; "[]" is a valid empty history, garbage is not. */
function historyFrom(e: KvEntry): TimelineHistory {
  const v = parseJson(e.value);
  const lines = Array.isArray(v) ? (v as HistoryLine[]) : [];
  return new TimelineHistory(e.version, lines, lines.length > 0 || e.value === '[]');
}

/** `Status.from_node`: JSON {optime, ...} or a legacy bare LSN. */
function statusFrom(e: KvEntry | undefined): Status {
  if (!e) return Status.empty();
  const v = parseJson(e.value);
  if (isRecord(v)) return new Status(Number(v.optime) || 0);
  const n = Number(v);
  return new Status(Number.isFinite(n) ? n : 0);
}

/**
 * Build the cluster view from the live entries under the scope prefix, keyed by relative name.
 * The caller has already dropped entries its store considers expired (server TTL, or the
 * reader's own clock for stores whose expiry is judged by readers).
 */
export function clusterFromEntries(nodes: ReadonlyMap<string, KvEntry>): Cluster {
  const init = nodes.get(KEY.initialize);
  const cfg = nodes.get(KEY.config);
  let config: ClusterConfig | null = null;
  if (cfg) {
    const data = parseJson(cfg.value);
    config = new ClusterConfig(cfg.version, isRecord(data) ? data : {}, cfg.version);
  }
  const hist = nodes.get(KEY.history);
  const members: Member[] = [];
  const memberNames = [...nodes.keys()].filter((k) => k.startsWith(KEY.members) && k.indexOf('/', KEY.members.length) < 0).sort();
  for (const k of memberNames) members.push(memberFrom(k.slice(KEY.members.length), nodes.get(k) as KvEntry));
  const lk = nodes.get(KEY.leader);
  let leader: Leader | null = null;
  if (lk && lk.value.length > 0) {
    // `Raft._cluster_from_nodes`: a leader whose member key is gone gets a stub Member(-1, name, None, {})
    const m = members.find((x) => x.name === lk.value) ?? new Member(-1, lk.value, null, {});
    leader = new Leader(lk.version, lk.session ?? null, m);
  }
  const fo = nodes.get(KEY.failover);
  const sy = nodes.get(KEY.sync);
  const syncValue = sy ? parseJson(sy.value) : undefined;
  const fs = nodes.get(KEY.failsafe);
  const failsafeValue = fs ? parseJson(fs.value) : undefined;
  return new Cluster(
    init ? init.value : null,
    config,
    leader,
    statusFrom(nodes.get(KEY.status)),
    members,
    fo ? failoverFrom(fo) : null,
    SyncState.fromValue(sy ? sy.version : null, isRecord(syncValue) ? (syncValue as unknown as SyncValue) : null),
    hist ? historyFrom(hist) : null,
    isRecord(failsafeValue) ? (failsafeValue as Record<string, string>) : null,
  );
}
