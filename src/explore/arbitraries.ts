// fast-check arbitraries for fault schedules, topologies and Patroni configurations.
//
// Every value is plain data in the scenario format (docs/scenario-format.md), so a generated
// schedule is written back as a scenario file that `haywire run` reproduces exactly. Targets come
// from the scenario's own fault space (src/explore/space.ts): its hosts, failure domains,
// processes, nodes and roles. Shrinking goes toward fewer faults (arrays shrink by dropping
// elements), shorter durations and earlier times (integers shrink toward their minimum), smaller
// magnitudes (latencies, loss, clock steps toward 0) and simpler targets (the first choice of each
// list is the simplest: a role such as @primary, then single hosts, then sets and domains).
import fc from 'fast-check';
import { formatDuration } from '../scenarios/units.js';
import type { FaultSpace } from './space.js';

/** A host selector as the scenario format writes it: one name or a list. */
export type Selector = string | string[];

export type NetAction =
  | { kind: 'isolate'; targets: Selector }
  | { kind: 'split'; groups: Selector[] }
  | { kind: 'cut'; a: Selector; b: Selector }
  | { kind: 'one-way'; from: Selector; to: Selector }
  | { kind: 'bridge'; a: Selector; b: Selector; bridge: Selector }
  | { kind: 'ring' }
  | { kind: 'degrade'; a: Selector; b?: Selector; extraLatency?: string; latencyFactor?: number; loss?: number };

/** A generated fault action, in the scenario format's keys and units. */
export type GeneratedAction =
  | NetAction
  | { kind: 'flap'; fault: NetAction; on: string; off: string }
  | { kind: 'crash' | 'pause'; process: string }
  | { kind: 'power-off' | 'reset'; host: string }
  | { kind: 'clock-step'; host: string; by: string }
  | { kind: 'clock-drift'; host: string; ppm: number }
  | { kind: 'disk-stall'; host: string; latency: string }
  | { kind: 'dcs-outage'; mode: 'pause' | 'crash' | 'isolate' }
  | { kind: 'replay-pause'; node: string }
  | { kind: 'pg-start-fails'; node: string }
  | { kind: 'patroni-stop'; node: string }
  | { kind: 'switchover'; cluster?: string; candidate?: string }
  | { kind: 'failover'; cluster?: string; candidate: string }
  | { kind: 'pause-cluster'; cluster?: string }
  | { kind: 'restart'; cluster?: string; node?: string }
  | { kind: 'reinit'; cluster?: string; node: string };

export type GeneratedKind = GeneratedAction['kind'];

export interface GeneratedFault {
  /** Start, ms of true time from the beginning of the run. */
  atMs: number;
  /** Heal after this long (ms); absent for one-shot actions. */
  forMs?: number;
  action: GeneratedAction;
}

export interface GeneratedSchedule {
  faults: GeneratedFault[];
  /**
   * Database and DCS hosts left out of the core that the end of the chaos heals (at most a
   * minority of each): their faults may outlast the chaos window. Empty: everything is healed.
   */
  outside: string[];
}

/** Every kind a schedule may contain, by family. */
export const NETWORK_KINDS = ['isolate', 'split', 'cut', 'one-way', 'bridge', 'ring', 'degrade', 'flap'] as const;
export const PROCESS_KINDS = ['crash', 'pause', 'patroni-stop', 'power-off', 'reset'] as const;
export const CLOCK_DISK_KINDS = ['clock-step', 'clock-drift', 'disk-stall'] as const;
export const MODEL_KINDS = ['dcs-outage', 'replay-pause', 'pg-start-fails'] as const;
export const OPERATOR_KINDS = ['switchover', 'failover', 'pause-cluster', 'restart', 'reinit'] as const;
export const ALL_KINDS: readonly GeneratedKind[] = [...NETWORK_KINDS, ...PROCESS_KINDS, ...CLOCK_DISK_KINDS, ...MODEL_KINDS, ...OPERATOR_KINDS];
/** One-shot actions: no duration. */
export const ONE_SHOT: ReadonlySet<GeneratedKind> = new Set<GeneratedKind>(['reset', 'clock-step', 'switchover', 'failover', 'restart', 'reinit']);

