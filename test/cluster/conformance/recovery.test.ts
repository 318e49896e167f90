// features/recovery.feature
import { afterAll, describe, expect, it } from 'vitest';
import { Behave, reportTimings } from './harness.js';

describe('recovery.feature', () => {
  const b = new Behave({ seed: 'recovery', nodes: 2 });
  afterAll(() => reportTimings(b, 'recovery'));

  it('check that timeline is not incremented when primary is started after crash', () => {
    b.start('postgres-0');
    b.expectWithin('postgres-0 is a leader', 10, () => b.leader() === 'postgres-0');
    b.expectWithin('non empty initialize key', 15, () => Boolean(b.dcs().initialize));
    b.start('postgres-1');
    b.replicationWorks('postgres-0', 'postgres-1', 20);
    b.killPostmaster('postgres-0');
    b.expectWithin('postgres-0 role is the primary', 10, () => b.role('postgres-0') === 'primary');
    const r = b.rest('postgres-0', 'GET', '/');
    expect(r.status).toBe(200);
    expect((r.body as { role: string }).role).toBe('primary');
    expect((r.body as { timeline: number }).timeline).toBe(1);
    b.expectWithin('members/postgres-0 state=running', 12, () => b.dcs().get_member('postgres-0', false)?.data.state === 'running');
    b.replicationWorks('postgres-0', 'postgres-1', 15);
  });

  it('check immediate failover when master_start_timeout=0', () => {
    expect(b.rest('postgres-0', 'PATCH', '/config', { master_start_timeout: 0 }).status).toBe(200);
    b.expectWithin('config contains master_start_timeout', 10, () => 'master_start_timeout' in (b.rest('postgres-0', 'GET', '/config').body as object));
    b.killPostmaster('postgres-0');
    b.expectWithin('postgres-1 is a leader', 10, () => b.leader() === 'postgres-1');
    b.expectWithin('postgres-1 role is the primary', 10, () => b.role('postgres-1') === 'primary');
  });

  it('check crashed primary demotes after failed attempt to start', () => {
    expect(b.rest('postgres-1', 'PATCH', '/config', { master_start_timeout: null }).status).toBe(200);
    b.expectWithin('postgres-0 role is the replica', 10, () => b.role('postgres-0') === 'replica');
    // "I ensure postgres-1 fails to start after a failure" (behave breaks its postgresql.conf): pg_ctl
    // start fails from now on
    const srv = b.node('postgres-1').server;
    // eslint-disable-next-line require-yield
    srv.start = function* () {
      return false;
    };
    b.killPostmaster('postgres-1');
    b.expectWithin('postgres-0 is a leader', 10, () => b.leader() === 'postgres-0');
    const cb = b.records.filter((r) => r.k === 'patroni.callback' && (r as { node: string }).node === 'postgres-1').map((r) => `${(r as { action: string }).action} ${(r as { role: string }).role}`);
    expect(cb).toContain('on_role_change demoted');
  });
});
