import { describe, expect, it } from 'vitest';
import { editDistance, nearest } from '../../src/scenarios/suggest.js';

describe('suggestions', () => {
  it('counts a transposition as one edit', () => {
    expect(editDistance('loop_wiat', 'loop_wait')).toBe(1);
    expect(editDistance('ttl', 'ttl')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests the nearest allowed key only when it is a plausible typo', () => {
    const keys = ['ttl', 'loop_wait', 'retry_timeout', 'maximum_lag_on_failover'];
    expect(nearest('loop_wiat', keys)).toBe('loop_wait');
    expect(nearest('retry_timout', keys)).toBe('retry_timeout');
    expect(nearest('loopWait', keys)).toBe('loop_wait');
    expect(nearest('tll', keys)).toBe('ttl');
    expect(nearest('synchronous_mode', keys)).toBeUndefined();
  });
});
