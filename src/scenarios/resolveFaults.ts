// The fault timeline after the schema: ids, times against the phases, and every name a fault
// uses (hosts, domains, processes, nodes, clusters, stores, earlier faults) checked.
import type { Path } from './errors.js';
import type { NameTable, Reporter } from './resolve.js';
import { ONE_SHOT_KINDS, OPERATOR_KINDS, type FaultInput, type FaultActionInput, type NetShapeInput } from './schema/faults.js';
import { isRole, ROLE } from './schema/common.js';
import { didYouMean } from './suggest.js';
import type { ClusterDecl, FaultDecl, PhasesDecl, StoreDecl } from './types.js';
import { formatDuration } from './units.js';

export interface FaultContext {
  names: NameTable;
  phases: PhasesDecl;
  clusters: ClusterDecl[];
  stores: StoreDecl[];
  r: Reporter;
}

export function checkFaults(faults: readonly FaultInput[], ctx: FaultContext): FaultDecl[] {
  const { r, phases } = ctx;
  const out: FaultDecl[] = [];
  const ids = new Map<string, number>();
  faults.forEach((f, i) => {
    const id = f.id ?? `f${i}`;
    if (ids.has(id)) r.error(['faults', i, f.id !== undefined ? 'id' : 'at'], `fault id "${id}" is already used by faults[${ids.get(id)}]`);
    ids.set(id, i);
  });
  faults.forEach((f, i) => {
    const path: Path = ['faults', i];
    const id = f.id ?? `f${i}`;
    const kind = f.action.kind;
    const operator = (OPERATOR_KINDS as readonly string[]).includes(kind);
    const end = `${formatDuration(phases.endUs)} = warmup ${formatDuration(phases.warmupUs)} + chaos ${formatDuration(phases.chaosUs)} + converge ${formatDuration(phases.convergeUs)}`;
    if (f.at >= phases.endUs) {
      r.error([...path, 'at'], `at ${formatDuration(f.at)} is after the end of the run (${end}); lengthen the phases or move the fault`);
    } else if (f.at < phases.warmupUs) {
      r.warn([...path, 'at'], `at ${formatDuration(f.at)} is inside the warmup (${formatDuration(phases.warmupUs)}): the cluster may still be forming`);
    } else if (f.at >= phases.chaosEndUs && !operator && kind !== 'heal') {
      r.warn([...path, 'at'], `at ${formatDuration(f.at)} is after the chaos window (ends at ${formatDuration(phases.chaosEndUs)}): the heal phase will not undo it`);
    }
    if (f.for !== undefined && ONE_SHOT_KINDS.includes(kind)) r.warn([...path, 'for'], `${kind} happens once; "for" has no effect`);
    if (f.for !== undefined && f.for === 0) r.warn([...path, 'for'], 'lasts 0s: it is healed as soon as it is applied');
    const cluster = checkAction(f.action, path, ctx, ids, i);
    out.push({
      id,
      atUs: f.at,
      ...(f.for !== undefined ? { durationUs: f.for } : {}),
      ...(f.note !== undefined ? { note: f.note } : {}),
      ...(cluster !== undefined ? { cluster } : {}),
      action: f.action,
      path,
    });
  });
  return out;
}

/** Path of the j-th name of a selector written as a string or a list. */
function selPath(r: Reporter, path: Path, j: number): Path {
  const raw = dataAt(r.src.data, path);
  return Array.isArray(raw) ? [...path, j] : path;
}

function dataAt(data: unknown, path: Path): unknown {
  let d = data;
  for (const seg of path) {
    if (d === null || typeof d !== 'object') return undefined;
    d = (d as Record<string | number, unknown>)[seg];
  }
  return d;
}

/** A role (`@primary`, `@replicas`, `@sync`, optionally `:cluster`): the cluster must exist and be unambiguous. */
function checkRole(role: string, path: Path, ctx: FaultContext): void {
  const m = ROLE.exec(role);
  const cluster = m?.[2];
  if (cluster !== undefined) {
    if (!ctx.names.clusters.has(cluster)) ctx.r.error(path, `unknown cluster "${cluster}" in "${role}"${didYouMean(cluster, [...ctx.names.clusters.keys()])}`);
  } else if (ctx.clusters.length > 1) {
    ctx.r.error(path, `"${role}" is ambiguous with ${ctx.clusters.length} clusters; qualify it, e.g. "${role}:${ctx.clusters[0]?.name ?? 'name'}"`);
  }
}

