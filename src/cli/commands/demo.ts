// `haywire demo [seed]`: the kernel demo (three sites, heartbeats, a datacentre cut off and healed).
import { runPingDemo } from '../../demo/pingDemo.js';
import type { CommandModule } from './types.js';
import type { CliIo } from '../io.js';

export function printDemo(io: CliIo, seed: string): void {
  const r = runPingDemo(seed);
  for (const l of r.lines) io.out(`${l}\n`);
}

export const demoCommand: CommandModule = {
  name: 'demo',
  register(program, ctx) {
    program
      .command('demo')
      .description('run the kernel demo: three sites exchange heartbeats while one datacentre is cut off')
      .argument('[seed]', 'random seed', '1')
      .action((seed: string) => printDemo(ctx.io, seed));
  },
};
