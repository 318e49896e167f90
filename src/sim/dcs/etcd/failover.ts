// Patroni's etcd HTTP client with failover across endpoints: a port of
// `patroni/dcs/etcd.py AbstractEtcdClientWithFailover` (api_execute, _do_http_request,
// _calculate_timeouts, StaleEtcdNodeGuard). Shared by the v3 and v2 clients.
//  - Requests go to the current base member first, then the others in order. The per-node timeout
//    splits `retry_timeout` across the nodes (at least 1 s each; with 1 node up to 2 retries).
//  - Without a Retry object a failed request switches the base member and raises at once
//    (callers turn that into False); with one, every node is tried, then the loop sleeps and
//    tries again with the time left until the deadline, then raises EtcdConnectionFailed
//    (callers turn that into DCSError).
//  - A member answering with a raft term lower than one already seen is treated as failed
//    (StaleEtcdNode), as is gRPC Unavailable ("request timed out", "not primary").
import type { Process } from '../../host/process.js';
import type { Rng } from '../../kernel/rng.js';
import type { Task } from '../../kernel/task.js';
import { NetError, RemoteError } from '../../net/network.js';
import type { Retry } from '../raft/retry.js';
import { GRPC } from './server.js';

export class EtcdException extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EtcdException';
  }
}

export class EtcdConnectionFailed extends EtcdException {
  constructor(message = 'No more machines in the cluster') {
    super(message);
    this.name = 'EtcdConnectionFailed';
  }
}

/** An error answered by the server (`Etcd3ClientError` / python-etcd's EtcdError subclasses). */
export class EtcdServerError extends EtcdException {
  constructor(
    readonly code: number,
    readonly error: string,
    readonly status: number,
  ) {
    super(error);
    this.name = 'EtcdServerError';
  }
}

class StaleEtcdNode extends Error {}

export interface Endpoint {
  name: string;
  proc: Process;
}

/** One HTTP request to one member, with a total timeout; returns the raft term it reported (or null). */
export type RequestExecutor<R> = (ep: Endpoint, timeoutUs: number) => Task<{ value: R; raftTerm: number | null }>;

export class EtcdFailoverClient {
  private base: number;
  private order: Endpoint[];
  private raftTermSeen = 0;
  /** Seconds: `read_timeout` = retry_timeout. */
  readTimeoutS: number;
  /** Called when the base member changes (Etcd3 restarts its watcher then). */
  onBaseChange: (() => void) | null = null;

