// A parameter grid: `ttl=10,30,60 loop_wait=2,10` → every combination, in a stable order (the
// first key varies slowest). Keys are Patroni's dynamic keys (`ttl`, `maximum_lag_on_failover`,
// `postgresql.use_pg_rewind`), which go under `patroni` (or the first cluster's `patroni`), or
// dotted paths into the scenario (`workload.0.rate`, `dcs.options.heartbeat`), set before
// validation, so every value is checked as if written in the file.
import { DYNAMIC_KEYS } from '../scenarios/schema/patroni.js';

export interface GridAxis {
  /** As the user wrote it ("ttl"). */
  key: string;
  /** The dotted path it sets ("patroni.ttl"). */
  path: string;
  values: (string | number | boolean)[];
}

export interface GridPoint {
  index: number;
  /** key → value (the user's keys). */
  values: Record<string, string | number | boolean>;
  /** Dotted path → value (scenario overrides). */
  overrides: Record<string, unknown>;
  /** "ttl=10 loop_wait=2". */
  label: string;
}

export class GridError extends Error {}

function parseValue(v: string): string | number | boolean {
  const t = v.trim();
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (t === 'true' || t === 'false') return t === 'true';
  return t;
}

/** Where a key goes in a scenario whose data is `data`. */
export function pathOfKey(key: string, data: Record<string, unknown>): string {
  if (key.includes('.') && !DYNAMIC_KEYS.includes(key.split('.')[0] as string)) return key;
  const root = key.split('.')[0] as string;
  if (DYNAMIC_KEYS.includes(root)) {
    const clusters = data.clusters;
    if (data.patroni === undefined && clusters !== null && typeof clusters === 'object') {
      const first = Object.keys(clusters as Record<string, unknown>)[0];
      if (first !== undefined) return `clusters.${first}.patroni.${key}`;
    }
    return `patroni.${key}`;
  }
  return key;
}

/** Parse `key=v1,v2` arguments (several may be given, or one string with spaces). */
export function parseGrid(args: readonly string[], data: Record<string, unknown>): GridAxis[] {
  const axes: GridAxis[] = [];
  for (const arg of args.flatMap((a) => a.split(/\s+/)).filter((a) => a !== '')) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new GridError(`--grid: expected key=v1,v2,... (e.g. ttl=10,30,60), got "${arg}"`);
    const key = arg.slice(0, eq);
    const values = arg
      .slice(eq + 1)
      .split(',')
      .filter((v) => v.trim() !== '')
      .map(parseValue);
    if (values.length === 0) throw new GridError(`--grid: ${key} has no values`);
    if (axes.some((a) => a.key === key)) throw new GridError(`--grid: ${key} is given twice`);
    axes.push({ key, path: pathOfKey(key, data), values });
  }
  return axes;
}

/** Every combination of the axes (one point with no overrides for an empty grid). */
export function gridPoints(axes: readonly GridAxis[]): GridPoint[] {
  let combos: Record<string, string | number | boolean>[] = [{}];
  for (const ax of axes) combos = combos.flatMap((c) => ax.values.map((v) => ({ ...c, [ax.key]: v })));
  return combos.map((values, index) => {
    const overrides: Record<string, unknown> = {};
    for (const ax of axes) overrides[ax.path] = values[ax.key];
    const label = axes.map((ax) => `${ax.key}=${String(values[ax.key])}`).join(' ') || '(scenario as written)';
    return { index, values, overrides, label };
  });
}
