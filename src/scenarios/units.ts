// Units in scenario files: durations ("30s", "250ms", "1m30s", "-2s"), sizes ("10GB", "16MB",
// PostgreSQL's binary multiples: 1kB = 1024 B), bandwidths ("100MB/s", "1Gbit/s") and operation
// rates ("20/s", "600/min"). Every parser returns a result instead of throwing, so the schema can
// turn a bad value into a positioned message.
import type { Micros } from '../sim/kernel/time.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });

// ---- durations -----------------------------------------------------------------------------------

/** Duration units and their length in microseconds, longest first (the formatter's order). */
const DURATION_UNITS: readonly (readonly [string, number])[] = [
  ['d', 86_400_000_000],
  ['h', 3_600_000_000],
  ['m', 60_000_000],
  ['s', 1_000_000],
  ['ms', 1_000],
  ['us', 1],
];

const UNIT_ALIASES: Readonly<Record<string, string>> = {
  d: 'd',
  day: 'd',
  days: 'd',
  h: 'h',
  hr: 'h',
  hour: 'h',
  hours: 'h',
  m: 'm',
  min: 'm',
  mins: 'm',
  minute: 'm',
  minutes: 'm',
  s: 's',
  sec: 's',
  secs: 's',
  second: 's',
  seconds: 's',
  ms: 'ms',
  msec: 'ms',
  us: 'us',
  µs: 'us',
  μs: 'us',
  usec: 'us',
};

const UNIT_US = new Map(DURATION_UNITS);
const DURATION_PART = /(\d+(?:\.\d+)?|\.\d+)\s*([a-zµμ]+)/gy;

export interface DurationOptions {
  /** Unit of a bare number (Patroni's keys: "s"); undefined: a bare number other than 0 is an error. */
  bareUnit?: 's' | 'ms' | 'us';
  /** Accept a leading minus (clock steps, offsets). */
  allowNegative?: boolean;
}

/**
 * Parse a duration into integer microseconds. Accepts "250ms", "30s", "2m", "1h", "1d", compounds
 * ("1m30s", "1h 5m"), decimals ("1.5s"), and a bare number when `bareUnit` says what it means.
 */
export function parseDuration(input: unknown, opts: DurationOptions = {}): Parsed<Micros> {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return fail(`${input} is not a duration`);
    if (input < 0 && !opts.allowNegative) return fail(`duration must not be negative (got ${input})`);
    if (opts.bareUnit === undefined) {
      if (input === 0) return ok(0);
      return fail(`duration ${input} has no unit; write "${input}s" or "${input}ms"`);
    }
    return ok(Math.round(input * (UNIT_US.get(opts.bareUnit) ?? 1)));
  }
  if (typeof input !== 'string') return fail(`expected a duration such as "30s" or "250ms", got ${describeValue(input)}`);
  const text = input.trim();
  if (text === '') return fail('expected a duration such as "30s" or "250ms", got an empty string');
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) {
      if (!opts.allowNegative) return fail(`duration must not be negative (got "${input}")`);
      sign = -1;
    }
    rest = rest.slice(1).trimStart();
  }
  if (/^\d+(\.\d+)?$/.test(rest)) {
    if (opts.bareUnit !== undefined) return parseDuration(sign * Number(rest), { ...opts, allowNegative: true });
    if (Number(rest) === 0) return ok(0);
    return fail(`duration "${input}" has no unit; write "${rest}s" or "${rest}ms"`);
  }
  let total = 0;
  let pos = 0;
  let parts = 0;
  const lower = rest.toLowerCase();
  while (pos < lower.length) {
    while (lower[pos] === ' ') pos++;
    if (pos >= lower.length) break;
    DURATION_PART.lastIndex = pos;
    const m = DURATION_PART.exec(lower);
    if (m === null) return fail(`cannot read duration "${input}"; write it like "30s", "250ms", "2m" or "1m30s"`);
    const unit = UNIT_ALIASES[m[2] as string];
    if (unit === undefined) return fail(`unknown unit "${m[2]}" in duration "${input}"; use us, ms, s, m, h or d`);
    total += Number(m[1]) * (UNIT_US.get(unit) as number);
    pos = DURATION_PART.lastIndex;
    parts++;
  }
  if (parts === 0) return fail(`cannot read duration "${input}"`);
  const us = Math.round(total);
  if (!Number.isSafeInteger(us)) return fail(`duration "${input}" is too long`);
  return ok(sign * us === 0 ? 0 : sign * us);
}

