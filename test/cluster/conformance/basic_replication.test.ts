// features/basic_replication.feature (all scenarios; "duplicate name" with a second agent named
// postgres-0 on another host)
import { afterAll, describe, expect, it } from 'vitest';
import { Behave, reportTimings } from './harness.js';
import { PatroniAgent } from '../../../src/sim/patroni/patroni.js';
import { pgServers } from '../../../src/sim/pg/deploy.js';
import { deployPg } from '../../../src/sim/pg/deploy.js';
import { STRICT_SYNC_PLACEHOLDER } from '../../../src/sim/pg/api.js';

describe('basic_replication.feature', () => {
  const b = new Behave({ seed: 'basic-replication', nodes: 3, tags: { 'postgres-2': { replicatefrom: 'postgres-0' } } });
  afterAll(() => reportTimings(b, 'basic_replication'));

  it('check replication of a single table', () => {
    b.start('postgres-0');
    b.expectWithin('postgres-0 is a leader', 10, () => b.leader() === 'postgres-0');
    b.expectWithin('non empty initialize key', 15, () => Boolean(b.dcs().initialize));
    expect(b.rest('postgres-0', 'PATCH', '/config', { ttl: 20, synchronous_mode: true }).status).toBe(200);
    b.expectWithin('sync key leader=postgres-0', 20, () => b.dcs().sync.leader === 'postgres-0');
    b.expectWithin("synchronous_standby_names ''", 2, () => b.ssn('postgres-0') === '');
    expect(b.rest('postgres-0', 'PATCH', '/config', { synchronous_mode_strict: true }).status).toBe(200);
    b.expectWithin('synchronous_standby_names = placeholder', 10, () => b.ssn('postgres-0') === STRICT_SYNC_PLACEHOLDER);
    b.start('postgres-1');
    b.start('postgres-2');
    const lsn = b.write('postgres-0');
    for (const n of ['postgres-1', 'postgres-2']) {
      b.expectWithin(`table foo on ${n}`, 20, () => b.node(n).server.postmaster.replayLsn >= lsn);
    }
    expect(b.upstreamOf('postgres-2')).toBe('postgres-0');
  });

  it('check restart of sync replica', () => {
    b.shutDown('postgres-2');
    b.expectWithin('sync_standby=postgres-1', 5, () => b.syncStandby() === 'postgres-1');
    b.expectWithin('synchronous_standby_names = "postgres-1"', 10, () => b.ssn('postgres-0') === '"postgres-1"');
    b.start('postgres-2');
    b.shutDown('postgres-1');
    b.expectWithin('sync_standby=postgres-2', 10, () => b.syncStandby() === 'postgres-2');
    b.expectWithin('synchronous_standby_names = "postgres-2"', 10, () => b.ssn('postgres-0') === '"postgres-2"');
    b.start('postgres-1');
    b.expectWithin('members/postgres-1 state=running', 10, () => b.dcs().get_member('postgres-1', false)?.data.state === 'running');
    b.statusWithin('postgres-2', '/sync', 200, 3);
    b.statusWithin('postgres-1', '/async', 200, 3);
  });

  it('check stuck sync replica', () => {
    expect(b.rest('postgres-0', 'PATCH', '/config', { pause: true, maximum_lag_on_syncnode: 15000000, postgresql: { parameters: { synchronous_commit: 'remote_apply' } } }).status).toBe(200);
    const lsn = b.write('postgres-0');
    b.expectWithin('table mytest on postgres-1', 2, () => b.node('postgres-1').server.postmaster.replayLsn >= lsn);
    b.expectWithin('table mytest on postgres-2', 2, () => b.node('postgres-2').server.postmaster.replayLsn >= lsn);
    b.w.nemesis.apply({ kind: 'replay-pause', node: 'postgres-2' }, 'replay-pause');
    b.write('postgres-0', 20_000_000); // 350000 rows
    b.expectWithin('sync_standby=postgres-1', 15, () => b.syncStandby() === 'postgres-1');
    b.w.nemesis.heal('replay-pause');
    b.statusWithin('postgres-1', '/sync', 200, 3);
    b.statusWithin('postgres-2', '/async', 200, 3);
    expect(b.rest('postgres-0', 'PATCH', '/config', { pause: null, maximum_lag_on_syncnode: -1, postgresql: { parameters: { synchronous_commit: 'on' } } }).status).toBe(200);
  });

  it('check multi sync replication', () => {
    expect(b.rest('postgres-0', 'PATCH', '/config', { synchronous_node_count: 2, synchronous_mode_strict: null }).status).toBe(200);
    b.expectWithin('sync_standby=postgres-1,postgres-2', 10, () => b.syncStandby() === 'postgres-1,postgres-2');
    b.statusWithin('postgres-2', '/sync', 200, 3);
    b.statusWithin('postgres-1', '/sync', 200, 3);
    expect(b.rest('postgres-0', 'PATCH', '/config', { synchronous_node_count: 1 }).status).toBe(200);
    b.shutDown('postgres-1');
    b.expectWithin('sync_standby=postgres-2', 10, () => b.syncStandby() === 'postgres-2');
    b.start('postgres-1');
    b.expectWithin('members/postgres-1 state=running', 10, () => b.dcs().get_member('postgres-1', false)?.data.state === 'running');
    b.statusWithin('postgres-2', '/sync', 200, 3);
    b.statusWithin('postgres-1', '/async', 200, 3);
  });

  it('check the basic failover in synchronous mode', () => {
    expect(b.ctl({ kind: 'patroni-pause' }).ok).toBe(true);
    b.run(2);
    b.shutDown('postgres-0'); // paused: Patroni exits, PostgreSQL keeps running, the leader key stays
    expect(b.ctl({ kind: 'patroni-resume' }).ok).toBe(true);
    b.expectWithin('postgres-2 role is the primary', 24, () => b.role('postgres-2') === 'primary');
    // postgres-1 is an asynchronous replica: it must not have won
    expect(b.role('postgres-1')).not.toBe('primary');
    b.expectWithin('/history contains recovery', 10, () => JSON.stringify(b.rest('postgres-2', 'GET', '/history').body).includes('recovery'));
    const cb = b.records.filter((r) => r.k === 'patroni.callback' && (r as { node: string }).node === 'postgres-2').map((r) => `${(r as { action: string }).action} ${(r as { role: string }).role}`);
    expect(cb).toContain('on_role_change primary');
    expect(b.rest('postgres-2', 'PATCH', '/config', { synchronous_mode: null, master_start_timeout: 0 }).status).toBe(200);
    const lsn = b.write('postgres-2');
    b.expectWithin('table bar on postgres-1', 20, () => b.node('postgres-1').server.postmaster.replayLsn >= lsn && b.node('postgres-1').server.timeline === b.node('postgres-2').server.timeline);
    b.expectWithin('/config contains master_start_timeout', 10, () => 'master_start_timeout' in (b.rest('postgres-2', 'GET', '/config').body as object));
  });

  it('check rejoin of the former primary with pg_rewind', () => {
    b.write('postgres-0'); // its PostgreSQL still runs as a primary: a split-brain write
    b.start('postgres-0');
    b.expectWithin('postgres-0 role is the secondary', 20, () => b.role('postgres-0') === 'replica');
    const lsn = b.write('postgres-2');
    b.expectWithin('table buz on postgres-0', 20, () => b.node('postgres-0').server.postmaster.replayLsn >= lsn && b.node('postgres-0').server.timeline === b.node('postgres-2').server.timeline);
    expect(b.records.some((r) => r.k === 'pg.rewind' && (r as { node: string; ok: boolean }).node === 'postgres-0' && (r as { ok: boolean }).ok)).toBe(true);
  });

  it('check graceful rejection when two nodes have the same name', () => {
    const h = b.w.addHost({ name: 'dup-host', domains: ['local', 'dc1', 'room1', 'r9'] });
    deployPg(b.w, { nodes: ['dup-host'] });
    const first = b.node('postgres-0').agent;
    const dup = new PatroniAgent(h, { ...first.config, tags: {} }, {
      server: pgServers(b.w.sim).get('dup-host') as NonNullable<ReturnType<ReturnType<typeof pgServers>['get']>>,
      dcsClient: (proc, name, timing) => b.c.dcs.client(proc, name, timing),
      device: null,
      pgLookup: (host) => pgServers(b.w.sim).get(host)?.postmaster ?? null,
    });
    dup.start('duplicate');
    b.expectWithin('CRITICAL "already a node named"', 5, () => b.warnings('postgres-0').includes("Can't start; there is already a node named 'postgres-0' running"));
    expect(dup.alive).toBe(false);
  });

  it('check that synchronous_mode_strict forces primary to keep old synchronous_standby_names', () => {
    b.node('postgres-0').agent.setTags({ nosync: true });
    expect(b.rest('postgres-2', 'PATCH', '/config', { synchronous_mode: true, synchronous_mode_strict: true }).status).toBe(200);
    b.expectWithin('sync_standby=postgres-1', 5, () => b.syncStandby() === 'postgres-1');
    b.expectWithin('synchronous_standby_names on postgres-2 = "postgres-1"', 10, () => b.ssn('postgres-2') === '"postgres-1"');
    b.shutDown('postgres-2');
    b.expectWithin('postgres-1 role is the primary', 10, () => b.role('postgres-1') === 'primary');
    b.expectWithin('strict-mode warning on postgres-1', 5, () => b.warnings('postgres-1').some((w) => w.startsWith('No active replication connections from Patroni members and synchronous_mode_strict is requested')));
    b.expectWithin('sync leader=postgres-1', 10, () => b.dcs().sync.leader === 'postgres-1');
    b.expectWithin('sync_standby=postgres-2', 10, () => b.syncStandby() === 'postgres-2');
    b.expectWithin('synchronous_standby_names on postgres-1 = "postgres-2"', 10, () => b.ssn('postgres-1') === '"postgres-2"');
  });
});
