// synchronous_standby_names: the parser (src/backend/replication/syncrep_gram.y and syncrep_scanner.l)
// and the rule that decides which standbys are synchronous and how far a commit may be released
// (src/backend/replication/syncrep.c SyncRepGetSyncRecPtr, SyncRepGetCandidateStandbys).
import { STRICT_SYNC_PLACEHOLDER } from './api.js';

export type SyncMethod = 'priority' | 'quorum';

export interface ParsedSsn {
  method: SyncMethod;
  numSync: number;
  /** Names in order, lower-cased (PostgreSQL compares application_name case-insensitively); '*' matches all. */
  names: string[];
}

export class SsnParseError extends Error {}

type Token = { kind: 'ident' | 'num' | 'comma' | 'lparen' | 'rparen' | 'star'; text: string };

function tokenize(value: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < value.length) {
    const c = value[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === ',') {
      out.push({ kind: 'comma', text: c });
      i++;
    } else if (c === '(') {
      out.push({ kind: 'lparen', text: c });
      i++;
    } else if (c === ')') {
      out.push({ kind: 'rparen', text: c });
      i++;
    } else if (c === '*') {
      out.push({ kind: 'star', text: c });
      i++;
    } else if (c === '"') {
      // a quoted name keeps its case; "" is an escaped quote
      let j = i + 1;
      let s = '';
      for (;;) {
        if (j >= value.length) throw new SsnParseError(`unterminated quoted identifier in "${value}"`);
        const d = value[j] as string;
        if (d === '"') {
          if (value[j + 1] === '"') {
            s += '"';
            j += 2;
            continue;
          }
          break;
        }
        s += d;
        j++;
      }
      out.push({ kind: 'ident', text: s });
      i = j + 1;
    } else if (/[0-9]/.test(c)) {
      let j = i;
      while (j < value.length && /[0-9]/.test(value[j] as string)) j++;
      // "1a" is an identifier in PostgreSQL's scanner; digits alone are a number
      if (j < value.length && /[A-Za-z_$]/.test(value[j] as string)) {
        while (j < value.length && /[A-Za-z0-9_$]/.test(value[j] as string)) j++;
        out.push({ kind: 'ident', text: value.slice(i, j).toLowerCase() });
      } else out.push({ kind: 'num', text: value.slice(i, j) });
      i = j;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let j = i;
      while (j < value.length && /[A-Za-z0-9_$\u0080-\uffff]/.test(value[j] as string)) j++;
      out.push({ kind: 'ident', text: value.slice(i, j).toLowerCase() });
      i = j;
    } else throw new SsnParseError(`unexpected character ${JSON.stringify(c)} in "${value}"`);
  }
  return out;
}

function parseList(tokens: Token[], value: string): string[] {
  const names: string[] = [];
  tokens.forEach((t, i) => {
    if (i % 2 === 1) {
      if (t.kind !== 'comma') throw new SsnParseError(`expected a comma in "${value}"`);
      if (i === tokens.length - 1) throw new SsnParseError(`trailing comma in "${value}"`);
    } else if (t.kind === 'ident') names.push(t.text);
    else if (t.kind === 'star') names.push('*');
    else throw new SsnParseError(`unexpected "${t.text}" in "${value}"`);
  });
  if (names.length === 0) throw new SsnParseError(`empty standby list in "${value}"`);
  return names;
}

/**
 * Parse synchronous_standby_names. Returns null for '' (synchronous replication off). Throws
 * SsnParseError for values PostgreSQL rejects (the GUC check hook refuses them on reload).
 */
export function parseSsn(value: string): ParsedSsn | null {
  const tokens = tokenize(value);
  if (tokens.length === 0) return null;
  const k = (i: number): string | undefined => tokens[i]?.kind;
  const last = tokens[tokens.length - 1] as Token;
  const kw = tokens[0]?.kind === 'ident' ? tokens[0].text : '';
  let parsed: ParsedSsn;
  if ((kw === 'any' || kw === 'first') && k(1) === 'num' && k(2) === 'lparen' && last.kind === 'rparen') {
    const n = Number((tokens[1] as Token).text);
    parsed = { method: kw === 'any' ? 'quorum' : 'priority', numSync: n, names: parseList(tokens.slice(3, -1), value) };
  } else if (k(0) === 'num' && k(1) === 'lparen' && last.kind === 'rparen') {
    parsed = { method: 'priority', numSync: Number((tokens[0] as Token).text), names: parseList(tokens.slice(2, -1), value) };
  } else {
    // a bare list: FIRST 1 (list)
    return { method: 'priority', numSync: 1, names: parseList(tokens, value) };
  }
  // syncrep.c check_synchronous_standby_names: "number of synchronous standbys must be greater than zero"
  if (parsed.numSync <= 0) throw new SsnParseError(`number of synchronous standbys (${parsed.numSync}) must be greater than zero`);
  return parsed;
}

