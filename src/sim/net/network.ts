// The network: hosts in a failure-domain tree, links with latency, bandwidth and faults, and the
// two connection styles the models use:
//  - request/response with a client timeout (HTTP to the DCS, to Patroni's REST API, SQL queries),
//  - long-lived streams (replication, DCS sessions and watches) that notice a silent break only
//    through their own keepalive or timeout.
// Both run over `Channel`s (TCP-like: ordered, retransmitted). A process that dies with its host
// up closes its sockets (the peer sees EOF or a reset); a host that loses power says nothing.
import type { Sim } from '../kernel/sim.js';
import type { Rng } from '../kernel/rng.js';
import { suspend, type Task } from '../kernel/task.js';
import type { Micros } from '../kernel/time.js';
import type { Host } from '../host/host.js';
import type { Process } from '../host/process.js';
import { Channel, type ChannelPath, type Deliver } from './channel.js';
import { distanceBetween, type Distance } from './domains.js';
import { cutsOf, degradedLinksOf, describeNetFault, type HostSelector, type LinkDegradation, type NetFault } from './faults.js';
import { DEFAULT_LATENCY, drawLinkProfile, type LatencyClass, type LatencyOverride, type LinkProfile } from './latency.js';

declare module '../kernel/trace.js' {
  interface TraceMap {
    /** A delivered message (only with message tracing on): sent at `sentUs`, delivered at `t`. */
    'net.msg': { id: number; from: string; to: string; what: string; sentUs: number };
    /** A datagram lost on a cut link, a dead host or a lossy link (always recorded). */
    'net.drop': { id: number; from: string; to: string; what: string; reason: string };
    'net.retry': { from: string; to: string; what: string; reason: string; attempt: number };
    'net.fault': { id: string; on: boolean; fault: string; cuts: string[] };
  }
}

// ---- typed services -----------------------------------------------------------------------

/** A request/response service: a name plus the request and response types. */
export interface Service<Req, Resp> {
  readonly name: string;
  /** Phantom field carrying the types; never set. */
  readonly __types?: (req: Req) => Resp;
}

export function service<Req, Resp>(name: string): Service<Req, Resp> {
  return { name };
}

/** A stream service: client-to-server and server-to-client message types. */
export interface StreamService<C2S, S2C> {
  readonly name: string;
  readonly __types?: (m: C2S) => S2C;
}

export function streamService<C2S, S2C>(name: string): StreamService<C2S, S2C> {
  return { name };
}

export type RpcHandler<Req, Resp> = (req: Req, from: Process) => Task<Resp>;

export type NetErrorCode = 'timeout' | 'refused' | 'reset';

/** A transport failure as the caller sees it. `timeout`: no answer in time (the server may still have acted). */
export class NetError extends Error {
  constructor(
    readonly code: NetErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'NetError';
  }
}

/** The server answered with an error (an HTTP error status, a failed RPC). */
export class RemoteError extends Error {
  constructor(
    message: string,
    readonly status = 500,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}

export interface CallOptions {
  /** Client-side timeout in the caller's local (monotonic) microseconds. */
  timeoutUs: Micros;
  reqBytes?: number;
  respBytes?: number | ((resp: unknown) => number);
}

export type CloseReason = 'eof' | 'reset' | 'timeout' | 'local';

interface StreamListener {
  onAccept: (end: StreamEnd<unknown, unknown>) => void;
}

interface RpcListener {
  handler: RpcHandler<unknown, unknown>;
}

// ---- the network ----------------------------------------------------------------------------

export interface NetworkOptions {
  latency?: Partial<Record<Distance, Partial<LatencyClass>>>;
  overrides?: readonly LatencyOverride[];
}

export class Network implements ChannelPath {
  private readonly hostList: Host[] = [];
  private readonly byName = new Map<string, Host>();
  private readonly classes: Record<Distance, LatencyClass>;
  private readonly overrides: readonly LatencyOverride[];
  // per directed link (from * cap + to), grown as hosts are added
  private cap = 0;
  private cutCount = new Uint16Array(0);
  private profiles: (LinkProfile | undefined)[] = [];
  private rngs: (Rng | undefined)[] = [];
  private linkFreeUs = new Float64Array(0);
  private degradations: (LinkDegradation | undefined)[] = [];
  private readonly active = new Map<string, { fault: NetFault; cuts: [number, number][]; degraded: [number, number][] }>();
  private msgSeq = 0;

