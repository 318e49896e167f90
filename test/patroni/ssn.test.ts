// synchronous_standby_names the way Patroni parses and writes it (the doctests of
// patroni/postgresql/sync.py parse_sync_standby_names, and set_synchronous_standby_names' output).
import { describe, expect, it } from 'vitest';
import { buildSyncStandbyNames, parseSyncStandbyNames, quoteStandbyName, SsnParseError, STRICT_SYNC_PLACEHOLDER } from '../../src/sim/patroni/ssn.js';

describe('parse_sync_standby_names', () => {
  it('matches the doctests', () => {
    expect(parseSyncStandbyNames('').sync_type).toBe('off');
    expect(parseSyncStandbyNames('FiRsT').sync_type).toBe('priority');
    expect(parseSyncStandbyNames('FiRsT').members.has('first')).toBe(true);
    expect(parseSyncStandbyNames('"1"').members.toArray()).toEqual(['1']);
    expect(parseSyncStandbyNames(' a , b ').members.sorted()).toEqual(['a', 'b']);
    expect(parseSyncStandbyNames(' a , b ').num).toBe(1);
    expect(parseSyncStandbyNames('ANY 4("a",*,b)').has_star).toBe(true);
    expect(parseSyncStandbyNames('ANY 4("a",*,b)').num).toBe(4);
    expect(parseSyncStandbyNames('ANY 4("a",*,b)').sync_type).toBe('quorum');
    expect(parseSyncStandbyNames(`ANY 1(${STRICT_SYNC_PLACEHOLDER})`).members.size).toBe(0);
    expect(parseSyncStandbyNames('2 (a, "b c")').members.sorted()).toEqual(['a', 'b c']);
    for (const bad of ['1', 'a,', 'ANY 4("a" b,"c c")', 'FIRST 4("a",)', '2 (,)']) {
      expect(() => parseSyncStandbyNames(bad), bad).toThrow(SsnParseError);
    }
  });
});

describe('set_synchronous_standby_names value', () => {
  it('quotes names that are not plain identifiers (the features expect "postgres-1")', () => {
    expect(quoteStandbyName('postgres-1')).toBe('"postgres-1"');
    expect(quoteStandbyName('pg1')).toBe('pg1');
    expect(quoteStandbyName('first')).toBe('"first"');
  });
  it('priority mode: one name bare, several as "N (a,b)", strict placeholder when empty with num>=1', () => {
    expect(buildSyncStandbyNames([], null, false)).toEqual({ value: null, strict: false });
    expect(buildSyncStandbyNames(['postgres-1'], null, false).value).toBe('"postgres-1"');
    expect(buildSyncStandbyNames(['pg2', 'pg1'], null, false).value).toBe('2 (pg1,pg2)');
    expect(buildSyncStandbyNames([], 1, false)).toEqual({ value: STRICT_SYNC_PLACEHOLDER, strict: true });
  });
  it('quorum mode: always ANY n (...)', () => {
    expect(buildSyncStandbyNames(['postgres-0', 'postgres-2'], 1, true).value).toBe('ANY 1 ("postgres-0","postgres-2")');
    expect(buildSyncStandbyNames(['postgres-1'], 1, true).value).toBe('ANY 1 ("postgres-1")');
    expect(buildSyncStandbyNames([], 1, true).value).toBe(`ANY 1 (${STRICT_SYNC_PLACEHOLDER})`);
    expect(buildSyncStandbyNames([], 0, true).value).toBe(null);
  });
});
