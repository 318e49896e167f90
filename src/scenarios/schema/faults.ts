// The `faults` section: a timeline of actions, each `{ at, for?, kind, ...parameters }`.
// Kernel-level kinds (network shapes, processes, hosts, clocks, disks) mirror
// `src/sim/faults/basic.ts` and are validated precisely here; model kinds (DCS outage, replay
// pause) and operator actions (patronictl) are validated here too and mapped onto the models'
// actions by `build.ts`. A kind this file does not know passes through untouched as a
// model-registered action — unless it is a near miss of a known kind (then it is a typo) — and is
// checked against the nemesis registry when the run is built.
import { z } from 'zod';
import { provideSchema } from '../issues.js';
import { nearest } from '../suggest.js';
import { boolish, duration, leaf, name, nodeRef, num, oneOf, ROLE, selector, signedDuration, str } from './common.js';
import { dynamicShape } from './patroni.js';
import { describeValue } from '../units.js';

// ---- network shapes (src/sim/net/faults.ts NetFault) -------------------------------------------

const Isolate = z.strictObject({ kind: z.literal('isolate'), targets: selector() });
const Split = z.strictObject({
  kind: z.literal('split'),
  groups: z.array(selector()).min(1, 'a split needs at least one group'),
  rest: oneOf(['group', 'connected'] as const, 'rest mode').optional(),
});
const Cut = z.strictObject({ kind: z.literal('cut'), a: selector(), b: selector() });
const OneWay = z.strictObject({ kind: z.literal('one-way'), from: selector(), to: selector() });
const Bridge = z.strictObject({ kind: z.literal('bridge'), a: selector(), b: selector(), bridge: selector() });
const Ring = z.strictObject({ kind: z.literal('ring'), members: selector().optional() });
const Degrade = z.strictObject({
  kind: z.literal('degrade'),
  a: selector(),
  b: selector().optional(),
  /** Multiply latency. */
  latencyFactor: num(0).optional(),
  /** Add latency (a duration). */
  extraLatency: duration().optional(),
  /** Packet loss probability, 0..1. */
  loss: num(0, 1).optional(),
  /** Datagram duplication probability, 0..1. */
  duplicate: num(0, 1).optional(),
});

const NET_SHAPES = [Isolate, Split, Cut, OneWay, Bridge, Ring, Degrade] as const;
export const NET_FAULT_KINDS = ['isolate', 'split', 'cut', 'one-way', 'bridge', 'ring', 'degrade'] as const;
export const NetShapeSchema = z.discriminatedUnion('kind', [...NET_SHAPES]);

const Flap = z.strictObject({
  kind: z.literal('flap'),
  /** The network fault that comes and goes. */
  fault: NetShapeSchema,
  /** How long it stays on each time. */
  on: duration(),
  /** How long it stays off each time. */
  off: duration(),
});

// ---- processes and hosts (src/sim/faults/basic.ts) --------------------------------------------

/** "host/process", e.g. "pg1/patroni", "etcd2/etcd", "@primary/postgres"; or a list of them. */
const processes = () =>
  leaf<string[]>((v) => {
    const list = Array.isArray(v) ? v : [v];
    if (list.length === 0) return { ok: false, error: 'names no process (empty list)' };
    const out: string[] = [];
    for (const x of list) {
      const m = typeof x === 'string' ? /^(.+)\/([A-Za-z0-9][A-Za-z0-9._-]*)$/.exec(x) : null;
      const host = m?.[1] ?? '';
      if (m === null || !(/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(host) || ROLE.test(host))) {
        return { ok: false, error: `expected a process as "host/process" (e.g. "pg1/patroni", "@primary/postgres"), got ${describeValue(x)}` };
      }
      out.push(x as string);
    }
    return { ok: true, value: out };
  });