export interface ScheduleOptions {
  /** Kinds to draw from (default: every kind the scenario's world supports). */
  kinds?: readonly GeneratedKind[];
  /** At most this many faults (default 4). */
  maxFaults?: number;
  /** At least this many faults (default 1). */
  minFaults?: number;
  /** Shortest fault, ms (default 1000). */
  minDurationMs?: number;
  /** Longest fault, ms (default: the chaos window). */
  maxDurationMs?: number;
  /** Leave a minority of hosts out of the final heal (default true). */
  partialHeal?: boolean;
  /** Use roles (@primary, @replicas, @sync) as targets (default true). */
  roles?: boolean;
}

const ms = (n: number): string => formatDuration(n * 1000);

/** Kinds this space can carry (e.g. no replay-pause without replicas, no patroni-stop unregistered). */
export function supportedKinds(space: FaultSpace): GeneratedKind[] {
  return ALL_KINDS.filter((k) => {
    if (k === 'patroni-stop') return space.nemesisKinds.includes('patroni-stop');
    if (k === 'dcs-outage') return space.dcsProcesses.length > 0;
    if (k === 'replay-pause' || k === 'failover' || k === 'reinit' || k === 'switchover') return (space.clusters[0]?.nodes.length ?? 0) > 1;
    if (k === 'crash' || k === 'pause') return space.nodeProcesses.length > 0 || space.dcsProcesses.length > 0;
    if (k === 'ring') return space.hosts.length >= 3;
    return true;
  });
}

// ---- targets ------------------------------------------------------------------------------------

/** Hosts that matter to the cluster, in order of simplicity: database nodes, then DCS hosts, then clients. */
function units(space: FaultSpace): string[] {
  return [...space.nodes, ...space.dcsHosts.filter((h) => !space.nodes.includes(h)), ...space.clientHosts];
}

/** A set of hosts: a role, one host, a domain, or a proper subset of the cluster's hosts. */
export function selectorArb(space: FaultSpace, roles = true): fc.Arbitrary<Selector> {
  const us = units(space);
  const parts: fc.Arbitrary<Selector>[] = [];
  if (roles) parts.push(fc.constantFrom<Selector>('@primary', '@replicas', ...(space.synchronous ? ['@sync'] : [])));
  parts.push(fc.constantFrom<Selector>(...us));
  if (space.domains.length > 0) parts.push(fc.constantFrom<Selector>(...space.domains));
  if (us.length > 2) parts.push(fc.subarray(us, { minLength: 2, maxLength: us.length - 1 }));
  return fc.oneof({ withCrossShrink: true }, ...parts);
}

/** Two or three disjoint non-empty groups of the cluster's hosts (or of its domains). */
function groupsArb(space: FaultSpace, n: 2 | 3): fc.Arbitrary<string[][]> {
  const us = units(space);
  const byHosts = fc.array(fc.integer({ min: 0, max: n - 1 }), { minLength: us.length, maxLength: us.length }).map((assign) => {
    const groups: string[][] = Array.from({ length: n }, () => []);
    assign.forEach((g, i) => (groups[g] as string[]).push(us[i] as string));
    return groups;
  });
  const options: fc.Arbitrary<string[][]>[] = [];
  const byDomains = disjointDomainSets(space, n);
  if (byDomains.length > 0) options.push(fc.constantFrom(...byDomains));
  options.push(byHosts);
  return fc.oneof({ withCrossShrink: true }, ...options).filter((gs) => gs.every((g) => g.length > 0));
}

/** Every choice of `n` failure domains with no host in common (domains are few: brute force). */
function disjointDomainSets(space: FaultSpace, n: number): string[][][] {
  const out: string[][][] = [];
  const ds = space.domains;
  const pick = (start: number, chosen: string[]): void => {
    if (chosen.length === n) {
      if (disjoint(space, chosen)) out.push(chosen.map((d) => [d]));
      return;
    }
    for (let i = start; i < ds.length && out.length < 200; i++) pick(i + 1, [...chosen, ds[i] as string]);
  };
  pick(0, []);
  return out;
}

function disjoint(space: FaultSpace, names: readonly string[]): boolean {
  const seen = new Set<string>();
  for (const n of names) {
    for (const h of space.domainHosts[n] ?? [n]) {
      if (seen.has(h)) return false;
      seen.add(h);
    }
  }
  return true;
}

const sel = (g: string[]): Selector => (g.length === 1 ? (g[0] as string) : g);

