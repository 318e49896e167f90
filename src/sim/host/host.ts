// A host: a machine in a failure domain, with a clock, a disk, power, and the processes it runs.
import type { Sim } from '../kernel/sim.js';
import type { Micros } from '../kernel/time.js';
import { HostClock } from './clock.js';
import { Disk, type DiskSpec } from './disk.js';
import type { Process } from './process.js';
import type { Network } from '../net/network.js';

declare module '../kernel/trace.js' {
  interface TraceMap {
    'host.power': { host: string; on: boolean; reason: string };
    'host.clock': { host: string; offsetUs: number; driftPpm: number; reason: string };
  }
}

export interface HostSpec {
  name: string;
  /** Path in the failure-domain tree, outermost first: e.g. ["eu", "eu-dc1", "room1", "rack3"]. */
  domains: readonly string[];
  clockOffsetUs?: Micros;
  clockDriftPpm?: number;
  disk?: DiskSpec;
  /** Time from power-on until boot-time services start. Default 30 s. */
  bootUs?: Micros;
}

export class Host {
  readonly name: string;
  readonly domains: readonly string[];
  readonly clock: HostClock;
  readonly disk: Disk;
  readonly bootUs: Micros;
  /** Index in the network's host table (dense, assigned in creation order). */
  index = -1;
  /** The network this host is attached to (set by `Network.addHost`). */
  private _net: Network | null = null;
  private _powered = true;
  private readonly procs: Process[] = [];
  private readonly bootHooks: (() => void)[] = [];
  private powerEpoch = 0;

  constructor(
    readonly sim: Sim,
    spec: HostSpec,
  ) {
    this.name = spec.name;
    this.domains = spec.domains;
    this.clock = new HostClock(spec.clockOffsetUs ?? 0, spec.clockDriftPpm ?? 0);
    this.disk = new Disk(spec.disk);
    this.bootUs = spec.bootUs ?? 30_000_000;
  }

  get net(): Network {
    if (this._net === null) throw new Error(`host ${this.name} is not attached to a network`);
    return this._net;
  }

  /** Called by `Network.addHost`. */
  attachNetwork(net: Network): void {
    this._net = net;
  }

  get powered(): boolean {
    return this._powered;
  }

  get processes(): readonly Process[] {
    return this.procs;
  }

  /** Called by Process's constructor. */
  attach(p: Process): void {
    if (this.procs.some((q) => q.name === p.name)) throw new Error(`host ${this.name} already runs a process named ${p.name}`);
    this.procs.push(p);
  }

  process(name: string): Process | undefined {
    return this.procs.find((p) => p.name === name);
  }

  /** Run `hook` every time the host finishes booting (systemd units that start at boot). */
  onBoot(hook: () => void): void {
    this.bootHooks.push(hook);
  }

  /** Power lost: every process dies at once, no FIN is sent, the disk keeps what was flushed. */
  powerOff(reason = 'power off'): void {
    if (!this._powered) return;
    this._powered = false;
    this.powerEpoch++;
    for (const p of this.procs) p.powerLoss();
    this.sim.trace.emit('host.power', { host: this.name, on: false, reason });
  }

  /** Power restored: boot takes `bootUs`, then boot hooks run. */
  powerOn(reason = 'power on'): void {
    if (this._powered) return;
    this._powered = true;
    const epoch = ++this.powerEpoch;
    this.sim.trace.emit('host.power', { host: this.name, on: true, reason });
    this.sim.schedule(this.bootUs, () => {
      if (this.powerEpoch !== epoch || !this._powered) return;
      for (const h of this.bootHooks) h();
    });
  }

  /** A hard reset (watchdog, IPMI power cycle): power off, then on at once; boot takes `bootUs`. */
  reset(reason: string): void {
    this.powerOff(reason);
    this.powerOn(`${reason}: rebooting`);
  }

  setClockDrift(ppm: number, reason = 'drift changed'): void {
    this.clock.setDrift(this.sim.nowUs, ppm);
    this.traceClock(reason);
  }

  stepClock(deltaUs: Micros, reason = 'clock stepped'): void {
    this.clock.step(deltaUs);
    this.traceClock(reason);
  }

  private traceClock(reason: string): void {
    this.sim.trace.emit('host.clock', {
      host: this.name,
      offsetUs: this.clock.offsetUs,
      driftPpm: this.clock.driftPpm,
      reason,
    });
  }
}
