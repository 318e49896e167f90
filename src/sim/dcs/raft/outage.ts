// The nemesis action for a whole-store outage: every server process of one DCS store is paused
// (SIGSTOP: connections stay open, nothing answers) or stopped (kill -9: connections are reset)
// until healed. Deployments register themselves here; the action names the store by its label.
import type { World } from '../../world.js';
import type { DcsDeployment } from '../backend.js';

declare module '../../faults/nemesis.js' {
  interface FaultActionMap {
    /** Every server of a DCS store paused (mode "pause", the default) or killed ("stop") until healed. */
    'dcs-outage': { store: string; mode?: 'pause' | 'stop' };
  }
}

const deployments = new WeakMap<World, Map<string, DcsDeployment>>();

export function registerDcsOutage(world: World, d: DcsDeployment): void {
  let m = deployments.get(world);
  if (!m) {
    m = new Map();
    deployments.set(world, m);
    const stores = m;
    world.nemesis.register('dcs-outage', {
      apply: (a) => {
        const dep = stores.get(a.store);
        if (!dep) throw new Error(`dcs-outage: no DCS store named "${a.store}" (known: ${[...stores.keys()].sort().join(', ')})`);
        const servers = [...dep.servers];
        if ((a.mode ?? 'pause') === 'pause') {
          for (const p of servers) p.pause('DCS outage');
          return () => {
            for (const p of servers) p.resume('DCS outage over');
          };
        }
        for (const p of servers) p.crash('DCS outage');
        return () => {
          for (const p of servers) p.start('DCS outage over');
        };
      },
      describe: (a) => `${a.mode === 'stop' ? 'stop' : 'pause'} every server of DCS store ${a.store}`,
    });
  }
  m.set(d.store, d);
}
