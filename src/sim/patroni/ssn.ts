// The pure parts of `patroni/postgresql/sync.py`: parsing synchronous_standby_names the way
// Patroni does (`parse_sync_standby_names`), quoting names (`quote_standby_name`) and building the
// value Patroni writes (the string part of `SyncHandler.set_synchronous_standby_names`).
import { STRICT_SYNC_PLACEHOLDER } from '../pg/api.js';
import { CaseInsensitiveSet } from './collections.js';

export { STRICT_SYNC_PLACEHOLDER };

export type SyncType = 'off' | 'priority' | 'quorum';

/** `patroni/postgresql/sync.py _SSN` */
export interface ParsedSsn {
  sync_type: SyncType;
  has_star: boolean;
  num: number;
  members: CaseInsensitiveSet;
}

export function emptySsn(): ParsedSsn {
  return { sync_type: 'off', has_star: false, num: 0, members: new CaseInsensitiveSet() };
}

const SYNC_STANDBY_NAME_RE = /^[A-Za-z_][A-Za-z_0-9$]*$/;

/** `patroni/psycopg.py quote_ident` (the connection-less form). */
export function quoteIdent(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** `patroni/postgresql/sync.py quote_standby_name` */
export function quoteStandbyName(value: string): string {
  const lower = value.toLowerCase();
  return SYNC_STANDBY_NAME_RE.test(value) && lower !== 'first' && lower !== 'any' ? value : quoteIdent(value);
}

type TokenKind = 'first' | 'any' | 'space' | 'ident' | 'dquot' | 'star' | 'num' | 'comma' | 'parenstart' | 'parenend' | 'JUNK';

// SYNC_REP_PARSER_RE, alternatives in the same order (the first matching alternative wins)
const TOKEN_RE = /([fF][iI][rR][sS][tT])|([aA][nN][yY])|(\s+)|([A-Za-z_][A-Za-z_0-9$]*)|("(?:[^"]+|"")*")|([*])|(\d+)|(,)|(\()|(\))|(.)/gs;
const KINDS: TokenKind[] = ['first', 'any', 'space', 'ident', 'dquot', 'star', 'num', 'comma', 'parenstart', 'parenend', 'JUNK'];

export class SsnParseError extends Error {}

/** `patroni/postgresql/sync.py parse_sync_standby_names`. Throws SsnParseError like Python's ValueError. */
export function parseSyncStandbyNames(value: string): ParsedSsn {
  const tokens: [TokenKind, string, number][] = [];
  TOKEN_RE.lastIndex = 0;
  for (const m of value.matchAll(TOKEN_RE)) {
    let kind: TokenKind = 'JUNK';
    for (let g = 1; g <= KINDS.length; g++) {
      if (m[g] !== undefined) {
        kind = KINDS[g - 1] as TokenKind;
        break;
      }
    }
    if (kind !== 'space') tokens.push([kind, m[0], m.index ?? 0]);
  }
  if (tokens.length === 0) return emptySsn();

  const kinds = tokens.map((t) => t[0]);
  const last = kinds[kinds.length - 1];
  let sync_type: SyncType;
  let num: number;
  let synclist: [TokenKind, string, number][];
  if (kinds[0] === 'any' && kinds[1] === 'num' && kinds[2] === 'parenstart' && last === 'parenend') {
    sync_type = 'quorum';
    num = Number((tokens[1] as [TokenKind, string, number])[1]);
    synclist = tokens.slice(3, -1);
  } else if (kinds[0] === 'first' && kinds[1] === 'num' && kinds[2] === 'parenstart' && last === 'parenend') {
    sync_type = 'priority';
    num = Number((tokens[1] as [TokenKind, string, number])[1]);
    synclist = tokens.slice(3, -1);
  } else if (kinds[0] === 'num' && kinds[1] === 'parenstart' && last === 'parenend') {
    sync_type = 'priority';
    num = Number((tokens[0] as [TokenKind, string, number])[1]);
    synclist = tokens.slice(2, -1);
  } else {
    sync_type = 'priority';
    num = 1;
    synclist = tokens;
  }

  let has_star = false;
  let members = new CaseInsensitiveSet();
  synclist.forEach(([kind, text, pos], i) => {
    if (i % 2 === 1) {
      // odd elements are supposed to be commas, except the last token
      if (synclist.length === i + 1) throw new SsnParseError(`Unparsable synchronous_standby_names value ${JSON.stringify(value)}: Unexpected token ${kind} ${text} at ${pos}`);
      if (kind !== 'comma') throw new SsnParseError(`Unparsable synchronous_standby_names value ${JSON.stringify(value)}: Got token ${kind} ${text} while expecting comma at ${pos}`);
    } else if (kind === 'ident' || kind === 'first' || kind === 'any') {
      members.add(text);
    } else if (kind === 'star') {
      members.add(text);
      has_star = true;
    } else if (kind === 'dquot') {
      members.add(text.slice(1, -1).replace(/""/g, '"'));
    } else {
      throw new SsnParseError(`Unparsable synchronous_standby_names value ${JSON.stringify(value)}: Unexpected token ${kind} ${text} at ${pos}`);
    }
  });
  if (members.equals([STRICT_SYNC_PLACEHOLDER])) members = new CaseInsensitiveSet();
  return { sync_type, has_star, num, members };
}

/**
 * The value `SyncHandler.set_synchronous_standby_names(sync, num)` writes (PostgreSQL ≥ 10, so
 * multiple sync standbys and ANY are supported). `null` means "remove the setting" (PostgreSQL's
 * default ''). `strict` tells the caller that the strict placeholder was used.
 */
export function buildSyncStandbyNames(syncIn: Iterable<string>, num: number | null, quorumMode: boolean): { value: string | null; strict: boolean } {
  const set = new CaseInsensitiveSet(syncIn);
  const strict = set.has('*') || (num !== null && num >= 1 && set.size === 0);
  const names = strict ? [STRICT_SYNC_PLACEHOLDER] : set.sorted().map(quoteStandbyName);
  let n = num;
  let param: string | null;
  if (names.length > 1) {
    if (n === null) n = names.length;
    param = names.join(',');
  } else {
    param = names[0] ?? null;
  }
  if ((quorumMode && names.length > 0) || names.length > 1) {
    param = `${quorumMode ? 'ANY ' : ''}${n === null ? 'None' : n} (${param ?? ''})`;
  }
  return { value: param, strict };
}
