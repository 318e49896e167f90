import type { DcsBackendDefinition } from '../../../src/sim/dcs/backend.js';
import { etcdBackend } from '../../../src/sim/dcs/etcd/deploy.js';

export const QUORUM_BACKENDS: DcsBackendDefinition[] = [etcdBackend];
