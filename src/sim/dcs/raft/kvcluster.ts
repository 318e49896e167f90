// Building Patroni's `Cluster` from a flat key space (etcd v3 / v2, Consul KV, ZooKeeper znodes):
// a port of the `_cluster_from_nodes` methods of patroni/dcs/etcd3.py, etcd.py, consul.py and
// zookeeper.py (which all read the same keys: initialize, config, leader, status / optime/leader,
// members/<name>, failover, sync, history, failsafe), and of the `from_node` parsers in
// patroni/dcs/__init__.py.
import {
  Cluster,
  ClusterConfig,
  Failover,
  Leader,
  Member,
  Status,
  SyncState,
  TimelineHistory,
  type FailoverValue,
  type HistoryLine,
  type KeyVersion,
  type MemberData,
  type SyncValue,
} from '../cluster.js';

export interface KvNode {
  value: string;
  version: KeyVersion;
  /** Lease / session / ephemeral owner / ttl. */
  session: string | number | null;
}

export const KEYS = {
  initialize: 'initialize',
  config: 'config',
  leader: 'leader',
  status: 'status',
  optime: 'optime/leader',
  members: 'members/',
  failover: 'failover',
  sync: 'sync',
  history: 'history',
  failsafe: 'failsafe',
} as const;

/** Patroni's base path: '/' + namespace.strip('/') + '/' + scope + '/'. */
export function clusterPrefix(namespace: string, scope: string): string {
  const ns = namespace.replace(/^\/+|\/+$/g, '');
  return `/${ns}/${scope}/`;
}

function parseJson(v: string): unknown {
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return undefined;
  }
}

/** `Member.from_node` */
export function memberFromNode(version: KeyVersion, name: string, session: string | number | null, value: string): Member {
  const data = parseJson(value);
  const md: MemberData = data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as MemberData) : {};
  return new Member(version, name, session, md);
}

/** `Failover.from_node` (legacy "leader:member" strings included). */
export function failoverFromNode(version: KeyVersion, value: string): Failover {
  const data = parseJson(value);
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) return Failover.fromValue(version, data as FailoverValue);
  const [leader, member] = value.split(':');
  return new Failover(version, leader || null, member || null, null);
}

/** `TimelineHistory.from_node`: a JSON list; anything else is an invalid history (timeline 0). */
export function historyFromNode(version: KeyVersion, value: string): TimelineHistory {
  const data = parseJson(value);
  return Array.isArray(data) ? new TimelineHistory(version, data as HistoryLine[]) : new TimelineHistory(version, [], false);
}

/** `Status.from_node`: {"optime": n, ...} or a bare number (legacy optime/leader). */
export function statusFromNode(value: string | undefined): Status {
  if (value === undefined) return Status.empty();
  const data = parseJson(value);
  if (typeof data === 'number') return new Status(data);
  if (data !== null && typeof data === 'object' && typeof (data as { optime?: unknown }).optime === 'number') return new Status((data as { optime: number }).optime);
  return Status.empty();
}

export function clusterFromNodes(nodes: ReadonlyMap<string, KvNode>): Cluster {
  const init = nodes.get(KEYS.initialize);
  const initialize = init ? init.value : null;
  const cfg = nodes.get(KEYS.config);
  let config: ClusterConfig | null = null;
  if (cfg) {
    const d = parseJson(cfg.value);
    config = new ClusterConfig(cfg.version, d !== null && typeof d === 'object' ? (d as Record<string, unknown>) : {}, cfg.version);
  }
  const hist = nodes.get(KEYS.history);
  const history = hist ? historyFromNode(hist.version, hist.value) : null;
  const status = statusFromNode((nodes.get(KEYS.status) ?? nodes.get(KEYS.optime))?.value);
  const members: Member[] = [];
  for (const [k, n] of [...nodes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!k.startsWith(KEYS.members)) continue;
    const name = k.slice(KEYS.members.length);
    if (name.length === 0 || name.includes('/')) continue;
    members.push(memberFromNode(n.version, name, n.session, n.value));
  }
  const l = nodes.get(KEYS.leader);
  let leader: Leader | null = null;
  if (l) {
    const m = members.find((x) => x.name === l.value) ?? new Member(-1, l.value, null, {});
    leader = new Leader(l.version, l.session, m);
  }
  const fo = nodes.get(KEYS.failover);
  const failover = fo ? failoverFromNode(fo.version, fo.value) : null;
  const sy = nodes.get(KEYS.sync);
  const syncData = sy ? parseJson(sy.value) : undefined;
  const sync = SyncState.fromValue(sy ? sy.version : null, syncData !== null && typeof syncData === 'object' ? (syncData as SyncValue) : null);
  const fs = nodes.get(KEYS.failsafe);
  let failsafe: Record<string, string> | null = null;
  if (fs) {
    const d = parseJson(fs.value);
    if (d !== null && typeof d === 'object' && !Array.isArray(d)) failsafe = d as Record<string, string>;
  }
  return new Cluster(initialize, config, leader, status, members, failover, sync, history, failsafe);
}

/** `patroni/utils.py deep_compare` for member data (JSON-equal). */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'undefined';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}
