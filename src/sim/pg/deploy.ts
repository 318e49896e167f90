// Building PostgreSQL nodes into a world: one server per host (host name = node name).
import type { World } from '../world.js';
import { registerPgFaults } from './faults.js';
import { PgServerImpl, pgServers, type PgNodeOptions } from './server.js';

export interface PgDeploySpec {
  /** Host names (already added to the world); each becomes a node of that name. */
  nodes: string[];
  /** Options for every node, overridden per node. */
  defaults?: PgNodeOptions;
  perNode?: Record<string, PgNodeOptions>;
}

/** Create the servers (data directories empty, nothing running) and register PostgreSQL faults. */
export function deployPg(world: World, spec: PgDeploySpec): PgServerImpl[] {
  if (!world.nemesis.knows('replay-pause')) registerPgFaults(world);
  return spec.nodes.map((name) => {
    const d = spec.defaults ?? {};
    const n = spec.perNode?.[name] ?? {};
    const opts: PgNodeOptions = {
      timings: { ...(d.timings ?? {}), ...(n.timings ?? {}) },
      extra: { ...(d.extra ?? {}), ...(n.extra ?? {}) },
      settings: { ...(d.settings ?? {}), ...(n.settings ?? {}) },
    };
    return new PgServerImpl(world.net.host(name), opts);
  });
}

export { pgServers };
