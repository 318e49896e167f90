// Deployment of the memory store: no servers; each Patroni node's client library holds the keys in
// its own process. One node is fine; more are refused, unless `allowSplit: true`.
import type { Process } from '../../host/process.js';
import type { World } from '../../world.js';
import type { AbstractDCS, DcsTiming } from '../abstract.js';
import type { DcsBackendDefinition, DcsDeployment, DcsDeploySpec } from '../backend.js';
import { booleanOption, DcsConfigurationError, rejectUnknownOptions } from './errors.js';
import { MemoryDCS, MemoryKv } from './memory.js';

export { DcsConfigurationError } from './errors.js';

const KIND = 'memory' as const;

/**
 * Refuse a cluster of more than one Patroni node on the memory store (unless `allowSplit`). The
 * scenario layer may call this while validating, before anything runs; deployments call it too.
 */
export function checkMemoryCluster(nodeNames: readonly string[], options: Record<string, unknown>): void {
  const allowSplit = booleanOption(KIND, options, 'allowSplit', false);
  if (nodeNames.length <= 1 || allowSplit) return;
  throw new DcsConfigurationError(
    KIND,
    `refusing a cluster of ${nodeNames.length} Patroni nodes (${nodeNames.join(', ')}): the memory store lives in one ` +
      `process's memory, so every node would have its own store, see no leader and take the lock itself (split-brain). ` +
      `Use a shared DCS, or set the option allowSplit: true to run it anyway and watch the split.`,
  );
}

class MemoryDeployment implements DcsDeployment {
  readonly kind = KIND;
  readonly servers: readonly Process[] = [];
  private readonly stores = new Map<string, MemoryKv>();
  private readonly allowSplit: boolean;

  constructor(
    private readonly spec: DcsDeploySpec,
  ) {
    rejectUnknownOptions(KIND, spec.options, ['allowSplit']);
    this.allowSplit = booleanOption(KIND, spec.options, 'allowSplit', false);
    if (spec.members.length > 0) {
      throw new DcsConfigurationError(KIND, `the memory store has no server members (got ${spec.members.map((m) => m.name).join(', ')})`);
    }
  }

  get store(): string {
    return this.spec.store;
  }

  start(): void {}

  client(proc: Process, memberName: string, timing: DcsTiming): AbstractDCS {
    let kv = this.stores.get(memberName);
    if (!kv || kv.owner !== proc) {
      const names = [...new Set([...this.stores.keys(), memberName])].sort();
      checkMemoryCluster(names, { allowSplit: this.allowSplit });
      kv = new MemoryKv(proc, memberName, this.spec.store);
      this.stores.set(memberName, kv);
    }
    return new MemoryDCS(proc, memberName, timing, this.spec.store, kv);
  }

  /** The single store's holder; with allowSplit, the first node's (by name) that holds it. */
  leaderHolder(_scope: string): string | null {
    for (const name of [...this.stores.keys()].sort()) {
      const h = (this.stores.get(name) as MemoryKv).holder();
      if (h !== null) return h;
    }
    return null;
  }
}

export const memoryBackend: DcsBackendDefinition = {
  kind: KIND,
  summary: "one process's memory: valid for a single node only; a multi-node cluster is refused (or, with allowSplit, splits)",
  defaultMembers: 0,
  deploy(_world: World, spec: DcsDeploySpec): DcsDeployment {
    return new MemoryDeployment(spec);
  },
};