/** Whether `value` names Patroni's strict placeholder only (no standby can ever match it). */
export function isStrictPlaceholder(value: string): boolean {
  const p = safeParse(value);
  return p !== null && p.names.length === 1 && p.names[0] === STRICT_SYNC_PLACEHOLDER.toLowerCase();
}

export function safeParse(value: string): ParsedSsn | null {
  try {
    return parseSsn(value);
  } catch {
    return null;
  }
}

/** Priority of an application_name in the list: 1-based position of the first match, 0 if none. */
export function standbyPriority(ssn: ParsedSsn, applicationName: string): number {
  const app = applicationName.toLowerCase();
  for (let i = 0; i < ssn.names.length; i++) {
    const n = ssn.names[i] as string;
    if (n === '*' || n === app) return i + 1;
  }
  return 0;
}

/** What syncrep needs to know about one walsender. */
export interface SenderPositions {
  /** Slot order (walsender array index): breaks priority ties, as in PostgreSQL. */
  slot: number;
  applicationName: string;
  /** Only walsenders in 'streaming' state with a reported flush position count. */
  eligible: boolean;
  write: number;
  flush: number;
  apply: number;
}

export interface SyncDecision {
  /** Positions every waiter of each kind may be released up to; null if not enough sync standbys. */
  positions: { write: number; flush: number; apply: number } | null;
  /** pg_stat_replication.sync_state per walsender slot. */
  syncState: Map<number, 'async' | 'potential' | 'sync' | 'quorum'>;
}

/** syncrep.c SyncRepGetSyncRecPtr + pg_stat_get_wal_senders' sync_state. */
export function decideSync(ssn: ParsedSsn, senders: readonly SenderPositions[]): SyncDecision {
  const syncState = new Map<number, 'async' | 'potential' | 'sync' | 'quorum'>();
  const candidates: { s: SenderPositions; prio: number }[] = [];
  for (const s of senders) {
    const prio = standbyPriority(ssn, s.applicationName);
    syncState.set(s.slot, 'async');
    if (prio > 0 && s.eligible) candidates.push({ s, prio });
    else if (prio > 0) syncState.set(s.slot, 'potential');
  }
  if (ssn.method === 'quorum') {
    for (const c of candidates) syncState.set(c.s.slot, 'quorum');
    if (candidates.length < ssn.numSync) return { positions: null, syncState };
    const nth = (f: (s: SenderPositions) => number): number => {
      const v = candidates.map((c) => f(c.s)).sort((a, b) => b - a);
      return v[ssn.numSync - 1] as number;
    };
    return { positions: { write: nth((s) => s.write), flush: nth((s) => s.flush), apply: nth((s) => s.apply) }, syncState };
  }
  // priority: the num_sync eligible standbys with the best priority (ties: lower slot first)
  candidates.sort((a, b) => a.prio - b.prio || a.s.slot - b.s.slot);
  const chosen = candidates.slice(0, ssn.numSync);
  for (const c of candidates) syncState.set(c.s.slot, chosen.includes(c) ? 'sync' : 'potential');
  if (chosen.length < ssn.numSync) return { positions: null, syncState };
  let write = Number.POSITIVE_INFINITY;
  let flush = Number.POSITIVE_INFINITY;
  let apply = Number.POSITIVE_INFINITY;
  for (const c of chosen) {
    if (c.s.write < write) write = c.s.write;
    if (c.s.flush < flush) flush = c.s.flush;
    if (c.s.apply < apply) apply = c.s.apply;
  }
  return { positions: { write, flush, apply }, syncState };
}