const Crash = z.strictObject({ kind: z.literal('crash'), process: processes() });
const Start = z.strictObject({ kind: z.literal('start'), process: processes() });
const Pause = z.strictObject({ kind: z.literal('pause'), process: processes() });
const PowerOff = z.strictObject({ kind: z.literal('power-off'), host: selector() });
const Reset = z.strictObject({ kind: z.literal('reset'), host: selector() });
const ClockStep = z.strictObject({ kind: z.literal('clock-step'), host: selector(), by: signedDuration() });
const ClockDrift = z.strictObject({
  kind: z.literal('clock-drift'),
  host: selector(),
  ppm: num(-1_000_000, 1_000_000),
});
const DiskStall = z.strictObject({ kind: z.literal('disk-stall'), host: selector(), latency: duration() });
/** Heal an earlier fault by its id, or every active fault. */
const Heal = z.strictObject({ kind: z.literal('heal'), fault: name().optional() });

// ---- model-level actions ------------------------------------------------------------------------

/** The whole DCS is unavailable: its servers crash, freeze, or are cut off from everyone. */
const DcsOutage = z.strictObject({
  kind: z.literal('dcs-outage'),
  /** Which store (default: the only one). */
  store: name().optional(),
  /** crash (kill -9 every server; restarted at the heal), pause (SIGSTOP them), isolate (cut their hosts off). Default pause. */
  mode: oneOf(['crash', 'pause', 'isolate'] as const, 'outage mode').optional(),
});
/** pg_wal_replay_pause() on a replica; healed by pg_wal_replay_resume(). */
const ReplayPause = z.strictObject({ kind: z.literal('replay-pause'), node: nodeRef() });
/** PostgreSQL fails to start on a node (a bad postgresql.conf) until the heal; a running server is untouched. */
const PgStartFails = z.strictObject({ kind: z.literal('pg-start-fails'), node: nodeRef() });
/** `systemctl stop patroni` (SIGTERM: Patroni stops PostgreSQL and hands the key over); healed by `systemctl start patroni`. */
const PatroniStop = z.strictObject({ kind: z.literal('patroni-stop'), node: nodeRef() });

// ---- operator actions (patronictl) --------------------------------------------------------------

const operator = {
  /** Which cluster (default: the only one). */
  cluster: name().optional(),
  /** Host patronictl runs on (default: the cluster's first node, as an operator logged in there). */
  from: name().optional(),
};

const Switchover = z.strictObject({
  kind: z.literal('switchover'),
  ...operator,
  leader: name().optional(),
  candidate: name().optional(),
  /** `--scheduled`: perform it this long after the request. */
  scheduled: duration().optional(),
});
const Failover = z.strictObject({ kind: z.literal('failover'), ...operator, candidate: name() });
const PauseCluster = z.strictObject({ kind: z.literal('pause-cluster'), ...operator });
const ResumeCluster = z.strictObject({ kind: z.literal('resume-cluster'), ...operator });
const Restart = z.strictObject({
  kind: z.literal('restart'),
  ...operator,
  /** Members to restart (default: all). */
  node: selector().optional(),
  role: oneOf(['primary', 'replica', 'any'] as const, 'role').optional(),
  pending: boolish().optional(),
});
const Reinit = z.strictObject({ kind: z.literal('reinit'), ...operator, node: nodeRef(), force: boolish().optional(), fromLeader: boolish().optional() });

/** `patronictl edit-config`: keys of the dynamic configuration; null removes a key. */
const editable = Object.fromEntries(Object.entries(dynamicShape).map(([k, s]) => [k, s.nullable()])) as {
  [K in keyof typeof dynamicShape]: z.ZodNullable<(typeof dynamicShape)[K]>;
};
const EditConfig = z.strictObject({ kind: z.literal('edit-config'), ...operator, set: z.strictObject(editable) });
const PromoteCluster = z.strictObject({ kind: z.literal('promote-cluster'), ...operator });
const DemoteCluster = z.strictObject({
  kind: z.literal('demote-cluster'),
  ...operator,
  /** The new source: a host (a node of the other cluster). */
  host: str(),
  port: num(1, 65535).optional(),
  primary_slot_name: str().optional(),
});

// ---- model-registered kinds ---------------------------------------------------------------------

/** A kind this format does not know: passed through to the nemesis as `{ kind, ...params }`. */
const ModelKind = z.object({ kind: z.literal('$model'), modelKind: z.string(), params: z.record(z.string(), z.unknown()) });

