// Network faults as data. Each names hosts by host or domain name and compiles to a set of
// directed cuts ("messages from a to b are dropped") or a degradation of links. The network keeps
// a count per directed link, so faults overlap and heal independently.

/** A set of hosts named by host names and/or failure-domain names. */
export type HostSelector = readonly string[];

export type NetFault =
  /** Cut the targets off from every other host, both ways. Inside the targets, traffic flows. */
  | { kind: 'isolate'; targets: HostSelector }
  /**
   * Split into groups that talk inside but not across. Hosts named in no group form one more
   * group of their own (`rest: 'group'`, the default) or keep talking to everyone (`rest: 'connected'`).
   */
  | { kind: 'split'; groups: readonly HostSelector[]; rest?: 'group' | 'connected' }
  /** Symmetric cut between two sets ("cut dc2 from dc1"); other links untouched. */
  | { kind: 'cut'; a: HostSelector; b: HostSelector }
  /** One-way: messages from `from` to `to` are dropped; `to` can still reach `from`. */
  | { kind: 'one-way'; from: HostSelector; to: HostSelector }
  /** Bridge: `a` and `b` cannot talk; the bridge hosts talk to both. */
  | { kind: 'bridge'; a: HostSelector; b: HostSelector; bridge: HostSelector }
  /**
   * Majorities ring (Jepsen): hosts on a ring, each sees a majority (itself and its nearest
   * neighbours) but no two see the same majority. Over the named hosts, or all hosts.
   */
  | { kind: 'ring'; members?: HostSelector }
  /** Degrade links between `a` and `b` (both ways; `b` omitted: between `a` and everyone). */
  | {
      kind: 'degrade';
      a: HostSelector;
      b?: HostSelector;
      /** Multiply latency. */
      latencyFactor?: number;
      /** Add latency, in ms. */
      extraLatencyMs?: number;
      /** Probability that a packet is lost (TCP retransmits: delay; datagrams: dropped). */
      loss?: number;
      /** Probability that a datagram is duplicated (TCP hides duplicates). */
      duplicate?: number;
    };

export type NetFaultKind = NetFault['kind'];

export interface LinkDegradation {
  latencyFactor: number;
  extraLatencyUs: number;
  loss: number;
  duplicate: number;
}

/** Resolve selector names to host indices. */
export type Resolver = (sel: HostSelector) => number[];

/** The directed links (from, to) that a partition-type fault cuts, over `n` hosts. */
export function cutsOf(f: NetFault, n: number, resolve: Resolver, ringOrder: () => number[]): [number, number][] {
  const out: [number, number][] = [];
  const both = (a: readonly number[], b: readonly number[]): void => {
    const bs = new Set(b);
    for (const x of a) {
      for (const y of bs) {
        if (x === y) continue;
        out.push([x, y], [y, x]);
      }
    }
  };
  switch (f.kind) {
    case 'isolate': {
      const t = new Set(resolve(f.targets));
      const rest: number[] = [];
      for (let i = 0; i < n; i++) if (!t.has(i)) rest.push(i);
      both([...t], rest);
      break;
    }
    case 'split': {
      const groupOf = new Map<number, number>();
      f.groups.forEach((g, gi) => {
        for (const h of resolve(g)) if (!groupOf.has(h)) groupOf.set(h, gi);
      });
      const restMode = f.rest ?? 'group';
      const restGroup = f.groups.length;
      for (let i = 0; i < n; i++) {
        if (!groupOf.has(i) && restMode === 'group') groupOf.set(i, restGroup);
      }
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          if (i === j) continue;
          const gi = groupOf.get(i);
          const gj = groupOf.get(j);
          if (gi !== undefined && gj !== undefined && gi !== gj) out.push([i, j]);
        }
      }
      break;
    }
    case 'cut':
      both(resolve(f.a), resolve(f.b));
      break;
    case 'one-way': {
      const to = new Set(resolve(f.to));
      for (const x of resolve(f.from)) for (const y of to) if (x !== y) out.push([x, y]);
      break;
    }
    case 'bridge': {
      const br = new Set(resolve(f.bridge));
      const a = resolve(f.a).filter((x) => !br.has(x));
      const b = resolve(f.b).filter((x) => !br.has(x));
      both(a, b);
      break;
    }
    case 'ring': {
      const members = f.members ? resolve(f.members) : ringOrder();
      const m = members.length;
      if (m < 3) break;
      const majority = Math.floor(m / 2) + 1;
      const reach = Math.ceil((majority - 1) / 2);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < m; j++) {
          if (i === j) continue;
          const d = Math.min(Math.abs(i - j), m - Math.abs(i - j));
          if (d > reach) out.push([members[i] as number, members[j] as number]);
        }
      }
      break;
    }
    case 'degrade':
      break;
  }
  return out;
}

/** The directed links a degradation applies to. */
export function degradedLinksOf(f: Extract<NetFault, { kind: 'degrade' }>, n: number, resolve: Resolver): [number, number][] {
  const a = resolve(f.a);
  const b = f.b ? resolve(f.b) : Array.from({ length: n }, (_, i) => i);
  const out: [number, number][] = [];
  const seen = new Set<number>();
  for (const x of a) {
    for (const y of b) {
      if (x === y) continue;
      for (const [p, q] of [
        [x, y],
        [y, x],
      ] as const) {
        const key = p * n + q;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push([p, q]);
      }
    }
  }
  return out;
}

export function describeNetFault(f: NetFault): string {
  const s = (sel: HostSelector): string => `[${sel.join(',')}]`;
  switch (f.kind) {
    case 'isolate':
      return `isolate ${s(f.targets)}`;
    case 'split':
      return `split ${f.groups.map(s).join(' | ')}${f.rest === 'connected' ? ' (others connected)' : ''}`;
    case 'cut':
      return `cut ${s(f.a)} from ${s(f.b)}`;
    case 'one-way':
      return `one-way: ${s(f.to)} stops hearing ${s(f.from)}`;
    case 'bridge':
      return `bridge ${s(f.a)} | ${s(f.b)} via ${s(f.bridge)}`;
    case 'ring':
      return `majorities ring${f.members ? ` over ${s(f.members)}` : ''}`;
    case 'degrade': {
      const parts: string[] = [];
      if (f.latencyFactor !== undefined) parts.push(`latency x${f.latencyFactor}`);
      if (f.extraLatencyMs !== undefined) parts.push(`+${f.extraLatencyMs}ms`);
      if (f.loss !== undefined) parts.push(`loss ${f.loss}`);
      if (f.duplicate !== undefined) parts.push(`dup ${f.duplicate}`);
      return `degrade ${s(f.a)}${f.b ? `<->${s(f.b)}` : ''} ${parts.join(' ')}`;
    }
  }
}