  constructor(
    readonly sim: Sim,
    opts: NetworkOptions = {},
  ) {
    const cls = {} as Record<Distance, LatencyClass>;
    for (const d of Object.keys(DEFAULT_LATENCY) as Distance[]) {
      cls[d] = { ...DEFAULT_LATENCY[d], ...(opts.latency?.[d] ?? {}) };
    }
    this.classes = cls;
    this.overrides = opts.overrides ?? [];
  }

  // ---- hosts and selectors --------------------------------------------------------------------

  addHost(h: Host): void {
    if (this.byName.has(h.name)) throw new Error(`duplicate host ${h.name}`);
    h.index = this.hostList.length;
    h.attachNetwork(this);
    this.hostList.push(h);
    this.byName.set(h.name, h);
    if (this.hostList.length > this.cap) this.grow(Math.max(8, this.cap * 2));
  }

  private grow(newCap: number): void {
    const old = this.cap;
    const cut = new Uint16Array(newCap * newCap);
    const free = new Float64Array(newCap * newCap);
    const prof: (LinkProfile | undefined)[] = new Array(newCap * newCap);
    const rngs: (Rng | undefined)[] = new Array(newCap * newCap);
    const deg: (LinkDegradation | undefined)[] = new Array(newCap * newCap);
    for (let i = 0; i < old; i++) {
      for (let j = 0; j < old; j++) {
        cut[i * newCap + j] = this.cutCount[i * old + j] as number;
        free[i * newCap + j] = this.linkFreeUs[i * old + j] as number;
        prof[i * newCap + j] = this.profiles[i * old + j];
        rngs[i * newCap + j] = this.rngs[i * old + j];
        deg[i * newCap + j] = this.degradations[i * old + j];
      }
    }
    this.cap = newCap;
    this.cutCount = cut;
    this.linkFreeUs = free;
    this.profiles = prof;
    this.rngs = rngs;
    this.degradations = deg;
  }

  get hosts(): readonly Host[] {
    return this.hostList;
  }

  host(name: string): Host {
    const h = this.byName.get(name);
    if (!h) throw new Error(`unknown host ${name}`);
    return h;
  }

  hasHost(name: string): boolean {
    return this.byName.has(name);
  }

  /** Whether `name` names a host or a failure domain of some host. */
  isSelectable(name: string): boolean {
    return this.byName.has(name) || this.hostList.some((h) => h.domains.includes(name));
  }

  /** Host indices named by host or domain names (in host order). Unknown names throw. */
  resolve(sel: HostSelector): number[] {
    const out = new Set<number>();
    for (const name of sel) {
      const h = this.byName.get(name);
      if (h) {
        out.add(h.index);
        continue;
      }
      let found = false;
      for (const x of this.hostList) {
        if (x.domains.includes(name)) {
          out.add(x.index);
          found = true;
        }
      }
      if (!found) throw new Error(`unknown host or failure domain "${name}"`);
    }
    return [...out].sort((a, b) => a - b);
  }

  distance(a: Host, b: Host): Distance {
    return distanceBetween(a, b);
  }

  // ---- faults ----------------------------------------------------------------------------------

  /** Apply a network fault under `id` (ids must be unique among active faults). */
  applyFault(id: string, fault: NetFault): void {
    if (this.active.has(id)) throw new Error(`network fault ${id} is already active`);
    const n = this.hostList.length;
    const resolve = (sel: HostSelector): number[] => this.resolve(sel);
    const cuts = cutsOf(fault, n, resolve, () => this.hostList.map((h) => h.index));
    const degraded = fault.kind === 'degrade' ? degradedLinksOf(fault, n, resolve) : [];
    for (const [i, j] of cuts) this.cutCount[i * this.cap + j] = (this.cutCount[i * this.cap + j] as number) + 1;
    this.active.set(id, { fault, cuts, degraded });
    if (degraded.length > 0) this.recomputeDegradations(degraded);
    this.sim.trace.emit('net.fault', { id, on: true, fault: describeNetFault(fault), cuts: this.cutLabels(cuts) });
  }

