// The `patroni` section after the schema: the dynamic configuration as Patroni would store it,
// and warnings for what Patroni itself would adjust or ignore, with Patroni's reasons.
import { DYNAMIC_KEYS, PATRONI_DEFAULTS, PATRONI_MINIMUMS, PATRONI_NOT_MODELLED, type PatroniInput } from './schema/patroni.js';
import type { Path } from './errors.js';
import type { Reporter } from './resolve.js';

const LEGACY: Readonly<Record<string, string>> = {
  master_start_timeout: 'primary_start_timeout',
  master_stop_timeout: 'primary_stop_timeout',
};

/** Drop undefined values and not-modelled keys, recursively (one level of sections). */
function clean(section: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(section)) {
    if (v === undefined) continue;
    const full = prefix === '' ? k : `${prefix}.${k}`;
    if ((PATRONI_NOT_MODELLED as readonly string[]).includes(full)) continue;
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) && prefix === '' && k !== 'parameters' ? clean(v as Record<string, unknown>, full) : v;
  }
  return out;
}

/** Warn about every not-modelled key that is present. */
function warnNotModelled(p: Record<string, unknown>, base: Path, r: Reporter): void {
  for (const key of PATRONI_NOT_MODELLED) {
    const parts = key.split('.');
    let v: unknown = p;
    for (const part of parts) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
    if (v !== undefined) r.warn([...base, ...parts], 'accepted as Patroni would, but haywire does not model it (ignored)', 'key');
  }
}

/**
 * The dynamic configuration of one cluster (what `bootstrap.dcs` writes to /config). Values keep
 * Patroni's names and units; Patroni's own adjustments (minimums, the loop_wait rule) are left
 * to the agent, which applies them as Patroni does, and are announced here as warnings.
 */
export function checkPatroni(p: PatroniInput, base: Path, r: Reporter): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const k of DYNAMIC_KEYS) {
    const v = (p as Record<string, unknown>)[k];
    if (v !== undefined) raw[k] = v;
  }
  warnNotModelled(raw, base, r);
  const dynamic = clean(raw, '');

  // patroni/global_config.py primary_start_timeout / primary_stop_timeout: the legacy name is
  // honoured when the new one is absent. Kept as written (it is what /config would hold).
  for (const [old, now] of Object.entries(LEGACY)) {
    if (dynamic[old] === undefined) continue;
    if (dynamic[now] !== undefined) r.warn([...base, old], `ignored: ${now} is also given and Patroni reads that one`, 'key');
    else r.warn([...base, old], `${old} is the old name of ${now}; Patroni still honours it`, 'key');
  }

  // patroni/config.py Config.__get_and_maybe_adjust_int_value: int(value), then raised to the minimum.
  const timing: Record<'ttl' | 'loop_wait' | 'retry_timeout', number> = {
    ttl: PATRONI_DEFAULTS.ttl,
    loop_wait: PATRONI_DEFAULTS.loop_wait,
    retry_timeout: PATRONI_DEFAULTS.retry_timeout,
  };
  for (const k of ['ttl', 'loop_wait', 'retry_timeout'] as const) {
    const v = dynamic[k];
    if (typeof v !== 'number') continue;
    let eff = Math.trunc(v);
    if (eff !== v) r.warn([...base, k], `Patroni reads ${k} as a whole number of seconds: ${v} becomes ${eff}`);
    if (eff < PATRONI_MINIMUMS[k]) {
      r.warn([...base, k], `Patroni does not allow ${k} below ${PATRONI_MINIMUMS[k]}s and raises ${eff} to ${PATRONI_MINIMUMS[k]} (patroni/config.py)`);
      eff = PATRONI_MINIMUMS[k];
    }
    timing[k] = eff;
  }
  // patroni/config.py Config._validate_and_adjust_timeouts: loop_wait + 2*retry_timeout <= ttl.
  const { ttl, loop_wait, retry_timeout } = timing;
  if (1 + 2 * retry_timeout > ttl) {
    r.warn(
      [...base, 'retry_timeout'],
      `loop_wait + 2*retry_timeout must not exceed ttl (${loop_wait} + 2*${retry_timeout} > ${ttl}); Patroni sets loop_wait to 1 and retry_timeout to ${Math.floor((ttl - 1) / 2)}`,
    );
  } else if (loop_wait + 2 * retry_timeout > ttl) {
    r.warn([...base, 'loop_wait'], `loop_wait + 2*retry_timeout must not exceed ttl (${loop_wait} + 2*${retry_timeout} > ${ttl}); Patroni lowers loop_wait to ${ttl - 2 * retry_timeout}`);
  }

  // patroni/global_config.py is_synchronous_mode: off in a standby cluster.
  const sc = dynamic.standby_cluster as Record<string, unknown> | undefined;
  if (sc !== undefined && dynamic.synchronous_mode !== undefined && dynamic.synchronous_mode !== false) {
    r.warn([...base, 'synchronous_mode'], 'Patroni ignores synchronous_mode in a standby cluster (global_config.is_synchronous_mode)');
  }
  if (sc !== undefined && sc.host === undefined && sc.port === undefined && (p.standby_cluster as Record<string, unknown> | undefined)?.restore_command === undefined) {
    r.error([...base, 'standby_cluster'], 'a standby cluster needs "host" (a node of the source cluster); Patroni requires host, port or restore_command');
  }
  if (sc !== undefined && sc.host === undefined && (p.standby_cluster as Record<string, unknown> | undefined)?.restore_command !== undefined) {
    r.cannot([...base, 'standby_cluster'], 'haywire models streaming from "host" only; a standby cluster fed by archive recovery (restore_command) is not modelled');
  }
  const sync = dynamic.synchronous_mode;
  if (dynamic.synchronous_mode_strict === true && (sync === undefined || sync === false)) {
    r.warn([...base, 'synchronous_mode_strict'], 'has no effect while synchronous_mode is off');
  }
  return dynamic;
}
