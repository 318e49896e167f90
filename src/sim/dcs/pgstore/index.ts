// Deployment of the PostgreSQL store (kind "postgresql"): one server (members[0]) and optionally
// an asynchronous standby (members[1]) that is promoted by hand (the `pgstore-promote` fault) or by
// a naive script (option `autoPromoteAfterMs`: promote when the primary has not answered for that
// long — no fencing, so a partitioned primary keeps serving its side).
//
// Options: requestTimeoutMs (client per-attempt timeout), autoPromoteAfterMs.
import { Process } from '../../host/process.js';
import type { Host } from '../../host/host.js';
import type { Task } from '../../kernel/task.js';
import { NetError } from '../../net/network.js';
import type { World } from '../../world.js';
import type { AbstractDCS, DcsTiming } from '../abstract.js';
import type { DcsBackendDefinition, DcsClientOptions, DcsDeployment, DcsDeploySpec } from '../backend.js';
import { DcsConfigurationError, numberOption, rejectUnknownOptions } from '../memory/errors.js';
import { basePath, KEY } from '../memory/keys.js';
import { PgStoreDCS } from './client.js';
import { PgHello } from './protocol.js';
import { PgStoreServer } from './server.js';
import { registerPgStoreFaults, type PgStoreFaultTarget } from './faults.js';

const KIND = 'postgresql' as const;

/** A cron-like watchdog script on the standby host: `pg_isready` the primary every second, promote after N ms of failures. */
class NaivePromoteScript extends Process {
  constructor(
    host: Host,
    private readonly standby: PgStoreServer,
    private readonly primary: PgStoreServer,
    private readonly afterMs: number,
  ) {
    super(host, 'pgstore-promote-script');
  }

  protected onStart(): void {
    this.spawn('check', this.loop());
  }

  private *loop(): Task<void> {
    let lastOkMonoUs = this.monoUs();
    for (;;) {
      yield* this.sleep(1_000_000);
      try {
        yield* this.net.call(this, this.primary, PgHello, {}, { timeoutUs: 1_000_000 });
        lastOkMonoUs = this.monoUs();
      } catch (e) {
        if (!(e instanceof NetError)) throw e;
        if (this.monoUs() - lastOkMonoUs >= this.afterMs * 1000 && this.standby.inRecovery && this.standby.running) {
          this.standby.promote();
          return;
        }
      }
    }
  }
}

class PgStoreDeployment implements DcsDeployment, PgStoreFaultTarget {
  readonly kind = KIND;
  readonly servers: readonly Process[];
  readonly pg: readonly PgStoreServer[];
  private readonly script: NaivePromoteScript | null = null;
  private readonly requestTimeoutMs: number | undefined;
  private lastHealth = '';

  constructor(
    private readonly world: World,
    private readonly spec: DcsDeploySpec,
  ) {
    rejectUnknownOptions(KIND, spec.options, ['requestTimeoutMs', 'autoPromoteAfterMs']);
    if (spec.members.length < 1 || spec.members.length > 2) {
      throw new DcsConfigurationError(KIND, `needs one server, optionally followed by one standby (got ${spec.members.length} members)`);
    }
    this.requestTimeoutMs = spec.options.requestTimeoutMs === undefined ? undefined : numberOption(KIND, spec.options, 'requestTimeoutMs', 0);
    const autoPromoteAfterMs = spec.options.autoPromoteAfterMs === undefined ? null : numberOption(KIND, spec.options, 'autoPromoteAfterMs', 0);
    const onChange = (): void => this.checkHealth();
    const [pm, sm] = spec.members;
    const primary = new PgStoreServer(world.net.host((pm as { host: string }).host), { store: spec.store, member: (pm as { name: string }).name, role: 'primary', onChange });
    const pg: PgStoreServer[] = [primary];
    if (sm) pg.push(new PgStoreServer(world.net.host(sm.host), { store: spec.store, member: sm.name, role: 'standby', upstream: primary, onChange }));
    else if (autoPromoteAfterMs !== null) throw new DcsConfigurationError(KIND, 'autoPromoteAfterMs needs a standby (a second member)');
    this.pg = pg;
    const servers: Process[] = [...pg];
    if (sm && autoPromoteAfterMs !== null) {
      this.script = new NaivePromoteScript(world.net.host(sm.host), pg[1] as PgStoreServer, primary, autoPromoteAfterMs);
      servers.push(this.script);
    }
    this.servers = servers;
    for (const p of servers) p.host.onBoot(() => p.start('started at boot'));
    registerPgStoreFaults(world, this);
  }

  get store(): string {
    return this.spec.store;
  }

  start(): void {
    for (const p of this.servers) p.start('store started');
  }

  client(proc: Process, memberName: string, timing: DcsTiming, opts?: DcsClientOptions): AbstractDCS {
    const order = opts?.endpoints ? opts.endpoints.map((h) => this.serverOn(h)) : this.pg;
    return new PgStoreDCS(proc, memberName, timing, this.spec.store, this.spec.scope, this.spec.namespace, order, this.requestTimeoutMs);
  }

  private serverOn(host: string): PgStoreServer {
    const s = this.pg.find((p) => p.host.name === host || p.member === host);
    if (!s) throw new DcsConfigurationError(KIND, `endpoint ${host} is not a server of store ${this.spec.store}`);
    return s;
  }

  /** The holder by the clock of the writable server with the newest timeline (the one clients reach first when both are up). */
  leaderHolder(scope: string): string | null {
    const key = basePath(this.spec.namespace, scope) + KEY.leader;
    const writable = this.pg.filter((p) => p.alive && !p.inRecovery).sort((a, b) => b.timeline - a.timeline);
    const s = writable[0];
    return s ? s.holderOf(key) : null;
  }

  private checkHealth(): void {
    const up = this.pg.filter((p) => p.running && !p.inRecovery).sort((a, b) => b.timeline - a.timeline);
    const ok = up.length > 0;
    const key = `${ok}|${up[0]?.member ?? ''}|${up[0]?.timeline ?? 0}`;
    if (key === this.lastHealth) return;
    this.lastHealth = key;
    const rec: { store: string; ok: boolean; leader: string | null; term?: number } = { store: this.spec.store, ok, leader: up[0]?.member ?? null };
    if (up[0]) rec.term = up[0].timeline;
    this.world.sim.trace.emit('dcs.quorum', rec);
  }

  // ---- fault targets ------------------------------------------------------------------------

  outage(): () => void {
    const primary = this.pg[0] as PgStoreServer;
    primary.crash('store outage');
    return () => {
      primary.start('store back after outage');
    };
  }

  promoteStandby(): boolean {
    const s = this.pg[1];
    return s ? s.promote() : false;
  }
}

export const pgStoreBackend: DcsBackendDefinition = {
  kind: KIND,
  summary: 'a lease row in one PostgreSQL server (optionally an async standby): a single point of failure for the HA layer',
  defaultMembers: 1,
  deploy(world: World, spec: DcsDeploySpec): DcsDeployment {
    return new PgStoreDeployment(world, spec);
  },
};
