// The watchdog device and Patroni's facade (patroni/watchdog/base.py, linux.py): the device resets
// the host unless kicked within its timeout; the magic close disarms it, a killed Patroni does not;
// mode required without a usable device refuses activation (and the node refuses to promote).
import { describe, expect, it } from 'vitest';
import { World } from '../../src/sim/world.js';
import { Process } from '../../src/sim/host/process.js';
import { Watchdog, WatchdogConfig, WatchdogDevice } from '../../src/sim/patroni/watchdog.js';
import { sToUs } from '../../src/sim/kernel/time.js';
import { testCluster } from '../cluster/helpers.js';

class Owner extends Process {
  protected onStart(): void {}
}

function setup(usable = true): { w: World; dev: WatchdogDevice; owner: Owner } {
  const w = new World({ seed: 'wd', trace: { keep: true } });
  const h = w.addHost({ name: 'n1', domains: ['eu', 'dc1'], bootUs: 1_000_000 });
  const dev = new WatchdogDevice(h, usable, 'n1');
  dev.start();
  const owner = new Owner(h, 'patroni');
  owner.start();
  return { w, dev, owner };
}

const fired = (w: World): number => w.sim.trace.records().filter((r) => r.k === 'patroni.watchdog' && (r as { event: string }).event === 'fired').length;

describe('watchdog', () => {
  it('timeout = ttl - safety_margin (or ttl // 2 with -1); timing slack = timeout - loop_wait', () => {
    expect(new WatchdogConfig('automatic', 30, 10, 5).timeout).toBe(25);
    expect(new WatchdogConfig('automatic', 21, 2, -1).timeout).toBe(10);
    expect(new WatchdogConfig('required', 30, 10, 25).timing_slack).toBe(-5);
  });

  it('resets the host when not kicked in time; keepalives postpone it', () => {
    const { w, dev, owner } = setup();
    const wd = new Watchdog(owner, dev, new WatchdogConfig('required', 30, 10, 5), 'n1');
    expect(wd.activate()).toBe(true);
    expect(dev.getTimeout()).toBe(25);
    w.run(sToUs(20));
    wd.keepalive();
    w.run(sToUs(44));
    expect(fired(w)).toBe(0);
    w.run(sToUs(46));
    expect(fired(w)).toBe(1);
    expect(w.sim.trace.records().some((r) => r.k === 'host.power' && (r as { on: boolean }).on === false)).toBe(true);
  });

  it('the magic close (disable) disarms it; kill -9 of Patroni does not', () => {
    const a = setup();
    const wd = new Watchdog(a.owner, a.dev, new WatchdogConfig('automatic', 30, 10, 5), 'n1');
    wd.activate();
    wd.disable();
    a.w.run(sToUs(100));
    expect(fired(a.w)).toBe(0);

    const b = setup();
    const wd2 = new Watchdog(b.owner, b.dev, new WatchdogConfig('automatic', 30, 10, 5), 'n1');
    wd2.activate();
    b.owner.crash('kill -9');
    b.w.run(sToUs(30));
    expect(fired(b.w)).toBe(1);
  });

  it('mode required without a usable device: activation fails and the node is not healthy for a race', () => {
    const { dev, owner } = setup(false);
    const wd = new Watchdog(owner, dev, new WatchdogConfig('required', 30, 10, 5), 'n1');
    expect(wd.is_healthy).toBe(false);
    expect(wd.activate()).toBe(false);
    const auto = new Watchdog(owner, dev, new WatchdogConfig('automatic', 30, 10, 5), 'n1');
    expect(auto.activate()).toBe(true);
    expect(auto.is_running).toBe(false);
  });

  it('a cluster whose nodes require a watchdog but have none never gets a primary', () => {
    const t = testCluster({ seed: 'wd-required', spec: { watchdog: { mode: 'required', device: false } } });
    t.run(60);
    expect(t.primaries()).toEqual([]);
    // bootstrap needs the watchdog too: post_bootstrap cancels the initialization and Patroni exits
    const all = t.c.nodes.flatMap((n) => t.cycles(n.name));
    expect(all.some((m) => m === 'initialized a new cluster')).toBe(false);
  });
});
