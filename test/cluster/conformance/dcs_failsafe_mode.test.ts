// features/dcs_failsafe_mode.feature. Permanent/logical replication slots are not modelled: the
// slot scenarios (and the slot steps inside the others) are out of scope.
import { afterAll, describe, expect, it } from 'vitest';
import { Behave, reportTimings } from './harness.js';

describe('dcs_failsafe_mode.feature', () => {
  const b = new Behave({ seed: 'failsafe', nodes: 3, tags: { 'postgres-2': { replicatefrom: 'postgres-0' } } });
  afterAll(() => reportTimings(b, 'dcs_failsafe_mode'));
  const failsafeActive = (name: string): boolean => {
    const r = b.rest(name, 'GET', '/primary');
    return Boolean((r.body as { failsafe_mode_is_active?: boolean } | null)?.failsafe_mode_is_active);
  };

  it('check failsafe mode can be successfully enabled', () => {
    b.start('postgres-0');
    b.expectWithin('postgres-0 is a leader', 10, () => b.leader() === 'postgres-0');
    b.expectWithin('config ttl=30', 10, () => b.dcs().config?.data.ttl === 30);
    expect(b.rest('postgres-0', 'PATCH', '/config', { loop_wait: 2, ttl: 20, retry_timeout: 3, failsafe_mode: true }).status).toBe(200);
    b.expectWithin('/failsafe contains postgres-0', 10, () => JSON.stringify(b.rest('postgres-0', 'GET', '/failsafe').body).includes('postgres-0'));
    const r = b.rest('postgres-0', 'GET', '/failsafe');
    expect(r).toEqual({ status: 200, body: { 'postgres-0': 'http://postgres-0:8008/patroni' } });
  });

  it('check one-node cluster is functioning while DCS is down', () => {
    b.dcsDown();
    b.expectWithin('/primary contains failsafe_mode_is_active', 12, () => failsafeActive('postgres-0'));
    b.expectWithin('postgres-0 role is the primary', 10, () => b.role('postgres-0') === 'primary');
  });

  it("check new replica isn't promoted when leader is down and DCS is up", () => {
    b.dcsUp();
    // "I do a backup of postgres-0", later restored as postgres-1's data directory
    const p1 = b.node('postgres-1');
    expect(b.task(p1.server.basebackup('postgres-0'))).toBe(true);
    p1.agent.files.backupLabel = true;
    b.shutDown('postgres-0');
    // "I start postgres-1 in a cluster batman from backup with no_leader"
    b.start('postgres-1');
    b.expectWithin('postgres-1 role is the replica', 12, () => b.role('postgres-1') === 'replica');
    b.run(10);
    expect(b.role('postgres-1')).toBe('replica');
    expect(b.leader()).toBeNull();
  });

  it('check leader and replica are both in /failsafe key after leader is back', () => {
    b.start('postgres-0');
    b.start('postgres-1');
    b.expectWithin('members/postgres-0 state=running', 10, () => b.dcs().get_member('postgres-0', false)?.data.state === 'running');
    b.expectWithin('members/postgres-1 state=running', 2, () => b.dcs().get_member('postgres-1', false)?.data.state === 'running');
    b.expectWithin('/failsafe on postgres-1 contains postgres-1', 10, () => JSON.stringify(b.rest('postgres-1', 'GET', '/failsafe').body).includes('postgres-1'));
    expect(b.rest('postgres-1', 'GET', '/failsafe')).toEqual({
      status: 200,
      body: { 'postgres-0': 'http://postgres-0:8008/patroni', 'postgres-1': 'http://postgres-1:8008/patroni' },
    });
  });

  it('check leader and replica are functioning while DCS is down', () => {
    b.dcsDown();
    b.expectWithin('/primary contains failsafe_mode_is_active', 12, () => failsafeActive('postgres-0'));
    b.expectWithin('postgres-0 role is the primary', 10, () => b.role('postgres-0') === 'primary');
    b.expectWithin('postgres-1 role is the replica', 2, () => b.role('postgres-1') === 'replica');
    b.replicationWorks('postgres-0', 'postgres-1', 10);
  });

  it('check primary is demoted when one replica is shut down and DCS is down', () => {
    b.kill('postgres-1');
    b.killPostmaster('postgres-1');
    b.expectWithin('postgres-0 role is the replica', 12, () => b.role('postgres-0') === 'replica');
  });

  it('check known replica is promoted when leader is down and DCS is up', () => {
    b.kill('postgres-0');
    b.task(b.node('postgres-0').server.stop('fast'));
    b.dcsUp();
    b.start('postgres-1');
    b.expectWithin('members/postgres-1 state=running', 10, () => b.dcs().get_member('postgres-1', false)?.data.state === 'running');
    b.expectWithin('postgres-1 role is the primary', 25, () => b.role('postgres-1') === 'primary');
  });

  it('scale to three-node cluster', () => {
    b.start('postgres-0');
    b.start('postgres-2');
    b.expectWithin('members/postgres-2 state=running', 10, () => b.dcs().get_member('postgres-2', false)?.data.state === 'running');
    b.expectWithin('members/postgres-0 state=running', 20, () => b.dcs().get_member('postgres-0', false)?.data.state === 'running');
    b.expectWithin('/failsafe contains postgres-2', 10, () => JSON.stringify(b.rest('postgres-0', 'GET', '/failsafe').body).includes('postgres-2'));
    b.replicationWorks('postgres-1', 'postgres-0', 10);
    b.replicationWorks('postgres-1', 'postgres-2', 10);
  });

  it('check three-node cluster is functioning while DCS is down', () => {
    b.dcsDown();
    b.expectWithin('/primary on postgres-1 contains failsafe_mode_is_active', 12, () => failsafeActive('postgres-1'));
    b.expectWithin('postgres-1 role is the primary', 10, () => b.role('postgres-1') === 'primary');
    b.expectWithin('postgres-0 role is the replica', 2, () => b.role('postgres-0') === 'replica');
    b.expectWithin('postgres-2 role is the replica', 2, () => b.role('postgres-2') === 'replica');
  });
});
