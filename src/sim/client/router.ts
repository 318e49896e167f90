// How a client reaches "the primary": a router hands out sessions. Three real deployments
// (HAProxy health-checking Patroni's REST API, libpq multi-host strings, a VIP that follows the
// leader key) plus a direct connection to one node for tests and single-node setups.
import type { Task } from '../kernel/task.js';
import type { Process } from '../host/process.js';
import type { Sim } from '../kernel/sim.js';
import { pgServers } from '../pg/server.js';
import { ConnectionLost, PgClientSession } from './session.js';

export interface Router {
  /** Name used in `router.target` records. */
  readonly name: string;
  /** A new session to wherever the router sends clients now. Throws ConnectionLost if none. */
  connect(proc: Process): Task<PgClientSession>;
}

/** Emit `router.target` when a router's idea of the primary changes. */
export class TargetTracker {
  private current: string | null | undefined = undefined;
  constructor(
    private readonly sim: Sim,
    readonly router: string,
  ) {}

  set(target: string | null, reason: string): void {
    if (target === this.current) return;
    this.current = target;
    this.sim.trace.emit('router.target', { router: this.router, target, reason });
  }

  get value(): string | null {
    return this.current ?? null;
  }
}

/** The postmaster process of node `name` (the PostgreSQL port on that host). */
export function postgresOf(sim: Sim, name: string): Process {
  const s = pgServers(sim).get(name);
  if (s === undefined) throw new Error(`no PostgreSQL node named "${name}"`);
  return s.postmaster;
}

/** Always the same node. */
export class DirectRouter implements Router {
  readonly name: string;
  constructor(
    readonly node: string,
    readonly connectTimeoutUs: number | null = 10_000_000,
  ) {
    this.name = `direct:${node}`;
  }

  *connect(proc: Process): Task<PgClientSession> {
    const target = postgresOf(proc.sim, this.node);
    return yield* PgClientSession.open(proc, target, { connectTimeoutUs: this.connectTimeoutUs });
  }
}

export { ConnectionLost };
