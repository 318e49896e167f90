// Patroni's own checks on the dynamic configuration (config.py _validate_and_adjust_timeouts),
// GlobalConfig defaults (global_config.py), tag filtering (tags.py) and patch_config (utils.py).
import { describe, expect, it } from 'vitest';
import { GlobalConfig, patchConfig, validateAndAdjustTimeouts, type DynamicConfig } from '../../src/sim/patroni/config.js';
import { filterTags } from '../../src/sim/patroni/patroni.js';
import { TagView } from '../../src/sim/dcs/cluster.js';

describe('validate_and_adjust_timeouts', () => {
  it('accepts the defaults and the behave harness values untouched', () => {
    for (const c of [{}, { ttl: 30, loop_wait: 10, retry_timeout: 10 }, { ttl: 20, loop_wait: 2, retry_timeout: 3 }]) {
      const copy: DynamicConfig = { ...c };
      expect(validateAndAdjustTimeouts(copy)).toEqual([]);
      expect(copy).toEqual(c);
    }
  });
  it('raises ttl < 20, loop_wait < 1, retry_timeout < 3 to the minimum, with the offending values', () => {
    const c: DynamicConfig = { ttl: 10, loop_wait: 0, retry_timeout: 1 };
    const w = validateAndAdjustTimeouts(c);
    expect(c).toEqual({ ttl: 20, loop_wait: 1, retry_timeout: 3 });
    expect(w.map((x) => x.message)).toEqual([
      "loop_wait=0 can't be smaller than 1, adjusting...",
      "retry_timeout=1 can't be smaller than 3, adjusting...",
      "ttl=10 can't be smaller than 20, adjusting...",
    ]);
    expect(w[2]?.values).toEqual({ ttl: 10 });
  });
  it('reduces loop_wait first when loop_wait + 2*retry_timeout > ttl', () => {
    const c: DynamicConfig = { ttl: 30, loop_wait: 15, retry_timeout: 10 };
    const w = validateAndAdjustTimeouts(c);
    expect(c.loop_wait).toBe(10);
    expect(w[0]?.message).toBe('Violated the rule "loop_wait + 2*retry_timeout <= ttl", where ttl=30 and retry_timeout=10. Adjusting loop_wait from 15 to 10');
    expect(w[0]?.values).toEqual({ ttl: 30, loop_wait: 15, retry_timeout: 10 });
  });
  it('reduces retry_timeout when even loop_wait=1 does not fit', () => {
    const c: DynamicConfig = { ttl: 20, loop_wait: 5, retry_timeout: 15 };
    validateAndAdjustTimeouts(c);
    expect(c).toEqual({ ttl: 20, loop_wait: 1, retry_timeout: 9 });
  });
});

describe('GlobalConfig', () => {
  it('has Patroni defaults', () => {
    const g = new GlobalConfig({});
    expect(g.maximum_lag_on_failover).toBe(1048576);
    expect(g.maximum_lag_on_syncnode).toBe(-1);
    expect(g.primary_start_timeout).toBe(300);
    expect(g.primary_stop_timeout).toBe(0);
    expect(g.synchronous_node_count).toBe(1);
    expect(g.is_synchronous_mode).toBe(false);
    expect(g.is_paused).toBe(false);
  });
  it('reads legacy names, modes and the standby cluster switch', () => {
    expect(new GlobalConfig({ master_start_timeout: 0 }).primary_start_timeout).toBe(0);
    expect(new GlobalConfig({ synchronous_mode: 'quorum' }).is_synchronous_mode).toBe(true);
    expect(new GlobalConfig({ synchronous_mode: 'on', standby_cluster: { host: 'x' } }).is_synchronous_mode).toBe(false);
    expect(new GlobalConfig({ synchronous_mode_strict: true }).min_synchronous_nodes).toBe(1);
    expect(new GlobalConfig({ standby_cluster: { primary_slot_name: 'x' } }).is_standby_cluster).toBe(false);
    expect(new GlobalConfig({ pause: 'on' as unknown as boolean }).is_paused).toBe(true);
  });
});

describe('tags', () => {
  it('nofailover wins over failover_priority; priority 0 means nofailover', () => {
    expect(new TagView(filterTags({ nofailover: true, failover_priority: 1 })).nofailover).toBe(true);
    expect(new TagView(filterTags({ nofailover: false, failover_priority: 0 })).nofailover).toBe(false);
    expect(new TagView(filterTags({ failover_priority: 0 })).nofailover).toBe(true);
    expect(new TagView(filterTags({ failover_priority: 2 })).failover_priority).toBe(2);
    expect(filterTags({ nosync: false, clonefrom: false, replicatefrom: 'x' })).toEqual({ replicatefrom: 'x' });
    expect(filterTags({ nofailover: false, failover_priority: 0 })).toEqual({ nofailover: false, failover_priority: 0 });
  });
});

describe('patch_config', () => {
  it('null removes, objects merge, values compare as strings', () => {
    const c: Record<string, unknown> = { ttl: 30, pause: true, postgresql: { parameters: { a: 1 } } };
    expect(patchConfig(c, { pause: null, postgresql: { parameters: { b: 2 } }, ttl: '30' })).toBe(true);
    expect(c).toEqual({ ttl: 30, postgresql: { parameters: { a: 1, b: 2 } } });
    expect(patchConfig(c, { ttl: 30 })).toBe(false);
  });
});
