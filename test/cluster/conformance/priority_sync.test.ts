// features/priority_sync.feature
import { afterAll, describe, expect, it } from 'vitest';
import { Behave, reportTimings } from './harness.js';

describe('priority_sync.feature', () => {
  const b = new Behave({
    seed: 'priority-sync',
    nodes: 4,
    tags: { 'postgres-1': { sync_priority: 0 }, 'postgres-2': { sync_priority: 1 }, 'postgres-3': { sync_priority: 2 } },
  });
  afterAll(() => reportTimings(b, 'priority_sync'));

  it('check replica with sync_priority=0 does not become a synchronous replica', () => {
    b.start('postgres-0');
    b.expectWithin('postgres-0 is a leader', 10, () => b.leader() === 'postgres-0');
    b.expectWithin('non empty initialize key', 15, () => Boolean(b.dcs().initialize));
    expect(b.rest('postgres-0', 'PATCH', '/config', { ttl: 20, synchronous_mode: true }).status).toBe(200);
    b.start('postgres-1');
    b.expectWithin('sync key leader=postgres-0', 20, () => b.dcs().sync.leader === 'postgres-0');
    b.replicationWorks('postgres-0', 'postgres-1', 20);
    b.run(5);
    expect(b.syncStandby()).toBeNull();
  });

  it('check higher synchronous replicas priority is respected', () => {
    b.start('postgres-2');
    b.start('postgres-3');
    b.replicationWorks('postgres-0', 'postgres-2', 20);
    b.replicationWorks('postgres-0', 'postgres-3', 20);
    expect(b.rest('postgres-0', 'PATCH', '/config', { synchronous_node_count: 1 }).status).toBe(200);
    b.expectWithin('sync_standby=postgres-3', 10, () => b.syncStandby() === 'postgres-3');
  });

  it('check conflicting configuration handling', () => {
    b.node('postgres-3').agent.setTags({ nosync: true, sync_priority: 2 });
    expect(b.warnings('postgres-3')).toContain('Conflicting configuration between nosync: True and sync_priority: 2. Defaulting to nosync: True');
    b.expectWithin('members/postgres-3 tags', 10, () => {
      const t = b.dcs().get_member('postgres-3', false)?.data.tags;
      return t?.nosync === true && t.sync_priority === 2;
    });
    b.expectWithin('sync_standby=postgres-2', 10, () => b.syncStandby() === 'postgres-2');
    b.node('postgres-1').agent.setTags({ nosync: false, sync_priority: 0 });
    expect(b.warnings('postgres-1')).toContain('Conflicting configuration between nosync: False and sync_priority: 0. Defaulting to nosync: False');
    b.expectWithin('members/postgres-1 tags', 10, () => {
      const t = b.dcs().get_member('postgres-1', false)?.data.tags;
      return t?.nosync === false && t.sync_priority === 0;
    });
    b.shutDown('postgres-2');
    b.expectWithin('sync_standby=postgres-1', 3, () => b.syncStandby() === 'postgres-1');
  });
});
