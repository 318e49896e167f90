// The haywire command, run in-process: exit codes, --help and --version on every command,
// validate on good and bad files, list, and the honest refusal of `run` until it can run.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { bufferIo } from '../../src/cli/io.js';
import { runScenarios } from '../../src/cli/commands/run.js';
import { etcdBackend } from '../../src/sim/dcs/etcd/deploy.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIo();
  const code = await runCli(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'haywire-cli-'));
const good = join(tmp, 'good.yaml');
const bad = join(tmp, 'bad.yaml');
writeFileSync(good, 'name: good\ncovers: [D1]\ndcs: { backend: etcd }\n');
writeFileSync(bad, 'dcs: { backend: etcd }\npatroni:\n  loop_wiat: 10\n');

describe('haywire', () => {
  it('--version prints the package version and exits 0', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const r = await cli('--version');
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(pkg.version);
  });

  it('--help lists every command and the exit codes', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.out).toMatch(new RegExp(`^  ${c.name}\\b`, 'm'));
    expect(r.out).toContain('Exit codes: 0 ok, 1 an expectation failed, 2 bad input, 3 cannot run.');
  });

  it.each(COMMANDS.map((c) => c.name))('%s --help exits 0 and shows the usage', async (name) => {
    const r = await cli(name, '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Usage: haywire ${name}`);
  });

  it('an unknown command or option is bad input (exit 2)', async () => {
    const a = await cli('frobnicate');
    expect(a.code).toBe(2);
    expect(a.err).toContain("unknown command 'frobnicate'");
    const b = await cli('validate', '--frob', good);
    expect(b.code).toBe(2);
    expect(b.err).toContain("unknown option '--frob'");
    const c = await cli('validate');
    expect(c.code).toBe(2);
    expect(c.err).toContain("missing required argument 'paths'");
  });
});

