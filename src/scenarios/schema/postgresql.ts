// The `postgresql` section: the PostgreSQL model's knobs (not Patroni's: those are under
// `patroni.postgresql`). Where a knob is a PostgreSQL setting it keeps PostgreSQL's name.
import { z } from 'zod';
import { bandwidth, int, oneOf, size } from './common.js';
import { DiskSchema } from './topology.js';

export const SYNCHRONOUS_COMMIT = ['off', 'local', 'remote_write', 'on', 'remote_apply'] as const;

export const PostgresqlSchema = z.strictObject({
  /** Major version (12-18). Default 16. Recorded with the run; the model does not vary by version yet. */
  version: int(12, 18).optional(),
  /** Size of the data directory after initdb (it grows with the writes): how long pg_basebackup and re-clones take. Default 40MB. */
  dataSize: size().optional(),
  /** PostgreSQL's synchronous_commit. Default on. */
  synchronous_commit: z
    .preprocess((v) => (v === true ? 'on' : v === false ? 'off' : v), oneOf(SYNCHRONOUS_COMMIT, 'synchronous_commit value'))
    .optional(),
  /** Disk of the database hosts (unless a host says otherwise). Default fsync 500us. */
  disk: DiskSchema.optional(),
  /** WAL a standby (or crash recovery) replays per second. Default 64MB/s. */
  replaySpeed: bandwidth().optional(),
  /** Most WAL one replication stream ships per second (besides the link's bandwidth). Default: no limit. */
  walBandwidth: bandwidth().optional(),
});

export type PostgresqlInput = z.output<typeof PostgresqlSchema>;
