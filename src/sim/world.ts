// A world: the kernel, the network, the hosts and their processes, and the nemesis that injects
// faults. Models are built into a world; a run is `world.run(untilUs)`.
import { Sim, type SimOptions } from './kernel/sim.js';
import type { Micros } from './kernel/time.js';
import { Host, type HostSpec } from './host/host.js';
import type { Process } from './host/process.js';
import { Network, type NetworkOptions } from './net/network.js';
import { Nemesis } from './faults/nemesis.js';
import { registerBasicFaults } from './faults/basic.js';

export interface WorldOptions extends SimOptions {
  network?: NetworkOptions;
}

export class World {
  readonly sim: Sim;
  readonly net: Network;
  readonly nemesis: Nemesis;

  constructor(opts: WorldOptions) {
    this.sim = new Sim(opts);
    this.net = new Network(this.sim, opts.network);
    this.nemesis = new Nemesis(this.sim);
    registerBasicFaults(this.nemesis, this);
  }

  addHost(spec: HostSpec): Host {
    const h = new Host(this.sim, spec);
    this.net.addHost(h);
    return h;
  }

  /** A process named "host/proc". Throws a clear error for an unknown name. */
  findProcess(qualified: string): Process {
    const slash = qualified.indexOf('/');
    if (slash < 0) throw new Error(`process "${qualified}" must be named as host/process`);
    const hostName = qualified.slice(0, slash);
    const procName = qualified.slice(slash + 1);
    if (!this.net.hasHost(hostName)) throw new Error(`unknown host "${hostName}" in process "${qualified}"`);
    const p = this.net.host(hostName).process(procName);
    if (!p) throw new Error(`host ${hostName} runs no process "${procName}"`);
    return p;
  }

  /** Every process on every host, in host then start order. */
  processes(): Process[] {
    return this.net.hosts.flatMap((h) => [...h.processes]);
  }

  get nowUs(): Micros {
    return this.sim.nowUs;
  }

  run(untilUs: Micros): number {
    return this.sim.run(untilUs);
  }
}
