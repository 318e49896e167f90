// The `dcs` section: which store Patroni uses, its server members and where they run, and the
// backend's own knobs (passed through to the backend, which validates them when it deploys).
// Maps onto `src/sim/dcs/backend.ts DcsDeploySpec`.
import { z } from 'zod';
import type { DcsBackendKind } from '../../sim/history/records.js';
import { domainPath, name, oneOf } from './common.js';

export const DCS_BACKENDS = [
  'etcd',
  'etcd2',
  'zookeeper',
  'consul',
  'kubernetes',
  'redis',
  'postgresql',
  'dynamodb',
  'file',
  'memory',
] as const satisfies readonly DcsBackendKind[];

/**
 * Server members when `members` is omitted: a quorum store gets three (the smallest that survives
 * one failure); a single-server store one; `memory` none (it lives inside the Patroni process).
 */
export const DEFAULT_DCS_MEMBERS: Readonly<Record<DcsBackendKind, number>> = {
  etcd: 3,
  etcd2: 3,
  zookeeper: 3,
  consul: 3,
  kubernetes: 3,
  redis: 3,
  postgresql: 1,
  dynamodb: 3,
  file: 1,
  memory: 0,
};

export const DcsMemberSchema = z.strictObject({
  name: name(),
  host: name().optional(),
  domains: domainPath().optional(),
});

/** `members: 3` (named <backend>1..3), or a list of names / {name, host | domains}. */
const MembersSchema = z.preprocess(
  (v) => (Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? { name: x } : x)) : v),
  z.union([z.number().int().min(0).max(99), z.array(DcsMemberSchema)]),
);

export const DcsSchema = z.strictObject({
  backend: oneOf(DCS_BACKENDS, 'DCS backend'),
  /** Label of the store in traces and reports (default: the backend name). */
  name: name().optional(),
  members: MembersSchema.optional(),
  /** Backend knobs, passed through unchanged (for instance consul `consistency`, etcd `electionTimeout`). */
  options: z.record(z.string(), z.unknown()).optional(),
});

export type DcsInput = z.output<typeof DcsSchema>;
