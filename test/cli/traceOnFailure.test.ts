// `--trace FILE` leaves a file only for a run that finished: a run that cannot be built or fails
// midway removes what it had started to write (a trace without its footer is not a trace).
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pipelineStatus } from '../../src/cli/pipeline.js';
import { loadScenarioFile } from '../../src/scenarios/load.js';
import { etcdBackend } from '../../src/sim/dcs/etcd/deploy.js';

const SCENARIO = 'scenarios/examples/etcd-dc-partition.yaml';

function pipeline() {
  const status = pipelineStatus();
  if (!status.ready) throw new Error('pipeline not ready');
  return status.pipeline;
}

describe('--trace and a run that does not finish', () => {
  it('a run that throws while building removes the trace file and rethrows', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'haywire-trace-fail-')), 'run.ndjson');
    const broken = { ...etcdBackend, deploy: () => { throw new Error('the store would not deploy'); } };
    expect(() => pipeline().run(loadScenarioFile(SCENARIO), { traceFile: file, backends: { etcd: broken } })).toThrow('the store would not deploy');
    expect(existsSync(file)).toBe(false);
  });

  it('a run that finishes leaves the whole trace, header to footer', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'haywire-trace-ok-')), 'run.ndjson');
    const outcome = pipeline().run(loadScenarioFile(SCENARIO), { traceFile: file });
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ format: 'haywire-trace' });
    expect(JSON.parse(lines[lines.length - 1] ?? '{}')).toMatchObject({ format: 'haywire-trace-end', traceHash: outcome.result.traceHash });
  });
});