/**
 * The canonical spelling of a duration: the largest units first, no zero parts ("1m30s",
 * "250ms", "1s500us", "0s"). `parseDuration(formatDuration(x)) === x` for every safe integer x.
 */
export function formatDuration(us: Micros): string {
  if (!Number.isSafeInteger(us)) throw new RangeError(`formatDuration needs integer microseconds, got ${us}`);
  if (us === 0) return '0s';
  let rest = Math.abs(us);
  let out = us < 0 ? '-' : '';
  for (const [unit, len] of DURATION_UNITS) {
    if (rest >= len) {
      const n = Math.floor(rest / len);
      rest -= n * len;
      out += `${n}${unit}`;
    }
  }
  return out;
}

// ---- sizes ---------------------------------------------------------------------------------------

const SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/** Parse a size into bytes: "16MB", "10 GB", "512kB" (binary multiples, as PostgreSQL), or a bare number of bytes. */
export function parseSize(input: unknown): Parsed<number> {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) return fail(`size must be a non-negative number of bytes (got ${input})`);
    return ok(Math.round(input));
  }
  if (typeof input !== 'string') return fail(`expected a size such as "16MB" or "10GB", got ${describeValue(input)}`);
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(input);
  if (m === null) return fail(`cannot read size "${input}"; write it like "16MB" or "10GB"`);
  const unit = (m[2] as string).toLowerCase();
  if (unit === '') return ok(Math.round(Number(m[1])));
  const mult = SIZE_UNITS[unit];
  if (mult === undefined) return fail(`unknown unit "${m[2]}" in size "${input}"; use B, kB, MB, GB or TB`);
  return ok(Math.round(Number(m[1]) * mult));
}

/** Parse a bandwidth into bytes per second: "100MB/s", "1Gbit/s", "10Mbps", or a bare number of bytes/s. */
export function parseBandwidth(input: unknown): Parsed<number> {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input <= 0) return fail(`bandwidth must be a positive number of bytes per second (got ${input})`);
    return ok(input);
  }
  if (typeof input !== 'string') return fail(`expected a bandwidth such as "100MB/s" or "1Gbit/s", got ${describeValue(input)}`);
  const bits = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:bit\/s|bps)\s*$/i.exec(input);
  if (bits !== null) {
    const mult = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 }[(bits[2] as string).toLowerCase()] as number;
    return ok((Number(bits[1]) * mult) / 8);
  }
  const bytes = /^\s*(.+?)\s*\/\s*s\s*$/.exec(input);
  if (bytes !== null) {
    const size = parseSize(bytes[1]);
    if (!size.ok || size.value <= 0) return fail(`cannot read bandwidth "${input}"; write it like "100MB/s" or "1Gbit/s"`);
    return ok(size.value);
  }
  return fail(`cannot read bandwidth "${input}"; write it like "100MB/s" or "1Gbit/s"`);
}

/** Parse an operation rate into operations per second: "20/s", "600/min", "2/m", or a bare number per second. */
export function parseRate(input: unknown): Parsed<number> {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) return fail(`rate must be a non-negative number per second (got ${input})`);
    return ok(input);
  }
  if (typeof input !== 'string') return fail(`expected a rate such as "20/s" or "600/min", got ${describeValue(input)}`);
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*([a-z]+))?\s*$/i.exec(input);
  if (m === null) return fail(`cannot read rate "${input}"; write it like "20/s" or "600/min"`);
  const per = (m[2] ?? 's').toLowerCase();
  const unit = UNIT_ALIASES[per];
  if (unit === undefined || unit === 'us' || unit === 'ms') return fail(`unknown period "${m[2]}" in rate "${input}"; use /s, /min or /h`);
  return ok((Number(m[1]) * 1_000_000) / (UNIT_US.get(unit) as number));
}

/** A short description of a value for messages: `the string "abc"`, `a list`, `a map`, `the number 3`. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (typeof v === 'string') return `the string "${v.length > 40 ? `${v.slice(0, 37)}...` : v}"`;
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return `${v}`;
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  return typeof v;
}
