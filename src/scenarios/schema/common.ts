// Leaf types shared by the scenario schema: durations, sizes, rates, Patroni-style booleans and
// seconds, host selectors. Each is `z.unknown()` plus a parser, so a bad value yields one plain
// message ("cannot read duration "3 sec"...") instead of a union of type errors.
import { z } from 'zod';
import type { Micros } from '../../sim/kernel/time.js';
import { didYouMean } from '../suggest.js';
import { describeValue, parseBandwidth, parseDuration, parseRate, parseSize, type DurationOptions, type Parsed } from '../units.js';

/** Message of the issue a leaf raises when its key is absent; the converter says "missing required key". */
export const MISSING = '\u0000missing';

/** A leaf parsed by `parse`; undefined (an absent key) is reported as missing. */
export function leaf<T>(parse: (v: unknown) => Parsed<T>) {
  return z.unknown().transform((v, ctx): T => {
    if (v === undefined) {
      ctx.issues.push({ code: 'custom', message: MISSING, input: v });
      return z.NEVER;
    }
    const r = parse(v);
    if (!r.ok) {
      ctx.issues.push({ code: 'custom', message: r.error, input: v });
      return z.NEVER;
    }
    return r.value;
  });
}

/** A haywire duration ("30s", "250ms"); a bare number other than 0 needs a unit. Output: µs. */
export const duration = (opts: DurationOptions = {}) => leaf<Micros>((v) => parseDuration(v, opts));

/** A duration that may be negative (clock steps and offsets). Output: µs. */
export const signedDuration = () => duration({ allowNegative: true });

/** A Patroni time setting: seconds as a number (as in patroni.yml), or a duration string. Output: seconds. */
export const patroniSeconds = () =>
  leaf<number>((v) => {
    const r = parseDuration(v, { bareUnit: 's' });
    return r.ok ? { ok: true, value: r.value / 1_000_000 } : r;
  });

/** Bytes: a number, or "16MB" / "10GB" (binary multiples, as PostgreSQL). */
export const size = () => leaf<number>(parseSize);

/** Bytes per second: "100MB/s", "1Gbit/s", or a number. */
export const bandwidth = () => leaf<number>(parseBandwidth);

/** Operations per second: "20/s", "600/min", or a number. */
export const rate = () => leaf<number>(parseRate);

/**
 * A boolean as Patroni reads it: true/false, and (since patroni.yml is YAML 1.1 and Patroni's
 * `parse_bool` is lenient) on/off, yes/no, 1/0 (`patroni/utils.py parse_bool`).
 */
export const boolish = () => leaf<boolean>(parseBoolish);

export function parseBoolish(v: unknown): Parsed<boolean> {
  if (typeof v === 'boolean') return { ok: true, value: v };
  const s = String(v).toLowerCase();
  if (typeof v === 'string' || typeof v === 'number') {
    if (['on', 'true', 'yes', '1'].includes(s)) return { ok: true, value: true };
    if (['off', 'false', 'no', '0'].includes(s)) return { ok: true, value: false };
  }
  return { ok: false, error: `expected true or false (on/off, yes/no), got ${describeValue(v)}` };
}

/** An integer, optionally bounded. */
export const int = (min?: number, max?: number) =>
  leaf<number>((v) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return { ok: false, error: `expected a whole number, got ${describeValue(v)}` };
    if (min !== undefined && v < min) return { ok: false, error: `must be at least ${min} (got ${v})` };
    if (max !== undefined && v > max) return { ok: false, error: `must be at most ${max} (got ${v})` };
    return { ok: true, value: v };
  });

/** A number, optionally bounded (inclusive). */
export const num = (min?: number, max?: number) =>
  leaf<number>((v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return { ok: false, error: `expected a number, got ${describeValue(v)}` };
    if (min !== undefined && v < min) return { ok: false, error: `must be at least ${min} (got ${v})` };
    if (max !== undefined && v > max) return { ok: false, error: `must be at most ${max} (got ${v})` };
    return { ok: true, value: v };
  });

/** A non-empty string. */
export const str = () =>
  leaf<string>((v) => {
    if (typeof v === 'number') return { ok: true, value: String(v) };
    if (typeof v !== 'string') return { ok: false, error: `expected a string, got ${describeValue(v)}` };
    if (v.trim() === '') return { ok: false, error: 'must not be empty' };
    return { ok: true, value: v };
  });

