// The `patroni` section: Patroni's own keys with Patroni's names and units, so that a user can
// paste the `bootstrap.dcs` section of a real patroni.yml here unchanged, plus the per-node local
// keys (`tags`, `watchdog`) and the list of nodes. Types and ranges follow
// `patroni/validator.py` (schema) and `patroni/config.py Config.__DEFAULT_CONFIG` /
// `patroni/global_config.py` (defaults; see PATRONI_DEFAULTS).
import { z } from 'zod';
import { describeValue, parseSize, type Parsed } from '../units.js';
import { boolish, domainPath, duration, int, leaf, name, patroniSeconds, size, str } from './common.js';

/** Patroni's defaults for the dynamic configuration, in Patroni's units (seconds, bytes). */
export const PATRONI_DEFAULTS = {
  // patroni/config.py Config.__DEFAULT_CONFIG
  ttl: 30,
  loop_wait: 10,
  retry_timeout: 10,
  // patroni/global_config.py GlobalConfig.*
  maximum_lag_on_failover: 1_048_576,
  maximum_lag_on_syncnode: -1,
  primary_start_timeout: 300,
  primary_stop_timeout: 0,
  primary_race_backoff: 0,
  synchronous_mode: false as boolean | 'quorum',
  synchronous_mode_strict: false,
  synchronous_node_count: 1,
  failsafe_mode: false,
  check_timeline: false,
  pause: false,
  max_timelines_history: 0,
  member_slots_ttl: 1800,
  postgresql: { use_pg_rewind: false, use_slots: true },
} as const;

/** Patroni's minimums, which it enforces by raising the value with a warning (`Config._validate_and_adjust_timeouts`). */
export const PATRONI_MINIMUMS = { ttl: 20, loop_wait: 1, retry_timeout: 3 } as const;

/**
 * `synchronous_mode`: on/true, off/false, or quorum (`patroni/validator.py validate_synchronous_mode`,
 * `global_config.is_synchronous_mode` / `is_quorum_commit_mode`). Output: true, false or 'quorum'.
 */
const synchronousMode = () =>
  leaf<boolean | 'quorum'>((v) => {
    if (typeof v === 'string' && v.toLowerCase() === 'quorum') return { ok: true, value: 'quorum' };
    if (typeof v === 'boolean') return { ok: true, value: v };
    const s = String(v).toLowerCase();
    if (['on', 'true', 'yes', '1'].includes(s)) return { ok: true, value: true };
    if (['off', 'false', 'no', '0'].includes(s)) return { ok: true, value: false };
    return { ok: false, error: `expected on, off or quorum, got ${describeValue(v)}` };
  });

/** `watchdog.mode`: off (or false), automatic, required (`validate_watchdog_mode`). */
const watchdogMode = () =>
  leaf<'off' | 'automatic' | 'required'>((v) => {
    if (v === false || v === 'off') return { ok: true, value: 'off' };
    if (v === 'automatic' || v === 'required') return { ok: true, value: v };
    return { ok: false, error: `expected off, automatic or required, got ${describeValue(v)}` };
  });

/** A PostgreSQL parameter value: string, number or boolean (booleans become on/off, as Patroni writes them). */
const pgParam = () =>
  leaf<string | number>((v) => {
    if (typeof v === 'boolean') return { ok: true, value: v ? 'on' : 'off' };
    if (typeof v === 'string' || typeof v === 'number') return { ok: true, value: v };
    return { ok: false, error: `expected a PostgreSQL setting (string, number or boolean), got ${describeValue(v)}` };
  });

/** Keys Patroni accepts that haywire does not model: accepted so that a pasted config validates, reported as warnings. */
export const PATRONI_NOT_MODELLED = [
  'slots',
  'ignore_slots',
  'permanent_slots',
  'permanent_replication_slots',
  'postgresql.pg_hba',
  'postgresql.pg_ident',
  'postgresql.basebackup',
  'postgresql.rewind',
  'postgresql.callbacks',
  'postgresql.create_replica_methods',
  'postgresql.recovery_conf',
  'postgresql.pgpass',
  'postgresql.bin_dir',
  'postgresql.bin_name',
  'postgresql.authentication',
  'postgresql.listen',
  'postgresql.connect_address',
  'postgresql.proxy_address',
  'postgresql.data_dir',
  'postgresql.config_dir',
  'standby_cluster.create_replica_methods',
  'standby_cluster.restore_command',
  'standby_cluster.archive_cleanup_command',
] as const;

const ignored = () => z.unknown().optional();

/**
 * An optional section where an empty YAML value (`parameters:` with every line under it commented
 * out, as in Patroni's sample configs) means "not given", as it does to Patroni.
 */
function section<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === null ? undefined : v), schema.optional());
}

/** The `postgresql` subsection (dynamic and local keys; Patroni merges them). */
export const PatroniPostgresqlSchema = z.strictObject({
  use_pg_rewind: boolish().optional(),
  use_slots: boolish().optional(),
  parameters: section(z.record(z.string(), pgParam())),
  remove_data_directory_on_rewind_failure: boolish().optional(),
  remove_data_directory_on_diverged_timelines: boolish().optional(),
  pg_ctl_timeout: patroniSeconds().optional(),
  pg_hba: ignored(),
  pg_ident: ignored(),
  basebackup: ignored(),
  rewind: ignored(),
  callbacks: ignored(),
  create_replica_methods: ignored(),
  recovery_conf: ignored(),
  pgpass: ignored(),
  bin_dir: ignored(),
  bin_name: ignored(),
  authentication: ignored(),
  listen: ignored(),
  connect_address: ignored(),
  proxy_address: ignored(),
  data_dir: ignored(),
  config_dir: ignored(),
});

