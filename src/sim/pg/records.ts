// Trace records this room adds to the history contract (src/sim/history/records.ts).
import type { PgServerState } from '../history/records.js';

export interface PgNodeSnapshot {
  node: string;
  state: PgServerState;
  inRecovery: boolean;
  /** Tip branch of the node's WAL (0: no data directory). */
  branch: number;
  timeline: number;
  /** fsynced WAL end (what survives anything) and written WAL end (survives a process crash). */
  flushLsn: number;
  walEndLsn: number;
  /** Standbys: last replayed LSN (what reads see). */
  replayLsn?: number;
}

declare module '../kernel/trace.js' {
  interface TraceMap {
    /**
     * A WAL branch was created (every kind: initdb root, promotion, and the silent forks PostgreSQL
     * does not number: a primary that restarts after losing its unflushed tail, or a standby data
     * directory started without standby.signal, keeps its timeline number but writes WAL that no
     * other node's copy of that timeline has). Detectors rebuild the branch table from these.
     */
    'pg.branch': { node: string; branch: number; parentBranch: number | null; timeline: number; switchLsn: number; sysid: string; reason: string };
    /** initdb created a new database system: the root branch of its WAL (timeline 1). */
    'pg.initdb': { node: string; sysid: string; branch: number; timeline: number };
    /**
     * A commit's wait for synchronous replication ended without the standbys confirming: the write
     * is committed locally (and visible there) but the configured standbys may not have it.
     * `cancelled`: a cancel request / statement timeout (COMMIT then returns success with a
     * WARNING); `terminated`: the backend was terminated (fast shutdown, demote) and the client sees
     * its connection close.
     */
    'pg.syncwait': { node: string; writeId: number; lsn: number; outcome: 'cancelled' | 'terminated'; reason: string };
    /** Every node's WAL position at a point (end of run, or on request): for detectors. */
    'pg.snapshot': { reason: string; nodes: PgNodeSnapshot[] };
  }
}

export {};
