// The `patroni` section takes a pasted bootstrap.dcs unchanged, with Patroni's types and spellings.
import { describe, expect, it } from 'vitest';
import { load, warningsOf, y } from './helpers.js';

describe('pasting patroni.yml', () => {
  // bootstrap.dcs of Patroni's own postgres0.yml, indented under `patroni:` as it comes
  const pasted = y([
    'dcs: { backend: etcd }',
    'patroni:',
    '    ttl: 30',
    '    loop_wait: 10',
    '    retry_timeout: 10',
    '    maximum_lag_on_failover: 1048576',
    '#    primary_start_timeout: 300',
    '#    synchronous_mode: false',
    '    #standby_cluster:',
    '      #host: 127.0.0.1',
    '    postgresql:',
    '      use_pg_rewind: true',
    '      pg_hba:',
    '      - host replication replicator 127.0.0.1/32 md5',
    '      - host all all 0.0.0.0/0 md5',
    '#      use_slots: true',
    '      parameters:',
    '#        wal_level: hot_standby',
    '#        hot_standby: "on"',
  ]);

  it('validates Patroni\'s sample bootstrap.dcs as it is', () => {
    const { scenario } = load(pasted);
    expect(scenario.clusters[0]!.dynamic).toEqual({
      ttl: 30,
      loop_wait: 10,
      retry_timeout: 10,
      maximum_lag_on_failover: 1048576,
      postgresql: { use_pg_rewind: true },
    });
    expect(warningsOf(pasted)).toEqual([
      'scenarios/x.yaml:13:7: warning: patroni.postgresql.pg_hba: accepted as Patroni would, but haywire does not model it (ignored)',
    ]);
  });

  it('reads booleans the way PyYAML and parse_bool do', () => {
    const { scenario } = load(
      y([
        'dcs: { backend: etcd }',
        'patroni:',
        '  synchronous_mode: on',
        '  synchronous_mode_strict: "yes"',
        '  failsafe_mode: off',
        '  check_timeline: true',
        '  postgresql: { use_slots: "false", parameters: { hot_standby: on, wal_log_hints: true, max_wal_senders: 10 } }',
      ]),
    );
    expect(scenario.clusters[0]!.dynamic).toEqual({
      synchronous_mode: true,
      synchronous_mode_strict: true,
      failsafe_mode: false,
      check_timeline: true,
      postgresql: { use_slots: false, parameters: { hot_standby: 'on', wal_log_hints: 'on', max_wal_senders: 10 } },
    });
  });

  it('accepts quorum commit, unit strings for Patroni times and sizes', () => {
    const { scenario } = load(
      y([
        'dcs: { backend: etcd }',
        'patroni:',
        '  synchronous_mode: quorum',
        '  ttl: 1m',
        '  loop_wait: 2500ms',
        '  primary_start_timeout: 5m',
        '  member_slots_ttl: 30min',
        '  maximum_lag_on_failover: 16MB',
        '  maximum_lag_on_syncnode: -1',
      ]),
    );
    expect(scenario.clusters[0]!.dynamic).toEqual({
      synchronous_mode: 'quorum',
      ttl: 60,
      loop_wait: 2.5,
      primary_start_timeout: 300,
      member_slots_ttl: 1800,
      maximum_lag_on_failover: 16 * 1024 * 1024,
      maximum_lag_on_syncnode: -1,
    });
  });

  it('warns where Patroni truncates, renames or ignores', () => {
    expect(
      warningsOf(
        y([
          'dcs: { backend: etcd }',
          'patroni:',
          '  loop_wait: 2.5',
          '  master_start_timeout: 60',
          '  synchronous_mode_strict: true',
          '  standby_cluster: { host: x1 }',
          '  synchronous_mode: on',
          'topology: { hosts: { x1: a/b } }',
        ]),
      ),
    ).toEqual([
      'scenarios/x.yaml:3:14: warning: patroni.loop_wait: Patroni reads loop_wait as a whole number of seconds: 2.5 becomes 2',
      'scenarios/x.yaml:4:3: warning: patroni.master_start_timeout: master_start_timeout is the old name of primary_start_timeout; Patroni still honours it',
      'scenarios/x.yaml:7:21: warning: patroni.synchronous_mode: Patroni ignores synchronous_mode in a standby cluster (global_config.is_synchronous_mode)',
    ]);
  });

  it('merges cluster-wide tags and watchdog with each node\'s own', () => {
    const { scenario } = load(
      y([
        'dcs: { backend: etcd }',
        'patroni:',
        '  tags: { nosync: true }',
        '  watchdog: { mode: required, safety_margin: 10 }',
        '  nodes:',
        '    - { name: a, tags: { nosync: false, failover_priority: 0 } }',
        '    - { name: b, watchdog: { mode: off } }',
        'topology: { hosts: { a: { domains: r/d, watchdogDevice: true }, b: r/d } }',
      ]),
    );
    expect(scenario.clusters[0]!.nodes).toEqual([
      { name: 'a', tags: { nosync: false, failover_priority: 0 }, watchdog: { mode: 'required', device: '/dev/watchdog', safety_margin: 10 } },
      { name: 'b', tags: { nosync: true }, watchdog: { mode: 'off', device: '/dev/watchdog', safety_margin: 10 } },
    ]);
  });
});
