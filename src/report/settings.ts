// The Patroni settings the detectors reason with, read from `run.start` (Patroni's effective
// dynamic configuration and per-node local settings), with Patroni's defaults
// (`patroni/config.py Config.__DEFAULT_CONFIG`, `patroni/global_config.py`).
import { DEFAULT_LOOP_WAIT_S, DEFAULT_RETRY_TIMEOUT_S, DEFAULT_TTL_S, GlobalConfig, parseBool, type DynamicConfig } from '../sim/patroni/config.js';

export type WatchdogMode = 'off' | 'automatic' | 'required';

export interface NodeSettings {
  nofailover: boolean;
  nosync: boolean;
  /** `watchdog.mode` from the node's patroni.yml; undefined when the run did not say. */
  watchdog: WatchdogMode | undefined;
}

export interface PatroniSettings {
  ttlS: number;
  loopWaitS: number;
  retryTimeoutS: number;
  /** Bytes (`maximum_lag_on_failover`, default 1 MiB). */
  maximumLagOnFailoverBytes: number;
  synchronousMode: 'off' | 'on' | 'quorum';
  synchronousModeStrict: boolean;
  failsafeMode: boolean;
  /** `pause: true` in the dynamic config at start. */
  paused: boolean;
  standbyCluster: boolean;
  primaryStartTimeoutS: number;
  nodes: Record<string, NodeSettings>;
}

function tagBool(tags: Record<string, unknown> | undefined, bool: string, prio: string): boolean {
  // patroni/tags.py Tags._bool_tag: the boolean wins if set; else a priority <= 0 means true
  const b = tags?.[bool];
  if (b !== undefined && b !== null) return Boolean(parseBool(b) ?? b);
  const p = tags?.[prio];
  return typeof p === 'number' && p <= 0;
}

export function patroniSettings(dynamic: Record<string, unknown>, nodes: Record<string, { tags?: Record<string, unknown>; watchdog?: WatchdogMode }> | undefined): PatroniSettings {
  const gc = new GlobalConfig(dynamic as DynamicConfig);
  const num = (k: string, def: number): number => {
    const v = Number(dynamic[k]);
    return Number.isFinite(v) && dynamic[k] !== null && dynamic[k] !== undefined && dynamic[k] !== '' ? v : def;
  };
  const out: PatroniSettings = {
    ttlS: num('ttl', DEFAULT_TTL_S),
    loopWaitS: num('loop_wait', DEFAULT_LOOP_WAIT_S),
    retryTimeoutS: num('retry_timeout', DEFAULT_RETRY_TIMEOUT_S),
    maximumLagOnFailoverBytes: gc.maximum_lag_on_failover,
    synchronousMode: gc.is_quorum_commit_mode && !gc.is_standby_cluster ? 'quorum' : gc.is_synchronous_mode ? 'on' : 'off',
    synchronousModeStrict: gc.is_synchronous_mode_strict,
    failsafeMode: gc.checkMode('failsafe_mode'),
    paused: gc.is_paused,
    standbyCluster: gc.is_standby_cluster,
    primaryStartTimeoutS: gc.primary_start_timeout,
    nodes: {},
  };
  for (const [name, n] of Object.entries(nodes ?? {})) {
    out.nodes[name] = {
      nofailover: tagBool(n.tags, 'nofailover', 'failover_priority'),
      nosync: tagBool(n.tags, 'nosync', 'sync_priority'),
      watchdog: n.watchdog,
    };
  }
  return out;
}

/** Options of the detectors (all optional; defaults derive from the Patroni settings). */
export interface DetectorOptions {
  /** missed-failover budget; default ttl + loop_wait + 10 s. */
  missedFailoverBudgetMs?: number;
  /** undetected-partition threshold; default ttl. */
  partitionThresholdMs?: number;
  /** A stale-read episode is reported when reads lag by at least this many writes (default 1) for longer than the threshold. */
  staleReadMinWritesBehind?: number;
}

export interface ResolvedOptions {
  missedFailoverBudgetUs: number;
  partitionThresholdUs: number;
  staleReadMinWritesBehind: number;
}

export function resolveOptions(s: PatroniSettings, o: DetectorOptions = {}): ResolvedOptions {
  return {
    missedFailoverBudgetUs: Math.round((o.missedFailoverBudgetMs ?? (s.ttlS + s.loopWaitS + 10) * 1000) * 1000),
    partitionThresholdUs: Math.round((o.partitionThresholdMs ?? s.ttlS * 1000) * 1000),
    staleReadMinWritesBehind: o.staleReadMinWritesBehind ?? 1,
  };
}