  healFault(id: string): void {
    const a = this.active.get(id);
    if (!a) return;
    this.active.delete(id);
    for (const [i, j] of a.cuts) this.cutCount[i * this.cap + j] = (this.cutCount[i * this.cap + j] as number) - 1;
    if (a.degraded.length > 0) this.recomputeDegradations(a.degraded);
    this.sim.trace.emit('net.fault', { id, on: false, fault: describeNetFault(a.fault), cuts: this.cutLabels(a.cuts) });
  }

  /** Heal every network fault. */
  healAll(): void {
    for (const id of [...this.active.keys()]) this.healFault(id);
  }

  get activeFaults(): readonly string[] {
    return [...this.active.keys()];
  }

  private cutLabels(cuts: [number, number][]): string[] {
    return cuts.map(([i, j]) => `${(this.hostList[i] as Host).name}>${(this.hostList[j] as Host).name}`);
  }

  private recomputeDegradations(links: [number, number][]): void {
    for (const [i, j] of links) {
      let d: LinkDegradation | undefined;
      for (const a of this.active.values()) {
        if (a.fault.kind !== 'degrade') continue;
        if (!a.degraded.some(([p, q]) => p === i && q === j)) continue;
        d ??= { latencyFactor: 1, extraLatencyUs: 0, loss: 0, duplicate: 0 };
        d.latencyFactor *= a.fault.latencyFactor ?? 1;
        d.extraLatencyUs += (a.fault.extraLatencyMs ?? 0) * 1000;
        d.loss = 1 - (1 - d.loss) * (1 - (a.fault.loss ?? 0));
        d.duplicate = 1 - (1 - d.duplicate) * (1 - (a.fault.duplicate ?? 0));
      }
      this.degradations[i * this.cap + j] = d;
    }
  }

  /** Ground truth: can a packet from `a` reach `b` right now (ignoring power and loss)? */
  canReach(a: Host, b: Host): boolean {
    return a === b || this.cutCount[a.index * this.cap + b.index] === 0;
  }

  /** Both directions open. */
  connected(a: Host, b: Host): boolean {
    return this.canReach(a, b) && this.canReach(b, a);
  }

  // ---- links ------------------------------------------------------------------------------------

  private profile(a: Host, b: Host): LinkProfile {
    const key = a.index * this.cap + b.index;
    let p = this.profiles[key];
    if (p === undefined) {
      const cls = this.classes[this.distance(a, b)];
      let rtt: number | readonly [number, number] = cls.rttMs;
      let c = cls;
      for (const o of this.overrides) {
        const x = new Set(this.resolve([o.between[0]]));
        const y = new Set(this.resolve([o.between[1]]));
        if ((x.has(a.index) && y.has(b.index)) || (x.has(b.index) && y.has(a.index))) {
          rtt = o.rttMs;
          c = { ...c, jitter: o.jitter ?? c.jitter, bandwidthBytesPerSec: o.bandwidthBytesPerSec ?? c.bandwidthBytesPerSec };
        }
      }
      p = drawLinkProfile(this.sim.seed, a.name, b.name, c, rtt);
      this.profiles[key] = p;
      this.profiles[b.index * this.cap + a.index] = p;
    }
    return p;
  }

  private linkRng(a: Host, b: Host): Rng {
    const key = a.index * this.cap + b.index;
    let r = this.rngs[key];
    if (r === undefined) {
      r = this.sim.rng(`net:${a.name}>${b.name}`);
      this.rngs[key] = r;
    }
    return r;
  }

  /** Base round-trip time between two hosts (no jitter, no degradation), in microseconds. */
  baseRttUs(a: Host, b: Host): number {
    return 2 * this.profile(a, b).baseUs;
  }

  /** One-way delay for a message of `bytes` sent now from a to b, including link serialisation. */
  private arrivalUs(a: Host, b: Host, bytes: number): number {
    const p = this.profile(a, b);
    const key = a.index * this.cap + b.index;
    let lat = p.jitter > 0 ? p.baseUs * (1 + p.jitter * this.linkRng(a, b).exponential(1)) : p.baseUs;
    const d = this.degradations[key];
    if (d !== undefined) lat = lat * d.latencyFactor + d.extraLatencyUs;
    const now = this.sim.nowUs;
    let start = now;
    if (bytes > 0 && a !== b) {
      const serial = (bytes * 1e6) / p.bandwidthBytesPerSec;
      const free = this.linkFreeUs[key] as number;
      start = free > now ? free : now;
      this.linkFreeUs[key] = start + serial;
      start += serial;
    }
    return start + lat;
  }