function checkSelector(names: readonly string[], path: Path, ctx: FaultContext): void {
  names.forEach((n, j) => {
    if (isRole(n)) checkRole(n, selPath(ctx.r, path, j), ctx);
    else if (!ctx.names.isSelectable(n)) {
      ctx.r.error(selPath(ctx.r, path, j), `unknown host or failure domain "${n}"${didYouMean(n, ctx.names.selectable())}`);
    } else if (ctx.names.isAmbiguous(n)) {
      ctx.r.warn(selPath(ctx.r, path, j), `"${n}" names failure domains in several places of the tree (for instance one per datacenter); the fault takes all of them`);
    }
  });
}

function checkHosts(names: readonly string[], path: Path, ctx: FaultContext): void {
  checkSelector(names, path, ctx);
}

function checkNet(a: NetShapeInput, path: Path, ctx: FaultContext): void {
  switch (a.kind) {
    case 'isolate':
      checkSelector(a.targets, [...path, 'targets'], ctx);
      break;
    case 'split':
      a.groups.forEach((g, j) => checkSelector(g, [...path, 'groups', j], ctx));
      break;
    case 'cut':
      checkSelector(a.a, [...path, 'a'], ctx);
      checkSelector(a.b, [...path, 'b'], ctx);
      break;
    case 'one-way':
      checkSelector(a.from, [...path, 'from'], ctx);
      checkSelector(a.to, [...path, 'to'], ctx);
      break;
    case 'bridge':
      checkSelector(a.a, [...path, 'a'], ctx);
      checkSelector(a.b, [...path, 'b'], ctx);
      checkSelector(a.bridge, [...path, 'bridge'], ctx);
      break;
    case 'ring':
      if (a.members) checkSelector(a.members, [...path, 'members'], ctx);
      break;
    case 'degrade':
      checkSelector(a.a, [...path, 'a'], ctx);
      if (a.b) checkSelector(a.b, [...path, 'b'], ctx);
      if (a.latencyFactor === undefined && a.extraLatency === undefined && a.loss === undefined && a.duplicate === undefined) {
        ctx.r.error(path, 'degrade changes nothing: give latencyFactor, extraLatency, loss or duplicate');
      }
      break;
  }
}

function checkNode(node: string, path: Path, ctx: FaultContext, cluster?: string): void {
  if (isRole(node)) {
    checkRole(node, path, ctx);
    return;
  }
  const c = ctx.names.nodes.get(node);
  if (c === undefined) ctx.r.error(path, `"${node}" is not a node${didYouMean(node, [...ctx.names.nodes.keys()])}`);
  else if (cluster !== undefined && c !== cluster) ctx.r.error(path, `node "${node}" belongs to cluster "${c}", not "${cluster}"`);
}

/** The cluster an operator action addresses: given, or implied by its nodes, or the only one. */
function operatorCluster(a: { cluster?: string | undefined }, nodes: readonly string[], path: Path, ctx: FaultContext): string | undefined {
  if (a.cluster !== undefined) {
    if (!ctx.names.clusters.has(a.cluster)) {
      ctx.r.error([...path, 'cluster'], `unknown cluster "${a.cluster}"${didYouMean(a.cluster, [...ctx.names.clusters.keys()])}`);
      return undefined;
    }
    return a.cluster;
  }
  for (const n of nodes) {
    const c = isRole(n) ? ROLE.exec(n)?.[2] : ctx.names.nodes.get(n);
    if (c !== undefined) return c;
  }
  if (ctx.clusters.length === 1) return ctx.clusters[0]?.name;
  ctx.r.error(path, `there are ${ctx.clusters.length} clusters (${ctx.clusters.map((c) => c.name).join(', ')}); say which with "cluster"`);
  return undefined;
}

