// Connections Patroni opens to *another* node's PostgreSQL: the rewind checks against the leader
// (`pg_is_in_recovery()`, IDENTIFY_SYSTEM, TIMELINE_HISTORY, CHECKPOINT). Simplification (see
// docs/fidelity.md): each is one request/response whose cost is a round trip on the simulated
// network, failing like a connection would — after the connect timeout when the path is cut or the
// host is down, at once when the server is not accepting connections. The answer reads the remote
// server's state at the moment the request arrives.
import type { Process } from '../host/process.js';
import type { Task } from '../kernel/task.js';
import { sToUs } from '../kernel/time.js';
import { PgConnectionError, type PgServer } from '../pg/api.js';

/** libpq connect_timeout Patroni uses for these checks (seconds). */
export const REMOTE_PG_CONNECT_TIMEOUT_S = 3;

export type PgServerLookup = (host: string) => PgServer | null;

export class RemotePg {
  constructor(
    private readonly proc: Process,
    private readonly lookup: PgServerLookup,
  ) {}

  /** Run `fn` against the server on `host` as one round trip; throws PgConnectionError when it cannot. */
  *query<T>(host: string, fn: (srv: PgServer) => Task<T>): Task<T> {
    const net = this.proc.net;
    const srv = this.lookup(host);
    const me = this.proc.host;
    const there = net.hasHost(host) ? net.host(host) : null;
    if (srv === null || there === null || !there.powered || !net.connected(me, there)) {
      yield* this.proc.sleep(sToUs(REMOTE_PG_CONNECT_TIMEOUT_S));
      throw new PgConnectionError(`could not connect to server on ${host}: timeout expired`);
    }
    const rttUs = net.baseRttUs(me, there);
    yield* this.proc.sleep(rttUs);
    if (!srv.isReady()) throw new PgConnectionError(`connection to server on ${host} failed: the database system is not accepting connections`);
    const r = yield* fn(srv);
    yield* this.proc.sleep(rttUs / 2);
    return r;
  }
}