/** A name usable as a host, node or domain name: letters, digits, '-', '_', '.'. */
export const name = () =>
  leaf<string>((v) => {
    if (typeof v !== 'string' && typeof v !== 'number') return { ok: false, error: `expected a name, got ${describeValue(v)}` };
    const s = String(v);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s)) return { ok: false, error: `"${s}" is not a valid name (letters, digits, ".", "-" and "_"; no "/" or spaces)` };
    return { ok: true, value: s };
  });

/** One of the given words (case-sensitive), with a suggestion for a near miss. */
export function oneOf<const T extends string>(words: readonly T[], what = 'value') {
  return leaf<T>((v) => {
    const s = typeof v === 'boolean' || typeof v === 'number' ? String(v) : v;
    if (typeof s === 'string' && (words as readonly string[]).includes(s)) return { ok: true, value: s as T };
    const shown = typeof v === 'string' ? `"${v}"` : describeValue(v);
    return { ok: false, error: `${shown} is not a ${what}; expected one of ${words.join(', ')}${suggestionFor(v, words)}` };
  });
}

function suggestionFor(v: unknown, words: readonly string[]): string {
  return typeof v === 'string' ? didYouMean(v, words) : '';
}

/**
 * A role instead of a name, resolved when the fault fires: `@primary` (the node holding the leader
 * key), `@replicas` (the other nodes), `@sync` (the synchronous standbys); with several clusters,
 * qualified by one: `@primary:dc2`.
 */
export const ROLE = /^@(primary|replicas|sync)(?::([A-Za-z0-9][A-Za-z0-9._-]*))?$/;
export const ROLES = ['@primary', '@replicas', '@sync'] as const;

export function isRole(name: string): boolean {
  return name.startsWith('@');
}

function roleError(s: string): string {
  return `unknown role "${s}"; roles are ${ROLES.join(', ')} (qualified by a cluster with several: "@primary:dc2")${didYouMean(s.split(':')[0] ?? s, ROLES)}`;
}

/**
 * A selector of hosts: one name or a list of names, each a host, a failure domain, or a role
 * (`@primary`, `@replicas`, `@sync`). Output: a list of names.
 */
export const selector = () =>
  leaf<string[]>((v) => {
    const list = Array.isArray(v) ? v : [v];
    if (list.length === 0) return { ok: false, error: 'names no host (empty list)' };
    const out: string[] = [];
    for (const x of list) {
      if (typeof x !== 'string' && typeof x !== 'number') return { ok: false, error: `expected a host or failure-domain name, got ${describeValue(x)}` };
      const s = String(x);
      if (isRole(s) && !ROLE.test(s)) return { ok: false, error: roleError(s) };
      out.push(s);
    }
    return { ok: true, value: out };
  });

/** A node name or a role (`@primary`, `@sync`, ...). */
export const nodeRef = () =>
  leaf<string>((v) => {
    if (typeof v !== 'string' && typeof v !== 'number') return { ok: false, error: `expected a node name or a role such as @primary, got ${describeValue(v)}` };
    const s = String(v);
    if (isRole(s)) return ROLE.test(s) ? { ok: true, value: s } : { ok: false, error: roleError(s) };
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s)) return { ok: false, error: `"${s}" is not a valid node name` };
    return { ok: true, value: s };
  });

/** A failure-domain path, outermost first: "eu/dc1/room1/rack1" or [eu, dc1, room1, rack1]. */
export const domainPath = () =>
  leaf<string[]>((v) => {
    const parts = typeof v === 'string' ? v.split('/').map((s) => s.trim()) : Array.isArray(v) ? v.map((x) => String(x)) : null;
    if (parts === null) return { ok: false, error: `expected a domain path such as "eu/dc1/room1/rack1", got ${describeValue(v)}` };
    if (parts.length === 0 || parts.length > 4 || parts.some((p) => p === '')) {
      return { ok: false, error: `a domain path has 1 to 4 levels (region/datacenter/room/rack), got "${parts.join('/')}"` };
    }
    for (const p of parts) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(p)) return { ok: false, error: `"${p}" is not a valid failure-domain name` };
    }
    return { ok: true, value: parts };
  });
