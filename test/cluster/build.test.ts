// buildCluster: hosts, run.start roster, DCS placement and the scope guard for shared stores.
import { describe, expect, it } from 'vitest';
import { World } from '../../src/sim/world.js';
import { buildCluster } from '../../src/sim/cluster/build.js';
import type { ClusterSpec } from '../../src/sim/cluster/spec.js';
import { etcdBackend } from '../../src/sim/dcs/etcd/deploy.js';

function spec(scope: string, nodes: string[], store = 'etcd'): ClusterSpec {
  return {
    scope,
    dcs: { backend: 'etcd', store, members: [{ name: 'e1', domains: ['eu', 'dc1'] }] },
    bootstrap: { dcs: { ttl: 10, loop_wait: 10, retry_timeout: 10 } },
    nodes: nodes.map((n) => ({ name: n, domains: ['eu', 'dc1', n] })),
  };
}

describe('buildCluster', () => {
  it('creates hosts, servers, devices and agents, and emits run.start with the effective config', () => {
    const w = new World({ seed: 'b', trace: { keep: true } });
    const c = buildCluster(w, spec('batman', ['a', 'b']), { backend: etcdBackend });
    expect(c.nodes.map((n) => [n.name, n.agent.label, n.device.label])).toEqual([
      ['a', 'a/patroni', 'a/watchdog'],
      ['b', 'b/patroni', 'b/watchdog'],
    ]);
    const rs = w.sim.trace.records().find((r) => r.k === 'run.start') as unknown as { pgNodes: string[]; patroni: Record<string, unknown> };
    expect(rs.pgNodes).toEqual(['a', 'b']);
    // Patroni adjusts ttl=10 up to 20 and loop_wait down to 1 (loop_wait + 2*retry_timeout <= ttl)
    expect(rs.patroni).toMatchObject({ ttl: 20, loop_wait: 1, retry_timeout: 9 });
    w.run(30_000_000);
    expect(w.sim.trace.records().some((r) => r.k === 'patroni.warning' && (r as { message: string }).message.startsWith("ttl=10 can't be smaller than 20"))).toBe(true);
    expect(c.leaderHolder()).not.toBeNull();
  });

  it('refuses to share a store between two scopes', () => {
    const w = new World({ seed: 'b2' });
    buildCluster(w, spec('one', ['a']), { backend: etcdBackend });
    expect(() => buildCluster(w, { ...spec('two', ['b']), dcs: { backend: 'etcd', shared: 'etcd', members: [] } }, { backend: etcdBackend })).toThrow(/needs a store of its own/);
  });

  it('places a DCS member on an existing host', () => {
    const w = new World({ seed: 'b3' });
    const s = spec('batman', ['a', 'b']);
    s.dcs.members = [{ name: 'etcd-on-a', domains: [], host: 'a' }];
    buildCluster(w, s, { backend: etcdBackend });
    expect(w.findProcess('a/etcd-on-a').name).toBe('etcd-on-a');
  });
});
