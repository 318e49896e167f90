// features/frozen_patroni.feature (watchdog driver "testing": it records triggers, it does not reset)
import { afterAll, describe, expect, it } from 'vitest';
import { Behave, reportTimings } from './harness.js';

describe('frozen_patroni.feature', () => {
  // "I start postgres-0 with watchdog": mode required, the testing driver, bootstrap ttl 21
  const b = new Behave({ seed: 'frozen', nodes: 2, dcs: { ttl: 21 }, watchdog: { 'postgres-0': { mode: 'required', driver: 'testing' } } });
  afterAll(() => reportTimings(b, 'frozen_patroni'));
  let mark = 0;
  const wdEvents = (): string[] =>
    b.records
      .slice(mark)
      .filter((r) => r.k === 'patroni.watchdog' && (r as { node: string }).node === 'postgres-0')
      .map((r) => (r as { event: string }).event);
  const device = () => b.node('postgres-0').device;

  it('watchdog is opened and pinged', () => {
    mark = b.records.length;
    b.start('postgres-0');
    b.expectWithin('postgres-0 is a leader', 10, () => b.leader() === 'postgres-0');
    b.expectWithin('postgres-0 role is the primary', 10, () => b.role('postgres-0') === 'primary');
    b.expectWithin('watchdog pinged', 10, () => wdEvents().includes('keepalive'));
    b.expectWithin('watchdog has a 16 second timeout', 10, () => device().armed && device().getTimeout() === 16);
  });

  it('watchdog is reconfigured after global ttl changed', () => {
    expect(b.ctl({ kind: 'edit-config', set: { ttl: 20 } })).toEqual({ ok: true, message: 'Configuration changed' });
    b.expectWithin('/config contains ttl=20', 10, () => (b.rest('postgres-0', 'GET', '/config').body as { ttl: number }).ttl === 20);
    b.expectWithin('watchdog has a 15 second timeout', 10, () => device().getTimeout() === 15);
  });

  it('watchdog is disabled during pause', () => {
    mark = b.records.length;
    expect(b.ctl({ kind: 'patroni-pause' }).ok).toBe(true);
    b.expectWithin('watchdog closed', 2, () => wdEvents().includes('disabled') && !device().armed);
  });

  it('watchdog is opened and pinged after resume', () => {
    mark = b.records.length;
    expect(b.ctl({ kind: 'patroni-resume' }).ok).toBe(true);
    b.expectWithin('watchdog pinged', 10, () => wdEvents().includes('keepalive'));
  });

  it('watchdog is disabled when shutting down', () => {
    mark = b.records.length;
    b.shutDown('postgres-0');
    expect(wdEvents()).toContain('disabled');
    expect(device().armed).toBe(false);
  });

  it('prepare two nodes cluster', () => {
    mark = b.records.length;
    b.start('postgres-0');
    b.start('postgres-1');
    b.expectWithin('postgres-0 role is the primary', 10, () => b.role('postgres-0') === 'primary' && b.leader() === 'postgres-0');
    expect(b.rest('postgres-0', 'PATCH', '/config', { primary_race_backoff: 6, loop_wait: 3, retry_timeout: 8 }).status).toBe(200);
    b.expectWithin('postgres-0 role is the primary', 10, () => b.role('postgres-0') === 'primary');
    b.replicationWorks('postgres-0', 'postgres-1', 15);
  });

  it('watchdog is triggered if patroni primary stops responding', () => {
    mark = b.records.length;
    b.hang('postgres-0', 60);
    b.expectWithin('watchdog triggered', 20, () => wdEvents().includes('fired'));
  });

  it('check primary race backoff', () => {
    // keep writing on postgres-0 (its PostgreSQL is alive) while waiting, as the behave step does
    const t0 = b.records.length;
    b.expectWithin('"wal position moved since last heart beat loop" on postgres-1', 12, () => {
      if (Math.round(b.now * 10) % 10 === 0 && b.role('postgres-0') === 'primary') b.write('postgres-0');
      return b.records.slice(t0).some((r) => r.k === 'patroni.cycle' && (r as { node: string }).node === 'postgres-1' && (r as { message: string }).message.includes('wal position moved since last heart beat loop'));
    });
    b.expectWithin('postgres-1 promoted despite postgres-0 being active', 20, () => {
      if (Math.round(b.now * 10) % 10 === 0 && b.role('postgres-0') === 'primary') b.write('postgres-0');
      return b.role('postgres-1') === 'primary';
    });
  });
});