  /** Can a segment from a to b get through now? (Draws the link's loss, if it is lossy.) */
  pathCheck(a: Host, b: Host): 'ok' | 'cut' | 'host-down' | 'lost' {
    if (!b.powered) return 'host-down';
    if (a !== b && this.cutCount[a.index * this.cap + b.index] !== 0) return 'cut';
    const d = this.degradations[a.index * this.cap + b.index];
    if (d !== undefined && d.loss > 0 && this.linkRng(a, b).chance(d.loss)) return 'lost';
    return 'ok';
  }

  /** A new TCP direction from a to b. */
  openChannel(a: Host, b: Host, what: string, onBroken: () => void): Channel {
    return new Channel(this, a, b, what, onBroken);
  }

  /**
   * Send one segment on a channel (from its host `a` to its host `b`); `deliver(arg)` runs at the
   * receiver's host when it arrives (a function plus its argument: no closure per message).
   */
  sendOn(ch: Channel, what: string, bytes: number, deliver: Deliver, arg?: unknown): void {
    const id = ++this.msgSeq;
    // the send time is only read for the per-message record (kept 0 otherwise: no boxed number per segment)
    const sentUs = this.sim.trace.messages ? this.sim.nowUs : 0;
    ch.push(this.arrivalUs(ch.a, ch.b, bytes), id, sentUs, what, deliver, arg);
  }

  /**
   * A datagram (no retransmission): lost on a cut link, a dead host or a lossy link; may be
   * duplicated on a link that duplicates. Used for RSTs and by models that want UDP semantics.
   */
  sendDatagram(a: Host, b: Host, what: string, bytes: number, deliver: () => void): void {
    const id = ++this.msgSeq;
    const tr = this.sim.trace;
    const sentUs = this.sim.nowUs;
    const at = this.arrivalUs(a, b, bytes);
    const d = this.degradations[a.index * this.cap + b.index];
    const copies = d !== undefined && d.duplicate > 0 && this.linkRng(a, b).chance(d.duplicate) ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      this.sim.at(at + c * 1000, () => {
        const st = this.pathCheck(a, b);
        if (st !== 'ok') {
          tr.emit('net.drop', { id, from: a.name, to: b.name, what, reason: st });
          return;
        }
        if (tr.messages) tr.emitMessage(id, a.name, b.name, what, sentUs);
        deliver();
      });
    }
  }

  // ---- request / response --------------------------------------------------------------------

  /** Serve `svc` in this life of `proc`. */
  listen<Req, Resp>(proc: Process, svc: Service<Req, Resp>, handler: RpcHandler<Req, Resp>): void {
    const l: RpcListener = { handler: handler as RpcHandler<unknown, unknown> };
    proc.setListener(`rpc:${svc.name}`, l);
  }

