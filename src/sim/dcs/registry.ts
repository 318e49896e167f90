// Every DCS backend haywire models, by kind. A backend adds one line here.
import type { DcsBackendKind } from '../history/records.js';
import type { DcsBackendDefinition } from './backend.js';

const backends = new Map<DcsBackendKind, DcsBackendDefinition>();

export function registerBackend(def: DcsBackendDefinition): void {
  backends.set(def.kind, def);
}

export function backendFor(kind: DcsBackendKind): DcsBackendDefinition {
  const b = backends.get(kind);
  if (!b) throw new Error(`DCS backend "${kind}" is not available`);
  return b;
}

export function availableBackends(): DcsBackendKind[] {
  return [...backends.keys()].sort();
}

// ---- backends (each import registers itself) ----
