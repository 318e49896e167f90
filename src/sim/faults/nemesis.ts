// Faults as data. A schedule is a list of `{ atUs, durationUs?, action }`; the nemesis applies each
// action at its time and heals it after its duration (or leaves it, if no duration). Each module
// declares the actions it understands by merging into `FaultActionMap` and registers a handler;
// the kernel-level ones (network, process, host, clock, disk) are in `basic.ts`.
import type { Sim } from '../kernel/sim.js';
import type { Micros } from '../kernel/time.js';

/** Fault action kinds and their parameters; extended by declaration merging. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface FaultActionMap {}

export type FaultKind = keyof FaultActionMap & string;
export type FaultActionOf<K extends FaultKind> = { kind: K } & FaultActionMap[K];
export type FaultAction = { [K in FaultKind]: FaultActionOf<K> }[FaultKind];

export interface ScheduledFault {
  /** Start, in true microseconds from the beginning of the run. */
  atUs: Micros;
  /** Heal after this long; omitted: the fault stays until healed by another action or the run ends. */
  durationUs?: Micros;
  action: FaultAction;
  /** Optional stable id (defaults to "f<index>"). */
  id?: string;
}

/** What a handler returns: how to heal (undefined for one-shot actions such as a crash). */
export type Heal = (() => void) | undefined;

export interface FaultHandler<K extends FaultKind> {
  apply(action: FaultActionOf<K>, id: string): Heal;
  describe(action: FaultActionOf<K>): string;
}

declare module '../kernel/trace.js' {
  interface TraceMap {
    fault: { id: string; kind: string; on: boolean; what: string };
  }
}

export class UnknownFaultError extends Error {}

export class Nemesis {
  private readonly handlers = new Map<string, FaultHandler<FaultKind>>();
  private readonly heals = new Map<string, () => void>();
  private seq = 0;

  constructor(private readonly sim: Sim) {}

  register<K extends FaultKind>(kind: K, handler: FaultHandler<K>): void {
    this.handlers.set(kind, handler as unknown as FaultHandler<FaultKind>);
  }

  knows(kind: string): boolean {
    return this.handlers.has(kind);
  }

  get kinds(): string[] {
    return [...this.handlers.keys()].sort();
  }

  describe(action: FaultAction): string {
    const h = this.handlers.get(action.kind);
    return h ? h.describe(action) : action.kind;
  }

  /** Schedule every fault of a schedule (times relative to now). */
  schedule(faults: readonly ScheduledFault[]): void {
    faults.forEach((f, i) => {
      const id = f.id ?? `f${i}`;
      this.sim.schedule(f.atUs - this.sim.nowUs, () => this.apply(f.action, id, f.durationUs));
    });
  }

  /** Apply an action now; heal it after `durationUs` if given. Returns the id used. */
  apply(action: FaultAction, id?: string, durationUs?: Micros): string {
    const h = this.handlers.get(action.kind);
    if (!h) throw new UnknownFaultError(`no handler for fault kind "${action.kind}"`);
    const fid = id ?? `n${this.seq++}`;
    if (this.heals.has(fid)) this.heal(fid);
    const what = h.describe(action);
    this.sim.trace.emit('fault', { id: fid, kind: action.kind, on: true, what });
    const heal = h.apply(action, fid);
    if (heal) {
      this.heals.set(fid, () => {
        heal();
        this.sim.trace.emit('fault', { id: fid, kind: action.kind, on: false, what });
      });
      if (durationUs !== undefined) this.sim.schedule(durationUs, () => this.heal(fid));
    }
    return fid;
  }

  heal(id: string): void {
    const h = this.heals.get(id);
    if (!h) return;
    this.heals.delete(id);
    h();
  }

  /** Heal every active fault (in the order they were applied). */
  healAll(): void {
    for (const id of [...this.heals.keys()]) this.heal(id);
  }

  get active(): string[] {
    return [...this.heals.keys()];
  }
}
