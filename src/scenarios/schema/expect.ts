// The `expect` section: the outcome a Patroni expert predicts. The expectation names, what they
// measure and the values they accept belong to the report (`src/report/expectations.ts`, which
// also evaluates them); this schema checks a scenario against that list at load time, so a typo
// is a positioned error instead of a failed run.
//
// One form is the scenario format's own: `incidents` as a list of incident kinds that must occur,
//   incidents: [split-brain, { kind: lost-write, count: ">= 10" }, { kind: false-failover, optional: true }]
// which is short for the count expectations of those kinds (splitBrains: ">= 1", lostWrites: ">= 10",
// falseFailovers: ">= 0"). `incidents` as a number or comparison is the report's count of incidents.
import { z } from 'zod';
import { EXPECTATION_NAMES, validateExpectation } from '../../report/expectations.js';
import { INCIDENT_KINDS, type IncidentKind } from '../../report/incident.js';
import { didYouMean } from '../suggest.js';
import { describeValue } from '../units.js';

/** The count expectation each incident kind of an `incidents:` list stands for. */
export const COUNT_OF_KIND: Readonly<Record<IncidentKind, string>> = {
  'split-brain': 'splitBrains',
  'lost-write': 'lostWrites',
  divergence: 'divergences',
  'false-failover': 'falseFailovers',
  'missed-failover': 'missedFailovers',
  'undetected-partition': 'undetectedPartitions',
};

type Issues = { code: 'custom'; message: string; path: (string | number)[]; input: unknown }[];

function checkIncidentList(list: unknown[], out: Record<string, unknown>, issues: Issues): void {
  list.forEach((item, i) => {
    const entry = typeof item === 'string' ? { kind: item } : item;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      issues.push({ code: 'custom', path: ['incidents', i], message: `expected an incident kind or { kind, count, optional }, got ${describeValue(item)}`, input: item });
      return;
    }
    const e = entry as Record<string, unknown>;
    for (const k of Object.keys(e)) {
      if (!['kind', 'count', 'optional'].includes(k)) {
        issues.push({ code: 'custom', path: ['incidents', i, k], message: `unknown key${didYouMean(k, ['kind', 'count', 'optional'])}`, input: e });
      }
    }
    const kind = e.kind;
    if (typeof kind !== 'string' || !(INCIDENT_KINDS as readonly string[]).includes(kind)) {
      const shown = typeof kind === 'string' ? `"${kind}"` : describeValue(kind);
      const path = typeof item === 'string' ? ['incidents', i] : ['incidents', i, 'kind'];
      issues.push({ code: 'custom', path, message: `${shown} is not an incident kind; expected one of ${INCIDENT_KINDS.join(', ')}${typeof kind === 'string' ? didYouMean(kind, INCIDENT_KINDS) : ''}`, input: kind });
      return;
    }
    const name = COUNT_OF_KIND[kind as IncidentKind];
    if (name in out) {
      issues.push({ code: 'custom', path: ['incidents', i], message: `${kind} is already expected (by "${name}" or an earlier entry)`, input: item });
      return;
    }
    const optional = e.optional === true || e.optional === 'true';
    const count = e.count ?? (optional ? '>= 0' : '>= 1');
    if (e.optional !== undefined && typeof e.optional !== 'boolean') {
      issues.push({ code: 'custom', path: ['incidents', i, 'optional'], message: `expected true or false, got ${describeValue(e.optional)}`, input: e.optional });
    }
    const bad = validateExpectation(name, count);
    if (bad !== null) {
      issues.push({ code: 'custom', path: ['incidents', i, 'count'], message: `cannot read ${describeValue(count)}; expected a number or a comparison such as ">= 1"`, input: count });
      return;
    }
    out[name] = count;
  });
}

/**
 * Output: the expect block as the report's `evaluateExpectations` reads it (name → value as
 * written), with an `incidents:` list replaced by its count expectations.
 */
export const ExpectSchema = z.record(z.string(), z.unknown()).transform((rec, ctx) => {
  const out: Record<string, unknown> = {};
  const issues: Issues = [];
  const list = Array.isArray(rec.incidents) ? rec.incidents : null;
  for (const [name, value] of Object.entries(rec)) {
    if (name === 'incidents' && list !== null) continue;
    if (!EXPECTATION_NAMES.includes(name)) {
      issues.push({ code: 'custom', path: [name], message: `unknown expectation${didYouMean(name, EXPECTATION_NAMES) || `; known: ${EXPECTATION_NAMES.join(', ')}`}`, input: value });
      continue;
    }
    const bad = validateExpectation(name, value);
    if (bad !== null) {
      issues.push({ code: 'custom', path: [name], message: bad.replace(new RegExp(`^${name}: `), ''), input: value });
      continue;
    }
    out[name] = value;
  }
  if (list !== null) checkIncidentList(list, out, issues);
  if (issues.length > 0) {
    for (const i of issues) ctx.issues.push(i);
    return z.NEVER;
  }
  return out;
});

export type ExpectInput = z.output<typeof ExpectSchema>;
