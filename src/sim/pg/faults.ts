// Fault actions on PostgreSQL itself (beyond killing or pausing its process, which the kernel's
// `crash` / `pause` actions do on "<node>/postgres").
import type { World } from '../world.js';
import type { FaultActionOf } from '../faults/nemesis.js';
import { pgServers } from './server.js';

declare module '../faults/nemesis.js' {
  interface FaultActionMap {
    /** pg_wal_replay_pause() on a standby (as an operator would run it); healed by pg_wal_replay_resume(). */
    'replay-pause': { node: string };
    /**
     * PostgreSQL cannot start on a node (a bad setting in postgresql.conf, a missing file, a full
     * disk at startup): every start exits at once with FATAL and `pg_ctl start -w` fails, until
     * healed. A running server is not touched; the next start fails.
     */
    'pg-start-fails': { node: string };
  }
}

export function registerPgFaults(world: World): void {
  world.nemesis.register('replay-pause', {
    apply: (a: FaultActionOf<'replay-pause'>) => {
      const s = pgServers(world.sim).get(a.node);
      if (s === undefined) throw new Error(`replay-pause: no PostgreSQL node named "${a.node}"`);
      const set = (paused: boolean): void => {
        const pm = s.postmaster;
        // the SQL call runs in the server; if it is down or not in recovery the call fails and nothing happens
        if (!pm.alive) return;
        pm.post(() => {
          if (pm.inRecovery && pm.phase === 'running') pm.setReplayPaused(paused);
        }, pm.incarnation);
      };
      set(true);
      return () => set(false);
    },
    describe: (a) => `pause WAL replay on ${a.node}`,
  });
  world.nemesis.register('pg-start-fails', {
    apply: (a: FaultActionOf<'pg-start-fails'>) => {
      const s = pgServers(world.sim).get(a.node);
      if (s === undefined) throw new Error(`pg-start-fails: no PostgreSQL node named "${a.node}"`);
      s.startFailure = 'FATAL: configuration file "postgresql.conf" contains errors';
      return () => {
        s.startFailure = null;
      };
    },
    describe: (a) => `PostgreSQL on ${a.node} fails to start`,
  });
}
