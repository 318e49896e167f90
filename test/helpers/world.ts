// Small test fixtures: a world of hosts in a domain tree and a generic echo/recorder process.
import { World } from '../../src/sim/world.js';
import { Process } from '../../src/sim/host/process.js';
import { service, streamService, type StreamEnd } from '../../src/sim/net/network.js';
import type { Task } from '../../src/sim/kernel/task.js';

export const Echo = service<{ n: number }, { n: number; by: string }>('echo');
export const Feed = streamService<{ n: number }, { ack: number }>('feed');

/** A process that answers Echo, accepts Feed streams and records what it received. */
export class Recorder extends Process {
  received: { n: number; atUs: number }[] = [];
  streamsClosed: string[] = [];
  ends: StreamEnd<{ ack: number }, { n: number }>[] = [];

  protected onStart(): void {
    this.received = [];
    this.net.listen(this, Echo, (req) => this.echo(req));
    this.net.listenStream(this, Feed, (end) => {
      this.ends.push(end);
      end.onMessage((m) => {
        this.received.push({ n: m.n, atUs: this.sim.nowUs });
        end.send({ ack: m.n });
      });
      end.onClose((r) => this.streamsClosed.push(r));
    });
  }

  // eslint-disable-next-line require-yield
  private *echo(req: { n: number }): Task<{ n: number; by: string }> {
    this.received.push({ n: req.n, atUs: this.sim.nowUs });
    return { n: req.n, by: this.name };
  }
}

/** A bare process that runs whatever tasks a test spawns in it. */
export class Shell extends Process {
  protected onStart(): void {}
}

/** Hosts: a1,a2 in eu/dc1 (racks r1, r2), b1,b2 in eu/dc2, c1 in us/dc3. */
export function smallWorld(seed = 'test', opts: { keep?: boolean; messages?: boolean } = {}): World {
  const w = new World({ seed, trace: { keep: opts.keep ?? true, messages: opts.messages ?? true } });
  const specs: [string, string[]][] = [
    ['a1', ['eu', 'dc1', 'room1', 'r1']],
    ['a2', ['eu', 'dc1', 'room1', 'r2']],
    ['b1', ['eu', 'dc2', 'room2', 'r3']],
    ['b2', ['eu', 'dc2', 'room2', 'r4']],
    ['c1', ['us', 'dc3', 'room3', 'r5']],
  ];
  for (const [name, domains] of specs) w.addHost({ name, domains, bootUs: 1_000_000 });
  return w;
}

export const HOSTS = ['a1', 'a2', 'b1', 'b2', 'c1'] as const;
