// docs/scenario-format.md documents every key of the format, every fault kind with its parameters,
// every expectation name, and the defaults the loader applies.
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { EXPECTATION_NAMES } from '../../src/report/expectations.js';
import { DEFAULTS } from '../../src/scenarios/defaults.js';
import { DcsSchema, DcsMemberSchema } from '../../src/scenarios/schema/dcs.js';
import { actionSchemaOf, FAULT_KINDS } from '../../src/scenarios/schema/faults.js';
import { NodeSchema, PatroniPostgresqlSchema, PatroniSchema, StandbyClusterSchema, TagsSchema, WatchdogSchema } from '../../src/scenarios/schema/patroni.js';
import { PostgresqlSchema } from '../../src/scenarios/schema/postgresql.js';
import { ClusterSchema, PhasesSchema, ScenarioSchema } from '../../src/scenarios/schema/scenario.js';
import { ClockSchema, DiskSchema, HostSchema, LatencyClassSchema, LatencyOverrideSchema, LatencySchema, TopologySchema } from '../../src/scenarios/schema/topology.js';
import { HaproxySchema, LibpqSchema, RetrySchema, VipSchema, WorkloadSchema } from '../../src/scenarios/schema/workload.js';
import { formatDuration } from '../../src/scenarios/units.js';
import { loadScenarioText } from '../../src/scenarios/load.js';

const doc = readFileSync('docs/scenario-format.md', 'utf8');
const inCode = (word: string): boolean => new RegExp(`\`[^\`\\n]*(?<![A-Za-z0-9_-])${word.replace(/[-]/g, '\\-')}(?![A-Za-z0-9_-])[^\`\\n]*\``).test(doc);

/** The keys of an object schema, looking through wrappers (optional, preprocess pipes, refinements). */
function keysOf(s: z.core.$ZodType): string[] {
  let cur = s;
  for (let i = 0; i < 10; i++) {
    const def = cur._zod.def as unknown as { type: string; shape?: Record<string, unknown>; innerType?: z.core.$ZodType; in?: z.core.$ZodType; out?: z.core.$ZodType };
    if (def.type === 'object') return Object.keys(def.shape ?? {});
    if (def.innerType) cur = def.innerType;
    else if (def.type === 'pipe') cur = ((def.in as z.core.$ZodType)._zod.def.type === 'object' ? def.in : def.out) as z.core.$ZodType;
    else break;
  }
  throw new Error('not an object schema');
}

describe('docs/scenario-format.md', () => {
  const sections: [string, z.core.$ZodType][] = [
    ['scenario', ScenarioSchema],
    ['topology', TopologySchema],
    ['host', HostSchema],
    ['clock', ClockSchema],
    ['disk', DiskSchema],
    ['latency', LatencySchema],
    ['latency class', LatencyClassSchema],
    ['latency override', LatencyOverrideSchema],
    ['dcs', DcsSchema],
    ['dcs member', DcsMemberSchema],
    ['patroni', PatroniSchema],
    ['patroni.postgresql', PatroniPostgresqlSchema],
    ['standby_cluster', StandbyClusterSchema],
    ['tags', TagsSchema],
    ['watchdog', WatchdogSchema],
    ['node', NodeSchema],
    ['cluster', ClusterSchema],
    ['postgresql', PostgresqlSchema],
    ['workload', WorkloadSchema],
    ['haproxy', HaproxySchema],
    ['libpq', LibpqSchema],
    ['vip', VipSchema],
    ['retry', RetrySchema],
    ['phases', PhasesSchema],
  ];

  it.each(sections)('documents every key of %s', (_name, schema) => {
    expect(keysOf(schema).filter((k) => !inCode(k))).toEqual([]);
  });

  it('documents every fault kind and its parameters', () => {
    expect(FAULT_KINDS.filter((k) => !inCode(k))).toEqual([]);
    for (const k of FAULT_KINDS) {
      const params = keysOf(actionSchemaOf(k) as z.core.$ZodType).filter((p) => p !== 'kind');
      expect({ kind: k, missing: params.filter((p) => !inCode(p)) }).toEqual({ kind: k, missing: [] });
    }
    for (const k of ['at', 'for', 'id', 'note']) expect(inCode(k)).toBe(true);
  });

  it('documents every expectation name the report evaluates', () => {
    expect(EXPECTATION_NAMES.filter((n) => !inCode(n))).toEqual([]);
  });

  it('states the defaults the loader applies', () => {
    const d = DEFAULTS;
    for (const [key, value] of [
      ['warmup', formatDuration(d.phases.warmupUs)],
      ['chaos', formatDuration(d.phases.chaosUs)],
      ['converge', formatDuration(d.phases.convergeUs)],
      ['timeout', formatDuration(d.workload.timeoutUs)],
      ['backoff', formatDuration(d.workload.retry.backoffUs)],
      ['interval', formatDuration(d.haproxy.intervalUs)],
      ['delay', formatDuration(d.vip.delayUs)],
    ] as const) {
      expect({ key, documented: doc.includes(`\`${key}: ${value}\``) || doc.includes(`${key}: ${value}`) }).toEqual({ key, documented: true });
    }
    expect(doc).toContain(`| \`scope\` | \`${d.cluster.scope}\` |`);
    expect(doc).toContain(`| \`namespace\` | \`${d.cluster.namespace}\` |`);
    expect(doc).toContain(`| \`writeSize\` | \`${d.workload.writeSizeBytes}\` (B) |`);
    expect(doc).toContain(`| \`dataSize\` | \`${d.postgresql.dataSizeBytes / 1024 ** 2}MB\` |`);
    expect(doc).toContain(`| \`replaySpeed\` | \`${d.postgresql.replayBytesPerSec / 1024 ** 2}MB/s\` |`);
    expect(doc).toContain(`| \`seed\` | \`"${d.seed}"\` |`);
  });
});

describe('the YAML examples in the docs and the README', () => {
  const blocks = (file: string): string[] =>
    [...readFileSync(file, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string).filter((b) => /^(dcs|clusters):/m.test(b));

  it.each(['README.md', 'docs/scenario-format.md'])('every complete scenario in %s validates', (file) => {
    const found = blocks(file);
    expect(found.length).toBeGreaterThan(0);
    for (const [i, text] of found.entries()) {
      expect(() => loadScenarioText(text, `${file}#${i}`)).not.toThrow();
    }
  });
});
