// Patroni's configuration as the agent sees it:
//  - the dynamic configuration (the /config key, seeded from bootstrap.dcs), with Patroni's own
//    key names, and the checks Patroni applies when it takes a new one
//    (`patroni/config.py Config._validate_and_adjust_timeouts`);
//  - `patroni/global_config.py GlobalConfig`, the typed view every decision reads;
//  - `patroni/utils.py` parse_bool / parse_int / patch_config.

/** Patroni's dynamic configuration (the /config key). Unknown keys are kept as they are. */
export interface DynamicConfig {
  ttl?: number;
  loop_wait?: number;
  retry_timeout?: number;
  maximum_lag_on_failover?: number;
  maximum_lag_on_syncnode?: number;
  primary_start_timeout?: number;
  /** Legacy name, still honoured (`GlobalConfig.primary_start_timeout`). */
  master_start_timeout?: number;
  primary_stop_timeout?: number;
  master_stop_timeout?: number;
  primary_race_backoff?: number;
  synchronous_mode?: boolean | 'on' | 'off' | 'true' | 'false' | 'quorum' | null;
  synchronous_mode_strict?: boolean | null;
  synchronous_node_count?: number;
  failsafe_mode?: boolean | null;
  check_timeline?: boolean | null;
  pause?: boolean | null;
  max_timelines_history?: number;
  member_slots_ttl?: number;
  standby_cluster?: StandbyClusterConfig | null;
  postgresql?: DynamicPostgresqlConfig;
  [key: string]: unknown;
}

/** `standby_cluster` section: where the standby leader replicates from. */
export interface StandbyClusterConfig {
  /** Host name of the upstream (a host in the simulated world). */
  host?: string;
  port?: number;
  primary_slot_name?: string;
  restore_command?: string;
  create_replica_methods?: string[];
  recovery_min_apply_delay?: number;
  [key: string]: unknown;
}

/** The `postgresql` section (local, or dynamic under bootstrap.dcs / the /config key). */
export interface DynamicPostgresqlConfig {
  use_pg_rewind?: boolean;
  use_slots?: boolean;
  remove_data_directory_on_rewind_failure?: boolean;
  remove_data_directory_on_diverged_timelines?: boolean;
  /** pg_ctl timeout in seconds (default 60). */
  pg_ctl_timeout?: number;
  parameters?: Record<string, unknown>;
  [key: string]: unknown;
}

/** `patroni/config.py Config.__DEFAULT_CONFIG` (the parts that matter to HA). */
export const DEFAULT_TTL_S = 30;
export const DEFAULT_LOOP_WAIT_S = 10;
export const DEFAULT_RETRY_TIMEOUT_S = 10;

/** `patroni/utils.py parse_bool` */
export function parseBool(value: unknown): boolean | null {
  const v = String(value === null || value === undefined ? 'none' : value).toLowerCase();
  if (v === 'on' || v === 'true' || v === 'yes' || v === '1') return true;
  if (v === 'off' || v === 'false' || v === 'no' || v === '0') return false;
  return null;
}

const SIZE_UNITS: Record<string, number> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };
const TIME_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `patroni/utils.py parse_int` for the values Patroni's HA settings take: integers, numeric strings,
 * and numbers with a size (B, kB, MB, GB, TB) or time (ms, s, min, h, d) unit converted to `baseUnit`.
 */
export function parseInt(value: unknown, baseUnit?: 'B' | 's'): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'string') return null;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = m[2] ?? '';
  if (unit === '') return Math.trunc(n);
  if (baseUnit === 'B' && unit in SIZE_UNITS) return Math.round(n * (SIZE_UNITS[unit] as number));
  if (baseUnit === 's' && unit in TIME_UNITS_MS) return Math.round((n * (TIME_UNITS_MS[unit] as number)) / 1000);
  return null;
}

/** `patroni/utils.py patch_config`: null removes a key, nested objects merge. Returns true if changed. */
export function patchConfig(config: Record<string, unknown>, data: Record<string, unknown>): boolean {
  let changed = false;
  for (const [name, value] of Object.entries(data)) {
    if (value === null || value === undefined) {
      if (name in config) {
        const old = config[name];
        delete config[name];
        if (old !== null && old !== undefined) changed = true;
      }
    } else if (name in config) {
      const cur = config[name];
      if (isPlainObject(value)) {
        if (isPlainObject(cur)) {
          if (patchConfig(cur, value)) changed = true;
        } else {
          config[name] = value;
          changed = true;
        }
      } else if (pyStr(cur) !== pyStr(value)) {
        config[name] = value;
        changed = true;
      }
    } else {
      config[name] = value;
      changed = true;
    }
  }
  return changed;
}

function pyStr(v: unknown): string {
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null || v === undefined) return 'None';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A deep copy of a JSON-like config value. */
export function cloneConfig<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** One adjustment Patroni made to a dynamic configuration, with its own log message. */
export interface ConfigWarning {
  message: string;
  /** The offending values. */
  values: Record<string, number>;
}

/**
 * `patroni/config.py Config._validate_and_adjust_timeouts`: loop_wait >= 1, retry_timeout >= 3,
 * ttl >= 20, then `loop_wait + 2*retry_timeout <= ttl` (reducing loop_wait first, then
 * retry_timeout). Mutates `config` exactly as Patroni does and returns its warnings.
 */
