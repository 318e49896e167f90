// A port of `patroni/ha.py Failsafe`: on a replica, the last `POST /failsafe` from the leader
// (valid for ttl, judged by this host's wall clock); on the primary, the time failsafe mode was
// last used to keep running. `update_cluster` injects that leader into an unlocked cluster view, so
// replicas that were pinged recently keep following instead of racing.
import { Cluster, Leader, RemoteMember } from '../dcs/cluster.js';
import type { Process } from '../host/process.js';

export interface FailsafeRequest {
  name: string;
  conn_url: string;
  api_url: string;
  slots?: Record<string, number>;
}

export class Failsafe {
  /** null: never (Python's 0 is the 1970 epoch; the simulated wall clock starts at 0). */
  private lastUpdateWallUs: number | null = null;
  private name = '';
  private connUrl: string | null = null;
  private apiUrl: string | null = null;

  constructor(
    private readonly proc: Process,
    /** `dcs.ttl` in seconds, read at each use. */
    private readonly ttlS: () => number,
  ) {}

  /** `Failsafe.update`, from `POST /failsafe`. */
  update(data: FailsafeRequest): void {
    this.lastUpdateWallUs = this.proc.wallUs();
    this.name = data.name;
    this.connUrl = data.conn_url;
    this.apiUrl = data.api_url;
  }

  private reset(): void {
    this.lastUpdateWallUs = null;
    this.name = '';
    this.connUrl = null;
    this.apiUrl = null;
  }

  private get valid(): boolean {
    return this.lastUpdateWallUs !== null && this.lastUpdateWallUs + this.ttlS() * 1e6 > this.proc.wallUs();
  }

  /** `Failsafe.leader`: the leader that pinged us within ttl, as a Leader with a RemoteMember. */
  get leader(): Leader | null {
    if (!this.valid) return null;
    const data: { api_url?: string; conn_url?: string } = {};
    if (this.apiUrl) data.api_url = this.apiUrl;
    if (this.connUrl) data.conn_url = this.connUrl;
    return new Leader('', '', new RemoteMember(this.name, data));
  }

  /** `Failsafe.update_cluster` */
  update_cluster(cluster: Cluster): Cluster {
    const leader = this.leader;
    if (!leader) return cluster;
    return new Cluster(cluster.initialize, cluster.config, leader, cluster.status, cluster.members, cluster.failover, cluster.sync, cluster.history, cluster.failsafe);
  }

  /** `Failsafe.is_active` */
  is_active(): boolean {
    return this.valid;
  }

  /** `Failsafe.set_is_active` (primary): a wall-clock µs timestamp, or 0 to disable. */
  set_is_active(valueWallUs: number | null): void {
    this.lastUpdateWallUs = valueWallUs;
    if (valueWallUs === null) this.reset();
  }
}
