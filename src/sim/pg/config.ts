// Settings and timings of a simulated PostgreSQL server. GUC defaults are PostgreSQL 16's
// (postgresql.conf.sample); durations are modelled costs with realistic defaults, each
// configurable per node from the scenario.
import type { PgSettings } from './api.js';

/** GUC defaults (postgresql.conf.sample), plus Patroni's usual `hot_standby = on`. */
export const DEFAULT_SETTINGS: Readonly<PgSettings> = {
  synchronous_standby_names: '',
  synchronous_commit: 'on',
  wal_sender_timeout: 60_000,
  wal_receiver_timeout: 60_000,
  wal_log_hints: false,
  hot_standby: true,
  recovery_min_apply_delay: 0,
};

/** Settings that are not in `PgSettings` because Patroni does not steer them, but runs depend on. */
export interface PgExtraSettings {
  /** wal_receiver_status_interval, ms (default 10 s). */
  walReceiverStatusIntervalMs: number;
  /** wal_retrieve_retry_interval, ms (default 5 s): how soon a standby retries streaming. */
  walRetrieveRetryIntervalMs: number;
  /** wal_writer_delay, ms (default 200 ms): asynchronous commits are flushed this often. */
  walWriterDelayMs: number;
  /** checkpoint_timeout, ms (default 5 min). */
  checkpointTimeoutMs: number;
}

export const DEFAULT_EXTRA: Readonly<PgExtraSettings> = {
  walReceiverStatusIntervalMs: 10_000,
  walRetrieveRetryIntervalMs: 5_000,
  walWriterDelayMs: 200,
  checkpointTimeoutMs: 300_000,
};

/** Modelled costs. Everything that takes time in a real server takes time here. */
export interface PgTimings {
  /** Postmaster start to "ready to accept connections" after a clean shutdown. */
  startMs: number;
  /** Fixed part of crash recovery (reading pg_control, opening WAL, end-of-recovery checkpoint). */
  recoveryBaseMs: number;
  /** WAL replay speed during crash recovery and on standbys (bytes of WAL per second). */
  replayBytesPerSec: number;
  /** Fixed part of a shutdown checkpoint. */
  shutdownCheckpointBaseMs: number;
  /** Dirty data written by a checkpoint, per second (the dirty amount is the WAL since the last checkpoint). */
  checkpointBytesPerSec: number;
  /** End of recovery at promotion (end-of-recovery record, new timeline history file). */
  promoteMs: number;
  /**
   * The spread checkpoint PostgreSQL requests after a promotion (not immediate): until it ends,
   * pg_control still shows the old timeline — why Patroni issues a CHECKPOINT after promote.
   */
  checkpointAfterPromoteMs: number;
  /** An explicit CHECKPOINT (immediate). */
  immediateCheckpointMs: number;
  /** initdb. */
  initdbMs: number;
  /** Size of a freshly initialised data directory. */
  initdbDataBytes: number;
  /** pg_basebackup: the checkpoint the source runs first (spread by default in PostgreSQL). */
  basebackupCheckpointMs: number;
  /** pg_basebackup --max-rate (bytes/s); the link's bandwidth also limits it. */
  basebackupBytesPerSec: number;
  /** pg_rewind: fixed part (connect, read control files, fsync the data directory). */
  rewindBaseMs: number;
  /** pg_rewind copy speed for changed blocks and WAL. */
  rewindBytesPerSec: number;
  /** WAL bytes of a commit when the client does not say (a small INSERT + COMMIT record). */
  defaultWriteBytes: number;
  /** WAL sender bandwidth cap per standby (bytes/s); Infinity: only the link limits it. */
  walSenderBytesPerSec: number;
  /** Data checksums enabled at initdb (then pg_rewind works without wal_log_hints). */
  dataChecksums: boolean;
}

export const DEFAULT_TIMINGS: Readonly<PgTimings> = {
  startMs: 400,
  recoveryBaseMs: 500,
  replayBytesPerSec: 64 * 1024 * 1024,
  shutdownCheckpointBaseMs: 100,
  checkpointBytesPerSec: 200 * 1024 * 1024,
  promoteMs: 100,
  checkpointAfterPromoteMs: 30_000,
  immediateCheckpointMs: 200,
  initdbMs: 3_000,
  initdbDataBytes: 40 * 1024 * 1024,
  basebackupCheckpointMs: 2_000,
  basebackupBytesPerSec: 100 * 1024 * 1024,
  rewindBaseMs: 1_000,
  rewindBytesPerSec: 100 * 1024 * 1024,
  defaultWriteBytes: 200,
  walSenderBytesPerSec: Number.POSITIVE_INFINITY,
  dataChecksums: false,
};

/** WAL record sizes that move LSNs (xlog.c / xlogrecord.h, rounded). */
export const RECORD_BYTES = {
  checkpoint: 114,
  endOfRecovery: 40,
  /** initdb leaves the WAL here (the bootstrap checkpoint of a fresh cluster). */
  initdbEndLsn: 0x0150_0000,
} as const;
