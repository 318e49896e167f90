// Ground truth from the history: who could really reach whom (the directed cut lists of `net.fault`
// records, host power), which processes were alive, and the instants where any of it changed.
// What the simulator knows and Patroni does not — the yardstick for the misjudgment detectors.
import type { ProcState } from '../sim/host/process.js';
import { dcsMembersOf, type History } from './history.js';
import { mergeIntervals, coversAt, spanAt, type Interval, type Span } from './intervals.js';

export class GroundTruth {
  private readonly cuts = new Map<string, Interval[]>();
  private readonly points: number[];
  readonly hosts: string[];

  constructor(readonly h: History) {
    const raw = new Map<string, Interval[]>();
    for (const f of h.netFaults) {
      for (const c of f.cuts) {
        let l = raw.get(c);
        if (!l) {
          l = [];
          raw.set(c, l);
        }
        l.push({ fromUs: f.fromUs, toUs: f.toUs });
      }
    }
    for (const [k, l] of raw) this.cuts.set(k, mergeIntervals(l));
    const pts = new Set<number>();
    for (const f of h.netFaults) {
      pts.add(f.fromUs);
      pts.add(f.toUs);
    }
    const addSpans = (rec: Record<string, Span<unknown>[]>): void => {
      for (const spans of Object.values(rec)) for (const s of spans) pts.add(s.fromUs);
    };
    addSpans(h.power);
    addSpans(h.procs);
    addSpans(h.pg);
    addSpans(h.quorum);
    addSpans(h.replication);
    for (const f of h.faults) {
      pts.add(f.fromUs);
      pts.add(f.toUs);
    }
    this.points = [...pts].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    const hs = new Set<string>(h.meta.hosts.map((x) => x.name));
    for (const n of h.pgNodes) hs.add(n);
    for (const m of h.meta.dcsMembers) hs.add(m.host);
    for (const st of h.meta.dcsStores) for (const m of st.members) hs.add(m.host);
    for (const c of h.meta.clients) if (c.host) hs.add(c.host);
    this.hosts = [...hs];
  }

  /** Instants where reachability, power, process or server state may change. */
  changePoints(): readonly number[] {
    return this.points;
  }

  hostUp(host: string, t: number): boolean {
    const spans = this.h.power[host];
    if (!spans || spans.length === 0) return true;
    const s = spanAt(spans, t);
    if (s) return s.v;
    // before the first power record the host was in the opposite state of that record's
    return !(spans[0] as Span<boolean>).v || t >= (spans[0] as Span<boolean>).fromUs;
  }

  /** Messages from `a` reach `b` at t (no cut, both hosts powered). Same host: always. */
  canSend(a: string, b: string, t: number): boolean {
    if (a === b) return this.hostUp(a, t);
    if (!this.hostUp(a, t) || !this.hostUp(b, t)) return false;
    const c = this.cuts.get(`${a}>${b}`);
    return c === undefined || !coversAt(c, t);
  }

  twoWay(a: string, b: string, t: number): boolean {
    return this.canSend(a, b, t) && this.canSend(b, a, t);
  }

  /** Either direction between a and b is cut at t (hosts up). */
  linkCut(a: string, b: string, t: number): boolean {
    return !this.twoWay(a, b, t);
  }

  /** The state of a process at t; undefined if the history never mentions it. */
  procState(host: string, proc: string, t: number): ProcState | undefined {
    const spans = this.h.procs[`${host}/${proc}`];
    if (!spans || spans.length === 0) return undefined;
    const s = spanAt(spans, t);
    if (s) return s.v;
    return t < (spans[0] as Span<ProcState>).fromUs ? 'stopped' : undefined;
  }

  /** Key of the Patroni agent process on a node ("host/proc"), if the history has one. */
  patroniProc(node: string): string | undefined {
    const keys = Object.keys(this.h.procs).filter((k) => k.startsWith(`${node}/`));
    return keys.find((k) => k === `${node}/patroni`) ?? keys.find((k) => /patroni/i.test(k.slice(node.length + 1)));
  }

  /** The Patroni agent's process state on a node at t (undefined: not recorded, assume running). */
  patroniState(node: string, t: number): ProcState | undefined {
    const key = this.patroniProc(node);
    if (!key) return undefined;
    const s = spanAt(this.h.procs[key] ?? [], t);
    return s?.v;
  }

  /** The Patroni process spans on a node. */
  patroniSpans(node: string): Span<ProcState>[] {
    const key = this.patroniProc(node);
    return key ? (this.h.procs[key] ?? []) : [];
  }

  private memberAlive(m: { name: string; host: string }, t: number): boolean {
    if (!this.hostUp(m.host, t)) return false;
    const st = this.procState(m.host, m.name, t);
    return st === undefined || st === 'running';
  }

  /** Members of `host`'s DCS (its cluster's store) alive and two-way reachable from it at t, against the total. */
  dcsReach(host: string, t: number): { reachable: string[]; total: number; majority: boolean } {
    const members = dcsMembersOf(this.h.meta, host);
    const reachable = members.filter((m) => this.memberAlive(m, t) && this.twoWay(host, m.host, t)).map((m) => m.name);
    return { reachable, total: members.length, majority: members.length > 0 && reachable.length * 2 > members.length };
  }

  /** Clients with a known host: those that could and could not reach `host` (two-way) at t. */
  clientReach(host: string, t: number): { reachable: string[]; cut: string[] } {
    const reachable: string[] = [];
    const cut: string[] = [];
    for (const c of this.h.meta.clients) {
      if (!c.host) continue;
      if (!this.hostUp(c.host, t)) continue;
      (this.twoWay(c.host, host, t) ? reachable : cut).push(c.name);
    }
    return { reachable, cut };
  }

  /** Groups of powered hosts that can all talk to each other both ways (connected components). */
  partitionGroups(t: number): string[][] {
    const up = this.hosts.filter((x) => this.hostUp(x, t)).sort();
    const seen = new Set<string>();
    const groups: string[][] = [];
    for (const x of up) {
      if (seen.has(x)) continue;
      const g: string[] = [];
      const stack = [x];
      seen.add(x);
      while (stack.length > 0) {
        const y = stack.pop() as string;
        g.push(y);
        for (const z of up) {
          if (!seen.has(z) && this.twoWay(y, z, t)) {
            seen.add(z);
            stack.push(z);
          }
        }
      }
      groups.push(g.sort());
    }
    return groups;
  }
}
