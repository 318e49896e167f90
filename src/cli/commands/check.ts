// `haywire check <scenario>`: generated fault schedules against the scenario's cluster, the first
// failure shrunk by fast-check to a minimal scenario file that `haywire run` reproduces exactly.
import { writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { ALL_KINDS, type GeneratedKind, type ScheduleOptions } from '../../explore/arbitraries.js';
import { check, type CheckReport } from '../../explore/check.js';
import { coverageTable } from '../../explore/coverage.js';
import { parseUntil, UNTIL_HELP, UNTIL_TARGETS, type UntilTarget } from '../../explore/property.js';
import { parseShard, shardLabel, type Shard } from '../../parallel/shard.js';
import { defaultWorkers } from '../../parallel/pool.js';
import { formatDiagnostic } from '../../scenarios/errors.js';
import { parseDuration } from '../../scenarios/units.js';
import { CliError, EXIT } from '../exitCodes.js';
import type { CliIo } from '../io.js';
import { Progress } from '../progress.js';
import { loadScenarios, reportFailures, reportScenarioError } from '../scenarioFiles.js';
import type { CommandModule } from './types.js';

interface CheckCliOptions {
  runs: string;
  seed?: string;
  path?: string;
  until?: string;
  out?: string;
  json?: string;
  workers?: string;
  shard?: string;
  shrinkRuns?: string;
  maxFaults?: string;
  kinds?: string;
  exclude?: string;
  budget?: string;
  partialHeal: boolean;
  roles: boolean;
  coverage?: boolean;
  quiet?: boolean;
}

function intOption(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new CliError(`${name}: expected a whole number >= ${min}, got "${v}"`, EXIT.badInput);
  return n;
}

function kindList(name: string, v: string | undefined): GeneratedKind[] | undefined {
  if (v === undefined) return undefined;
  const ks = v.split(',').map((k) => k.trim()).filter((k) => k !== '');
  for (const k of ks) {
    if (!(ALL_KINDS as readonly string[]).includes(k)) throw new CliError(`${name}: unknown fault kind "${k}"; one of ${ALL_KINDS.join(', ')}`, EXIT.badInput);
  }
  return ks as GeneratedKind[];
}

/** Default file for the minimal scenario: next to where the user is, named after the scenario and seed. */
function defaultOut(file: string, seed: number | undefined, shard: Shard | undefined): string {
  const name = basename(file, extname(file));
  const sh = shard ? `-shard${shard.k}of${shard.n}` : '';
  return join('.', `${name}.check-${seed ?? 'random'}${sh}.yaml`);
}

export function printCheckReport(io: CliIo, r: CheckReport, opts: { coverage?: boolean; quiet?: boolean } = {}): void {
  const sh = r.shard ? ` (shard ${shardLabel(r.shard)})` : '';
  io.out(`haywire check ${r.scenario}${sh}: ${r.executed} schedule${r.executed === 1 ? '' : 's'} run of ${r.runs}, fast-check seed ${r.seed}, --until ${r.until.join(',')}\n`);
  const f = r.failure;
  if (f) {
    io.out(`  FAIL at schedule ${f.index}: ${f.originalReasons.join('; ') || '(replayed by --path)'}\n`);
    io.out(`  shrunk in ${f.shrinkRuns} run${f.shrinkRuns === 1 ? '' : 's'} (${f.shrinks} step${f.shrinks === 1 ? '' : 's'}) to ${f.faults.length} fault${f.faults.length === 1 ? '' : 's'}${f.outside.length > 0 ? ` (left out of the final heal: ${f.outside.join(', ')})` : ''}:\n`);
    for (const e of f.faults) io.out(`    - ${JSON.stringify(e)}\n`);
    io.out(`  minimal: ${f.reasons.join('; ')}\n`);
    for (const i of f.incidents.filter((x) => x.severity !== 'info')) io.out(`    ${i.severity.toUpperCase()} ${i.kind}: ${i.explanation}\n`);
    if (!f.liveness.ok && f.liveness.stall) io.out(`    liveness (${f.liveness.stall.verdict}): ${f.liveness.stall.problems.join('; ')}${f.liveness.stall.reasons.length > 0 ? ` — ${f.liveness.stall.reasons.join('; ')}` : ''}\n`);
    io.out(`  written to ${f.file} (trace ${f.traceHash}${f.reproduced ? ', reproduced as haywire run runs it' : ', NOT reproduced: please report it'})\n`);
    io.out(`  replay:  haywire run ${f.file}\n`);
    io.out(`  shrink:  haywire check ${r.scenario} --seed ${r.seed} --path ${f.path} --until ${r.until.join(',')}\n`);
  } else {
    io.out(`  no failure in ${r.executed} schedules\n`);
  }
  const l = r.liveness;
  if (r.executed > 0) {
    const rec = l.recoveryMsP50 === null ? '' : ` · recovery after the heal p50 ${fmtMs(l.recoveryMsP50)}, max ${fmtMs(l.recoveryMsMax ?? 0)}`;
    io.out(`  liveness: ${l.converged} converged · ${l.legitimateStalls} legitimate stall${l.legitimateStalls === 1 ? '' : 's'} · ${l.misjudgments} misjudged${rec}\n`);
  }
  if (!opts.quiet && r.executed > 0) {
    if (opts.coverage) io.out(`\ncoverage (fault kind and target × cluster state when it fired):\n${coverageTable(r.coverage)}`);
    else {
      const rows = Object.keys(r.coverage.cells).length;
      io.out(`  coverage: ${r.coverage.faults} faults in ${rows} kind/target rows (--coverage prints the table)\n`);
    }
  }
}

function fmtMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export const checkCommand: CommandModule = {
  name: 'check',
  register(program, ctx) {
    program
      .command('check')
      .description("explore generated fault schedules against a scenario's cluster; shrink the first failure to a minimal scenario")
      .argument('<scenario>', 'a scenario file: its cluster, workload and phases are kept, its faults replaced')
      .option('--runs <n>', 'schedules to try', '100')
      .option('--seed <n>', 'fast-check seed (default: a random one, printed)')
      .option('--path <path>', 'replay and shrink the schedule at this fast-check path (as printed by a previous check)')
      .option('--until <targets>', `what counts as a failure, comma-separated: ${UNTIL_TARGETS.join(', ')}`, 'safety,liveness')
      .option('--out <file>', 'where to write the minimal scenario (default ./<name>.check-<seed>.yaml)')
      .option('--json <file>', 'write the check report as JSON (input of haywire merge)')
      .option('--workers <n>', `worker threads for the search (default: the cores, ${defaultWorkers()} here)`)
      .option('--shard <k/n>', 'run only the k-th of n slices of the schedules (merge the reports with haywire merge)')
      .option('--shrink-runs <n>', 'at most this many runs to shrink a failure (0: keep it as found)', '200')
      .option('--max-faults <n>', 'faults per schedule, at most', '4')
      .option('--kinds <list>', 'draw only these fault kinds (comma-separated)')
      .option('--exclude <list>', 'never draw these fault kinds')
      .option('--budget <duration>', 'time the cluster has to converge after the heal (default: converge phase minus 2 × loop_wait)')
      .option('--no-partial-heal', 'heal every host at the end of the chaos (default: a minority may stay faulty)')
      .option('--no-roles', 'target hosts by name only (no @primary, @replicas, @sync)')
      .option('--coverage', 'print the coverage table')
      .option('-q, --quiet', 'print the summary only')
      .addHelpText(
        'after',
        `\n--until targets:\n${UNTIL_TARGETS.map((u) => `  ${u.padEnd(21)} ${UNTIL_HELP[u]}`).join('\n')}\n` +
          `\nFault kinds: ${ALL_KINDS.join(', ')}\n` +
          '\nExit code: 0 when no schedule fails, 1 when one does (the minimal scenario is written), 2 for bad input.\n' +
          'Examples:\n  haywire check scenarios/examples/etcd-dc-partition.yaml --runs 200 --seed 7\n' +
          '  haywire check my.yaml --until split-brain,lost-write --kinds isolate,pause,crash --coverage',
      )
      .action(async (file: string, o: CheckCliOptions) => {
        const { io } = ctx;
        let until: UntilTarget[];
        try {
          until = parseUntil(o.until);
        } catch (e) {
          throw new CliError((e as Error).message, EXIT.badInput);
        }
        const runs = intOption('--runs', o.runs, 1) ?? 100;
        const seed = intOption('--seed', o.seed, 0);
        const shard = o.shard !== undefined ? parseShardOrThrow(o.shard) : undefined;
        const include = kindList('--kinds', o.kinds);
        const exclude = kindList('--exclude', o.exclude) ?? [];
        const schedule: ScheduleOptions = { maxFaults: intOption('--max-faults', o.maxFaults, 1) ?? 4, partialHeal: o.partialHeal, roles: o.roles };
        if (include || exclude.length > 0) schedule.kinds = (include ?? ALL_KINDS).filter((k) => !exclude.includes(k));
        let budgetMs: number | undefined;
        if (o.budget !== undefined) {
          const d = parseDuration(o.budget);
          if (!d.ok) throw new CliError(`--budget: ${d.error}`, EXIT.badInput);
          budgetMs = d.value / 1000;
        }
        const loaded = loadScenarios([file]);
        if (reportFailures(io, loaded)) {
          ctx.setExit(EXIT.badInput);
          return;
        }
        const base = loaded.loaded[0];
        if (!base) return;
        if (!o.quiet) for (const w of base.warnings) io.err(`${formatDiagnostic(w)}\n`);
        const out = o.out ?? defaultOut(file, seed, shard);
        const progress = new Progress(io);
        const report = await check(base, {
          runs,
          ...(seed !== undefined ? { seed } : {}),
          ...(o.path !== undefined ? { path: o.path } : {}),
          until,
          schedule,
          workers: intOption('--workers', o.workers, 1) ?? defaultWorkers(),
          ...(shard ? { shard } : {}),
          out,
          shrinkRuns: intOption('--shrink-runs', o.shrinkRuns, 0) ?? 200,
          ...(budgetMs !== undefined ? { budgetMs } : {}),
          onProgress: (e) =>
            progress.update(e.phase === 'search' ? `searching: ${e.done}/${e.total} schedules` : `shrinking: ${e.runs} runs, ${e.failing} still failing`),
        }).catch((e: unknown) => {
          progress.clear();
          if (reportScenarioError(io, ctx, e) !== null) return null;
          throw e instanceof CliError ? e : new CliError(`haywire check: ${(e as Error).message}`, EXIT.cannot);
        });
        progress.clear();
        if (report === null) return;
        if (o.json !== undefined) writeFileSync(o.json, `${JSON.stringify(report, null, 1)}\n`);
        printCheckReport(io, report, { ...(o.coverage ? { coverage: true } : {}), ...(o.quiet ? { quiet: true } : {}) });
        if (report.failure) ctx.setExit(EXIT.failed);
      });
  },
};

function parseShardOrThrow(s: string): Shard {
  try {
    return parseShard(s);
  } catch (e) {
    throw new CliError((e as Error).message, EXIT.badInput);
  }
}
