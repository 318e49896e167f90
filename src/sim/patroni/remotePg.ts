// Connections Patroni opens to *another* node's PostgreSQL for the rewind logic (`pg_is_in_recovery()`,
// IDENTIFY_SYSTEM, TIMELINE_HISTORY, CHECKPOINT against the leader), over the PostgreSQL room's
// `PgAdmin` service with libpq's connect_timeout as Patroni sets it
// (`patroni/postgresql/connection.py DEFAULT_CONNECT_TIMEOUT = 3`).
import type { Process } from '../host/process.js';
import type { Task } from '../kernel/task.js';
import { sToUs } from '../kernel/time.js';
import { NetError, RemoteError } from '../net/network.js';
import { PgConnectionError } from '../pg/api.js';
import { PgAdmin, type AdminRequest, type AdminResponse } from '../pg/sql.js';

/** `patroni/postgresql/connection.py DEFAULT_CONNECT_TIMEOUT` (seconds). */
export const REMOTE_PG_CONNECT_TIMEOUT_S = 3;

/** The postmaster process of the PostgreSQL node on `host`, or null. */
export type PgServerLookup = (host: string) => Process | null;

export class RemotePg {
  constructor(
    private readonly proc: Process,
    private readonly lookup: PgServerLookup,
  ) {}

  /** One administrative request to the server on `host`; PgConnectionError when it fails. */
  *admin<K extends AdminRequest['kind']>(host: string, req: Extract<AdminRequest, { kind: K }>): Task<Extract<AdminResponse, { kind: K }>> {
    const target = this.lookup(host);
    if (target === null) {
      yield* this.proc.sleep(sToUs(REMOTE_PG_CONNECT_TIMEOUT_S));
      throw new PgConnectionError(`could not connect to server on ${host}: timeout expired`);
    }
    try {
      const r = yield* this.proc.net.call(this.proc, target, PgAdmin, req, { timeoutUs: sToUs(REMOTE_PG_CONNECT_TIMEOUT_S) });
      return r as Extract<AdminResponse, { kind: K }>;
    } catch (e) {
      if (e instanceof NetError || e instanceof RemoteError) throw new PgConnectionError(`${req.kind} on ${host}: ${e.message}`);
      throw e;
    }
  }
}
