// Kernel benchmark: the full kernel (event queue, processes, TCP-like channels, trace with its
// running hash) under a synthetic load of many timers and messages, against a bare binary-heap
// event loop with no model at all.
import { World } from '../src/sim/world.js';
import { Process } from '../src/sim/host/process.js';
import { streamService, type StreamEnd } from '../src/sim/net/network.js';
import { EventHeap } from '../src/sim/kernel/heap.js';

const Ping = streamService<number, number>('ping');

class Pinger extends Process {
  peers: StreamEnd<number, number>[] = [];
  count = 0;
  protected onStart(): void {
    this.net.listenStream(this, Ping, (end) => end.onMessage((n) => end.send(n + 1, 64)));
    const tick = (): void => {
      this.count++;
      const p = this.peers[this.count % Math.max(1, this.peers.length)];
      if (p) p.send(this.count, 64);
      this.after(10_000, tick); // every 10 ms of local time
    };
    this.after(10_000, tick);
  }
}

export interface KernelBench {
  /** Kernel rate with the default trace of a run (protocol records; per-message records off). */
  kernelEventsPerSec: number;
  /** Kernel rate with the full trace (`--trace-messages`: every message recorded and hashed). */
  kernelEventsPerSecFullTrace: number;
  kernelEvents: number;
  traceRecords: number;
  bareEventsPerSec: number;
  bareEvents: number;
  /** kernelEventsPerSec / bareEventsPerSec. */
  ratio: number;
  /** kernelEventsPerSecFullTrace / bareEventsPerSec. */
  ratioFullTrace: number;
}

function kernelRun(virtualSeconds: number, messages: boolean): { events: number; seconds: number; records: number } {
  const w = new World({ seed: 'bench', trace: { messages } });
  const procs: Pinger[] = [];
  for (let i = 0; i < 12; i++) {
    const h = w.addHost({ name: `h${i}`, domains: ['r', `dc${i % 3}`, 'room', `rack${i % 4}`] });
    const p = new Pinger(h, 'pinger');
    p.start();
    procs.push(p);
  }
  // every process holds a stream to three others
  for (const [i, p] of procs.entries()) {
    for (let k = 1; k <= 3; k++) {
      const q = procs[(i + k) % procs.length] as Pinger;
      p.spawn(
        'connect',
        (function* () {
          const end = yield* p.net.connect(p, q, Ping, 1_000_000);
          end.onMessage(() => undefined);
          p.peers.push(end);
        })(),
      );
    }
  }
  w.run(1_000_000);
  const t0 = performance.now();
  const events = w.run(w.sim.nowUs + virtualSeconds * 1_000_000);
  const seconds = (performance.now() - t0) / 1000;
  return { events, seconds, records: w.sim.trace.length };
}

function bareRun(totalEvents: number): { events: number; seconds: number } {
  interface Ev {
    timeUs: number;
    seq: number;
    fn: () => void;
  }
  const heap = new EventHeap<Ev>();
  let seq = 0;
  let now = 0;
  let n = 0;
  const actors = 12 * 4;
  for (let i = 0; i < actors; i++) {
    const tick = (): void => {
      heap.push({ timeUs: now + 10_000 + (i % 7), seq: seq++, fn: tick });
    };
    heap.push({ timeUs: i, seq: seq++, fn: tick });
  }
  const t0 = performance.now();
  while (n < totalEvents) {
    const e = heap.pop();
    if (!e) break;
    now = e.timeUs;
    e.fn();
    n++;
  }
  return { events: n, seconds: (performance.now() - t0) / 1000 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Five interleaved repetitions of each loop; the median rate of each. */
export function benchKernel(virtualSeconds = 150, reps = 5): KernelBench {
  kernelRun(20, true); // warm up the JIT
  const full: number[] = [];
  const proto: number[] = [];
  const bare: number[] = [];
  let events = 0;
  let records = 0;
  for (let r = 0; r < reps; r++) {
    const k = kernelRun(virtualSeconds, true);
    events = k.events;
    records = k.records;
    full.push(k.events / k.seconds);
    const kp = kernelRun(virtualSeconds, false);
    proto.push(kp.events / kp.seconds);
    const b = bareRun(k.events);
    bare.push(b.events / b.seconds);
  }
  const kernelEventsPerSec = median(proto);
  const fullTrace = median(full);
  const bareEventsPerSec = median(bare);
  return {
    kernelEventsPerSec: Math.round(kernelEventsPerSec),
    kernelEventsPerSecFullTrace: Math.round(fullTrace),
    kernelEvents: events,
    traceRecords: records,
    bareEventsPerSec: Math.round(bareEventsPerSec),
    bareEvents: events,
    ratio: Number((kernelEventsPerSec / bareEventsPerSec).toFixed(3)),
    ratioFullTrace: Number((fullTrace / bareEventsPerSec).toFixed(3)),
  };
}
