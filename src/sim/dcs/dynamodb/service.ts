// DynamoDB as a black box: a managed regional service reached through a set of endpoint hosts in
// one region. Inside the region it is durable and strongly consistent for what we use (strongly
// consistent reads, conditional writes), so the endpoints share one logical table. Its internal
// replication (Paxos-replicated partitions across availability zones) is NOT modelled: a client
// that reaches any endpoint gets a linearizable answer after a service latency; a client that
// reaches none (a region cut off from it, or an outage) gets nothing.
import { Process } from '../../host/process.js';
import type { Host } from '../../host/host.js';
import type { Task } from '../../kernel/task.js';
import { trueTimeAtWall } from '../memory/clocks.js';
import { StoreUnavailable } from '../memory/errors.js';
import { conditionHolds, type PutCondition } from '../memory/kvDcs.js';
import { DdbDelete, DdbLease, DdbPut, DdbQuery, DdbRelease, type DdbItem } from './protocol.js';

/** Median service latencies (µs) of a strongly consistent read and a conditional write in-region. */
const READ_MEDIAN_US = 3_000;
const WRITE_MEDIAN_US = 6_000;

export type OutageMode = 'errors' | 'hang';

/** The service's one logical table, shared by every endpoint. */
export class DynamoTable {
  readonly items = new Map<string, DdbItem>();
  private rev = 0;
  /** Service-wide outage (a regional event): endpoints answer 5xx or not at all. */
  outage: OutageMode | null = null;
  /** Ground truth for `leaderHolder`: the last holder written and the true time its own clock lets it believe. */
  readonly leaderTruth = new Map<string, { holder: string; untilTrueUs: number }>();

  constructor(readonly store: string) {}

  query(prefix: string): [string, DdbItem][] {
    const out: [string, DdbItem][] = [];
    for (const [k, v] of this.items) if (k.startsWith(prefix)) out.push([k, { ...v }]);
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  put(key: string, value: string, cond: PutCondition, expiresAtWallUs: number | null): number | false {
    if (!conditionHolds(cond, this.items.get(key))) return false;
    const item: DdbItem = { value, version: ++this.rev, expiresAtWallUs };
    this.items.set(key, item);
    return item.version;
  }

  delete(key: string, cond: PutCondition): boolean {
    const cur = this.items.get(key);
    if (!cur || !conditionHolds(cond, cur)) return false;
    this.items.delete(key);
    return true;
  }

  /**
   * The leader conditional writes, evaluated atomically. Records are written from the writer's
   * point of view (`server` = the writer): the writer believes it holds the lock until its own
   * clock reads `expires_at`. (The judgement "that lease has expired" is recorded by the reader
   * that made it, see `DynamoDCS.loadEntries`.)
   */
  lease(req: { key: string; holder: string; nowWallUs: number; expiresAtWallUs: number; mode: 'acquire' | 'renew' | 'take' }, writer: Process): boolean {
    const cur = this.items.get(req.key);
    let reason: 'acquired' | 'updated' | 'taken';
    if (req.mode === 'take') reason = 'taken';
    else if (req.mode === 'renew') {
      // "holder = :me OR attribute_not_exists(holder)"
      if (cur && cur.value !== req.holder) return false;
      reason = cur ? 'updated' : 'acquired';
    } else {
      // "attribute_not_exists(holder) OR expires_at < :now"
      if (cur && !(cur.expiresAtWallUs !== null && cur.expiresAtWallUs < req.nowWallUs)) return false;
      reason = 'acquired';
    }
    const sim = writer.sim;
    this.items.set(req.key, { value: req.holder, version: ++this.rev, expiresAtWallUs: req.expiresAtWallUs });
    const untilTrueUs = trueTimeAtWall(writer.host, sim.nowUs, req.expiresAtWallUs);
    this.leaderTruth.set(req.key, { holder: req.holder, untilTrueUs });
    sim.trace.emit('dcs.leader', { store: this.store, server: req.holder, holder: req.holder, reason, expiresAtUs: untilTrueUs });
    return true;
  }

  release(key: string, holder: string, writer: Process): boolean {
    const cur = this.items.get(key);
    if (!cur || cur.value !== holder) return false;
    this.items.delete(key);
    this.leaderTruth.delete(key);
    writer.sim.trace.emit('dcs.leader', { store: this.store, server: holder, holder, reason: 'deleted' });
    return true;
  }
}

/** One endpoint of the regional service (what the regional DNS name resolves to). */
export class DynamoEndpoint extends Process {
  private readonly rng;

  constructor(
    host: Host,
    private readonly table: DynamoTable,
    readonly member: string,
  ) {
    super(host, 'dynamodb');
    this.rng = host.sim.rng(`dynamodb:${member}:latency`);
  }

  protected onStart(): void {
    const net = this.net;
    net.listen(this, DdbQuery, (r) => this.serve(READ_MEDIAN_US, () => ({ items: this.table.query(r.prefix) })));
    net.listen(this, DdbPut, (r) => this.serve(WRITE_MEDIAN_US, () => ({ version: this.table.put(r.key, r.value, r.cond, r.expiresAtWallUs) })));
    net.listen(this, DdbDelete, (r) => this.serve(WRITE_MEDIAN_US, () => ({ ok: this.table.delete(r.key, r.cond) })));
    net.listen(this, DdbLease, (r, from) => this.serve(WRITE_MEDIAN_US, () => ({ ok: this.table.lease(r, from) })));
    net.listen(this, DdbRelease, (r, from) => this.serve(WRITE_MEDIAN_US, () => ({ ok: this.table.release(r.key, r.holder, from) })));
  }

  /** Service latency (log-normal around the median), then the operation, atomically. */
  private *serve<T>(medianUs: number, op: () => T): Task<T> {
    yield* this.sleep(this.rng.logNormal(medianUs, 0.3));
    const outage = this.table.outage;
    if (outage === 'hang') {
      // requests are accepted and never answered: the client's timeout decides
      for (;;) yield* this.sleep(3_600_000_000);
    }
    if (outage === 'errors') throw new StoreUnavailable(`${this.member}: InternalServerError (HTTP 500)`);
    return op();
  }
}
