// Test drivers for the non-shipped DCS stores: a stand-in for the Patroni agent that runs the
// lock part of the HA loop (get the cluster; renew if I hold the key, race for it if nobody does;
// touch my member key; wait loop_wait), and helpers to read lock grants out of the trace.
import { Process } from '../../../src/sim/host/process.js';
import type { Host } from '../../../src/sim/host/host.js';
import { DCSError, type AbstractDCS, type DcsTiming } from '../../../src/sim/dcs/abstract.js';
import type { DcsDeployment } from '../../../src/sim/dcs/backend.js';
import { grantOverlaps, grantsFrom, type Grant, type GrantOverlap } from '../../../src/sim/dcs/grants.js';
import type { World } from '../../../src/sim/world.js';
import type { TraceRecord } from '../../../src/sim/kernel/trace.js';

export const PATRONI_DEFAULTS: DcsTiming = { ttlMs: 30_000, loopWaitMs: 10_000, retryTimeoutMs: 10_000 };

export interface CycleLog {
  /** When the cycle began (its first DCS call) and when this entry was logged. */
  startUs: number;
  atUs: number;
  /** What the cycle did: 'renewed', 'acquired', 'lost', 'follower', 'dcs-error', ... */
  what: string;
  error?: string;
}

/** The lock half of Patroni's HA loop, driving an `AbstractDCS` the way `Ha._run_cycle` does. */
export class LockAgent extends Process {
  dcs: AbstractDCS | null = null;
  log: CycleLog[] = [];
  /** Whether the last cycle ended believing it holds the lock. */
  believesLeader = false;

  constructor(
    host: Host,
    name: string,
    private readonly deployment: DcsDeployment,
    private readonly timing: DcsTiming = PATRONI_DEFAULTS,
    private readonly useWatch = false,
  ) {
    super(host, name);
  }

  protected onStart(): void {
    this.dcs = this.deployment.client(this, this.host.name, this.timing);
    this.believesLeader = false;
    this.spawn('ha-loop', this.loop());
  }

  private cycleStartUs = 0;

  private note(what: string, error?: string): void {
    const e: CycleLog = { startUs: this.cycleStartUs, atUs: this.sim.nowUs, what };
    if (error !== undefined) e.error = error;
    this.log.push(e);
  }

  private *loop(): Generator<import('../../../src/sim/kernel/task.js').Suspend, void, unknown> {
    const dcs = this.dcs as AbstractDCS;
    for (;;) {
      let leaderVersion: number | string | null = null;
      this.cycleStartUs = this.sim.nowUs;
      try {
        const c = yield* dcs.getCluster();
        if (c.leader?.name === this.host.name) {
          const ok = yield* dcs.updateLeader(c, null, null);
          this.believesLeader = ok;
          this.note(ok ? 'renewed' : 'lost');
        } else if (c.leader === null) {
          const ok = yield* dcs.attemptToAcquireLeader();
          this.believesLeader = ok;
          this.note(ok ? 'acquired' : 'race-lost');
        } else {
          this.believesLeader = false;
          leaderVersion = c.leader.version;
          this.note('follower');
        }
        yield* dcs.touchMember({ state: 'running', role: this.believesLeader ? 'primary' : 'replica' });
      } catch (e) {
        if (!(e instanceof DCSError)) throw e;
        this.believesLeader = false;
        this.note('dcs-error', e.message);
      }
      yield* dcs.watch(this.useWatch ? leaderVersion : null, this.timing.loopWaitMs);
      dcs.event.clear();
    }
  }
}

export function leaderRecords(w: World): TraceRecord[] {
  return w.sim.trace.records().filter((r) => r.k === 'dcs.leader');
}

export function grantsOf(w: World): Grant[] {
  return grantsFrom(w.sim.trace.records());
}

export function overlapsOf(w: World): GrantOverlap[] {
  return grantOverlaps(grantsOf(w));
}

/** A readable line for a double grant, for test failure messages and the report. */
export function describeOverlap(o: GrantOverlap): string {
  const g = (x: Grant): string => `${x.holder}@${x.server ?? '-'} [${(x.fromUs / 1e6).toFixed(3)}s, ${Number.isFinite(x.toUs) ? (x.toUs / 1e6).toFixed(3) : '∞'}s)`;
  return `${o.store}: ${g(o.a)} overlaps ${g(o.b)} during [${(o.fromUs / 1e6).toFixed(3)}s, ${(o.toUs / 1e6).toFixed(3)}s)`;
}
