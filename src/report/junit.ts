// The JUnit XML report (`--junit FILE`) for CI dashboards: one <testsuite> per scenario run, one
// <testcase> per expectation of the scenario's `expect` block. A run with warning or critical
// incidents that no expectation speaks about gets one more test case, "no unexpected incidents",
// which fails (the same rule that makes `haywire run` exit 1); so does a run with no expectations.
import { writeFileSync } from 'node:fs';
import { unexpectedIncidents, type RunResult } from './analyze.js';
import { EXPECTATIONS_BY_KIND } from './expectations.js';
import type { Incident } from './incident.js';

/** Escape text for XML element content and attribute values (and drop characters XML 1.0 forbids). */
export function xmlEscape(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '').replace(/[&<>"']/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      default:
        return '&apos;';
    }
  });
}

interface Case {
  name: string;
  failure: { message: string; body: string } | null;
}

function casesOf(run: RunResult, expect: Readonly<Record<string, unknown>> | undefined): Case[] {
  const cases: Case[] = run.expectations.map((e) => ({
    name: `${e.name}: ${e.expected}`,
    failure: e.ok ? null : { message: e.message || `expected ${e.name} ${e.expected}, got ${String(e.actual)}`, body: incidentText(relevantTo(run.incidents, e.name)) },
  }));
  const unexpected = unexpectedIncidents(run.incidents, expect ?? Object.fromEntries(run.expectations.map((e) => [e.name, e.expected])));
  if (unexpected.length > 0 || cases.length === 0) {
    cases.push({
      name: 'no unexpected incidents',
      failure:
        unexpected.length === 0
          ? null
          : { message: `${unexpected.length} incident(s) the scenario does not expect: ${[...new Set(unexpected.map((i) => i.kind))].join(', ')}`, body: incidentText(unexpected) },
    });
  }
  return cases;
}

/** The incidents an expectation speaks about (all of them for the ones about metrics in general). */
function relevantTo(incidents: readonly Incident[], name: string): readonly Incident[] {
  const kinds = Object.entries(EXPECTATIONS_BY_KIND)
    .filter(([, names]) => names.includes(name))
    .map(([k]) => k);
  return kinds.length === 0 ? incidents : incidents.filter((i) => kinds.includes(i.kind));
}

function incidentText(incidents: readonly Incident[]): string {
  return incidents.map((i) => `[${i.severity}] ${i.kind} ${i.startMs} ms – ${i.endMs} ms: ${i.explanation}\n  replay: ${i.replay}`).join('\n');
}

export function junitXml(runs: readonly RunResult[]): string {
  const suites = runs.map((run) => ({ run, cases: casesOf(run, undefined) }));
  const tests = suites.reduce((a, s) => a + s.cases.length, 0);
  const failures = suites.reduce((a, s) => a + s.cases.filter((c) => c.failure !== null).length, 0);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="haywire" tests="${tests}" failures="${failures}" errors="0" time="0">`];
  for (const { run, cases } of suites) {
    const f = cases.filter((c) => c.failure !== null).length;
    const suiteName = `${run.scenario} (seed ${run.seed})`;
    out.push(`  <testsuite name="${xmlEscape(suiteName)}" tests="${cases.length}" failures="${f}" errors="0" skipped="0" time="0">`);
    out.push('    <properties>');
    out.push(`      <property name="scenario" value="${xmlEscape(run.scenario)}"/>`);
    out.push(`      <property name="seed" value="${xmlEscape(run.seed)}"/>`);
    out.push(`      <property name="traceHash" value="${xmlEscape(run.traceHash)}"/>`);
    out.push(`      <property name="simulatedMs" value="${run.durationMs}"/>`);
    out.push('    </properties>');
    for (const c of cases) {
      const head = `    <testcase classname="${xmlEscape(run.scenario)}" name="${xmlEscape(c.name)}" time="0"`;
      if (c.failure === null) out.push(`${head}/>`);
      else {
        out.push(`${head}>`);
        out.push(`      <failure message="${xmlEscape(c.failure.message)}" type="haywire.expectation">${xmlEscape(c.failure.body)}</failure>`);
        out.push('    </testcase>');
      }
    }
    if (run.incidents.length > 0) out.push(`    <system-out>${xmlEscape(incidentText(run.incidents))}</system-out>`);
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

export function writeJunitReport(file: string, runs: readonly RunResult[]): void {
  writeFileSync(file, junitXml(runs));
}
