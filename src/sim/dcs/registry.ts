// Every DCS backend haywire models, by kind. A backend adds its import and one entry to ALL.
import type { DcsBackendKind } from '../history/records.js';
import type { DcsBackendDefinition } from './backend.js';

// ---- backends ----
import { consulBackend } from './consul/deploy.js';
import { dynamoDbBackend } from './dynamodb/index.js';
import { etcd2Backend, etcdBackend } from './etcd/deploy.js';
import { fileBackend } from './file/index.js';
import { kubernetesBackend } from './kubernetes/deploy.js';
import { memoryBackend } from './memory/index.js';
import { pgStoreBackend } from './pgstore/index.js';
import { redisBackend } from './redis/index.js';
import { zookeeperBackend } from './zookeeper/deploy.js';

const ALL: readonly DcsBackendDefinition[] = [
  // add each backend's definition here
  etcdBackend,
  etcd2Backend,
  consulBackend,
  zookeeperBackend,
  kubernetesBackend,
  redisBackend,
  pgStoreBackend,
  dynamoDbBackend,
  fileBackend,
  memoryBackend,
];

const byKind = new Map<DcsBackendKind, DcsBackendDefinition>(ALL.map((b) => [b.kind, b]));

export function backendFor(kind: DcsBackendKind): DcsBackendDefinition {
  const b = byKind.get(kind);
  if (!b) throw new Error(`DCS backend "${kind}" is not available`);
  return b;
}

export function availableBackends(): DcsBackendKind[] {
  return [...byKind.keys()].sort();
}
