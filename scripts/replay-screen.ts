// Regenerates the captured screen in the README's "Replay" section: a real frame of `haywire
// replay`, rendered by src/replay at 80×24 (the same code as `haywire replay FILE --print`), of an
// example scenario at its first incident — what the incident's replay command opens on.
//
//   npx tsc -p scripts && node dist/scripts/replay-screen.js [scenario.yaml] [--at 91s] [--check]
//
// It rewrites the block between the README's replay-screen markers; --check only says whether the
// README is up to date (exit 1 if not).
import { readFileSync, writeFileSync } from 'node:fs';
import { replayScenario } from '../src/replay/load.js';
import { renderFrame } from '../src/replay/session.js';
import { parseSeek } from '../src/replay/state.js';
import { fmtTime } from '../src/replay/text.js';
import { loadScenarioFile } from '../src/scenarios/load.js';
import { availableBackends } from '../src/sim/dcs/registry.js';
import { etcdBackend } from '../src/sim/dcs/etcd/deploy.js';

const BEGIN = '<!-- replay-screen:begin (scripts/replay-screen.ts writes this block) -->';
const END = '<!-- replay-screen:end -->';
const SIZE = { cols: 80, rows: 24 };

const args = process.argv.slice(2);
const check = args.includes('--check');
const atIdx = args.indexOf('--at');
const atText = atIdx >= 0 ? args[atIdx + 1] : undefined;
const file = args.find((a, i) => !a.startsWith('--') && i !== atIdx + 1) ?? 'scenarios/examples/etcd-dc-partition.yaml';

const loaded = loadScenarioFile(file);
// etcd may not be in this build's registry yet; the model itself is there
const model = replayScenario(loaded, availableBackends().includes('etcd') ? {} : { backends: { etcd: etcdBackend } });
let atUs: number;
if (atText !== undefined) {
  const p = parseSeek(atText, 0);
  if (!p.ok) throw new Error(`--at ${atText}: ${p.error}`);
  atUs = p.us;
} else atUs = model.incidents[0]?.fromUs ?? model.faultStartsUs[0] ?? model.startUs;

const frame = renderFrame(model, { atUs, size: SIZE, color: false });
const command = `haywire replay ${file} --seed ${loaded.scenario.seed} --at ${fmtTime(atUs)} --print --width ${SIZE.cols} --height ${SIZE.rows}`;
const block = `${BEGIN}\n\`${command}\`:\n\n\`\`\`text\n${frame}\n\`\`\`\n${END}`;

const readme = readFileSync('README.md', 'utf8');
const a = readme.indexOf(BEGIN);
const b = readme.indexOf(END);
if (a < 0 || b < a) throw new Error('README.md has no replay-screen block');
const next = readme.slice(0, a) + block + readme.slice(b + END.length);
if (check) {
  process.stdout.write(next === readme ? 'README replay screen is up to date\n' : 'README replay screen is out of date: run scripts/replay-screen.ts\n');
  process.exitCode = next === readme ? 0 : 1;
} else {
  writeFileSync('README.md', next);
  process.stdout.write(`${frame}\n(${command})\n`);
}
