// The whole scenario file. One cluster is written with top-level `dcs` + `patroni`; several
// (a primary cluster and a standby cluster in another DC) under `clusters`, each with its own
// `patroni` and optionally its own `dcs` (otherwise they share the top-level store).
import { z } from 'zod';
import { COVERAGE_IDS } from '../coverage.js';
import { describeValue } from '../units.js';
import { didYouMean } from '../suggest.js';
import { duration, leaf, oneOf, str } from './common.js';
import { DcsSchema } from './dcs.js';
import { ExpectSchema } from './expect.js';
import { FaultSchema } from './faults.js';
import { PatroniSchema } from './patroni.js';
import { PostgresqlSchema } from './postgresql.js';
import { TopologySchema } from './topology.js';
import { WorkloadsSchema } from './workload.js';

const coverageId = () =>
  leaf<string>((v) => {
    if (typeof v === 'string' && COVERAGE_IDS.includes(v)) return { ok: true, value: v };
    const shown = typeof v === 'string' ? `"${v}"` : describeValue(v);
    const hint = typeof v === 'string' ? didYouMean(v.toUpperCase(), COVERAGE_IDS) : '';
    return { ok: false, error: `${shown} is not a coverage ID (D1-D9, C1, P1-P6, M1-M5, X1-X8, W1-W4, N1)${hint}` };
  });

const seed = () =>
  leaf<string>((v) => {
    if (typeof v === 'string' && v.trim() !== '') return { ok: true, value: v };
    if (typeof v === 'number' && Number.isFinite(v)) return { ok: true, value: String(v) };
    return { ok: false, error: `expected a seed (a number or a string), got ${describeValue(v)}` };
  });

export const PhasesSchema = z.strictObject({
  /** Bootstrap: the cluster forms; clients start at its end. Default 30s. */
  warmup: duration().optional(),
  /** The chaos window: faults happen here. Default 2m. */
  chaos: duration().optional(),
  /** After the chaos: heal, then give the cluster this long to converge. Default 1m. */
  converge: duration().optional(),
  /** What the end of the chaos heals: every active fault (all) or nothing (none). Default all. */
  heal: oneOf(['all', 'none'] as const, 'heal mode').optional(),
});

export const ClusterSchema = z.strictObject({
  dcs: DcsSchema.optional(),
  patroni: PatroniSchema,
  postgresql: PostgresqlSchema.optional(),
});

export const ScenarioSchema = z.strictObject({
  name: str().optional(),
  description: z.string().optional(),
  covers: z.array(coverageId()).optional(),
  seed: seed().optional(),
  topology: TopologySchema.optional(),
  dcs: DcsSchema.optional(),
  patroni: PatroniSchema.optional(),
  clusters: z.record(z.string(), ClusterSchema).optional(),
  postgresql: PostgresqlSchema.optional(),
  workload: WorkloadsSchema.optional(),
  faults: z.array(FaultSchema).optional(),
  phases: PhasesSchema.optional(),
  expect: ExpectSchema.optional(),
});

export type ScenarioInput = z.output<typeof ScenarioSchema>;
export type ClusterInput = z.output<typeof ClusterSchema>;
export type PhasesInput = z.output<typeof PhasesSchema>;
