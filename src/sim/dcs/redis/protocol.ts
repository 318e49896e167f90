// What travels between Patroni's Redis client, the Redis servers and the Sentinels, as typed
// services. Commands are the ones a careful engineer would have used for a Patroni backend:
//
//   leader acquire:  SET <leader> <me> NX PX <ttl>
//   leader renew:    EVAL "if redis.call('GET', KEYS[1]) == ARGV[1] then
//                            return redis.call('PEXPIRE', KEYS[1], ARGV[2])
//                          elseif redis.call('EXISTS', KEYS[1]) == 0 then
//                            return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) and 1
//                          end return 0"
//   leader release:  EVAL "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
//   other keys:      a hash {v, ver} per key; conditional writes as Lua scripts comparing `ver`
//                    (a version drawn from INCR on a counter key, in the same script)
//   get cluster:     one Lua script returning every key under the scope prefix
//
// A Lua script runs atomically on the server and is replicated as its effects (Redis >= 5).
import { service, streamService } from '../../net/network.js';
import type { PutCondition } from '../memory/kvDcs.js';

export interface RedisValue {
  value: string;
  /** Modification version (from the replicated counter): what Patroni's version-CAS compares. */
  version: number;
  /** Absolute expiry in the writing master's wall clock (µs), or null. */
  expireAtWallUs: number | null;
}

/** What a write does to the data set, as propagated to replicas and the AOF (absolute times: Redis >= 7). */
export type Effect =
  | { op: 'set'; key: string; value: RedisValue }
  | { op: 'pexpireat'; key: string; expireAtWallUs: number; version: number }
  | { op: 'del'; key: string };

export interface OnConnection {
  connId: number;
  /**
   * The client's wall clock when it sent the command. Not part of the protocol: ground truth for
   * lock records (the holder's own deadline is its send time + ttl, as a lock client computes it).
   */
  sentWallUs: number;
}

// ---- client commands ------------------------------------------------------------------------

export interface RoleReply {
  role: 'master' | 'replica';
  connId: number;
}
export const RedisRole = service<Record<string, never>, RoleReply>('redis-role');
export const RedisLoad = service<OnConnection & { prefix: string }, { entries: [string, string, number][] }>('redis-load');
export const RedisSetNx = service<OnConnection & { key: string; value: string; pxMs: number; nx: boolean }, { ok: boolean }>('redis-set');
export const RedisLockRenew = service<OnConnection & { key: string; me: string; pxMs: number }, { ok: boolean }>('redis-eval-renew');
export const RedisLockRelease = service<OnConnection & { key: string; me: string }, { ok: boolean }>('redis-eval-release');
export const RedisCasSet = service<OnConnection & { key: string; value: string; cond: PutCondition; pxMs?: number }, { version: number | false }>('redis-eval-cas');
export const RedisCasDel = service<OnConnection & { key: string; cond: PutCondition }, { ok: boolean }>('redis-eval-casdel');

/** Keyspace notifications (`notify-keyspace-events Kgx$`) on the leader key, over a pub/sub connection. */
export const RedisPubSub = streamService<{ subscribe: string }, { event: string; key: string }>('redis-pubsub');

// ---- what Sentinels send to Redis servers -----------------------------------------------------

export interface InfoReply {
  member: string;
  role: 'master' | 'replica';
  /** For a replica: the master it replicates from. */
  master: string | null;
  /** `master_link_status:up`. */
  linkUp: boolean;
  /** `master_link_down_since_seconds`, in ms (0 when up). */
  linkDownMs: number;
  /** `slave_repl_offset` / `master_repl_offset`. */
  offset: number;
  replicaPriority: number;
  runId: string;
}
/** PING + INFO replication (a Sentinel sends PING every second and INFO every 10 s, every 1 s in a failover). */
export const RedisInfo = service<Record<string, never>, InfoReply>('redis-info');
/** REPLICAOF <master> (or NO ONE when null) + CONFIG REWRITE + CLIENT KILL TYPE normal, in one MULTI. */
export const RedisReplicaOf = service<{ master: string | null }, { ok: boolean }>('redis-replicaof');
/** PUBLISH __sentinel__:hello: the server relays it to every Sentinel subscribed. */
export interface Hello {
  sentinel: string;
  currentEpoch: number;
  master: string;
  configEpoch: number;
}
export const RedisPublishHello = service<Hello, { receivers: number }>('redis-publish-hello');

// ---- replication --------------------------------------------------------------------------

export type ReplToMaster = { psync: { replId: string; offset: number } } | { ack: number };
export type ReplToReplica =
  | { full: { data: [string, RedisValue][]; replId: string; offset: number } }
  | { cont: { replId: string } }
  | { effects: { offset: number; effect: Effect }[] }
  | { ping: true };
export const RedisRepl = streamService<ReplToMaster, ReplToReplica>('redis-replication');

// ---- Sentinel API -------------------------------------------------------------------------

/** SENTINEL GET-MASTER-ADDR-BY-NAME, plus the flags `SENTINEL MASTERS` gives (redis-py checks them). */
export const SentinelGetMaster = service<Record<string, never>, { master: string; sdown: boolean; odown: boolean } | { idontknow: true }>('sentinel-get-master');
/** SENTINEL IS-MASTER-DOWN-BY-ADDR <master> <current-epoch> <runid|*> */
export const SentinelIsMasterDown = service<{ master: string; epoch: number; runId: string | null }, { down: boolean; leader: string | null; leaderEpoch: number }>(
  'sentinel-is-master-down',
);
/** A hello relayed by a Redis server to a subscribed Sentinel. */
export const SentinelHello = service<Hello, { ok: true }>('sentinel-hello');
/** SENTINEL FAILOVER <master>: fail over now, without asking the other Sentinels. */
export const SentinelFailover = service<Record<string, never>, { ok: boolean; error?: string }>('sentinel-failover');

/** Error replies the client recognises. */
export const ERR = {
  readonly: "READONLY You can't write against a read only replica.",
  noreplicas: 'NOREPLICAS Not enough good replicas to write.',
  connection: 'Connection closed by server.',
} as const;
