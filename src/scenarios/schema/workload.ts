// The `workload` section: client writers and readers, where they run, how they find the primary
// (HAProxy health checks of Patroni's REST API, libpq multi-host strings, or a VIP that follows
// the leader key), their timeouts and retry policy. One workload per cluster; a list for several.
import { z } from 'zod';
import { boolish, duration, int, name, num, oneOf, rate, size } from './common.js';

/**
 * HAProxy in front of the cluster, as Patroni's docs configure it: `option httpchk OPTIONS /primary`,
 * `default-server inter 3s fall 3 rise 2 on-marked-down shutdown-sessions`.
 */
export const HaproxySchema = z.strictObject({
  kind: z.literal('haproxy'),
  /** Where HAProxy runs (default: on each client's host, as a local sidecar). */
  host: name().optional(),
  /** Health-check interval (`inter`). Default 3s. */
  interval: duration().optional(),
  /** Consecutive failed checks before a server is marked down (`fall`). Default 3. */
  fall: int(1).optional(),
  /** Consecutive good checks before it is marked up (`rise`). Default 2. */
  rise: int(1).optional(),
  /** Check timeout (`timeout check`). Default 5s (Patroni's example haproxy.cfg). */
  timeout: duration().optional(),
  /** `on-marked-down shutdown-sessions`: kill open sessions when a server goes down. Default true. */
  shutdownSessions: boolish().optional(),
});

/** libpq multi-host connection string with `target_session_attrs`. */
export const LibpqSchema = z.strictObject({
  kind: z.literal('libpq'),
  /** Hosts in the connection string, in order (default: every node of the cluster). */
  hosts: z.array(name()).optional(),
  /** Default read-write. */
  targetSessionAttrs: oneOf(['read-write', 'primary', 'any', 'standby', 'prefer-standby'] as const, 'target_session_attrs').optional(),
  /** libpq `connect_timeout` per host. Default: none (libpq waits for TCP to give up). */
  connectTimeout: duration().optional(),
});

/** A virtual IP (vip-manager, keepalived) or DNS name that follows the leader key. */
export const VipSchema = z.strictObject({
  kind: z.literal('vip'),
  /** How often the manager reads the leader key (vip-manager `interval`). Default 1s. */
  interval: duration().optional(),
  /** Time to configure the address and announce it (ip addr add, gratuitous ARP). Default 100ms. */
  delay: duration().optional(),
});

export const ROUTER_KINDS = ['haproxy', 'libpq', 'vip'] as const;

/** `router: haproxy` is short for `router: { kind: haproxy }`. */
export const RouterSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { kind: v } : v),
  z.discriminatedUnion('kind', [HaproxySchema, LibpqSchema, VipSchema]),
);

export const RetrySchema = z.preprocess(
  (v) => (v === 'none' || v === false ? { attempts: 0 } : v),
  z.strictObject({
    /** Retries after the first attempt (each retry is a new operation with a new write id). */
    attempts: int(0),
    /** Wait before the first retry. Default 500ms. */
    backoff: duration().optional(),
    /** Each further wait is the previous one times this. Default 2. */
    multiplier: num(1, 100).optional(),
    /** Also retry writes whose outcome is unknown (a timeout after the commit was sent). Default true. */
    retryUnknown: boolish().optional(),
  }),
);

export const WorkloadSchema = z.strictObject({
  /** Which cluster the clients use (default: the first). */
  cluster: name().optional(),
  /** Writer clients. Default 1. */
  writers: int(0).optional(),
  /** Writes per second per writer. Default 10/s. */
  rate: rate().optional(),
  /** Fixed spacing between operations, or Poisson arrivals. Default fixed. */
  arrivals: oneOf(['fixed', 'poisson'] as const, 'arrival process').optional(),
  /** WAL bytes per write. Default: the PostgreSQL model's (200 B, a small INSERT and its COMMIT). */
  writeSize: size().optional(),
  /** Reader clients. Default 0. */
  readers: int(0).optional(),
  /** Reads per second per reader. Default 10/s. */
  readRate: rate().optional(),
  /** Where readers read: the primary, a replica, or any node. Default primary. */
  readFrom: oneOf(['primary', 'replica', 'any'] as const, 'read target').optional(),
  /** Client hosts (declared or created next to the first node); clients are placed round-robin. Default [app1]. */
  clients: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(name()).min(1)).optional(),
  /** When the clients start. Default: the end of the warmup phase. */
  start: duration().optional(),
  /** Client-side timeout of one operation; a write that times out is indeterminate (info). Default 5s. */
  timeout: duration().optional(),
  router: RouterSchema.optional(),
  retry: RetrySchema.optional(),
});

/** One workload, or a list (one per cluster). */
export const WorkloadsSchema = z.preprocess((v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? [v] : v), z.array(WorkloadSchema));

export type WorkloadInput = z.output<typeof WorkloadSchema>;
export type RouterInput = z.output<typeof RouterSchema>;
