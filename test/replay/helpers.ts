// Shared runs for the replay tests: a small real run (three Patroni nodes on etcd, the primary
// isolated for 20 s, a replica promoted, the old primary demoted, then rewound: a divergence
// incident), simulated once per test file, and synthetic histories from the report's fixtures.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile } from '../../src/scenarios/load.js';
import { etcdBackend } from '../../src/sim/dcs/etcd/deploy.js';
import { replayScenario } from '../../src/replay/load.js';
import type { ReplayModel } from '../../src/replay/model.js';

export const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'small-partition.yaml');

/** The DCS registry may not list etcd yet: tests hand its definition in directly. */
export const backends = { etcd: etcdBackend };

let cached: ReplayModel | undefined;

/** The small partition run (seed 7), replayed. */
export function smallRun(): ReplayModel {
  cached ??= replayScenario(loadScenarioFile(FIXTURE), { backends });
  return cached;
}

/** Lines of a frame without trailing blanks. */
export function frameLines(frame: string | undefined): string[] {
  return (frame ?? '').split('\n').map((l) => l.replace(/\s+$/, ''));
}

export const tick = (ms = 30): Promise<void> => new Promise((r) => setTimeout(r, ms));
