import type { DcsBackendDefinition } from '../../../src/sim/dcs/backend.js';
import { consulBackend } from '../../../src/sim/dcs/consul/deploy.js';
import { etcd2Backend, etcdBackend } from '../../../src/sim/dcs/etcd/deploy.js';
import { zookeeperBackend } from '../../../src/sim/dcs/zookeeper/deploy.js';

export const QUORUM_BACKENDS: DcsBackendDefinition[] = [etcdBackend, etcd2Backend, consulBackend, zookeeperBackend];
