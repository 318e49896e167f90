// features/standby_cluster.feature. The standby cluster "batman1" runs on its own hosts (s1 plays
// batman1's postgres-1, s2 its postgres-2) and its own etcd, instead of re-using postgres-1's host:
// behave detaches postgres-1 from batman only to reuse the machine. Slots and archive recovery are
// not modelled, so "check permanent logical slots" and the archive-based "demote cluster" are out of
// scope; "promote cluster" is checked, and with the source cluster still running it shows the
// documented split-brain (two primaries).
import { afterAll, describe, expect, it } from 'vitest';
import { Behave, reportTimings } from './harness.js';
import type { ClusterSpec } from '../../../src/sim/cluster/spec.js';

const batman1: ClusterSpec = {
  scope: 'batman1',
  dcs: { backend: 'etcd', store: 'etcd-b1', members: ['etcd4', 'etcd5', 'etcd6'].map((m, i) => ({ name: m, domains: ['local', 'dc2', 'room2', `e${i}`] })) },
  // features/steps/standby_cluster.py: ttl 20, loop_wait 2, retry_timeout 5; synchronous_mode "should be completely ignored"
  bootstrap: { dcs: { ttl: 20, loop_wait: 2, retry_timeout: 5, synchronous_mode: true, standby_cluster: { host: 'postgres-0', port: 5432 } } },
  postgresql: { use_pg_rewind: true },
  watchdog: { mode: 'off' },
  nodes: ['s1', 's2'].map((n, i) => ({ name: n, domains: ['local', 'dc2', 'room2', `r${i}`], host: { bootUs: 5_000_000 }, startStopped: true })),
};

describe('standby_cluster.feature', () => {
  const b = new Behave({ seed: 'standby-cluster', nodes: 2, more: [batman1] });
  afterAll(() => reportTimings(b, 'standby_cluster'));
  const c1 = (): (typeof b.others)[number] => b.others[0] as (typeof b.others)[number];
  const cb = (n: string): string[] => b.records.filter((r) => r.k === 'patroni.callback' && (r as { node: string }).node === n).map((r) => `${(r as { action: string }).action} ${(r as { role: string }).role}`);

  it('prepare the cluster', () => {
    b.start('postgres-1');
    b.expectWithin('postgres-1 is a leader', 10, () => b.leader() === 'postgres-1');
    b.expectWithin('non empty initialize key', 15, () => Boolean(b.dcs().initialize));
    b.start('postgres-0');
    b.expectWithin('members/postgres-0 state=running', 10, () => b.dcs().get_member('postgres-0', false)?.data.state === 'running');
    b.replicationWorks('postgres-1', 'postgres-0', 15);
    b.expectWithin('/patroni replication_state=streaming', 10, () => (b.rest('postgres-0', 'GET', '/patroni').body as { replication_state?: string }).replication_state === 'streaming');
    b.expectWithin('members/postgres-0 replication_state=streaming', 10, () => b.dcs().get_member('postgres-0', false)?.data.replication_state === 'streaming');
  });

  it('detach existing node from the cluster', () => {
    b.shutDown('postgres-1');
    b.expectWithin('postgres-0 is a leader', 10, () => b.leader() === 'postgres-0');
    b.expectWithin('members/postgres-0 role=primary', 5, () => b.dcs().get_member('postgres-0', false)?.data.role === 'primary');
    expect(b.rest('postgres-0', 'GET', '/').status).toBe(200);
  });

  it('check replication of a single table in a standby cluster', () => {
    // "I start postgres-1 in a standby cluster batman1 as a clone of postgres-0": behave starts it on
    // its existing data directory (a copy of batman's); here the operator restores a base backup of
    // postgres-0 into s1 first
    const s1 = b.node('s1');
    expect(b.task(s1.server.basebackup('postgres-0'))).toBe(true);
    s1.agent.files.backupLabel = true;
    b.start('s1');
    b.expectWithin('s1 is a leader of batman1', 10, () => b.leader(c1()) === 's1');
    const lsn = b.write('postgres-0');
    b.expectWithin('table foo on s1', 20, () => b.node('s1').server.postmaster.replayLsn >= lsn);
    b.expectWithin('s1 /patroni replication_state=streaming', 10, () => (b.rest('s1', 'GET', '/patroni').body as { replication_state?: string }).replication_state === 'streaming');
    b.run(3);
    expect(b.rest('s1', 'GET', '/primary').status).toBe(503);
    const r = b.rest('s1', 'GET', '/standby_leader');
    expect(r.status).toBe(200);
    expect((r.body as { role: string }).role).toBe('standby_leader');
    expect(cb('s1')).toContain('on_role_change standby_leader');
    b.start('s2');
    b.expectWithin('s2 role is the replica', 24, () => b.role('s2') === 'replica');
    b.expectWithin('s2 is replicating from s1', 10, () => b.upstreamOf('s2') === 's1');
    b.expectWithin('table foo on s2', 20, () => b.node('s2').server.postmaster.replayLsn >= lsn);
    b.expectWithin('s2 /patroni replication_state=streaming', 10, () => (b.rest('s2', 'GET', '/patroni').body as { replication_state?: string }).replication_state === 'streaming');
  });

  it('check switchover', () => {
    const r = b.ctl({ kind: 'switchover', cluster: 'batman1', from: 's1' });
    expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
    b.statusWithin('s2', '/standby_leader', 200, 10);
    b.expectWithin('s1 is replicating from s2', 32, () => b.upstreamOf('s1') === 's2');
    expect(cb('s2')).toContain('on_role_change standby_leader');
  });

  it('check failover', () => {
    b.kill('s2');
    b.killPostmaster('s2');
    b.expectWithin('s1 is replicating from postgres-0', 32, () => b.upstreamOf('s1') === 'postgres-0');
    b.statusWithin('s1', '/standby_leader', 200, 10);
    const r = b.rest('s1', 'GET', '/primary');
    expect(r.status).toBe(503);
    expect((r.body as { role: string }).role).toBe('standby_leader');
    b.replicationWorks('postgres-0', 's1', 15);
    expect(cb('s1')).toEqual(expect.arrayContaining(['on_role_change replica', 'on_role_change standby_leader']));
  });

  it('promote cluster (the source is alive: two primaries, as the documentation warns)', () => {
    expect(b.rest('s1', 'PATCH', '/config', { standby_cluster: null }).status).toBe(200);
    b.expectWithin('s1 role is the primary', 10, () => b.role('s1') === 'primary');
    expect(b.role('postgres-0')).toBe('primary');
    expect(b.node('s1').server.writable && b.node('postgres-0').server.writable).toBe(true);
  });

  it('demote cluster (host variant): the former source follows the promoted cluster', () => {
    const r = b.ctl({ kind: 'demote-cluster', cluster: 'batman', host: 's1', from: 'postgres-0' });
    expect(r.ok).toBe(true);
    b.expectWithin('members/postgres-0 role=standby_leader', 20 + 10, () => b.dcs().get_member('postgres-0', false)?.data.role === 'standby_leader');
    b.expectWithin('members/postgres-0 state=running', 10, () => b.dcs().get_member('postgres-0', false)?.data.state === 'running');
    const lsn = b.write('s1');
    b.expectWithin('table foo2 on postgres-0', 20, () => b.node('postgres-0').server.postmaster.replayLsn >= lsn && b.node('postgres-0').server.timeline === b.node('s1').server.timeline);
  });
});