/** A network fault shape (no flap). */
export function netActionArb(space: FaultSpace, roles = true, kinds: readonly string[] = NETWORK_KINDS): fc.Arbitrary<NetAction> {
  const s = selectorArb(space, roles);
  const arbs: fc.Arbitrary<NetAction>[] = [];
  if (kinds.includes('isolate')) arbs.push(s.map((targets) => ({ kind: 'isolate' as const, targets })));
  if (kinds.includes('cut')) arbs.push(groupsArb(space, 2).map(([a, b]) => ({ kind: 'cut' as const, a: sel(a as string[]), b: sel(b as string[]) })));
  if (kinds.includes('one-way')) arbs.push(groupsArb(space, 2).map(([a, b]) => ({ kind: 'one-way' as const, from: sel(a as string[]), to: sel(b as string[]) })));
  if (kinds.includes('split')) arbs.push(groupsArb(space, 2).map((g2) => ({ kind: 'split' as const, groups: g2.map(sel) })));
  if (kinds.includes('bridge') && units(space).length >= 3) {
    arbs.push(groupsArb(space, 3).map(([a, b, c]) => ({ kind: 'bridge' as const, a: sel(a as string[]), b: sel(b as string[]), bridge: sel(c as string[]) })));
  }
  if (kinds.includes('ring') && space.hosts.length >= 3) arbs.push(fc.constant({ kind: 'ring' as const }));
  if (kinds.includes('degrade')) {
    arbs.push(
      fc
        .record(
          {
            a: s,
            b: fc.option(s, { nil: undefined }),
            extraLatencyMs: fc.integer({ min: 0, max: 3000 }),
            latencyFactor: fc.integer({ min: 1, max: 20 }),
            lossPermille: fc.integer({ min: 0, max: 400 }),
          },
          { requiredKeys: ['a', 'extraLatencyMs', 'latencyFactor', 'lossPermille'] },
        )
        .map(({ a, b, extraLatencyMs, latencyFactor, lossPermille }) => {
          const d: Extract<NetAction, { kind: 'degrade' }> = { kind: 'degrade', a };
          if (b !== undefined) d.b = b;
          if (extraLatencyMs > 0) d.extraLatency = ms(extraLatencyMs);
          if (latencyFactor > 1) d.latencyFactor = latencyFactor;
          if (lossPermille > 0) d.loss = lossPermille / 1000;
          if (d.extraLatency === undefined && d.latencyFactor === undefined && d.loss === undefined) d.extraLatency = '100ms';
          return d;
        }),
    );
  }
  if (arbs.length === 0) throw new Error('no network fault kind left to draw');
  return fc.oneof({ withCrossShrink: true }, ...arbs);
}

// ---- one fault ----------------------------------------------------------------------------------

interface KindArb {
  kind: GeneratedKind;
  weight: number;
  arb: fc.Arbitrary<GeneratedAction>;
}

