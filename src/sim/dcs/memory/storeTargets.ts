// Fault actions that act on a whole store ("the PostgreSQL store is down", "Sentinel, fail over")
// name the store by its trace label. Each store family keeps the deployments of a world here, so
// the nemesis handler (registered once per world and kind) can find them.
import type { World } from '../../world.js';
import type { Nemesis } from '../../faults/nemesis.js';

const families = new WeakMap<World, Map<string, Map<string, unknown>>>();

/** The deployments of one store family in `world`, by store label (created on first use). */
export function storeTargets<T>(world: World, family: string): Map<string, T> {
  let byFamily = families.get(world);
  if (!byFamily) {
    byFamily = new Map();
    families.set(world, byFamily);
  }
  let m = byFamily.get(family);
  if (!m) {
    m = new Map();
    byFamily.set(family, m);
  }
  return m as Map<string, T>;
}

/** The target named `store`, or the only one when `store` is omitted; a clear error otherwise. */
export function pickTarget<T>(targets: Map<string, T>, family: string, store: string | undefined): T {
  if (store !== undefined) {
    const t = targets.get(store);
    if (!t) throw new Error(`no ${family} store labelled "${store}" (have: ${[...targets.keys()].sort().join(', ') || 'none'})`);
    return t;
  }
  if (targets.size !== 1) throw new Error(`${targets.size} ${family} stores exist; name one with "store"`);
  return [...targets.values()][0] as T;
}

/** Register a handler once per world's nemesis. */
export function registerOnce(nemesis: Nemesis, kind: string, register: () => void): void {
  if (!nemesis.knows(kind)) register();
}