describe('haywire validate', () => {
  it('exits 0 on a good file and says ok', async () => {
    const r = await cli('validate', good);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`ok  ${good}  good [D1]\n`);
    // the dry build may add that this build cannot run it yet (a backend not registered): not an error
    expect(r.err.split('\n').filter((l) => l !== '' && !l.endsWith('(valid, but this build cannot run it)'))).toEqual([]);
  });

  it('exits 2 on a bad file with file:line:col, key path and suggestion, and no stack trace', async () => {
    const r = await cli('validate', good, bad);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${bad}:3:3: patroni.loop_wiat: unknown key; did you mean "loop_wait"?\n`);
    expect(r.err).toContain('1 of 2 scenario files invalid');
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('exits 2 on a missing file and still checks the others', async () => {
    const r = await cli('validate', join(tmp, 'nope.yaml'), good);
    expect(r.code).toBe(2);
    expect(r.err).toContain('nope.yaml: no such file or directory');
    expect(r.out).toContain('ok  ');
  });

  it('--strict counts warnings as errors', async () => {
    const warn = join(tmp, 'warn.yaml');
    writeFileSync(warn, 'dcs: { backend: etcd }\npatroni: { ttl: 10 }\n');
    expect((await cli('validate', warn)).code).toBe(0);
    const r = await cli('validate', '--strict', warn);
    expect(r.code).toBe(2);
    expect(r.err).toContain('warning: patroni.ttl: Patroni does not allow ttl below 20s');
  });

  it('validates a directory (the shipped examples)', async () => {
    const r = await cli('validate', 'scenarios/examples');
    expect(r.code).toBe(0);
    expect(r.out.split('\n').filter((l) => l.startsWith('ok  ')).length).toBeGreaterThanOrEqual(3);
  });
});

describe('haywire list', () => {
  it('lists the library with coverage IDs', async () => {
    const r = await cli('list');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^SCENARIO\s+COVERS\s+DESCRIPTION$/m);
    expect(r.out).toMatch(/scenarios\/examples\/etcd-dc-partition\.yaml\s+D1 P1 P4 X3\s+Three datacenters/);
  });

  it('--json is machine-readable and marks invalid files', async () => {
    const r = await cli('list', '--json', good, bad);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out)).toEqual([
      { file: bad, name: '', covers: [], description: '', valid: false },
      { file: good, name: 'good', covers: ['D1'], description: '', valid: true },
    ]);
  });

  it('--coverage lists every coverage ID with its scenarios', async () => {
    const r = await cli('list', '--coverage', 'scenarios/examples');
    expect(r.code).toBe(0);
    expect(r.out).toContain('D1  etcd (v3): Raft quorum, leases, compare-and-swap\n      scenarios/examples/etcd-dc-partition.yaml');
    expect(r.out).toContain('N1  ');
  });
});

describe('haywire run', () => {
  it('refuses bad input with exit 2 before running anything', async () => {
    const r = await cli('run', bad);
    expect(r.code).toBe(2);
    expect(r.err).toContain('patroni.loop_wiat: unknown key; did you mean "loop_wait"?');
  });

  it('says honestly when haywire cannot run a valid scenario (exit 3), and why', async () => {
    // valid Patroni (a standby cluster fed by archive recovery), but not modelled
    const f = join(tmp, 'cannot.yaml');
    writeFileSync(f, 'dcs: { backend: etcd }\npatroni:\n  standby_cluster: { restore_command: "cp /archive/%f %p" }\n');
    const r = await cli('run', f);
    expect(r.code).toBe(3);
    expect(r.err).toContain(`${f}:3:3: patroni.standby_cluster: haywire models streaming from "host" only`);
    expect(r.out).toBe('');
    const v = await cli('validate', f);
    expect(v.code).toBe(0);
    expect(v.err).toContain('(valid, but this build cannot run it)');
  });

  // The registry may not list etcd yet: run in-process with the etcd definition handed in.
  const short = (expect: string) =>
    ['dcs: { backend: etcd }', 'covers: [P1]', 'phases: { warmup: 20s, chaos: 20s, converge: 10s }', 'faults:', '  - { at: 25s, for: 5s, kind: isolate, targets: "@replicas" }', `expect: ${expect}`, ''].join('\n');

  it('runs, prints the report, writes --json, --junit, --html and --trace, exit 0 when expectations hold', () => {
    const f = join(tmp, 'holds.yaml');
    writeFileSync(f, short('{ splitBrain: none, lostWrites: 0 }'));
    const io = bufferIo();
    let code = 0;
    const out = { json: join(tmp, 'r.json'), junit: join(tmp, 'r.xml'), html: join(tmp, 'r.html'), trace: join(tmp, 'r.ndjson') };
    const report = runScenarios([f], { ...out, backends: { etcd: etcdBackend } }, { io, setExit: (c) => void (code = Math.max(code, c)) });
    expect(code).toBe(0);
    expect(report.rows).toEqual([{ file: f, covers: ['P1'], verdict: 'pass', incidents: [] }]);
    expect(io.stdout).toContain('splitBrain');
    const json = JSON.parse(readFileSync(out.json, 'utf8')) as { schemaVersion: number; runs: { scenario: string; traceHash: string; expectations: { name: string; ok: boolean }[] }[] };
    expect(json.runs).toHaveLength(1);
    expect(json.runs[0]!.scenario).toBe(f);
    expect(json.runs[0]!.expectations.map((e) => [e.name, e.ok])).toEqual([
      ['splitBrain', true],
      ['lostWrites', true],
    ]);
    expect(readFileSync(out.junit, 'utf8')).toContain('<testsuite');
    expect(readFileSync(out.html, 'utf8')).toMatch(/^<!doctype html>/);
    const trace = readFileSync(out.trace, 'utf8').trim().split('\n');
    expect(JSON.parse(trace[0]!)).toMatchObject({ format: 'haywire-trace', scenario: f, seed: '1' });
    expect(JSON.parse(trace[trace.length - 1]!)).toMatchObject({ format: 'haywire-trace-end', traceHash: json.runs[0]!.traceHash });
  });

  it('exits 1 when an expectation fails, and --seed changes the run', () => {
    const f = join(tmp, 'fails.yaml');
    writeFileSync(f, short('{ failovers: 5 }'));
    let code = 0;
    const io = bufferIo();
    const a = runScenarios([f], { json: join(tmp, 'a.json'), backends: { etcd: etcdBackend } }, { io, setExit: (c) => void (code = Math.max(code, c)) });
    expect(code).toBe(1);
    expect(a.rows[0]!.verdict).toBe('fail');
    runScenarios([f], { json: join(tmp, 'b.json'), seed: '99', quiet: true, backends: { etcd: etcdBackend } }, { io, setExit: () => undefined });
    const hash = (p: string) => (JSON.parse(readFileSync(p, 'utf8')) as { runs: { traceHash: string; seed: string }[] }).runs[0]!;
    expect(hash(join(tmp, 'b.json')).seed).toBe('99');
    expect(hash(join(tmp, 'b.json')).traceHash).not.toBe(hash(join(tmp, 'a.json')).traceHash);
  });
});

describe('bare haywire (npm start)', () => {
  it('runs the library and prints one table', async () => {
    const r = await cli();
    expect(r.out).toMatch(/^SCENARIO\s+COVERS\s+VERDICT\s+INCIDENTS$/m);
    expect(r.out).toContain('scenarios/examples/etcd-dc-partition.yaml');
    expect(r.code).toBe(0);
  });
});
