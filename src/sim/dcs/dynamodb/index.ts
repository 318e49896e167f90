// Deployment of the DynamoDB store (kind "dynamodb"): endpoint processes on the member hosts (put
// them in one region domain; clients outside it pay the cross-region latency, and a cut region
// cannot reach the service at all) sharing one logical table.
//
// Options: requestTimeoutMs (the SDK's per-request timeout; default max(1 s, retry_timeout / 3)).
// Fault: `dynamodb-outage` { store?, mode?: 'errors' | 'hang' } — a regional service event.
import type { Process } from '../../host/process.js';
import type { World } from '../../world.js';
import type { AbstractDCS, DcsTiming } from '../abstract.js';
import type { DcsBackendDefinition, DcsClientOptions, DcsDeployment, DcsDeploySpec } from '../backend.js';
import { DcsConfigurationError, numberOption, rejectUnknownOptions } from '../memory/errors.js';
import { basePath, KEY } from '../memory/keys.js';
import { pickTarget, registerOnce, storeTargets } from '../memory/storeTargets.js';
import { DynamoDCS } from './client.js';
import { DynamoEndpoint, DynamoTable, type OutageMode } from './service.js';

const KIND = 'dynamodb' as const;

declare module '../../faults/nemesis.js' {
  interface FaultActionMap {
    /** A regional DynamoDB outage: every endpoint answers HTTP 500 ('errors', default) or nothing ('hang'). */
    'dynamodb-outage': { store?: string; mode?: OutageMode };
  }
}

class DynamoDeployment implements DcsDeployment {
  readonly kind = KIND;
  readonly servers: readonly Process[];
  private readonly endpoints: DynamoEndpoint[];
  readonly table: DynamoTable;
  private readonly requestTimeoutMs: number | undefined;

  constructor(
    private readonly world: World,
    private readonly spec: DcsDeploySpec,
  ) {
    rejectUnknownOptions(KIND, spec.options, ['requestTimeoutMs']);
    if (spec.members.length < 1) throw new DcsConfigurationError(KIND, 'needs at least one endpoint host');
    this.requestTimeoutMs = spec.options.requestTimeoutMs === undefined ? undefined : numberOption(KIND, spec.options, 'requestTimeoutMs', 0);
    this.table = new DynamoTable(spec.store);
    this.endpoints = spec.members.map((m) => new DynamoEndpoint(world.net.host(m.host), this.table, m.name));
    this.servers = this.endpoints;
    for (const p of this.endpoints) p.host.onBoot(() => p.start('started at boot'));
    const targets = storeTargets<DynamoDeployment>(world, KIND);
    targets.set(spec.store, this);
    registerOnce(world.nemesis, 'dynamodb-outage', () =>
      world.nemesis.register('dynamodb-outage', {
        apply: (a) => pickTarget(targets, KIND, a.store).outage(a.mode ?? 'errors'),
        describe: (a) => `DynamoDB regional outage${a.store ? ` (${a.store})` : ''}: ${a.mode === 'hang' ? 'requests hang' : 'HTTP 500'}`,
      }),
    );
  }

  get store(): string {
    return this.spec.store;
  }

  start(): void {
    for (const p of this.endpoints) p.start('service available');
    this.world.sim.trace.emit('dcs.quorum', { store: this.spec.store, ok: true, leader: null });
  }

  client(proc: Process, memberName: string, timing: DcsTiming, opts?: DcsClientOptions): AbstractDCS {
    let eps: DynamoEndpoint[] = this.endpoints;
    if (opts?.endpoints) {
      eps = opts.endpoints.map((h) => {
        const e = this.endpoints.find((x) => x.host.name === h || x.member === h);
        if (!e) throw new DcsConfigurationError(KIND, `endpoint ${h} is not an endpoint of store ${this.spec.store}`);
        return e;
      });
    }
    return new DynamoDCS(proc, memberName, timing, this.spec.store, this.spec.scope, this.spec.namespace, eps, this.requestTimeoutMs);
  }

  /** The last writer of the leader item, while its own clock lets it believe it holds the lock. */
  leaderHolder(scope: string): string | null {
    const t = this.table.leaderTruth.get(basePath(this.spec.namespace, scope) + KEY.leader);
    return t && this.world.sim.nowUs < t.untilTrueUs ? t.holder : null;
  }

  outage(mode: OutageMode): () => void {
    this.table.outage = mode;
    this.world.sim.trace.emit('dcs.quorum', { store: this.spec.store, ok: false, leader: null });
    return () => {
      this.table.outage = null;
      this.world.sim.trace.emit('dcs.quorum', { store: this.spec.store, ok: true, leader: null });
    };
  }
}

export const dynamoDbBackend: DcsBackendDefinition = {
  kind: KIND,
  summary: "a managed regional service: conditional writes and strongly consistent reads, but lease expiry judged by the clients' clocks; unreachable from a cut-off region",
  defaultMembers: 3,
  deploy(world: World, spec: DcsDeploySpec): DcsDeployment {
    return new DynamoDeployment(world, spec);
  },
};
