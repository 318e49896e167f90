// features/patroni_api.feature: the REST API refusals, pause mode, switchover in pause, scheduled
// switchover. Out of scope: pending_restart (PostgreSQL parameters that need a restart are not
// modelled), so "dynamic configuration change" and "scheduled restart" are checked only for what
// does not depend on it.
import { afterAll, describe, expect, it } from 'vitest';
import { Behave, reportTimings } from './harness.js';

describe('patroni_api.feature', () => {
  const b = new Behave({ seed: 'patroni-api', nodes: 2 });
  afterAll(() => reportTimings(b, 'patroni_api'));
  const wallIn = (s: number): number => b.node('postgres-0').host.clock.wallUs(b.w.sim.nowUs) + s * 1e6;

  it('check API requests on a stand-alone server', () => {
    b.start('postgres-0');
    b.expectWithin('postgres-0 is a leader', 10, () => b.leader() === 'postgres-0');
    let r = b.rest('postgres-0', 'GET', '/');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ state: 'running', role: 'primary' });
    expect(b.rest('postgres-0', 'GET', '/standby_leader').status).toBe(503);
    expect(b.rest('postgres-0', 'GET', '/health').status).toBe(200);
    expect(b.rest('postgres-0', 'GET', '/replica').status).toBe(503);
    r = b.rest('postgres-0', 'POST', '/reinitialize', { force: true });
    expect(r).toEqual({ status: 503, body: 'I am the leader, can not reinitialize' });
    const ctl = b.ctl({ kind: 'switchover', leader: 'postgres-0' });
    expect(ctl).toEqual({ ok: false, message: 'No candidates found to switchover to' });
    r = b.rest('postgres-0', 'POST', '/switchover', { leader: 'postgres-0' });
    expect(r).toEqual({ status: 412, body: 'switchover is not possible: cluster does not have members except leader' });
    expect(b.rest('postgres-0', 'POST', '/failover', {}).status).toBe(400);
    r = b.rest('postgres-0', 'POST', '/failover', { foo: 'bar' });
    expect(r).toEqual({ status: 400, body: 'Failover could be performed only to a specific candidate' });
  });

  it('check local configuration reload and dynamic configuration change (tags, ttl)', () => {
    b.node('postgres-0').agent.setTags({ new_tag: 'new_value' } as never);
    expect(b.rest('postgres-0', 'PATCH', '/config', { ttl: 20 }).status).toBe(200);
    const r = b.rest('postgres-0', 'GET', '/config');
    expect(r.status).toBe(200);
    expect((r.body as { ttl: number }).ttl).toBe(20);
    expect((b.rest('postgres-0', 'GET', '/patroni').body as { tags: unknown }).tags).toEqual({ new_tag: 'new_value' });
  });

  it('check API requests for the primary-replica pair in the pause mode', () => {
    b.start('postgres-1');
    b.replicationWorks('postgres-0', 'postgres-1', 20);
    expect(b.ctl({ kind: 'patroni-pause' }).ok).toBe(true);
    b.run(1);
    b.killPostmaster('postgres-1');
    expect(b.rest('postgres-1', 'GET', '/replica').status).toBe(503);
    b.expectWithin('members/postgres-1 state=stopped', 10, () => b.dcs().get_member('postgres-1', false)?.data.state === 'stopped');
    expect(b.ctl({ kind: 'pg-restart', member: 'postgres-1' })).toEqual({ ok: true, message: 'Success: restart on member postgres-1' });
    b.replicationWorks('postgres-0', 'postgres-1', 20);
    b.run(2);
    const r = b.rest('postgres-1', 'GET', '/replica');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ state: 'running', role: 'replica' });
    expect(b.ctl({ kind: 'reinit', member: 'postgres-1', fromLeader: true })).toEqual({ ok: true, message: 'Success: reinitialize for member postgres-1' });
    b.expectWithin('postgres-1 role is the secondary', 30, () => b.role('postgres-1') === 'replica' && b.node('postgres-1').agent.haOrNull?.executor.busy === false);
    b.replicationWorks('postgres-0', 'postgres-1', 20);
    expect(b.records.some((r2) => r2.k === 'pg.clone' && (r2 as { node: string }).node === 'postgres-1' && (r2 as { source: string }).source === 'postgres-0')).toBe(true);
    expect(b.ctl({ kind: 'pg-restart', member: 'postgres-0' })).toEqual({ ok: true, message: 'Success: restart on member postgres-0' });
    b.expectWithin('postgres-0 role is the primary', 5, () => b.role('postgres-0') === 'primary');
  });

  it('check the switchover via the API in the pause mode', () => {
    const r = b.rest('postgres-0', 'POST', '/switchover', { leader: 'postgres-0', candidate: 'postgres-1' });
    expect(r.status).toBe(200);
    b.expectWithin('postgres-1 is a leader', 5, () => b.leader() === 'postgres-1');
    b.expectWithin('postgres-1 role is the primary', 10, () => b.role('postgres-1') === 'primary');
    b.expectWithin('postgres-0 role is the secondary', 10, () => b.role('postgres-0') === 'replica');
    b.replicationWorks('postgres-1', 'postgres-0', 20);
    b.expectWithin('members/postgres-0 state=running', 10, () => b.dcs().get_member('postgres-0', false)?.data.state === 'running');
    expect(b.rest('postgres-0', 'GET', '/primary').status).toBe(503);
    expect(b.rest('postgres-0', 'GET', '/replica').status).toBe(200);
    expect(b.rest('postgres-1', 'GET', '/primary').status).toBe(200);
    expect(b.rest('postgres-1', 'GET', '/replica').status).toBe(503);
  });

  it('check the scheduled switchover', () => {
    expect(b.ctl({ kind: 'switchover', leader: 'postgres-1', candidate: 'postgres-0', scheduledAtWallUs: wallIn(10) })).toEqual({
      ok: false,
      message: "Can't schedule switchover in the paused state",
    });
    expect(b.ctl({ kind: 'patroni-resume' }).ok).toBe(true);
    const r = b.ctl({ kind: 'switchover', leader: 'postgres-1', candidate: 'postgres-0', scheduledAtWallUs: wallIn(10) });
    expect(r).toEqual({ ok: true, message: 'Switchover scheduled' });
    b.expectWithin('postgres-0 is a leader', 20, () => b.leader() === 'postgres-0');
    b.expectWithin('postgres-0 role is the primary', 10, () => b.role('postgres-0') === 'primary');
    b.expectWithin('postgres-1 role is the secondary', 10, () => b.role('postgres-1') === 'replica');
    b.replicationWorks('postgres-0', 'postgres-1', 25);
    b.expectWithin('members/postgres-1 state=running', 10, () => b.dcs().get_member('postgres-1', false)?.data.state === 'running');
    expect(b.rest('postgres-0', 'GET', '/primary').status).toBe(200);
    expect(b.rest('postgres-0', 'GET', '/replica').status).toBe(503);
    expect(b.rest('postgres-1', 'GET', '/primary').status).toBe(503);
    expect(b.rest('postgres-1', 'GET', '/replica').status).toBe(200);
  });
});
