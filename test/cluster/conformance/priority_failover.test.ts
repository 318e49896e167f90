// features/priority_failover.feature
import { afterAll, describe, expect, it } from 'vitest';
import { Behave, reportTimings } from './harness.js';

describe('priority_failover.feature', () => {
  const b = new Behave({
    seed: 'priority-failover',
    nodes: 4,
    tags: { 'postgres-0': { failover_priority: 1 }, 'postgres-1': { failover_priority: 0 }, 'postgres-2': { failover_priority: 1 }, 'postgres-3': { failover_priority: 2 } },
  });
  afterAll(() => reportTimings(b, 'priority_failover'));

  it('check failover priority 0 prevents leaderships', () => {
    b.start('postgres-0');
    b.expectWithin('postgres-0 is a leader', 10, () => b.leader() === 'postgres-0');
    b.start('postgres-1');
    b.replicationWorks('postgres-0', 'postgres-1', 20);
    b.shutDown('postgres-0');
    b.expectWithin('"following a different leader because I am not allowed to promote" on postgres-1', 5, () =>
      b.cycles('postgres-1').includes('following a different leader because I am not allowed to promote'),
    );
    b.run(10);
    expect(b.role('postgres-1')).toBe('replica');
    b.start('postgres-0');
    b.expectWithin('postgres-0 role is the primary', 10, () => b.role('postgres-0') === 'primary');
  });

  it('check higher failover priority is respected', () => {
    b.start('postgres-2');
    b.start('postgres-3');
    b.replicationWorks('postgres-0', 'postgres-2', 20);
    b.replicationWorks('postgres-0', 'postgres-3', 20);
    const mark = b.records.length;
    b.shutDown('postgres-0');
    b.expectWithin('postgres-3 role is the primary', 10, () => b.role('postgres-3') === 'primary');
    const lines = b.records.slice(mark).filter((r) => r.k === 'patroni.log' && (r as { node: string }).node === 'postgres-2').map((r) => (r as { message: string }).message);
    expect(lines.some((l) => l === 'postgres-3 has equally tolerable WAL position and priority 2, while this node has priority 1' || l === 'Wal position of postgres-3 is ahead of my wal position')).toBe(true);
  });

  it('check conflicting configuration handling', () => {
    b.node('postgres-2').agent.setTags({ failover_priority: 1, nofailover: true });
    expect(b.warnings('postgres-2')).toContain('Conflicting configuration between nofailover: True and failover_priority: 1. Defaulting to nofailover: True');
    b.expectWithin('members/postgres-2 tags', 10, () => {
      const t = b.dcs().get_member('postgres-2', false)?.data.tags;
      return t?.nofailover === true && t.failover_priority === 1;
    });
    let r = b.rest('postgres-2', 'POST', '/failover', { candidate: 'postgres-2' });
    expect(r.status).toBe(412);
    expect(r.body).toBe('failover is not possible: no good candidates have been found');
    b.node('postgres-1').agent.setTags({ failover_priority: 0, nofailover: false });
    expect(b.warnings('postgres-1')).toContain('Conflicting configuration between nofailover: False and failover_priority: 0. Defaulting to nofailover: False');
    b.expectWithin('members/postgres-1 tags', 10, () => {
      const t = b.dcs().get_member('postgres-1', false)?.data.tags;
      return t?.nofailover === false && t.failover_priority === 0;
    });
    r = b.rest('postgres-1', 'POST', '/failover', { candidate: 'postgres-1' });
    expect(r.status).toBe(200);
    b.expectWithin('postgres-1 role is the primary', 10, () => b.role('postgres-1') === 'primary');
  });
});
