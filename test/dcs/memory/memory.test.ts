import { describe, expect, it } from 'vitest';
import { memoryBackend, DcsConfigurationError, checkMemoryCluster } from '../../../src/sim/dcs/memory/index.js';
import { smallWorld } from '../../helpers/world.js';
import { describeOverlap, LockAgent, overlapsOf, PATRONI_DEFAULTS, grantsOf } from './harness.js';
import { Shell } from '../../helpers/world.js';

const spec = (options: Record<string, unknown> = {}) => ({ scope: 'demo', namespace: 'service', members: [], options, store: 'mem' });

describe('memory store', () => {
  it('a single node takes the lock and keeps it; no overlap', () => {
    const w = smallWorld('mem-single');
    const dep = memoryBackend.deploy(w, spec());
    dep.start();
    const a = new LockAgent(w.net.host('a1'), 'patroni', dep);
    a.start();
    w.run(120_000_000);
    expect(dep.leaderHolder('demo')).toBe('a1');
    expect(a.log.filter((l) => l.what === 'renewed').length).toBeGreaterThan(8);
    expect(overlapsOf(w)).toEqual([]);
  });

  it('the store dies with the process: a restarted node finds it empty and takes the lock again', () => {
    const w = smallWorld('mem-crash');
    const dep = memoryBackend.deploy(w, spec());
    const a = new LockAgent(w.net.host('a1'), 'patroni', dep);
    a.start();
    w.run(15_000_000);
    a.crash();
    expect(dep.leaderHolder('demo')).toBeNull();
    a.start();
    w.run(20_000_000);
    const reasons = w.sim.trace.records().filter((r) => r.k === 'dcs.leader').map((r) => (r as { reason: string }).reason);
    expect(reasons).toContain('lost');
    expect(reasons.filter((r) => r === 'acquired').length).toBe(2);
  });

  it('refuses a multi-node cluster with a message that names the backend and the reason', () => {
    const w = smallWorld('mem-refuse');
    const dep = memoryBackend.deploy(w, spec());
    const p1 = new Shell(w.net.host('a1'), 'patroni');
    const p2 = new Shell(w.net.host('b1'), 'patroni');
    dep.client(p1, 'a1', PATRONI_DEFAULTS);
    let err: unknown = null;
    try {
      dep.client(p2, 'b1', PATRONI_DEFAULTS);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DcsConfigurationError);
    const e = err as DcsConfigurationError;
    expect(e.backend).toBe('memory');
    expect(e.message).toMatch(/^memory DCS: refusing a cluster of 2 Patroni nodes \(a1, b1\)/);
    expect(e.message).toMatch(/split-brain/);
    expect(e.message).toMatch(/allowSplit: true/);
    // the scenario layer can check before building anything
    expect(() => checkMemoryCluster(['pg1', 'pg2', 'pg3'], {})).toThrow(DcsConfigurationError);
    expect(() => checkMemoryCluster(['pg1'], {})).not.toThrow();
    expect(() => checkMemoryCluster(['pg1', 'pg2'], { allowSplit: true })).not.toThrow();
  });

  it('rejects unknown options instead of ignoring a typo', () => {
    const w = smallWorld('mem-opts');
    expect(() => memoryBackend.deploy(w, spec({ allowsplit: true }))).toThrow(/unknown option "allowsplit"/);
  });

  it('with allowSplit every node has its own store, and two nodes hold the lock at once', () => {
    const w = smallWorld('mem-split');
    const dep = memoryBackend.deploy(w, spec({ allowSplit: true }));
    const a = new LockAgent(w.net.host('a1'), 'patroni', dep);
    const b = new LockAgent(w.net.host('b1'), 'patroni', dep);
    a.start();
    b.start();
    w.run(60_000_000);
    expect(a.believesLeader && b.believesLeader).toBe(true);
    const o = overlapsOf(w);
    expect(o.length).toBeGreaterThan(0);
    const first = o[0];
    expect(first && [first.a.holder, first.b.holder].sort()).toEqual(['a1', 'b1']);
    expect(first?.fromUs).toBe(0);
    expect(describeOverlap(first!)).toMatch(/a1@a1 .* overlaps b1@b1/);
    expect(grantsOf(w).every((g) => g.server === g.holder)).toBe(true);
  });
});

describe('registry', () => {
  it('lists the stores Patroni does not ship', async () => {
    const { availableBackends, backendFor } = await import('../../../src/sim/dcs/registry.js');
    for (const k of ['redis', 'postgresql', 'dynamodb', 'file', 'memory'] as const) {
      expect(availableBackends()).toContain(k);
      expect(backendFor(k).kind).toBe(k);
      expect(backendFor(k).summary.length).toBeGreaterThan(20);
    }
  });
});
