// features/quorum_commit.feature
import { afterAll, describe, expect, it } from 'vitest';
import { Behave, reportTimings } from './harness.js';
import { STRICT_SYNC_PLACEHOLDER } from '../../../src/sim/pg/api.js';

describe('quorum_commit.feature', () => {
  const b = new Behave({ seed: 'quorum-commit', nodes: 3 });
  afterAll(() => reportTimings(b, 'quorum_commit'));
  const quorum = (): number => b.dcs().sync.quorum;

  it('check enable quorum commit and that the only leader promotes after restart', () => {
    b.start('postgres-0');
    b.expectWithin('postgres-0 is a leader', 10, () => b.leader() === 'postgres-0');
    b.expectWithin('non empty initialize key', 15, () => Boolean(b.dcs().initialize));
    expect(b.rest('postgres-0', 'PATCH', '/config', { ttl: 20, synchronous_mode: 'quorum' }).status).toBe(200);
    b.expectWithin('sync leader=postgres-0', 20, () => b.dcs().sync.leader === 'postgres-0');
    b.expectWithin('sync quorum=0', 2, () => quorum() === 0);
    b.expectWithin("synchronous_standby_names ''", 2, () => b.ssn('postgres-0') === '');
    b.shutDown('postgres-0');
    b.expectWithin('sync leader=postgres-0 (kept)', 2, () => b.dcs().sync.leader === 'postgres-0');
    b.start('postgres-0');
    b.expectWithin('postgres-0 role is the primary', 10, () => b.role('postgres-0') === 'primary');
    expect(b.rest('postgres-0', 'PATCH', '/config', { synchronous_mode_strict: true }).status).toBe(200);
    b.expectWithin('SSN ANY 1 (placeholder)', 10, () => b.ssn('postgres-0') === `ANY 1 (${STRICT_SYNC_PLACEHOLDER})`);
  });

  it('check that synchronous_mode_strict forces primary to keep old synchronous_standby_names', () => {
    b.start('postgres-1');
    b.expectWithin('sync_standby=postgres-1', 10, () => b.syncStandby() === 'postgres-1');
    b.expectWithin('SSN ANY 1 ("postgres-1")', 2, () => b.ssn('postgres-0') === 'ANY 1 ("postgres-1")');
    b.shutDown('postgres-0');
    b.expectWithin('postgres-1 role is the primary', 10, () => b.role('postgres-1') === 'primary');
    b.expectWithin('strict warning on postgres-1', 5, () => b.warnings('postgres-1').some((w) => w.startsWith('No active replication connections from Patroni members and synchronous_mode_strict is requested')));
    b.expectWithin('sync leader=postgres-1', 10, () => b.dcs().sync.leader === 'postgres-1');
    b.expectWithin('sync_standby=postgres-0', 10, () => b.syncStandby() === 'postgres-0');
    b.expectWithin('sync quorum=0', 10, () => quorum() === 0);
    b.expectWithin('SSN on postgres-1 ANY 1 ("postgres-0")', 10, () => b.ssn('postgres-1') === 'ANY 1 ("postgres-0")');
  });

  it('check behavior with three nodes and different replication factor', () => {
    b.start('postgres-0');
    b.start('postgres-2');
    b.expectWithin('sync_standby=postgres-0,postgres-2', 10, () => b.syncStandby() === 'postgres-0,postgres-2');
    b.expectWithin('sync quorum=1', 2, () => quorum() === 1);
    b.expectWithin('SSN ANY 1 (p0,p2)', 2, () => b.ssn('postgres-1') === 'ANY 1 ("postgres-0","postgres-2")');
    expect(b.rest('postgres-1', 'PATCH', '/config', { synchronous_node_count: 2 }).status).toBe(200);
    b.expectWithin('sync quorum=0', 10, () => quorum() === 0);
    b.expectWithin('SSN ANY 2 (p0,p2)', 2, () => b.ssn('postgres-1') === 'ANY 2 ("postgres-0","postgres-2")');
  });

  it('switch from quorum replication to good old multisync and back', () => {
    expect(b.rest('postgres-1', 'PATCH', '/config', { synchronous_mode: true, synchronous_node_count: 1 }).status).toBe(200);
    b.shutDown('postgres-0');
    b.expectWithin('SSN "postgres-2"', 10, () => b.ssn('postgres-1') === '"postgres-2"');
    b.expectWithin('sync_standby=postgres-2', 10, () => b.syncStandby() === 'postgres-2');
    b.expectWithin('sync quorum=0', 2, () => quorum() === 0);
    expect(b.rest('postgres-1', 'PATCH', '/config', { synchronous_mode: 'quorum' }).status).toBe(200);
    b.start('postgres-0');
    b.expectWithin('SSN ANY 1 (p0,p2)', 10, () => b.ssn('postgres-1') === 'ANY 1 ("postgres-0","postgres-2")');
    b.expectWithin('sync_standby=postgres-0,postgres-2', 10, () => b.syncStandby() === 'postgres-0,postgres-2');
    b.expectWithin('sync quorum=1', 2, () => quorum() === 1);
  });

  it('REST API and patronictl', () => {
    b.statusWithin('postgres-0', '/quorum', 200, 3);
    b.statusWithin('postgres-2', '/quorum', 200, 3);
  });

  it('nosync node is removed from voters and synchronous_standby_names', () => {
    b.node('postgres-2').agent.setTags({ nosync: true });
    b.expectWithin('sync quorum=0', 10, () => quorum() === 0);
    b.expectWithin('sync_standby=postgres-0', 10, () => b.syncStandby() === 'postgres-0');
    b.expectWithin('SSN ANY 1 ("postgres-0")', 2, () => b.ssn('postgres-1') === 'ANY 1 ("postgres-0")');
    b.statusWithin('postgres-2', '/quorum', 503, 10);
  });
});
