// features/cascading_replication.feature
import { afterAll, describe, expect, it } from 'vitest';
import { Behave, reportTimings } from './harness.js';

describe('cascading_replication.feature', () => {
  const b = new Behave({ seed: 'cascading', nodes: 3, tags: { 'postgres-1': { clonefrom: true }, 'postgres-2': { replicatefrom: 'postgres-1' } } });
  afterAll(() => reportTimings(b, 'cascading_replication'));

  it('check a base backup and streaming replication from a replica', () => {
    b.start('postgres-0');
    b.expectWithin('postgres-0 is a leader', 10, () => b.leader() === 'postgres-0');
    b.start('postgres-1');
    b.replicationWorks('postgres-0', 'postgres-1', 20);
    b.expectWithin('members/postgres-1 state=running', 12, () => b.dcs().get_member('postgres-1', false)?.data.state === 'running');
    b.start('postgres-2');
    b.replicationWorks('postgres-0', 'postgres-2', 30);
    // "there is a label with postgres-1 in postgres-2 data directory": it was cloned from postgres-1
    const clone = b.records.find((r) => r.k === 'pg.clone' && (r as { node: string }).node === 'postgres-2') as { source: string; ok: boolean } | undefined;
    expect(clone?.ok).toBe(true);
    expect(clone?.source).toBe('postgres-1');
    expect(b.upstreamOf('postgres-2')).toBe('postgres-1');
  });
});
