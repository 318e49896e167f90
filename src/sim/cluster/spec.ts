// A Patroni cluster, described programmatically: the shape `buildCluster(world, spec)` assembles
// (hosts, PostgreSQL servers, Patroni agents with their DCS clients and watchdog devices, the DCS
// deployment, optional standby clusters). Field names are Patroni's own wherever Patroni has one
// (`ttl`, `loop_wait`, `retry_timeout`, `maximum_lag_on_failover`, `synchronous_mode`, per-node
// `tags`, `watchdog: { mode, safety_margin }`, `postgresql.use_pg_rewind`, ...), so a scenario
// file can be a near-literal copy of a patroni.yml.
import type { DcsBackendKind } from '../history/records.js';
import type { Tags } from '../dcs/cluster.js';
import type { Micros } from '../kernel/time.js';
import type { DynamicConfig, DynamicPostgresqlConfig } from '../patroni/config.js';

/** A machine: name and its failure-domain path (outermost first, e.g. ["eu", "dc1", "rack1"]). */
export interface HostPlacement {
  name: string;
  domains: string[];
  /** Boot time after power-on or a watchdog reset, µs (default 30 s). */
  bootUs?: Micros;
  clockOffsetUs?: Micros;
  clockDriftPpm?: number;
  /** Median fsync latency, µs. */
  fsyncUs?: Micros;
}

/** Patroni `watchdog:` section (`patroni/watchdog/base.py WatchdogConfig`). */
export interface WatchdogSpec {
  /** off | automatic | required (Patroni's default: automatic). */
  mode?: 'off' | 'automatic' | 'required';
  /** Seconds; watchdog timeout = ttl - safety_margin, or ttl // 2 when -1. Default 5. */
  safety_margin?: number;
  /** Whether the host has a usable watchdog device (softdog loaded, /dev/watchdog writable). Default true. */
  device?: boolean;
  /**
   * `default`: softdog, which hard-resets the host when not kicked in time. `testing`: the named-pipe
   * driver of Patroni's acceptance tests, which only records that it was triggered.
   */
  driver?: 'default' | 'testing';
}

/** The local `postgresql:` section of patroni.yml that matters to HA decisions. */
export type LocalPostgresqlConfig = DynamicPostgresqlConfig & {
  /** Seconds pg_ctl waits for start (`pg_ctl_timeout`, default 60). */
  pg_ctl_timeout?: number;
};

/** One Patroni + PostgreSQL node. The node's name is also its host name. */
export interface NodeSpec {
  /** Patroni `name` (== PostgreSQL application_name == host name). */
  name: string;
  /** Failure domains of the node's host (outermost first). */
  domains: string[];
  /** Extra host properties (boot time, clock, disk). */
  host?: Omit<HostPlacement, 'name' | 'domains'>;
  /** Patroni `tags:` (nofailover, failover_priority, nosync, sync_priority, replicatefrom, clonefrom, noloadbalance, nostream). */
  tags?: Tags;
  /** Per-node watchdog (overrides the cluster default). */
  watchdog?: WatchdogSpec;
  /** Per-node local postgresql settings (override the cluster's). */
  postgresql?: LocalPostgresqlConfig;
  /** DCS endpoints this node's client lists, in order (default: every DCS member). */
  dcsEndpoints?: string[];
  /** Start Patroni (and hence PostgreSQL) at this true time (default 0). Patroni starts at boot too. */
  startAtUs?: Micros;
  /** Do not start Patroni at all until a scenario action starts it. */
  startStopped?: boolean;
}

/** The DCS this cluster's agents use (deployed through `src/sim/dcs/registry.ts`). */
/** A DCS server member: by default on a host of its own name (created if missing). */
export type DcsMemberPlacement = HostPlacement & {
  /** Run the member on this existing host (a node's or another member's) instead of its own. */
  host?: string;
};

export interface DcsSpec {
  backend: DcsBackendKind;
  /** Server members with their hosts' placement (hosts are created if missing). */
  members: DcsMemberPlacement[];
  /** Backend-specific options (validated by the backend). */
  options?: Record<string, unknown>;
  /** Trace label (default: the backend kind). */
  store?: string;
  /**
   * Reuse a deployment built earlier under this store label. A deployment's clients are bound to the
   * scope it was deployed for, so only a cluster with the same scope may share it (buildCluster
   * refuses otherwise, rather than letting two clusters fight over one leader key).
   */
  shared?: string;
}

export interface ClusterSpec {
  /** Patroni `scope` (cluster name). Default "batman" (Patroni's test suite). */
  scope?: string;
  /** Patroni `namespace` (default "/service/" → "service"). */
  namespace?: string;
  dcs: DcsSpec;
  /** `bootstrap.dcs`: the initial dynamic configuration written to /config by the node that bootstraps. */
  bootstrap?: { dcs?: DynamicConfig };
  /** Local `postgresql:` defaults for every node (use_pg_rewind, remove_data_directory_on_*...). */
  postgresql?: LocalPostgresqlConfig;
  /** Default watchdog for every node. */
  watchdog?: WatchdogSpec;
  nodes: NodeSpec[];
  /** Options passed to the PostgreSQL server model for every node (opaque here; see src/sim/pg). */
  pgOptions?: Record<string, unknown>;
  /**
   * Standby clusters (X1–X8): each is a full cluster whose bootstrap.dcs.standby_cluster names the
   * host its standby leader replicates from (typically a node of this cluster).
   */
  standbyClusters?: ClusterSpec[];
  /** Emit the `run.start` record (default true; a scenario runner that adds clients emits its own). */
  emitRunStart?: boolean;
  /** Scenario name and seed for `run.start`. */
  scenario?: string;
}
