// A virtual IP that follows Patroni's leader key: vip-manager (cybertec-postgresql/vip-manager) on
// every node polls the leader key every `interval` (default 1000 ms) and configures the address on
// its host while the key names this node, removing it otherwise — including when the DCS cannot be
// read (checker/*_leader_checker.go sends `false` on errors). Configuring takes a moment (ip addr
// add + gratuitous ARP). Between the leader key moving and the VIP moving, clients still reach the
// old holder; in a split, two hosts can hold the address at once and the last one to announce it
// (gratuitous ARP) gets the new connections.
import type { Task } from '../kernel/task.js';
import type { Sim } from '../kernel/sim.js';
import { Process, type ExitReason } from '../host/process.js';
import type { Host } from '../host/host.js';
import type { AbstractDCS } from '../dcs/abstract.js';
import { PgClientSession, ConnectionLost } from './session.js';
import { postgresOf, TargetTracker, type Router } from './router.js';

interface Holding {
  host: Host;
  sinceUs: number;
}

/** Who has configured a virtual IP, per simulation (the L2 segment's view, via ARP). */
export class VipTable {
  private readonly holders = new Map<string, Holding[]>();
  private readonly trackers = new Map<string, TargetTracker>();
  /** Client sessions opened through a VIP, with the host that accepted them. */
  private readonly sessions = new Map<string, { session: PgClientSession; host: Host }[]>();

  constructor(readonly sim: Sim) {}

  private tracker(vip: string): TargetTracker {
    let t = this.trackers.get(vip);
    if (t === undefined) {
      t = new TargetTracker(this.sim, vip);
      this.trackers.set(vip, t);
    }
    return t;
  }

  add(vip: string, host: Host, reason: string): void {
    const hs = this.holders.get(vip) ?? [];
    if (!hs.some((h) => h.host === host)) hs.push({ host, sinceUs: this.sim.nowUs });
    this.holders.set(vip, hs);
    this.publish(vip, reason);
  }

  remove(vip: string, host: Host, reason: string): void {
    const hs = (this.holders.get(vip) ?? []).filter((h) => h.host !== host);
    this.holders.set(vip, hs);
    this.publish(vip, reason);
  }

  /** Hosts holding the address now (powered ones). */
  holdersOf(vip: string): string[] {
    return (this.holders.get(vip) ?? []).filter((h) => h.host.powered).map((h) => h.host.name);
  }

  /** Where a new connection to the VIP goes: the last host to announce it (gratuitous ARP wins). */
  resolve(vip: string): Host | null {
    let best: Holding | null = null;
    for (const h of this.holders.get(vip) ?? []) {
      if (!h.host.powered) continue;
      if (best === null || h.sinceUs >= best.sinceUs) best = h;
    }
    return best?.host ?? null;
  }

  publish(vip: string, reason: string): void {
    const now = this.resolve(vip);
    this.tracker(vip).set(now?.name ?? null, reason);
    // ARP now sends the address's packets elsewhere: connections to the old holder are reset by
    // whoever receives them (or time out if nobody does)
    const ss = this.sessions.get(vip) ?? [];
    const keep = ss.filter((x) => x.session.alive && x.host === now);
    for (const x of ss) if (x.session.alive && x.host !== now) x.session.abort(`connection to ${vip} reset: the address moved away from ${x.host.name}`);
    this.sessions.set(vip, keep);
  }

  /** Track a session opened through the VIP to `host`. */
  opened(vip: string, host: Host, session: PgClientSession): void {
    const ss = (this.sessions.get(vip) ?? []).filter((x) => x.session.alive);
    ss.push({ session, host });
    this.sessions.set(vip, ss);
  }
}

const tables = new WeakMap<Sim, VipTable>();

export function vipTable(sim: Sim): VipTable {
  let t = tables.get(sim);
  if (t === undefined) {
    t = new VipTable(sim);
    tables.set(sim, t);
  }
  return t;
}

export interface VipManagerOptions {
  vip: string;
  /** This node's name as it appears in the leader key. */
  node: string;
  /** interval (ms) between leader-key reads. Default 1000. */
  intervalMs?: number;
  /** Time to configure the address and send gratuitous ARP (ms). Default 100. */
  configureMs?: number;
  /** The DCS client this vip-manager uses, built in its own process. */
  dcs: (proc: Process) => AbstractDCS;
}

/** vip-manager on one node. */
export class VipManager extends Process {
  private dcs: AbstractDCS | null = null;
  private holding = false;

  constructor(
    host: Host,
    readonly opts: VipManagerOptions,
    procName = 'vip-manager',
  ) {
    super(host, procName);
    // the address is not persistent across reboots
    host.onBoot(() => this.start('host booted'));
  }

  protected onStart(): void {
    this.holding = vipTable(this.sim).holdersOf(this.opts.vip).includes(this.host.name);
    this.dcs = this.opts.dcs(this);
    this.spawn('vip-manager', this.loop());
  }

  protected override onExit(why: ExitReason): void {
    const t = vipTable(this.sim);
    // SIGTERM: vip-manager deconfigures the address on its way out; kill -9 leaves it; power loss
    // takes the interface down
    if (why === 'exit' || why === 'power-loss') {
      t.remove(this.opts.vip, this.host, why === 'exit' ? `vip-manager on ${this.host.name} stopped` : `${this.host.name} lost power`);
    }
    this.holding = why === 'crash' && this.holding;
  }

  private *loop(): Task<void> {
    const o = this.opts;
    const dcs = this.dcs as AbstractDCS;
    for (;;) {
      let leader = false;
      try {
        const c = yield* dcs.getCluster();
        leader = c.leader?.name === o.node;
      } catch {
        leader = false;
      }
      if (leader !== this.holding) {
        yield* this.sleep((o.configureMs ?? 100) * 1000);
        this.holding = leader;
        const t = vipTable(this.sim);
        if (leader) t.add(o.vip, this.host, `leader key names ${o.node}: vip-manager on ${this.host.name} configured ${o.vip}`);
        else t.remove(o.vip, this.host, `leader key no longer names ${o.node}: vip-manager on ${this.host.name} removed ${o.vip}`);
      }
      yield* this.sleep((o.intervalMs ?? 1000) * 1000);
    }
  }
}

/** Clients connect to the VIP: whichever host answers ARP for it. */
export class VipRouter implements Router {
  constructor(
    readonly name: string,
    readonly connectTimeoutUs: number | null = 10_000_000,
  ) {}

  *connect(proc: Process): Task<PgClientSession> {
    // nobody answers ARP for the address: Linux sends 3 ARP probes a second apart, then the
    // connect fails with "No route to host"
    let host = vipTable(proc.sim).resolve(this.name);
    for (let probe = 0; host === null && probe < 3; probe++) {
      yield* proc.sleep(1_000_000);
      host = vipTable(proc.sim).resolve(this.name);
    }
    if (host === null) throw new ConnectionLost(`connection to server at "${this.name}" failed: No route to host`, false);
    const s = yield* PgClientSession.open(proc, postgresOf(proc.sim, host.name), { connectTimeoutUs: this.connectTimeoutUs });
    const t = vipTable(proc.sim);
    if (t.resolve(this.name) !== host) {
      s.abort(`connection to ${this.name} reset: the address moved during connect`);
      throw new ConnectionLost(`connection to server at "${this.name}" failed: connection reset`, false);
    }
    t.opened(this.name, host, s);
    return s;
  }
}
