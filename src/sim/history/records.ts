// The history contract: the trace records that the detectors, the reports and the replay read.
// Detectors are pure functions of these records (see src/report), so every model that takes part
// in a run emits them at the moment the thing happens in ground truth. Modules may add fields and
// kinds; they must not change the meaning of the ones here.
//
// Conventions: times are the record's `t` (true µs) unless a field says otherwise; `node` is a
// Patroni/PostgreSQL node name (e.g. "pg1"), which is also its host name; LSNs are byte positions;
// `branch` is a globally unique id of a timeline instance (two nodes that both promote to timeline
// 3 during a split-brain create two different branches with timeline number 3).

/** What the postmaster is doing, in ground truth (not Patroni's view of it). */
export type PgServerState =
  | 'stopped'
  | 'starting'
  | 'crash-recovery'
  | 'running'
  | 'stopping'
  | 'crashed'
  | 'rewinding'
  | 'cloning'
  | 'uninitialized';

export type ClientOutcome = 'ok' | 'fail' | 'info';

export type DcsBackendKind =
  | 'etcd'
  | 'etcd2'
  | 'zookeeper'
  | 'consul'
  | 'kubernetes'
  | 'redis'
  | 'postgresql'
  | 'dynamodb'
  | 'file'
  | 'memory';

declare module '../kernel/trace.js' {
  interface TraceMap {
    // ---- the run -------------------------------------------------------------------------------
    /** First record of a run: who is who. */
    'run.start': {
      scenario: string;
      seed: string;
      pgNodes: string[];
      dcs: {
        backend: DcsBackendKind;
        members: string[];
        /** Host of each member, same order as `members` (optional: a member named like its host needs none). */
        memberHosts?: string[];
      };
      clients: string[];
      hosts: { name: string; domains: string[] }[];
      /** Patroni's effective dynamic config at start (ttl, loop_wait, retry_timeout, ...). */
      patroni: Record<string, unknown>;
      /** Host of each client, same order as `clients` (optional: read from `proc.state` when absent). */
      clientHosts?: string[];
      /**
       * Per-node local Patroni settings the detectors need (optional): `tags` (nofailover,
       * failover_priority, nosync...) and the effective watchdog mode. Absent: Patroni's defaults.
       */
      nodes?: Record<string, { tags?: Record<string, unknown>; watchdog?: 'off' | 'automatic' | 'required'; store?: string }>;
      /**
       * Every DCS store of the run (optional): a run with several clusters (a standby cluster in
       * another datacenter) has one store per cluster, and `nodes[n].store` names the one node n's
       * Patroni talks to. Absent: `dcs` is every node's store.
       */
      stores?: { name: string; backend: DcsBackendKind; members: string[]; memberHosts: string[] }[];
    };
    /** Phase boundaries: chaos, heal, convergence. */
    'run.phase': { phase: string };
    'run.end': { reason: string };

    // ---- PostgreSQL (ground truth of each server) ---------------------------------------------
    /** The server's state or recovery status changed. Writable iff state === 'running' && !inRecovery. */
    'pg.state': { node: string; state: PgServerState; inRecovery: boolean; timeline: number; branch: number; reason?: string };
    /** A promotion created a new timeline branch. */
    'pg.promote': { node: string; timeline: number; branch: number; parentBranch: number; switchLsn: number };
    /** A write became durable locally (committed on the server), before any acknowledgement. */
    'pg.write': { node: string; writeId: number; branch: number; timeline: number; lsn: number };
    /** Replication from an upstream started, stopped, or found the timelines diverged. */
    'pg.replication': { node: string; upstream: string | null; status: 'streaming' | 'stopped' | 'diverged' | 'connecting'; reason?: string };
    /** pg_rewind finished: WAL past `forkLsn` on the old branch was discarded. */
    'pg.rewind': { node: string; ok: boolean; fromBranch: number; toBranch: number; forkLsn: number; discardedUpToLsn: number; reason?: string };
    /** A re-clone (pg_basebackup) replaced the data directory. */
    'pg.clone': { node: string; source: string; ok: boolean; discardedBranch?: number; discardedUpToLsn?: number };
    /** Crash recovery replayed WAL up to the last flushed LSN; anything written after it is gone. */
    'pg.recovery': { node: string; replayedToLsn: number; lostFromLsn?: number };
    /** synchronous_standby_names / synchronous_commit changed. */
    'pg.sync': { node: string; synchronousStandbyNames: string; synchronousCommit: string };
    /** Periodic sample of positions (for lanes and lag): primary flush, replica receive/replay. */
    'pg.lsn': { node: string; flushLsn: number; receiveLsn?: number; replayLsn?: number };

    // ---- clients and routers ------------------------------------------------------------------
    /** A client operation began. `writeId` is unique and increasing per run for writes. */
    'client.invoke': { client: string; op: number; type: 'write' | 'read'; writeId?: number };
    /**
     * The operation ended: ok (acknowledged), fail (certainly not applied), or info (unknown, e.g.
     * a timeout after the commit was sent). `node` is the server that answered or was tried.
     */
    'client.complete': {
      client: string;
      op: number;
      outcome: ClientOutcome;
      node?: string;
      timeline?: number;
      lsn?: number;
      error?: string;
      /** Reads: the highest write id the read saw. */
      sawWriteId?: number;
    };
    /** A router's idea of "the primary" changed (HAProxy backend up/down, VIP moved, DNS updated). */
    'router.target': { router: string; target: string | null; reason: string };

    // ---- the DCS -------------------------------------------------------------------------------
    /**
     * The leader key changed in the store's authoritative state (or, for stores without one, in
     * the named server's state). `expiresAtUs` is true time of expiry as the store enforces it,
     * when the store enforces one.
     */
    'dcs.leader': {
      store: string;
      server?: string;
      holder: string | null;
      reason: 'acquired' | 'updated' | 'expired' | 'deleted' | 'taken' | 'lost';
      expiresAtUs?: number;
      /** The Patroni scope whose leader key this is (needed when several clusters share one store). */
      scope?: string;
    };
    /** The DCS's own health: has a leader / can commit. */
    'dcs.quorum': { store: string; ok: boolean; leader?: string | null; term?: number };

    // ---- the Patroni agent ----------------------------------------------------------------------
    /** One HA cycle's log line (`Ha.run_cycle` result) and what the node believed. */
    'patroni.cycle': { node: string; message: string; hasLock: boolean; role: string; paused: boolean };
    /** The watchdog device on a node. */
    'patroni.watchdog': { node: string; event: 'activated' | 'keepalive' | 'disabled' | 'fired' | 'failed'; timeoutMs?: number };
    /** An operator action (switchover, failover, pause, resume, restart, reinit, edit-config...). */
    'patroni.operation': { node?: string; operation: string; ok: boolean; message: string };
    /** A config check Patroni would warn about (e.g. loop_wait + 2*retry_timeout > ttl). */
    'patroni.warning': { node?: string; message: string };
  }
}

export {};
