// What Patroni keeps on the node's disk rather than in memory, so it survives a Patroni restart
// (kill -9, reboot): standby.signal and primary_conninfo as Patroni last wrote them, the
// parameters it writes into postgresql.conf, and patroni.dynamic.json (its cache of /config).
import type { PgUpstream } from '../pg/api.js';
import type { DynamicConfig } from './config.js';

export class PatroniFiles {
  /** `$PGDATA/standby.signal` exists (Patroni wrote a recovery configuration). */
  standbySignal = false;
  /** primary_conninfo (+ slot) in postgresql.conf; null: none. */
  upstream: PgUpstream | null = null;
  /** Parameters Patroni wrote into postgresql.conf (synchronous_standby_names, ...). */
  readonly serverParameters: Record<string, string> = {};
  /** `patroni.dynamic.json` in the data directory. */
  dynamicCache: DynamicConfig | null = null;
  /**
   * `$PGDATA/backup_label`: the data directory was restored from a base backup and PostgreSQL has
   * not started on it since (it removes the file when backup recovery ends). The server model does
   * not expose the file, so it is tracked here: set by a clone, cleared by a successful start.
   */
  backupLabel = false;

  /** The data directory was removed (reinit, rewind failure): the files inside it are gone. */
  dataDirectoryRemoved(): void {
    this.standbySignal = false;
    this.upstream = null;
    this.dynamicCache = null;
    this.backupLabel = false;
  }
}
