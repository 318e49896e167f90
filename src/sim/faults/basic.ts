// Kernel-level fault actions: every network fault shape (and flapping), process crash / pause /
// start, host power and reset, clock steps and drift, disk stalls.
import type { Micros } from '../kernel/time.js';
import { describeNetFault, type NetFault } from '../net/faults.js';
import type { World } from '../world.js';
import type { FaultActionOf, Nemesis } from './nemesis.js';

type Net<K extends NetFault['kind']> = Omit<Extract<NetFault, { kind: K }>, 'kind'>;

declare module './nemesis.js' {
  interface FaultActionMap {
    isolate: Net<'isolate'>;
    split: Net<'split'>;
    cut: Net<'cut'>;
    'one-way': Net<'one-way'>;
    bridge: Net<'bridge'>;
    ring: Net<'ring'>;
    degrade: Net<'degrade'>;
    /** Toggle a network fault: on for `upUs`, off for `downUs`, until healed. */
    flap: { fault: NetFault; onUs: Micros; offUs: Micros };
    /** kill -9 of a process ("host/proc"); with a duration it is started again at the heal. */
    crash: { process: string };
    /** Start a stopped or crashed process. */
    start: { process: string };
    /** SIGSTOP; healed by SIGCONT. */
    pause: { process: string };
    /** Power off a host; healed by power on (boot takes the host's boot time). */
    'power-off': { host: string };
    /** Hard reset: power off and on at once. */
    reset: { host: string };
    /** Step a host's wall clock (NTP jump, snapshot restore). Permanent. */
    'clock-step': { host: string; deltaUs: Micros };
    /** Set a host's clock drift; healed by restoring the previous drift. */
    'clock-drift': { host: string; ppm: number };
    /** fsyncs on the host's disk take at least `latencyUs` until healed. */
    'disk-stall': { host: string; latencyUs: Micros };
  }
}

const NET_KINDS = ['isolate', 'split', 'cut', 'one-way', 'bridge', 'ring', 'degrade'] as const;

export function registerBasicFaults(nemesis: Nemesis, world: World): void {
  const net = world.net;
  for (const k of NET_KINDS) {
    nemesis.register(k, {
      apply: (a, id) => {
        const f = a as unknown as NetFault;
        net.applyFault(id, f);
        return () => net.healFault(id);
      },
      describe: (a) => describeNetFault(a as unknown as NetFault),
    });
  }

  nemesis.register('flap', {
    apply: (a: FaultActionOf<'flap'>, id) => {
      let on = false;
      let stopped = false;
      const sub = `${id}~`;
      const toggle = (): void => {
        if (stopped) return;
        if (on) net.healFault(sub);
        else net.applyFault(sub, a.fault);
        on = !on;
        world.sim.schedule(on ? a.onUs : a.offUs, toggle);
      };
      toggle();
      return () => {
        stopped = true;
        if (on) net.healFault(sub);
      };
    },
    describe: (a) => `flapping (${a.onUs / 1000}ms on / ${a.offUs / 1000}ms off): ${describeNetFault(a.fault)}`,
  });

  nemesis.register('crash', {
    apply: (a) => {
      const p = world.findProcess(a.process);
      p.crash('killed by the nemesis');
      return () => {
        p.start('restarted after crash');
      };
    },
    describe: (a) => `kill -9 ${a.process}`,
  });

  nemesis.register('start', {
    apply: (a) => {
      world.findProcess(a.process).start('started by the nemesis');
      return undefined;
    },
    describe: (a) => `start ${a.process}`,
  });

  nemesis.register('pause', {
    apply: (a) => {
      const p = world.findProcess(a.process);
      p.pause('SIGSTOP');
      return () => p.resume('SIGCONT');
    },
    describe: (a) => `SIGSTOP ${a.process}`,
  });

  nemesis.register('power-off', {
    apply: (a) => {
      const h = world.net.host(a.host);
      h.powerOff('power off by the nemesis');
      return () => h.powerOn('power restored');
    },
    describe: (a) => `power off ${a.host}`,
  });

  nemesis.register('reset', {
    apply: (a) => {
      world.net.host(a.host).reset('hard reset by the nemesis');
      return undefined;
    },
    describe: (a) => `hard reset ${a.host}`,
  });

  nemesis.register('clock-step', {
    apply: (a) => {
      world.net.host(a.host).stepClock(a.deltaUs, 'clock stepped by the nemesis');
      return undefined;
    },
    describe: (a) => `step ${a.host}'s clock by ${a.deltaUs / 1000}ms`,
  });

  nemesis.register('clock-drift', {
    apply: (a) => {
      const h = world.net.host(a.host);
      const before = h.clock.driftPpm;
      h.setClockDrift(a.ppm, 'drift set by the nemesis');
      return () => h.setClockDrift(before, 'drift restored');
    },
    describe: (a) => `${a.host}'s clock drifts ${a.ppm} ppm`,
  });

  nemesis.register('disk-stall', {
    apply: (a) => {
      const h = world.net.host(a.host);
      h.disk.stall(Number.POSITIVE_INFINITY, a.latencyUs);
      return () => h.disk.clearStall();
    },
    describe: (a) => `stall ${a.host}'s disk (fsync ≥ ${a.latencyUs / 1000}ms)`,
  });
}
