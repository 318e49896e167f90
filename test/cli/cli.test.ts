// The haywire command, run in-process: exit codes, --help and --version on every command,
// validate on good and bad files, list, and the honest refusal of `run` until it can run.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { bufferIo } from '../../src/cli/io.js';
import { pipelineStatus } from '../../src/cli/pipeline.js';

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
    expect(r.err).toBe('');
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

  it.runIf(!pipelineStatus().ready)('says honestly that it cannot run yet (exit 3), and what is missing', async () => {
    const r = await cli('run', good);
    expect(r.code).toBe(3);
    expect(r.err).toContain('haywire run: cannot run scenarios yet; missing:');
    expect(r.out).toBe('');
  });
});

describe('reserved commands', () => {
  it.each(['check', 'sweep', 'merge', 'replay'])('%s answers that it is not available yet (exit 3)', async (name) => {
    const r = await cli(name, 'scenarios/examples/etcd-dc-partition.yaml', '--runs', '10');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(new RegExp(`^haywire ${name}: not available yet \\(issue \\d\\)`));
  });
});

describe('bare haywire (npm start)', () => {
  it.runIf(!pipelineStatus().ready)('runs the kernel demo until the library can run, and says why', async () => {
    const r = await cli();
    expect(r.code).toBe(0);
    expect(r.out).toContain('haywire kernel demo');
    expect(r.out).toMatch(/traceHash: [0-9a-f]+/);
    expect(r.err).toContain('The scenario library cannot run yet');
  });
});
