// HAProxy in front of a Patroni cluster, as Patroni's own haproxy.cfg deploys it:
//
//   listen batman
//     bind *:5000
//     option httpchk            (GET /primary here; Patroni answers 200 only on the leader)
//     http-check expect status 200
//     default-server inter 3s fall 3 rise 2 on-marked-down shutdown-sessions
//     server pg1 pg1:5432 check port 8008  ...
//
// TCP mode: a client connection is proxied to one backend for its whole life. Health checks run
// every `inter` per server (bounded by `timeout check`); a server is marked DOWN after `fall`
// consecutive failures and UP after `rise` consecutive successes (src/check.c: health counter
// 0..rise+fall-1). Servers start UP with health = rise, so one failed check marks them down
// (`init-state up`). With `on-marked-down shutdown-sessions`, marking a server down kills its
// sessions; without it they stay on the old server. HAProxy runs on its own host, so it can be
// partitioned from the nodes and from the clients independently.
import type { Task } from '../kernel/task.js';
import { Process } from '../host/process.js';
import type { Host } from '../host/host.js';
import type { StreamEnd } from '../net/network.js';
import { PatroniRest, type RestMethod } from '../patroni/rest.js';
import { PgSession, type SessionC2S, type SessionS2C } from '../pg/sql.js';
import { pgServers } from '../pg/server.js';
import { PgClientSession } from './session.js';
import { TargetTracker, type Router } from './router.js';

export interface HaproxyBackend {
  /** Node name (the PostgreSQL host). */
  node: string;
}

export interface HaproxyOptions {
  /** Router name for `router.target` (default "haproxy"). */
  name?: string;
  backends: HaproxyBackend[];
  /** inter (ms): time between two checks of a server. Default 3000. */
  interMs?: number;
  /** fastinter (ms): between checks while a server is transitioning. Default inter. */
  fastinterMs?: number;
  /** downinter (ms): between checks of a DOWN server. Default inter. */
  downinterMs?: number;
  /** Consecutive failures to mark a server DOWN. Default 3. */
  fall?: number;
  /** Consecutive successes to mark a server UP. Default 2. */
  rise?: number;
  /** timeout check (ms). Default 5000 (Patroni's example). */
  timeoutCheckMs?: number;
  /** timeout connect (ms) for proxied connections. Default 4000. */
  timeoutConnectMs?: number;
  /** retries: extra connection attempts to a backend. Default 2. */
  retries?: number;
  method?: RestMethod;
  path?: string;
  /** on-marked-down shutdown-sessions. Default true (Patroni's example). */
  shutdownSessions?: boolean;
  /**
   * The process answering Patroni's REST API on a node's host (default: the process named
   * "patroni" on that host).
   */
  restProcess?: (node: string) => Process | null;
}

interface ServerState {
  node: string;
  up: boolean;
  health: number;
  sessions: Set<ProxiedSession>;
}

interface ProxiedSession {
  front: StreamEnd<SessionS2C, SessionC2S>;
  back: StreamEnd<SessionC2S, SessionS2C> | null;
  server: ServerState | null;
  buffered: SessionC2S[];
  closed: boolean;
}

export class Haproxy extends Process {
  readonly opts: Required<Omit<HaproxyOptions, 'restProcess' | 'name'>> & { restProcess: (node: string) => Process | null; name: string };
  private servers: ServerState[] = [];
  private rr = 0;
  private tracker: TargetTracker;

  constructor(host: Host, opts: HaproxyOptions, procName = 'haproxy') {
    super(host, procName);
    const inter = opts.interMs ?? 3000;
    this.opts = {
      name: opts.name ?? 'haproxy',
      backends: opts.backends,
      interMs: inter,
      fastinterMs: opts.fastinterMs ?? inter,
      downinterMs: opts.downinterMs ?? inter,
      fall: opts.fall ?? 3,
      rise: opts.rise ?? 2,
      timeoutCheckMs: opts.timeoutCheckMs ?? 5000,
      timeoutConnectMs: opts.timeoutConnectMs ?? 4000,
      retries: opts.retries ?? 2,
      method: opts.method ?? 'GET',
      path: opts.path ?? '/primary',
      shutdownSessions: opts.shutdownSessions ?? true,
      restProcess: opts.restProcess ?? ((node) => this.net.host(node).process('patroni') ?? null),
    };
    this.tracker = new TargetTracker(this.sim, this.opts.name);
  }

  /** Servers currently UP, in configuration order. */
  upServers(): string[] {
    return this.servers.filter((s) => s.up).map((s) => s.node);
  }