function actionArbs(space: FaultSpace, opts: Required<Pick<ScheduleOptions, 'roles'>>): KindArb[] {
  const roles = opts.roles;
  const first = space.clusters[0];
  const clusterKey = space.clusters.length > 1 && first ? { cluster: first.name } : {};
  const nodes = first?.nodes ?? space.nodes;
  const nodeHosts = space.nodes;
  const allHosts = units(space);
  const roleHosts = roles ? ['@primary', '@replicas'] : [];
  // roles, database hosts and DCS hosts each get a third of the draws (roles first: the shrink
  // target). Client hosts are left to network faults: the client processes do not come back after
  // a power cycle (nothing restarts an application in the model), so powering them off would end
  // the workload for the rest of the run rather than test the cluster.
  const hostChoice = choice([roleHosts, nodeHosts, space.dcsHosts.filter((h) => !nodeHosts.includes(h))]);
  const dbHostChoice = choice([roleHosts, nodeHosts]);
  const processChoice = choice([
    roles ? space.nodeProcesses.map((p) => `@primary/${p}`) : [],
    nodeHosts.flatMap((n) => space.nodeProcesses.map((p) => `${n}/${p}`)),
    space.dcsProcesses,
  ]);
  const nodeChoice = fc.constantFrom(...nodes);
  const replicaRef = fc.constantFrom(...(roles ? ['@replicas'] : []), ...nodes);
  const net = netActionArb(space, roles);
  const flapNet = netActionArb(space, roles, ['isolate', 'cut', 'one-way', 'split', 'degrade']);
  const list: KindArb[] = [
    { kind: 'isolate', weight: 4, arb: netActionArb(space, roles, ['isolate']) },
    { kind: 'split', weight: 2, arb: netActionArb(space, roles, ['split']) },
    { kind: 'cut', weight: 2, arb: netActionArb(space, roles, ['cut']) },
    { kind: 'one-way', weight: 2, arb: netActionArb(space, roles, ['one-way']) },
    { kind: 'bridge', weight: 1, arb: allHosts.length >= 3 ? netActionArb(space, roles, ['bridge']) : net },
    { kind: 'ring', weight: 1, arb: fc.constant({ kind: 'ring' as const }) },
    { kind: 'degrade', weight: 2, arb: netActionArb(space, roles, ['degrade']) },
    {
      kind: 'flap',
      weight: 1,
      arb: fc.record({ fault: flapNet, onMs: fc.integer({ min: 500, max: 30_000 }), offMs: fc.integer({ min: 500, max: 30_000 }) }).map((f) => ({ kind: 'flap' as const, fault: f.fault, on: ms(f.onMs), off: ms(f.offMs) })),
    },
    { kind: 'crash', weight: 3, arb: processChoice.map((process) => ({ kind: 'crash' as const, process })) },
    { kind: 'pause', weight: 3, arb: processChoice.map((process) => ({ kind: 'pause' as const, process })) },
    { kind: 'patroni-stop', weight: 1, arb: nodeChoice.map((node) => ({ kind: 'patroni-stop' as const, node })) },
    { kind: 'power-off', weight: 2, arb: hostChoice.map((host) => ({ kind: 'power-off' as const, host })) },
    { kind: 'reset', weight: 1, arb: hostChoice.map((host) => ({ kind: 'reset' as const, host })) },
    {
      kind: 'clock-step',
      weight: 1,
      arb: fc.record({ host: hostChoice, byMs: fc.integer({ min: -120_000, max: 120_000 }) }).map(({ host, byMs }) => ({ kind: 'clock-step' as const, host, by: ms(byMs) })),
    },
    {
      kind: 'clock-drift',
      weight: 1,
      arb: fc.record({ host: hostChoice, ppm: fc.integer({ min: -1000, max: 1000 }) }).map(({ host, ppm }) => ({ kind: 'clock-drift' as const, host, ppm })),
    },
    {
      kind: 'disk-stall',
      weight: 1,
      arb: fc.record({ host: dbHostChoice, latencyMs: fc.integer({ min: 10, max: 20_000 }) }).map(({ host, latencyMs }) => ({ kind: 'disk-stall' as const, host, latency: ms(latencyMs) })),
    },
    { kind: 'dcs-outage', weight: 1, arb: fc.constantFrom('pause' as const, 'crash' as const, 'isolate' as const).map((mode) => ({ kind: 'dcs-outage' as const, mode })) },
    { kind: 'replay-pause', weight: 1, arb: replicaRef.map((node) => ({ kind: 'replay-pause' as const, node })) },
    // a start that fails matters only when PostgreSQL is (re)started: after a crash, a rewind, a restart
    { kind: 'pg-start-fails', weight: 1, arb: nodeChoice.map((node) => ({ kind: 'pg-start-fails' as const, node })) },
    {
      kind: 'switchover',
      weight: 1,
      arb: fc.option(nodeChoice, { nil: undefined }).map((c) => ({ kind: 'switchover' as const, ...clusterKey, ...(c !== undefined ? { candidate: c } : {}) })),
    },
    { kind: 'failover', weight: 1, arb: nodeChoice.map((candidate) => ({ kind: 'failover' as const, ...clusterKey, candidate })) },
    { kind: 'pause-cluster', weight: 1, arb: fc.constant({ kind: 'pause-cluster' as const, ...clusterKey }) },
    {
      kind: 'restart',
      weight: 1,
      arb: fc.option(nodeChoice, { nil: undefined }).map((n) => ({ kind: 'restart' as const, ...clusterKey, ...(n !== undefined ? { node: n } : {}) })),
    },
    { kind: 'reinit', weight: 1, arb: nodeChoice.map((node) => ({ kind: 'reinit' as const, ...clusterKey, node })) },
  ];
  return list;
}

/** One of several groups of names, each group equally likely (empty groups left out); shrinks toward the first. */
function choice(groups: readonly (readonly string[])[]): fc.Arbitrary<string> {
  const arbs = groups.filter((g) => g.length > 0).map((g) => fc.constantFrom(...g));
  if (arbs.length === 0) throw new Error('no target to draw from');
  return arbs.length === 1 ? (arbs[0] as fc.Arbitrary<string>) : fc.oneof({ withCrossShrink: true }, ...arbs);
}