  /**
   * Call `svc` on `to` from `from`. Throws NetError on timeout / refusal / reset and RemoteError
   * when the handler throws. A timed-out call may still have been executed by the server.
   */
  *call<Req, Resp>(from: Process, to: Process, svc: Service<Req, Resp>, req: Req, opts: CallOptions): Task<Resp> {
    const a = from.host;
    const b = to.host;
    const what = svc.name;
    let finished = false;
    let timer: { cancel(): void } | null = null;
    let reqCh: Channel | null = null;
    let respCh: Channel | null = null;
    const result = yield* suspend<{ ok: true; value: Resp } | { ok: false; error: Error }>({
      start: (resume) => {
        const finish = (r: { ok: true; value: Resp } | { ok: false; error: Error }): void => {
          if (finished) return;
          finished = true;
          timer?.cancel();
          // The request is NOT withdrawn: once written to the socket, the kernel keeps sending it
          // after the caller gives up (close() sends FIN behind queued data), so a timed-out call
          // may still be executed by the server — the "indeterminate" outcome. Only the answer is
          // dropped (it meets a closed socket).
          respCh?.abort();
          resume.ok(r);
        };
        timer = this.sim.schedule(from.host.clock.trueDelayFor(opts.timeoutUs), () =>
          finish({ ok: false, error: new NetError('timeout', `${what} to ${to.label}: timed out`) }),
        );
        reqCh = this.openChannel(a, b, what, () => undefined);
        this.sendOn(reqCh, what, opts.reqBytes ?? 0, () => {
          // at the server's host
          const l = to.alive ? (to.listener(`rpc:${what}`) as RpcListener | undefined) : undefined;
          if (!l) {
            this.sendDatagram(b, a, `${what}:rst`, 0, () =>
              finish({ ok: false, error: new NetError('refused', `${what} to ${to.label}: connection refused`) }),
            );
            return;
          }
          to.spawn(`serve ${what}`, l.handler(req, from) as Task<unknown>, (r) => {
            if (finished) return;
            if (!r.ok && r.error instanceof Error && r.error.name === 'FiberCancelled') {
              // the server died while serving: its kernel resets the connection (if the host is up)
              if (b.powered) {
                this.sendDatagram(b, a, `${what}:rst`, 0, () =>
                  finish({ ok: false, error: new NetError('reset', `${what} to ${to.label}: connection reset`) }),
                );
              }
              return;
            }
            const bytes = r.ok
              ? typeof opts.respBytes === 'function'
                ? opts.respBytes(r.value)
                : (opts.respBytes ?? 0)
              : 0;
            respCh = this.openChannel(b, a, `${what}:resp`, () => undefined);
            this.sendOn(respCh, `${what}:resp`, bytes, () => {
              if (r.ok) finish({ ok: true, value: r.value as Resp });
              else {
                const e = r.error;
                finish({ ok: false, error: e instanceof Error ? e : new RemoteError(String(e)) });
              }
            });
          });
        });
      },
      abort: () => {
        finished = true;
        timer?.cancel();
      },
    });
    if (result.ok) return result.value;
    throw result.error;
  }

  // ---- streams --------------------------------------------------------------------------------

  /** Accept connections to `svc` in this life of `proc`. */
  listenStream<C2S, S2C>(proc: Process, svc: StreamService<C2S, S2C>, onAccept: (end: StreamEnd<S2C, C2S>) => void): void {
    const l: StreamListener = { onAccept: onAccept as (end: StreamEnd<unknown, unknown>) => void };
    proc.setListener(`stream:${svc.name}`, l);
  }

  /** Open a stream to `svc` on `to`: a handshake round trip; throws NetError on timeout or refusal. */
  *connect<C2S, S2C>(from: Process, to: Process, svc: StreamService<C2S, S2C>, timeoutUs: Micros): Task<StreamEnd<C2S, S2C>> {
    const a = from.host;
    const b = to.host;
    const what = svc.name;
    let done = false;
    let timer: { cancel(): void } | null = null;
    const r = yield* suspend<{ ok: true; end: StreamEnd<C2S, S2C> } | { ok: false; error: Error }>({
      start: (resume) => {
        const finish = (x: { ok: true; end: StreamEnd<C2S, S2C> } | { ok: false; error: Error }): void => {
          if (done) {
            if (x.ok) x.end.close(); // handshake completed after we gave up
            return;
          }
          done = true;
          timer?.cancel();
          resume.ok(x);
        };
        timer = this.sim.schedule(a.clock.trueDelayFor(timeoutUs), () =>
          finish({ ok: false, error: new NetError('timeout', `connect ${what} to ${to.label}: timed out`) }),
        );
        // SYN as a datagram (connect retries are the caller's business), SYN-ACK likewise
        this.sendDatagram(a, b, `${what}:syn`, 0, () => {
          const l = to.alive ? (to.listener(`stream:${what}`) as StreamListener | undefined) : undefined;
          if (!l) {
            this.sendDatagram(b, a, `${what}:rst`, 0, () =>
              finish({ ok: false, error: new NetError('refused', `connect ${what} to ${to.label}: connection refused`) }),
            );
            return;
          }
          const client = new StreamEnd<C2S, S2C>(this, from, to, what);
          const server = new StreamEnd<S2C, C2S>(this, to, from, what);
          client.peer = server as StreamEnd<unknown, unknown>;
          server.peer = client as StreamEnd<unknown, unknown>;
          server.activate();
          to.post(() => l.onAccept(server as StreamEnd<unknown, unknown>), to.incarnation);
          this.sendDatagram(b, a, `${what}:synack`, 0, () => {
            if (!from.alive) {
              server.remoteGone('reset');
              return;
            }
            client.activate();
            finish({ ok: true, end: client });
          });
        });
      },
      abort: () => {
        done = true;
        timer?.cancel();
      },
    });
    if (r.ok) return r.end;
    throw r.error;
  }
}

