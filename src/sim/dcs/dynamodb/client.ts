// The Patroni-side DynamoDB client: the SDK over HTTPS to the regional endpoint (its DNS name
// resolves to several endpoint hosts; a failed request is retried on the next one), Patroni's retry
// around each operation, strongly consistent Query for the cluster, conditional writes for the rest.
// Expiry of the leader and member items is judged here, by this host's wall clock.
import type { Process } from '../../host/process.js';
import type { Task } from '../../kernel/task.js';
import type { Service } from '../../net/network.js';
import type { DcsTiming } from '../abstract.js';
import type { KeyVersion } from '../cluster.js';
import { basePath, KEY, type KvEntry } from '../memory/keys.js';
import { FlatKvDCS, type PutCondition } from '../memory/kvDcs.js';
import { withRetry } from '../memory/retry.js';
import { DdbDelete, DdbLease, DdbPut, DdbQuery, DdbRelease } from './protocol.js';
import type { DynamoEndpoint } from './service.js';

export class DynamoDCS extends FlatKvDCS {
  private readonly base: string;
  /** Index of the endpoint the SDK's connection pool is using (moves on after a failure). */
  private current: number;
  /** The leader item version this reader last judged expired (records it once, not every read). */
  private judgedExpired: KeyVersion | null = null;

  constructor(
    proc: Process,
    name: string,
    timing: DcsTiming,
    store: string,
    scope: string,
    namespace: string,
    private readonly endpoints: readonly DynamoEndpoint[],
    requestTimeoutMs: number | undefined,
  ) {
    super(proc, name, timing, store, requestTimeoutMs);
    this.base = basePath(namespace, scope);
    // DNS round robin: where this client starts is a draw of its own
    this.current = proc.sim.rng(`dcs:${store}:${name}:dns`).int(0, endpoints.length - 1);
  }

  private *request<Req, Resp>(what: string, svc: Service<Req, Resp>, req: Req): Task<Resp> {
    return yield* withRetry(this.proc, this.rng, `${this.store} ${what}`, this.retrySpec(), (timeoutUs) => this.attempt(svc, req, timeoutUs));
  }

  private *attempt<Req, Resp>(svc: Service<Req, Resp>, req: Req, timeoutUs: number): Task<Resp> {
    const ep = this.endpoints[this.current % this.endpoints.length] as DynamoEndpoint;
    try {
      return yield* this.proc.net.call(this.proc, ep, svc, req, { timeoutUs });
    } catch (e) {
      this.current = (this.current + 1) % this.endpoints.length;
      throw e;
    }
  }

  protected *loadEntries(): Task<Map<string, KvEntry>> {
    const r = yield* this.request('Query', DdbQuery, { prefix: this.base });
    // judged now, by this reader's clock: an item whose expires_at has passed is gone
    const nowWallUs = this.proc.wallUs();
    const out = new Map<string, KvEntry>();
    for (const [k, item] of r.items) {
      const rel = k.slice(this.base.length);
      if (item.expiresAtWallUs !== null && item.expiresAtWallUs <= nowWallUs) {
        if (rel === KEY.leader && this.judgedExpired !== item.version) {
          this.judgedExpired = item.version;
          this.proc.sim.trace.emit('dcs.leader', { store: this.store, server: this.name, holder: item.value, reason: 'expired' });
        }
        continue;
      }
      out.set(rel, { value: item.value, version: item.version });
    }
    return out;
  }

  protected *putKey(key: string, value: string, cond: PutCondition, ttlMs?: number): Task<KeyVersion | false> {
    const expiresAtWallUs = ttlMs === undefined ? null : this.proc.wallUs() + ttlMs * 1000;
    return (yield* this.request('PutItem', DdbPut, { key: this.base + key, value, cond, expiresAtWallUs })).version;
  }

  protected *deleteKey(key: string, cond: PutCondition): Task<boolean> {
    return (yield* this.request('DeleteItem', DdbDelete, { key: this.base + key, cond })).ok;
  }

  private *lease(mode: 'acquire' | 'renew' | 'take'): Task<boolean> {
    // :now and expires_at come from this host's clock when the request is built
    const nowWallUs = this.proc.wallUs();
    const req = { key: this.base + KEY.leader, holder: this.name, nowWallUs, expiresAtWallUs: nowWallUs + this.ttlMs * 1000, mode };
    return (yield* this.request(mode === 'renew' ? 'UpdateItem' : 'PutItem', DdbLease, req)).ok;
  }

  protected lockAcquire(): Task<boolean> {
    return this.lease('acquire');
  }

  protected lockRenew(): Task<boolean> {
    return this.lease('renew');
  }

  protected *lockRelease(): Task<boolean> {
    return (yield* this.request('DeleteItem', DdbRelease, { key: this.base + KEY.leader, holder: this.name })).ok;
  }

  protected lockForce(): Task<boolean> {
    return this.lease('take');
  }
}