/** One fault action of the given kinds (weighted; the first kind listed is the shrink target). */
export function actionArb(space: FaultSpace, opts: ScheduleOptions = {}): fc.Arbitrary<GeneratedAction> {
  const allowed = new Set<GeneratedKind>(opts.kinds ?? supportedKinds(space));
  const arbs = actionArbs(space, { roles: opts.roles ?? true }).filter((k) => allowed.has(k.kind) && supportedKinds(space).includes(k.kind));
  if (arbs.length === 0) throw new Error(`no fault kind left to draw (asked for ${[...allowed].join(', ')})`);
  return fc.oneof({ withCrossShrink: true }, ...arbs.map((k) => ({ arbitrary: k.arb, weight: k.weight })));
}

/** One fault: an action, a start in the chaos window and (unless one-shot) a duration. */
export function faultArb(space: FaultSpace, opts: ScheduleOptions = {}): fc.Arbitrary<GeneratedFault> {
  const chaosMs = space.chaosEndMs - space.chaosStartMs;
  const lastStart = Math.max(space.chaosStartMs, space.chaosEndMs - 1000);
  const minDur = Math.max(1, opts.minDurationMs ?? 1000);
  const maxDur = Math.max(minDur, opts.maxDurationMs ?? chaosMs);
  return fc
    .record({
      atMs: fc.integer({ min: space.chaosStartMs, max: lastStart }),
      forMs: fc.integer({ min: minDur, max: maxDur }),
      action: actionArb(space, opts),
    })
    .map(({ atMs, forMs, action }) => (ONE_SHOT.has(action.kind) ? { atMs, action } : { atMs, forMs, action }));
}

/** Database and DCS hosts that may stay out of the final heal: at most a minority of each. */
export function outsideArb(space: FaultSpace): fc.Arbitrary<string[]> {
  const nodes = space.nodes;
  const dcs = space.dcsHosts.filter((h) => !nodes.includes(h));
  const maxNodes = Math.floor((nodes.length - 1) / 2);
  const maxDcs = Math.floor((space.dcsHosts.length - 1) / 2);
  return fc
    .tuple(maxNodes > 0 ? fc.subarray(nodes, { maxLength: maxNodes }) : fc.constant([] as string[]), maxDcs > 0 ? fc.subarray(dcs, { maxLength: maxDcs }) : fc.constant([] as string[]))
    .map(([a, b]) => [...a, ...b]);
}

/**
 * A fault schedule for the space's chaos window. The faults are `maxFaults` slots, each holding a
 * fault or nothing (half the time): every slot shrinks to nothing on its own, so shrinking can drop
 * any fault — fast-check's array shrinker only drops leading elements, which would leave a harmless
 * fault behind an essential one.
 */
export function scheduleArb(space: FaultSpace, opts: ScheduleOptions = {}): fc.Arbitrary<GeneratedSchedule> {
  const maxFaults = Math.max(1, opts.maxFaults ?? 4);
  const minFaults = Math.min(opts.minFaults ?? 1, maxFaults);
  const slots = fc
    .array(fc.option(faultArb(space, opts), { nil: null, freq: 2 }), { minLength: maxFaults, maxLength: maxFaults })
    .filter((xs) => xs.filter((x) => x !== null).length >= minFaults)
    .map((xs) => xs.filter((x): x is GeneratedFault => x !== null));
  return fc.record({
    faults: slots,
    outside: opts.partialHeal === false ? fc.constant([] as string[]) : outsideArb(space),
  });
}

// ---- configurations and topologies -------------------------------------------------------------

/** Patroni's dynamic configuration, within its validator's bounds (`patroni/validator.py`, `Config._validate_and_adjust_timeouts`). */
export interface PatroniConfigSample {
  ttl: number;
  loop_wait: number;
  retry_timeout: number;
  maximum_lag_on_failover: number;
  synchronous_mode: boolean | 'quorum';
  synchronous_mode_strict: boolean;
  failsafe_mode: boolean;
  primary_start_timeout: number;
  postgresql: { use_pg_rewind: boolean };
  watchdog: { mode: 'off' | 'automatic' | 'required' };
}

export interface PatroniConfigOptions {
  ttlS?: [number, number];
  /** Include synchronous modes (default true). */
  synchronous?: boolean;
}