/**
 * One end of a stream. Handlers run in the owning process (paused: later; dead: never).
 * `send` is silent about a broken path: only the model's own timeouts notice.
 */
export class StreamEnd<Out, In> {
  peer: StreamEnd<unknown, unknown> | null = null;
  private ch: Channel | null = null;
  private inc = -1;
  private _open = false;
  private messageHandler: ((m: In) => void) | null = null;
  private closeHandler: ((r: CloseReason) => void) | null = null;
  /** Withdraws the exit hook of `activate` once the end is closed (it does nothing after that). */
  private unhookExit: (() => void) | null = null;
  /** Delivers one of our messages to the peer (made once per end, not per message). */
  private toPeer: Deliver | null = null;

  constructor(
    private readonly net: Network,
    readonly local: Process,
    readonly remote: Process,
    readonly what: string,
  ) {}

  get open(): boolean {
    return this._open && this.local.incarnation === this.inc;
  }

  /** Called when the end becomes usable, in the owner's current life. */
  activate(): void {
    this.inc = this.local.incarnation;
    this._open = true;
    this.ch = this.net.openChannel(this.local.host, this.remote.host, this.what, () => this.closed('timeout'));
    this.unhookExit?.();
    this.unhookExit = this.local.atExit((why) => {
      if (!this._open) return;
      this._open = false;
      this.unhookExit = null;
      // process died with its host up: the kernel closes the socket (FIN). Power loss: silence.
      // (The FIN is queued behind unsent data; the kernel delivers it although the process is gone.)
      if (why !== 'power-loss') this.sendControl('fin');
      else this.ch?.abort();
    });
  }

  onMessage(h: (m: In) => void): this {
    this.messageHandler = h;
    return this;
  }

  onClose(h: (r: CloseReason) => void): this {
    this.closeHandler = h;
    return this;
  }

  /** Queue a message for the peer. Returns false if this end is closed. */
  send(msg: Out, bytes = 0): boolean {
    if (!this.open || this.ch === null) return false;
    const peer = this.peer as StreamEnd<Out, unknown> | null;
    if (peer === null) return false;
    this.net.sendOn(this.ch, this.what, bytes, (this.toPeer ??= this.makeToPeer()), msg);
    return true;
  }

  private makeToPeer(): Deliver {
    const from = this as unknown as StreamEnd<unknown, unknown>;
    return (msg) => (this.peer as StreamEnd<unknown, unknown>).receive(msg, from);
  }

  /** Close from this side: the peer sees EOF when the FIN arrives. */
  close(): void {
    if (!this._open) return;
    this.markClosed();
    this.sendControl('fin');
  }

  /** `_open` goes false for good in this life: the exit hook would do nothing any more. */
  private markClosed(): void {
    this._open = false;
    const u = this.unhookExit;
    this.unhookExit = null;
    u?.();
  }

  /** Called at the peer's host when one of our messages arrives. */
  private receive(msg: unknown, from: StreamEnd<unknown, unknown>): void {
    if (!this.open) {
      // nobody listens on this socket any more: reset the sender (if its host can hear us)
      if (this.remote.host.powered) from.resetFromPeer();
      return;
    }
    const h = this.messageHandler;
    // what `local.post(fn, inc)` does, without a closure when the process runs now
    if (this.local.runsNow(this.inc)) {
      if (h) h(msg as In);
      return;
    }
    this.local.post(() => {
      if (this.open && h) h(msg as In);
    }, this.inc);
  }

  private resetFromPeer(): void {
    this.net.sendDatagram(this.remote.host, this.local.host, `${this.what}:rst`, 0, () => this.closed('reset'));
  }

  /** The peer's side is gone (used during the handshake). */
  remoteGone(r: CloseReason): void {
    this.closed(r);
  }

  private sendControl(kind: 'fin'): void {
    const peer = this.peer;
    if (!peer || this.ch === null) return;
    // the FIN travels in order behind the data already queued
    this.net.sendOn(this.ch, `${this.what}:${kind}`, 0, () => peer.closed('eof'));
  }

  private closed(r: CloseReason): void {
    const wasOpen = this.open;
    this.markClosed();
    this.ch?.abort();
    if (!wasOpen) return;
    const h = this.closeHandler;
    if (h) this.local.post(() => h(r), this.inc);
  }
}