function checkAction(a: FaultActionInput, path: Path, ctx: FaultContext, ids: Map<string, number>, index: number): string | undefined {
  const { r, names } = ctx;
  switch (a.kind) {
    case 'isolate':
    case 'split':
    case 'cut':
    case 'one-way':
    case 'bridge':
    case 'ring':
    case 'degrade':
      checkNet(a, path, ctx);
      return undefined;
    case 'flap':
      checkNet(a.fault, [...path, 'fault'], ctx);
      if (a.on === 0 || a.off === 0) r.error(path, 'a flap needs on and off longer than 0s');
      return undefined;
    case 'crash':
    case 'start':
    case 'pause':
      a.process.forEach((p, j) => {
        const host = p.slice(0, p.lastIndexOf('/'));
        if (isRole(host)) checkRole(host, selPath(r, [...path, 'process'], j), ctx);
        else if (!names.hosts.has(host)) r.error(selPath(r, [...path, 'process'], j), `unknown host "${host}" in process "${p}"${didYouMean(host, [...names.hosts.keys()])}`);
      });
      return undefined;
    case 'power-off':
    case 'reset':
    case 'clock-step':
    case 'clock-drift':
    case 'disk-stall':
      checkHosts(a.host, [...path, 'host'], ctx);
      return undefined;
    case 'heal':
      if (a.fault !== undefined) {
        const j = ids.get(a.fault);
        if (j === undefined) r.error([...path, 'fault'], `no fault has id "${a.fault}"${didYouMean(a.fault, [...ids.keys()])}`);
        else if (j === index) r.error([...path, 'fault'], 'a heal cannot heal itself');
      }
      return undefined;
    case 'dcs-outage': {
      if (a.store !== undefined && !ctx.stores.some((s) => s.name === a.store)) {
        r.error([...path, 'store'], `unknown store "${a.store}"${didYouMean(a.store, ctx.stores.map((s) => s.name))}`);
      } else if (a.store === undefined && ctx.stores.length > 1) {
        r.error(path, `there are ${ctx.stores.length} stores (${ctx.stores.map((s) => s.name).join(', ')}); say which with "store"`);
      }
      const store = ctx.stores.find((s) => s.name === (a.store ?? ctx.stores[0]?.name));
      if (store?.backend === 'memory') r.error(path, 'the memory store lives inside the Patroni process: crash or pause that process instead');
      return undefined;
    }
    case 'replay-pause':
    case 'pg-start-fails':
    case 'patroni-stop':
      checkNode(a.node, [...path, 'node'], ctx);
      return isRole(a.node) ? roleCluster(a.node, ctx) : names.nodes.get(a.node);
    case 'switchover': {
      const c = operatorCluster(a, [a.leader, a.candidate].filter((x): x is string => x !== undefined), path, ctx);
      if (a.leader !== undefined) checkNode(a.leader, [...path, 'leader'], ctx, c);
      if (a.candidate !== undefined) checkNode(a.candidate, [...path, 'candidate'], ctx, c);
      checkFrom(a.from, path, ctx);
      return c;
    }
    case 'failover': {
      const c = operatorCluster(a, [a.candidate], path, ctx);
      checkNode(a.candidate, [...path, 'candidate'], ctx, c);
      checkFrom(a.from, path, ctx);
      return c;
    }
    case 'restart': {
      const nodes = a.node ?? [];
      const c = operatorCluster(a, nodes, path, ctx);
      nodes.forEach((n, j) => checkNode(n, selPath(r, [...path, 'node'], j), ctx, c));
      checkFrom(a.from, path, ctx);
      return c;
    }
    case 'reinit': {
      const c = operatorCluster(a, [a.node], path, ctx);
      checkNode(a.node, [...path, 'node'], ctx, c);
      checkFrom(a.from, path, ctx);
      return c;
    }
    case 'pause-cluster':
    case 'resume-cluster':
    case 'edit-config':
    case 'promote-cluster': {
      const c = operatorCluster(a, [], path, ctx);
      checkFrom(a.from, path, ctx);
      if (a.kind === 'promote-cluster' && c !== undefined && ctx.clusters.find((x) => x.name === c)?.dynamic.standby_cluster === undefined) {
        r.warn(path, `cluster "${c}" is not a standby cluster; Patroni answers that it is already in the required state`);
      }
      return c;
    }
    case 'demote-cluster': {
      const c = operatorCluster(a, [], path, ctx);
      checkFrom(a.from, path, ctx);
      if (!names.hosts.has(a.host)) {
        r.error([...path, 'host'], `unknown host "${a.host}"${didYouMean(a.host, [...names.hosts.keys()])} (the node of the other cluster to replicate from)`);
      } else if (c !== undefined && names.nodes.get(a.host) === c) r.error([...path, 'host'], `"${a.host}" is a node of cluster "${c}" itself`);
      return c;
    }
    case '$model':
      // checked against the nemesis registry when the world is built (haywire validate does a dry build)
      return undefined;
  }
}

/** The cluster a role refers to (its qualifier, or the only cluster). */
function roleCluster(role: string, ctx: FaultContext): string | undefined {
  return ROLE.exec(role)?.[2] ?? (ctx.clusters.length === 1 ? ctx.clusters[0]?.name : undefined);
}

function checkFrom(from: string | undefined, path: Path, ctx: FaultContext): void {
  if (from !== undefined && !ctx.names.hosts.has(from)) {
    ctx.r.error([...path, 'from'], `unknown host "${from}"${didYouMean(from, [...ctx.names.hosts.keys()])}`);
  }
}
