// The `postgresql` section: the PostgreSQL model's knobs (not Patroni's: those are under
// `patroni.postgresql`). Where a knob is a PostgreSQL setting it keeps PostgreSQL's name.
import { z } from 'zod';
import { bandwidth, int, oneOf, size } from './common.js';
import { DiskSchema } from './topology.js';

export const SYNCHRONOUS_COMMIT = ['off', 'local', 'remote_write', 'on', 'remote_apply'] as const;

export const PostgresqlSchema = z.strictObject({
  /** Major version (12-18): decides what reloads without a restart and which tools exist. Default 16. */
  version: int(12, 18).optional(),
  /** Size of the data directory: how long pg_basebackup and re-clones take. Default 1GB. */
  dataSize: size().optional(),
  /** PostgreSQL's synchronous_commit. Default on. */
  synchronous_commit: z
    .preprocess((v) => (v === true ? 'on' : v === false ? 'off' : v), oneOf(SYNCHRONOUS_COMMIT, 'synchronous_commit value'))
    .optional(),
  /** Disk of the database hosts (unless a host says otherwise). Default fsync 500us. */
  disk: DiskSchema.optional(),
  /** WAL a standby replays per second. Default 100MB/s. */
  replaySpeed: bandwidth().optional(),
  /** Most WAL one replication stream ships per second (besides the link's bandwidth). Default: no limit. */
  walBandwidth: bandwidth().optional(),
});

export type PostgresqlInput = z.output<typeof PostgresqlSchema>;