/**
 * A Patroni configuration that Patroni accepts as it is: ttl >= 20, loop_wait >= 1,
 * retry_timeout >= 3 and loop_wait + 2*retry_timeout <= ttl (so Patroni adjusts nothing).
 * Shrinks toward Patroni's defaults' shape: small ttl, async, no failsafe, watchdog off.
 */
export function patroniConfigArb(opts: PatroniConfigOptions = {}): fc.Arbitrary<PatroniConfigSample> {
  const [lo, hi] = opts.ttlS ?? [20, 120];
  return fc
    .integer({ min: Math.max(20, lo), max: Math.max(20, hi) })
    .chain((ttl) =>
      fc.integer({ min: 3, max: Math.floor((ttl - 1) / 2) }).chain((retry) =>
        fc.record({
          ttl: fc.constant(ttl),
          retry_timeout: fc.constant(retry),
          loop_wait: fc.integer({ min: 1, max: ttl - 2 * retry }),
          maximum_lag_on_failover: fc.constantFrom(1_048_576, 0, 16 * 1_048_576, 256 * 1_048_576),
          synchronous_mode: opts.synchronous === false ? fc.constant(false as const) : fc.constantFrom<boolean | 'quorum'>(false, true, 'quorum'),
          synchronous_mode_strict: opts.synchronous === false ? fc.constant(false) : fc.boolean(),
          failsafe_mode: fc.boolean(),
          primary_start_timeout: fc.constantFrom(300, 0, 30),
          postgresql: fc.record({ use_pg_rewind: fc.boolean() }),
          watchdog: fc.record({ mode: fc.constantFrom('off' as const, 'automatic' as const, 'required' as const) }),
        }),
      ),
    );
}

/** A topology: database nodes spread over datacentres of regions, DCS members placed with them. */
export interface TopologySample {
  /** topology.hosts: host → domain path. */
  hosts: Record<string, string>;
  /** Database nodes (hosts). */
  nodes: string[];
  /** DCS members as the scenario format declares them. */
  dcsMembers: { name: string; domains: string }[];
  /** topology.latency.overrides between datacentres. */
  overrides: { between: [string, string]; rtt: string }[];
}

export interface TopologyOptions {
  /** Database nodes (default 2..5). */
  nodes?: [number, number];
  /** Datacentres (default 1..3). */
  datacenters?: [number, number];
  /** Odd DCS sizes to choose from (default [3, 5]). */
  dcsSizes?: readonly number[];
  /** Cross-datacentre RTT range in ms (default 1..300). */
  rttMs?: [number, number];
}

/** Nodes, datacentres and DCS members; node i and member i go to datacentre i mod n. Shrinks toward one datacentre. */
export function topologyArb(opts: TopologyOptions = {}): fc.Arbitrary<TopologySample> {
  const [nLo, nHi] = opts.nodes ?? [2, 5];
  const [dLo, dHi] = opts.datacenters ?? [1, 3];
  const [rLo, rHi] = opts.rttMs ?? [1, 300];
  return fc
    .record({
      nodes: fc.integer({ min: nLo, max: nHi }),
      dcs: fc.integer({ min: Math.max(1, dLo), max: Math.max(1, dHi) }),
      members: fc.constantFrom(...(opts.dcsSizes ?? [3, 5])),
      rtts: fc.array(fc.integer({ min: rLo, max: rHi }), { minLength: 3, maxLength: 3 }),
    })
    .map(({ nodes, dcs, members, rtts }) => {
      const hosts: Record<string, string> = {};
      const names: string[] = [];
      for (let i = 0; i < nodes; i++) {
        const n = `pg${i + 1}`;
        names.push(n);
        hosts[n] = `region1/dc${(i % dcs) + 1}/room1/rack${Math.floor(i / dcs) + 1}`;
      }
      const dcsMembers = Array.from({ length: members }, (_, i) => ({ name: `etcd${i + 1}`, domains: `region1/dc${(i % dcs) + 1}/room1/rack-etcd${i + 1}` }));
      const overrides: TopologySample['overrides'] = [];
      let k = 0;
      for (let a = 1; a <= dcs; a++) {
        for (let b = a + 1; b <= dcs; b++) overrides.push({ between: [`dc${a}`, `dc${b}`], rtt: ms(rtts[k++ % rtts.length] as number) });
      }
      return { hosts, nodes: names, dcsMembers, overrides };
    });
}
