// Fault actions for the PostgreSQL store: an outage of its server, and a promotion of its standby.
import type { World } from '../../world.js';
import { pickTarget, registerOnce, storeTargets } from '../memory/storeTargets.js';

export interface PgStoreFaultTarget {
  readonly store: string;
  /** Crash the store's primary server; the returned function starts it again. */
  outage(): () => void;
  /** `pg_ctl promote` on the standby (by hand). */
  promoteStandby(): boolean;
}

declare module '../../faults/nemesis.js' {
  interface FaultActionMap {
    /** The PostgreSQL store's server is down (crashed); healed by starting it again. */
    'pgstore-outage': { store?: string };
    /** An operator promotes the PostgreSQL store's standby (no fencing of the old server). */
    'pgstore-promote': { store?: string };
  }
}

export function registerPgStoreFaults(world: World, target: PgStoreFaultTarget): void {
  const targets = storeTargets<PgStoreFaultTarget>(world, 'postgresql');
  targets.set(target.store, target);
  registerOnce(world.nemesis, 'pgstore-outage', () =>
    world.nemesis.register('pgstore-outage', {
      apply: (a) => pickTarget(targets, 'postgresql', a.store).outage(),
      describe: (a) => `PostgreSQL store ${a.store ?? ''} down`.replace('  ', ' '),
    }),
  );
  registerOnce(world.nemesis, 'pgstore-promote', () =>
    world.nemesis.register('pgstore-promote', {
      apply: (a) => {
        pickTarget(targets, 'postgresql', a.store).promoteStandby();
        return undefined;
      },
      describe: (a) => `promote the PostgreSQL store's standby${a.store ? ` (${a.store})` : ''} by hand`,
    }),
  );
}