/**
 * `standby_cluster` (`patroni/validator.py`): this cluster replicates from a remote one. In haywire,
 * `host` names a host of the scenario (a node of the source cluster).
 */
export const StandbyClusterSchema = z.strictObject({
  host: str().optional(),
  port: int(1, 65535).optional(),
  primary_slot_name: str().optional(),
  recovery_min_apply_delay: leaf<number>((v) => {
    // PostgreSQL's recovery_min_apply_delay: ms by default, or with a unit ("5min").
    if (typeof v === 'number') return { ok: true, value: v };
    if (typeof v === 'string') {
      const m = /^\s*(\d+)\s*(ms|s|min|h|d)?\s*$/.exec(v);
      if (m) {
        const mult = { ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
        return { ok: true, value: Number(m[1]) * mult };
      }
    }
    return { ok: false, error: `expected a delay in ms or with a unit ("5min"), got ${describeValue(v)}` };
  }).optional(),
  create_replica_methods: ignored(),
  restore_command: ignored(),
  archive_cleanup_command: ignored(),
});

/** The dynamic configuration keys (`bootstrap.dcs`, `patronictl edit-config`). */
export const dynamicShape = {
  ttl: patroniSeconds().optional(),
  loop_wait: patroniSeconds().optional(),
  retry_timeout: patroniSeconds().optional(),
  maximum_lag_on_failover: size().optional(),
  maximum_lag_on_syncnode: leaf<number>(sizeOrMinusOne).optional(),
  primary_start_timeout: patroniSeconds().optional(),
  primary_stop_timeout: patroniSeconds().optional(),
  primary_race_backoff: patroniSeconds().optional(),
  /** Old names, still honoured by Patroni when the new ones are absent (`global_config.py`). */
  master_start_timeout: patroniSeconds().optional(),
  master_stop_timeout: patroniSeconds().optional(),
  synchronous_mode: synchronousMode().optional(),
  synchronous_mode_strict: boolish().optional(),
  synchronous_node_count: int(1).optional(),
  failsafe_mode: boolish().optional(),
  check_timeline: boolish().optional(),
  pause: boolish().optional(),
  max_timelines_history: int(0).optional(),
  member_slots_ttl: patroniSeconds().optional(),
  postgresql: section(PatroniPostgresqlSchema),
  standby_cluster: section(StandbyClusterSchema),
  slots: ignored(),
  ignore_slots: ignored(),
  permanent_slots: ignored(),
  permanent_replication_slots: ignored(),
};

export const DYNAMIC_KEYS = Object.keys(dynamicShape);

function sizeOrMinusOne(v: unknown): Parsed<number> {
  if (typeof v === 'number' && Number.isInteger(v) && v >= -1) return { ok: true, value: v };
  if (typeof v === 'string') {
    const r = parseSize(v);
    if (r.ok) return r;
  }
  return { ok: false, error: `expected -1 (off) or a lag in bytes ("16MB"), got ${describeValue(v)}` };
}

/**
 * Node tags (`patroni/tags.py Tags`, `validator.py`): `nofailover` and `failover_priority` are
 * alternatives, as are `nosync` and `sync_priority`.
 */
export const TagsSchema = z
  .strictObject({
    nofailover: boolish().optional(),
    failover_priority: int(0).optional(),
    nosync: boolish().optional(),
    sync_priority: int(0).optional(),
    clonefrom: boolish().optional(),
    noloadbalance: boolish().optional(),
    replicatefrom: name().optional(),
    nostream: boolish().optional(),
  })
  .superRefine((t, ctx) => {
    if (t.nofailover !== undefined && t.failover_priority !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['failover_priority'], message: 'give nofailover or failover_priority, not both (Patroni refuses both)' });
    }
    if (t.nosync !== undefined && t.sync_priority !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['sync_priority'], message: 'give nosync or sync_priority, not both (Patroni refuses both)' });
    }
  });

/** `watchdog` (`patroni/watchdog/base.py`): mode automatic, safety_margin 5 s by default. */
export const WatchdogSchema = z.strictObject({
  mode: watchdogMode().optional(),
  device: str().optional(),
  safety_margin: int(-1).optional(),
});

/** One Patroni node. It runs on `host`, or on a host of its own name placed in `domains`. */
export const NodeSchema = z.strictObject({
  name: name(),
  host: name().optional(),
  domains: domainPath().optional(),
  tags: TagsSchema.optional(),
  watchdog: WatchdogSchema.optional(),
  /** DCS members this node's client lists, in order (Patroni's `etcd3.hosts` etc.). Default: all. */
  dcsEndpoints: z.array(name()).optional(),
  /** Patroni on this node is started this long after the run begins (default: at once). */
  startAt: duration().optional(),
});

/** `nodes: 3` is short for pg1, pg2, pg3; a string is a node name. */
export const NodesSchema = z.preprocess((v) => {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 100) {
    return Array.from({ length: v }, (_, i) => ({ name: `pg${i + 1}` }));
  }
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? { name: x } : x));
  return v;
}, z.array(NodeSchema).min(1, 'a cluster needs at least one node'));

export const PatroniSchema = z.strictObject({
  /** Patroni `scope`: the cluster name. */
  scope: name().optional(),
  /** Patroni `namespace`, default "/service/". */
  namespace: str().optional(),
  ...dynamicShape,
  /** Defaults for every node's local config. */
  tags: section(TagsSchema),
  watchdog: section(WatchdogSchema),
  nodes: NodesSchema.optional(),
});

export type PatroniInput = z.output<typeof PatroniSchema>;
export type NodeInput = z.output<typeof NodeSchema>;
export type TagsInput = z.output<typeof TagsSchema>;
export type WatchdogInput = z.output<typeof WatchdogSchema>;
