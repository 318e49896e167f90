import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decideSync, parseSsn, SsnParseError, isStrictPlaceholder, type SenderPositions } from '../../src/sim/pg/ssn.js';
import { STRICT_SYNC_PLACEHOLDER } from '../../src/sim/pg/api.js';

describe('synchronous_standby_names', () => {
  it('parses the forms PostgreSQL accepts', () => {
    expect(parseSsn('')).toBeNull();
    expect(parseSsn('  ')).toBeNull();
    expect(parseSsn('*')).toEqual({ method: 'priority', numSync: 1, names: ['*'] });
    expect(parseSsn('a')).toEqual({ method: 'priority', numSync: 1, names: ['a'] });
    expect(parseSsn(' a , b ')).toEqual({ method: 'priority', numSync: 1, names: ['a', 'b'] });
    expect(parseSsn('FIRST 2 (a, b, c)')).toEqual({ method: 'priority', numSync: 2, names: ['a', 'b', 'c'] });
    expect(parseSsn('2 (a,b)')).toEqual({ method: 'priority', numSync: 2, names: ['a', 'b'] });
    expect(parseSsn('ANY 1 ("Pg1", pg2)')).toEqual({ method: 'quorum', numSync: 1, names: ['Pg1', 'pg2'] });
    expect(parseSsn('FiRsT')).toEqual({ method: 'priority', numSync: 1, names: ['first'] });
    expect(parseSsn(`ANY 1 (${STRICT_SYNC_PLACEHOLDER})`)?.method).toBe('quorum');
    expect(isStrictPlaceholder(STRICT_SYNC_PLACEHOLDER)).toBe(true);
    expect(isStrictPlaceholder('pg2')).toBe(false);
  });

  it('rejects what PostgreSQL rejects', () => {
    for (const bad of ['1', 'a,', 'FIRST 4("a",)', '2 (,)', 'ANY 0 (a)', 'ANY 4("a" b,"c c")']) {
      expect(() => parseSsn(bad), bad).toThrow(SsnParseError);
    }
  });

  const sender = (slot: number, app: string, flush: number, eligible = true): SenderPositions => ({ slot, applicationName: app, eligible, write: flush, flush, apply: flush });

  it('FIRST n picks the highest-priority streaming standbys and waits for the slowest of them', () => {
    const ssn = parseSsn('FIRST 1 (b, a)')!;
    const d = decideSync(ssn, [sender(0, 'a', 100), sender(1, 'b', 50), sender(2, 'c', 200)]);
    expect(d.positions?.flush).toBe(50);
    expect([...d.syncState.entries()]).toEqual([
      [0, 'potential'],
      [1, 'sync'],
      [2, 'async'],
    ]);
    // b not streaming: a takes over
    const d2 = decideSync(ssn, [sender(0, 'a', 100), sender(1, 'b', 50, false)]);
    expect(d2.positions?.flush).toBe(100);
    // nobody: commits wait
    expect(decideSync(ssn, [sender(2, 'c', 200)]).positions).toBeNull();
  });

  it('ANY n releases a commit once n listed standbys have it (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 6 }), (flushes, n) => {
        const names = flushes.map((_, i) => `s${i}`);
        const ssn = parseSsn(`ANY ${n} (${names.join(',')})`)!;
        const d = decideSync(
          ssn,
          flushes.map((f, i) => sender(i, `s${i}`, f)),
        );
        if (n > flushes.length) {
          expect(d.positions).toBeNull();
          return;
        }
        const p = d.positions!.flush;
        expect(flushes.filter((f) => f >= p).length).toBeGreaterThanOrEqual(n);
        // and it is the highest such position
        expect(flushes.filter((f) => f > p).length).toBeLessThan(n);
      }),
    );
  });
});