export function validateAndAdjustTimeouts(config: DynamicConfig): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const getAdjust = (param: 'loop_wait' | 'retry_timeout' | 'ttl', def: number, min: number): number => {
    const raw = config[param];
    let value = raw === undefined ? def : Math.trunc(Number(raw));
    if (!Number.isFinite(value)) value = def;
    if (value < min) {
      warnings.push({ message: `${param}=${value} can't be smaller than ${min}, adjusting...`, values: { [param]: value } });
      value = min;
      config[param] = min;
    }
    return value;
  };
  const minLoopWait = 1;
  const loopWait = getAdjust('loop_wait', DEFAULT_LOOP_WAIT_S, minLoopWait);
  const retryTimeout = getAdjust('retry_timeout', DEFAULT_RETRY_TIMEOUT_S, 3);
  const ttl = getAdjust('ttl', DEFAULT_TTL_S, 20);
  if (minLoopWait + 2 * retryTimeout > ttl) {
    config.loop_wait = minLoopWait;
    config.retry_timeout = Math.floor((ttl - minLoopWait) / 2);
    warnings.push({
      message:
        `Violated the rule "loop_wait + 2*retry_timeout <= ttl", where ttl=${ttl}. ` +
        `Adjusting loop_wait from ${loopWait} to ${minLoopWait} and retry_timeout from ${retryTimeout} to ${config.retry_timeout}`,
      values: { ttl, loop_wait: loopWait, retry_timeout: retryTimeout },
    });
  } else if (loopWait + 2 * retryTimeout > ttl) {
    config.loop_wait = ttl - 2 * retryTimeout;
    warnings.push({
      message:
        `Violated the rule "loop_wait + 2*retry_timeout <= ttl", where ttl=${ttl} and retry_timeout=${retryTimeout}. ` +
        `Adjusting loop_wait from ${loopWait} to ${config.loop_wait}`,
      values: { ttl, loop_wait: loopWait, retry_timeout: retryTimeout },
    });
  }
  return warnings;
}

/** The effective ttl / loop_wait / retry_timeout of a (validated) dynamic config, in seconds. */
export function timingOf(config: DynamicConfig): { ttl: number; loop_wait: number; retry_timeout: number } {
  return {
    ttl: Number(config.ttl ?? DEFAULT_TTL_S),
    loop_wait: Number(config.loop_wait ?? DEFAULT_LOOP_WAIT_S),
    retry_timeout: Number(config.retry_timeout ?? DEFAULT_RETRY_TIMEOUT_S),
  };
}

/** `patroni/global_config.py GlobalConfig`: typed accessors over the current dynamic configuration. */
export class GlobalConfig {
  constructor(private config: DynamicConfig = {}) {}

  /** `GlobalConfig.update`: take the cluster's config if it has a valid one, else `fallback`. */
  update(clusterConfig: DynamicConfig | null, fallback?: DynamicConfig): void {
    if (clusterConfig) this.config = clusterConfig;
    else if (fallback) this.config = fallback;
  }

  get data(): DynamicConfig {
    return this.config;
  }

  get(name: string): unknown {
    return this.config[name];
  }

  /** `GlobalConfig.check_mode` */
  checkMode(mode: string): boolean {
    return Boolean(parseBool(this.config[mode]));
  }

  get is_paused(): boolean {
    return this.checkMode('pause');
  }

  get is_quorum_commit_mode(): boolean {
    return String(this.config.synchronous_mode).toLowerCase() === 'quorum';
  }

  get is_synchronous_mode(): boolean {
    return (this.checkMode('synchronous_mode') || this.is_quorum_commit_mode) && !this.is_standby_cluster;
  }

  get is_synchronous_mode_strict(): boolean {
    return this.checkMode('synchronous_mode_strict');
  }

  get standby_cluster_config(): StandbyClusterConfig | null {
    const c = this.config.standby_cluster;
    return isPlainObject(c) ? (cloneConfig(c) as StandbyClusterConfig) : null;
  }

  get is_standby_cluster(): boolean {
    const c = this.config.standby_cluster;
    return isPlainObject(c) && ['host', 'port', 'restore_command'].some((p) => Boolean(c[p]));
  }

  getInt(name: string, def = 0, baseUnit?: 'B' | 's'): number {
    const r = parseInt(this.config[name], baseUnit);
    return r === null ? def : r;
  }

  get min_synchronous_nodes(): number {
    return this.is_synchronous_mode_strict ? 1 : 0;
  }

  get synchronous_node_count(): number {
    return Math.max(this.getInt('synchronous_node_count', 1), this.min_synchronous_nodes);
  }

  get maximum_lag_on_failover(): number {
    return this.getInt('maximum_lag_on_failover', 1048576);
  }

  get maximum_lag_on_syncnode(): number {
    return this.getInt('maximum_lag_on_syncnode', -1);
  }

  get primary_start_timeout(): number {
    return 'primary_start_timeout' in this.config ? this.getInt('primary_start_timeout', 300) : this.getInt('master_start_timeout', 300);
  }

  get primary_stop_timeout(): number {
    return 'primary_stop_timeout' in this.config ? this.getInt('primary_stop_timeout', 0) : this.getInt('master_stop_timeout', 0);
  }

  get primary_race_backoff(): number {
    return this.getInt('primary_race_backoff', 0);
  }

  get max_timelines_history(): number {
    return this.getInt('max_timelines_history', 0);
  }

  get use_slots(): boolean {
    const pg = this.config.postgresql;
    return Boolean(parseBool(isPlainObject(pg) ? (pg.use_slots ?? true) : true));
  }
}
