import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseBandwidth, parseDuration, parseRate, parseSize } from '../../src/scenarios/units.js';

const us = (v: unknown, opts?: Parameters<typeof parseDuration>[1]): number | string => {
  const r = parseDuration(v, opts);
  return r.ok ? r.value : r.error;
};

describe('durations', () => {
  it('reads every unit, compounds and decimals into microseconds', () => {
    expect(us('250ms')).toBe(250_000);
    expect(us('30s')).toBe(30_000_000);
    expect(us('2m')).toBe(120_000_000);
    expect(us('2min')).toBe(120_000_000);
    expect(us('1h')).toBe(3_600_000_000);
    expect(us('1d')).toBe(86_400_000_000);
    expect(us('1m30s')).toBe(90_000_000);
    expect(us('1h 5m')).toBe(3_900_000_000);
    expect(us('1.5s')).toBe(1_500_000);
    expect(us('750us')).toBe(750);
    expect(us('750µs')).toBe(750);
    expect(us(' 10 s ')).toBe(10_000_000);
    expect(us(0)).toBe(0);
    expect(us('0')).toBe(0);
  });

  it('refuses a bare number (except 0) unless the key says what it means', () => {
    expect(us(30)).toBe('duration 30 has no unit; write "30s" or "30ms"');
    expect(us('30')).toBe('duration "30" has no unit; write "30s" or "30ms"');
    expect(us(30, { bareUnit: 's' })).toBe(30_000_000);
    expect(us('2.5', { bareUnit: 's' })).toBe(2_500_000);
    expect(us(250, { bareUnit: 'ms' })).toBe(250_000);
  });

  it('refuses negative durations unless allowed, and unknown units', () => {
    expect(us('-2s')).toBe('duration must not be negative (got "-2s")');
    expect(us('-2s', { allowNegative: true })).toBe(-2_000_000);
    expect(us('-250ms', { allowNegative: true })).toBe(-250_000);
    expect(us('3 weeks')).toBe('unknown unit "weeks" in duration "3 weeks"; use us, ms, s, m, h or d');
    expect(us('soon')).toBe('cannot read duration "soon"; write it like "30s", "250ms", "2m" or "1m30s"');
    expect(us([1])).toBe('expected a duration such as "30s" or "250ms", got a list');
  });

  it('formats canonically', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(90_000_000)).toBe('1m30s');
    expect(formatDuration(250_000)).toBe('250ms');
    expect(formatDuration(1_500_000)).toBe('1s500ms');
    expect(formatDuration(-2_000_001)).toBe('-2s1us');
    expect(formatDuration(86_400_000_000 + 1)).toBe('1d1us');
  });

  it('every duration string produced from a number round-trips (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (n) => {
        const r = parseDuration(formatDuration(n), { allowNegative: true });
        return r.ok && r.value === n;
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 86_400_000_000 }), (n) => {
        const r = parseDuration(formatDuration(n));
        return r.ok && r.value === n;
      }),
    );
  });
});

describe('sizes, bandwidths, rates', () => {
  it('reads sizes with PostgreSQL binary multiples', () => {
    expect(parseSize('16MB')).toEqual({ ok: true, value: 16 * 1024 * 1024 });
    expect(parseSize('1 kB')).toEqual({ ok: true, value: 1024 });
    expect(parseSize('2GB')).toEqual({ ok: true, value: 2 * 1024 ** 3 });
    expect(parseSize(1048576)).toEqual({ ok: true, value: 1048576 });
    expect(parseSize('12 parsecs').ok).toBe(false);
  });

  it('reads bandwidths in bytes and bits per second', () => {
    expect(parseBandwidth('100MB/s')).toEqual({ ok: true, value: 100 * 1024 * 1024 });
    expect(parseBandwidth('1Gbit/s')).toEqual({ ok: true, value: 125_000_000 });
    expect(parseBandwidth('10Mbps')).toEqual({ ok: true, value: 1_250_000 });
    expect(parseBandwidth('fast').ok).toBe(false);
  });

  it('reads rates per second, minute and hour', () => {
    expect(parseRate('20/s')).toEqual({ ok: true, value: 20 });
    expect(parseRate('600/min')).toEqual({ ok: true, value: 10 });
    expect(parseRate('3600/h')).toEqual({ ok: true, value: 1 });
    expect(parseRate(5)).toEqual({ ok: true, value: 5 });
    expect(parseRate('5/ms').ok).toBe(false);
  });
});