const ACTIONS = [
  ...NET_SHAPES,
  Flap,
  Crash,
  Start,
  Pause,
  PowerOff,
  Reset,
  ClockStep,
  ClockDrift,
  DiskStall,
  Heal,
  DcsOutage,
  ReplayPause,
  PgStartFails,
  PatroniStop,
  Switchover,
  Failover,
  PauseCluster,
  ResumeCluster,
  Restart,
  Reinit,
  EditConfig,
  PromoteCluster,
  DemoteCluster,
] as const;

/** Every fault kind the format knows, in documentation order. */
export const FAULT_KINDS = ACTIONS.map((a) => a.shape.kind.value);

export const KERNEL_FAULT_KINDS = [
  ...NET_FAULT_KINDS,
  'flap',
  'crash',
  'start',
  'pause',
  'power-off',
  'reset',
  'clock-step',
  'clock-drift',
  'disk-stall',
] as const;

export const OPERATOR_KINDS = [
  'switchover',
  'failover',
  'pause-cluster',
  'resume-cluster',
  'restart',
  'reinit',
  'edit-config',
  'promote-cluster',
  'demote-cluster',
] as const;

/** Actions that happen once: a `for:` on them changes nothing. */
export const ONE_SHOT_KINDS: readonly string[] = ['start', 'reset', 'clock-step', 'heal', ...OPERATOR_KINDS.filter((k) => k !== 'pause-cluster')];

const ActionSchema = z.discriminatedUnion('kind', [...ACTIONS, ModelKind]);

const COMMON_KEYS = ['at', 'for', 'id', 'note'];

/**
 * A kind that is neither known nor a near miss of a known kind becomes `$model` (its parameters
 * kept verbatim); a near miss stays as written so the discriminator reports it with a suggestion.
 */
function routeKind(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const o = v as Record<string, unknown>;
  const kind = o.kind;
  if (typeof kind !== 'string' || kind === '' || (FAULT_KINDS as readonly string[]).includes(kind)) return v;
  if (nearest(kind, FAULT_KINDS) !== undefined || kind === '$model') return v;
  const params: Record<string, unknown> = {};
  const common: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) {
    if (k === 'kind') continue;
    if (COMMON_KEYS.includes(k)) common[k] = x;
    else params[k] = x;
  }
  return { ...common, kind: '$model', modelKind: kind, params };
}

const CommonSchema = z.strictObject({
  /** When, from the start of the run. */
  at: duration(),
  /** Heal after this long (default: stays until healed or the run's heal phase). */
  for: duration().optional(),
  /** A name to refer to it (`heal: { fault: <id> }`) and in reports. Default f<index>. */
  id: name().optional(),
  /** Free text shown in reports. */
  note: z.string().optional(),
});

/** The common keys and the action's keys are checked together, so one pass reports both. */
const FaultEntrySchema = z.preprocess(
  routeKind,
  z.record(z.string(), z.unknown()).transform((v, ctx) => {
    const common: Record<string, unknown> = {};
    const action: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) (COMMON_KEYS.includes(k) ? common : action)[k] = x;
    const c = CommonSchema.safeParse(common);
    const a = ActionSchema.safeParse(action);
    for (const issue of [...(c.error?.issues ?? []), ...(a.error?.issues ?? [])]) ctx.issues.push({ ...issue, input: v } as never);
    if (!c.success || !a.success) return z.NEVER;
    return { ...c.data, action: a.data };
  }),
);

export const FaultSchema = FaultEntrySchema;

// Unknown-key suggestions inside a fault: the common keys plus those of its kind.
provideSchema(FaultSchema, (data) => {
  const kind = data !== null && typeof data === 'object' ? (data as { kind?: unknown }).kind : undefined;
  const schema = typeof kind === 'string' ? ACTIONS.find((a) => a.shape.kind.value === kind) : undefined;
  return schema ? { schema, extraKeys: COMMON_KEYS } : undefined;
});

export type FaultInput = z.output<typeof FaultSchema>;
export type FaultActionInput = z.output<typeof ActionSchema>;
export type NetShapeInput = z.output<typeof NetShapeSchema>;

/** The schema of one kind (for the unknown-key suggestions and docs). */
export function actionSchemaOf(kind: string): z.ZodType | undefined {
  return ACTIONS.find((a) => a.shape.kind.value === kind);
}
