// What the HA logic needs from the Patroni daemon around it (`patroni/__main__.py Patroni`):
// identity, tags, configuration, the HTTP client it calls peers with, and where it reports.
import type { Process } from '../host/process.js';
import type { DynamicConfigValue, Leader, Member, Tags } from '../dcs/cluster.js';
import type { Task } from '../kernel/task.js';
import type { RestMethod } from './rest.js';
import type { ScheduledRestart } from './ha.js';

/** One HTTP exchange with a peer: `ok` false when the request failed (timeout, refused, reset). */
export interface RestCallResult {
  ok: boolean;
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  error?: string;
}

export interface PatroniNode {
  readonly proc: Process;
  readonly name: string;
  /** Host this node's PostgreSQL and REST API listen on. */
  readonly hostName: string;
  readonly version: string;
  /** `api.connection_string`: http://<host>:8008/patroni */
  readonly apiUrl: string;
  /** Configured tags (`Patroni.tags`, filtered like `Tags._filter_tags`). */
  readonly tags: Tags;
  readonly nofailover: boolean;
  readonly failover_priority: number;
  readonly nosync: boolean;
  readonly nostream: boolean;
  readonly replicatefrom: string | undefined;
  /** A `bootstrap` section exists in the local configuration. */
  readonly hasBootstrapConfig: boolean;
  /** `config['retry_timeout']`, seconds. */
  readonly retryTimeoutS: number;
  scheduledRestart: ScheduledRestart | null;
  /** `config.dynamic_configuration` (what a leader writes to /config when it is missing). */
  dynamicConfiguration(): DynamicConfigValue;
  /** `PatroniRequest.__call__`: HTTP to a member's REST API with a timeout (s) and retries. */
  request(member: Member | Leader, method: RestMethod, path: string, body: unknown, timeoutS: number, retries: number): Task<RestCallResult>;
  /** A deterministic draw in [0, n) from a named stream of this node. */
  pick(stream: string, n: number): number;
  /** A Patroni log line at WARNING level that matters to users (trace: patroni.warning). */
  warn(message: string): void;
  /** A Patroni INFO log line explaining a decision (trace: patroni.log). */
  info(message: string): void;
}