  protected onStart(): void {
    const o = this.opts;
    this.servers = o.backends.map((b) => ({ node: b.node, up: true, health: o.rise, sessions: new Set() }));
    this.rr = 0;
    this.publish('haproxy started: servers start UP');
    this.net.listenStream(this, PgSession, (end) => this.accept(end));
    this.servers.forEach((s, i) => {
      // HAProxy spreads the first checks of a backend's servers over the interval
      const offsetUs = Math.floor((o.interMs * 1000 * i) / Math.max(1, this.servers.length));
      this.after(offsetUs, () => this.spawn(`check ${s.node}`, this.checkLoop(s)));
    });
  }

  protected override onExit(): void {
    this.servers = [];
    this.tracker.set(null, 'haproxy stopped');
  }

  private publish(reason: string): void {
    const up = this.upServers();
    this.tracker.set(up.length === 0 ? null : up.join(','), reason);
  }

  private *checkLoop(s: ServerState): Task<void> {
    const o = this.opts;
    for (;;) {
      const ok = yield* this.check(s);
      this.result(s, ok);
      const transitioning = s.up ? s.health < o.rise + o.fall - 1 : s.health > 0;
      const ms = transitioning ? o.fastinterMs : s.up ? o.interMs : o.downinterMs;
      yield* this.sleep(ms * 1000);
    }
  }

  private *check(s: ServerState): Task<boolean> {
    const o = this.opts;
    const rest = o.restProcess(s.node);
    if (rest === null) return false;
    try {
      const resp = yield* this.net.call(this, rest, PatroniRest, { method: o.method, path: o.path }, { timeoutUs: o.timeoutCheckMs * 1000 });
      return resp.status === 200;
    } catch {
      return false;
    }
  }

  /** src/check.c: the health counter. */
  private result(s: ServerState, ok: boolean): void {
    const o = this.opts;
    const max = o.rise + o.fall - 1;
    if (ok) {
      if (s.health < max) s.health++;
      if (!s.up && s.health >= o.rise) {
        s.up = true;
        s.health = max;
        this.publish(`${s.node} is UP (${o.rise} checks passed)`);
      } else if (s.up) s.health = max;
      return;
    }
    if (s.up && s.health > o.rise) {
      s.health--;
      return;
    }
    s.health = 0;
    if (s.up) {
      s.up = false;
      this.publish(`${s.node} is DOWN (${o.fall} checks failed)`);
      if (o.shutdownSessions) for (const p of [...s.sessions]) this.closeSession(p);
    }
  }

  // ---- proxying -------------------------------------------------------------------------------

  private pick(): ServerState | null {
    const up = this.servers.filter((s) => s.up);
    if (up.length === 0) return null;
    const s = up[this.rr % up.length] as ServerState;
    this.rr++;
    return s;
  }

  private accept(front: StreamEnd<SessionS2C, SessionC2S>): void {
    const p: ProxiedSession = { front, back: null, server: null, buffered: [], closed: false };
    front.onMessage((m) => {
      if (p.closed) return;
      if (p.back !== null) p.back.send(m);
      else p.buffered.push(m);
    });
    front.onClose(() => this.closeSession(p));
    this.spawn('proxy', this.connectBackend(p));
  }

  private *connectBackend(p: ProxiedSession): Task<void> {
    const o = this.opts;
    // without `option redispatch` (Patroni's example has none), retries go to the same server
    const s = this.pick();
    const pg = s === null ? undefined : pgServers(this.sim).get(s.node);
    if (s !== null && pg !== undefined) {
      for (let attempt = 0; attempt <= o.retries; attempt++) {
        let back: StreamEnd<SessionC2S, SessionS2C>;
        try {
          back = yield* this.net.connect(this, pg.postmaster, PgSession, o.timeoutConnectMs * 1000);
        } catch {
          continue;
        }
        if (p.closed) {
          back.close();
          return;
        }
        p.back = back;
        p.server = s;
        s.sessions.add(p);
        back.onMessage((m) => {
          if (!p.closed) p.front.send(m);
        });
        back.onClose(() => this.closeSession(p));
        for (const m of p.buffered) back.send(m);
        p.buffered = [];
        return;
      }
    }
    // no server available, or it did not answer: the client's connection is closed
    this.closeSession(p);
  }

  private closeSession(p: ProxiedSession): void {
    if (p.closed) return;
    p.closed = true;
    p.server?.sessions.delete(p);
    p.front.close();
    p.back?.close();
  }
}

/** Clients connect to HAProxy's frontend; HAProxy picks the backend. */
export class HaproxyRouter implements Router {
  readonly name: string;
  constructor(
    readonly haproxy: Haproxy,
    readonly connectTimeoutUs: number | null = 10_000_000,
  ) {
    this.name = haproxy.opts.name;
  }

  *connect(proc: Process): Task<PgClientSession> {
    return yield* PgClientSession.open(proc, this.haproxy, { connectTimeoutUs: this.connectTimeoutUs });
  }
}