  constructor(
    readonly proc: Process,
    endpoints: readonly Endpoint[],
    rng: Rng,
    readTimeoutS: number,
  ) {
    // _get_machines_list: the member list from the cluster, shuffled
    const shuffled = [...endpoints];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      const t = shuffled[i] as Endpoint;
      shuffled[i] = shuffled[j] as Endpoint;
      shuffled[j] = t;
    }
    this.order = shuffled;
    this.base = 0;
    this.readTimeoutS = readTimeoutS;
  }

  get baseEndpoint(): Endpoint {
    return this.order[this.base] as Endpoint;
  }

  /** `machines_cache`: the base first, then the others. */
  get machines(): Endpoint[] {
    const b = this.baseEndpoint;
    return [b, ...this.order.filter((e) => e !== b)];
  }

  setBase(ep: Endpoint): void {
    const i = this.order.indexOf(ep);
    if (i < 0) return;
    if (i !== this.base) {
      this.base = i;
      this.onBaseChange?.();
    }
  }

  /** StaleEtcdNodeGuard for the client's own requests. */
  checkRaftTerm(term: number | null): void {
    if (term === null || term === 0) return;
    if (term < this.raftTermSeen) throw new StaleEtcdNode(`term ${term} < ${this.raftTermSeen}`);
    this.raftTermSeen = term;
  }

  /** Whether `term` (e.g. of the watch cache) is older than what the client has seen. */
  isStaleTerm(term: number): boolean {
    return term !== 0 && term < this.raftTermSeen;
  }

  /** `_calculate_timeouts(etcd_nodes, timeout)` → [nodes, per-node timeout s, per-node retries]. */
  calculateTimeouts(etcdNodes: number, timeoutS?: number): [number, number, number] {
    const timeout = timeoutS ?? this.readTimeoutS;
    let perNodeTimeout = timeout;
    let maxRetries = 4 - Math.min(etcdNodes, 3);
    let perNodeRetries = 1;
    const minTimeout = 1.0;
    let nodes = etcdNodes;
    while (nodes > 0) {
      perNodeTimeout = timeout / nodes;
      if (perNodeTimeout >= minTimeout) {
        while (perNodeRetries < maxRetries && perNodeTimeout / (perNodeRetries + 1) >= minTimeout) perNodeRetries++;
        perNodeTimeout /= perNodeRetries;
        break;
      }
      nodes--;
      maxRetries = 1;
    }
    return [nodes, perNodeTimeout, perNodeRetries - 1];
  }

  /** `api_execute`: run `exec` with failover; `retry` null: one attempt then switch and raise. */
  *execute<R>(exec: RequestExecutor<R>, retry: Retry | null, fixedTimeoutS?: number): Task<R> {
    let machines = this.machines;
    let [, timeoutS, retries] = this.calculateTimeouts(machines.length);
    if (fixedTimeoutS !== undefined) {
      timeoutS = fixedTimeoutS;
      retries = 0;
    }
    for (;;) {
      try {
        return yield* this.doRequest(exec, retry, machines, timeoutS, retries);
      } catch (e) {
        if (!(e instanceof EtcdConnectionFailed) || retry === null) throw e;
        const sleepS = retry.sleeptimeS;
        const remainingS = (retry.stoptimeUs - this.proc.wallUs()) / 1e6 - sleepS;
        const [nodes, t, r] = this.calculateTimeouts(this.order.length, remainingS);
        if (nodes === 0) throw e;
        yield* this.proc.sleep(sleepS * 1e6);
        retry.updateDelay();
        timeoutS = t;
        retries = r;
        machines = machines.slice(0, nodes);
      }
    }
  }

  private *doRequest<R>(exec: RequestExecutor<R>, retry: Retry | null, machines: Endpoint[], timeoutS: number, retries: number): Task<R> {
    let someFailed = false;
    for (let i = 0; i < machines.length; i++) {
      const ep = machines[i] as Endpoint;
      try {
        let r: { value: R; raftTerm: number | null } | null = null;
        for (let attempt = 0; ; attempt++) {
          try {
            r = yield* exec(ep, timeoutS * 1e6);
            break;
          } catch (e) {
            // urllib3 retries: only connection-level failures are retried on the same node
            if (attempt < retries && e instanceof NetError) continue;
            throw e;
          }
        }
        this.checkRaftTerm(r.raftTerm);
        if (someFailed) this.setBase(ep);
        return r.value;
      } catch (e) {
        const failover =
          e instanceof NetError ||
          e instanceof StaleEtcdNode ||
          (e instanceof RemoteError && (e.body as { code?: number } | undefined)?.code === GRPC.Unavailable) ||
          (e instanceof RemoteError && e.status === 503);
        if (!failover) {
          if (e instanceof RemoteError) {
            // v3 answers {code, error}; v2 answers {errorCode, message}
            const b = (e.body ?? {}) as { code?: number; error?: string; errorCode?: number; message?: string };
            throw new EtcdServerError(b.code ?? b.errorCode ?? GRPC.Unknown, b.error ?? b.message ?? e.message, e.status);
          }
          throw e;
        }
        if (retry === null) {
          if (machines.length === 1) this.onBaseChange?.();
          else if (i + 1 < machines.length) this.setBase(machines[i + 1] as Endpoint);
          throw new EtcdException(`request to ${ep.name} failed: ${e instanceof Error ? e.message : String(e)}`);
        }
        someFailed = true;
      }
    }
    throw new EtcdConnectionFailed();
  }
}
