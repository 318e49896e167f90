// A small built-in demo of the kernel: three sites exchanging heartbeats over TCP streams while
// the nemesis cuts one datacentre off and heals it. It exists so that a fresh clone has something
// to run before the scenario library lands.
import { World } from '../sim/world.js';
import { Process } from '../sim/host/process.js';
import { streamService, type StreamEnd } from '../sim/net/network.js';
import { formatUs } from '../sim/kernel/time.js';

const Beat = streamService<{ from: string; seq: number }, { from: string; seq: number }>('heartbeat');

class Heart extends Process {
  lastHeard = new Map<string, number>();
  outs: StreamEnd<{ from: string; seq: number }, { from: string; seq: number }>[] = [];
  events: string[] = [];
  private seq = 0;

  protected onStart(): void {
    this.net.listenStream(this, Beat, (end) => {
      end.onMessage((m) => this.lastHeard.set(m.from, this.sim.nowUs));
    });
    const beat = (): void => {
      this.seq++;
      for (const o of this.outs) o.send({ from: this.host.name, seq: this.seq });
      for (const [peer, at] of this.lastHeard) {
        if (this.sim.nowUs - at > 3_000_000) {
          this.events.push(`${formatUs(this.sim.nowUs)}: ${this.host.name} has not heard ${peer} for ${formatUs(this.sim.nowUs - at)}`);
          this.lastHeard.set(peer, this.sim.nowUs);
        }
      }
      this.after(1_000_000, beat);
    };
    this.after(1_000_000, beat);
  }
}

export interface DemoResult {
  lines: string[];
  traceHash: string;
}

export function runPingDemo(seed = '1'): DemoResult {
  const w = new World({ seed, trace: { messages: true } });
  const sites: [string, string[]][] = [
    ['pg1', ['eu', 'dc1', 'room1', 'rack1']],
    ['pg2', ['eu', 'dc2', 'room1', 'rack1']],
    ['pg3', ['us', 'dc3', 'room1', 'rack1']],
  ];
  const hearts = sites.map(([name, domains]) => {
    const h = w.addHost({ name, domains });
    const p = new Heart(h, 'heart');
    p.start();
    return p;
  });
  for (const a of hearts) {
    for (const b of hearts) {
      if (a === b) continue;
      a.spawn(
        'connect',
        (function* () {
          a.outs.push(yield* a.net.connect(a, b, Beat, 5_000_000));
        })(),
      );
    }
  }
  w.nemesis.schedule([{ atUs: 20_000_000, durationUs: 15_000_000, action: { kind: 'isolate', targets: ['dc2'] } }]);
  w.run(60_000_000);
  const lines = [
    'haywire kernel demo: 3 hosts in 3 datacentres exchange heartbeats; dc2 is cut off from 20s to 35s.',
    ...hearts.flatMap((h) => h.events),
    `events: ${w.sim.eventsRun}, trace records: ${w.sim.trace.length}, traceHash: ${w.sim.trace.digest()}`,
  ];
  return { lines, traceHash: w.sim.trace.digest() };
}
