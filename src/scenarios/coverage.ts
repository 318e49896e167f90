// The coverage IDs of the seed document (`../shared/seed/coverage.md`): every scenario lists the
// rows it shows in `covers:`, `haywire list` prints them, and the README's coverage table is
// generated from them. Titles are short forms of the rows.

export const COVERAGE: Readonly<Record<string, string>> = {
  D1: 'etcd (v3): Raft quorum, leases, compare-and-swap',
  D2: 'ZooKeeper: sessions, ephemeral leader znode',
  D3: 'Consul: sessions with TTL and lock-delay, consistency modes',
  D4: 'Kubernetes: API server, resourceVersion, client-written TTL',
  D5: 'Redis: asynchronous replicas and Sentinel, lock granted twice',
  D6: 'PostgreSQL as the store: a single point of failure',
  D7: 'DynamoDB: conditional writes, unreachable from a cut-off region',
  D8: 'File: no server-side expiry, TTL by the readers\' clocks',
  D9: 'Memory: valid for a single node only',
  C1: 'Common pairings: ZooKeeper, Kubernetes, Consul with automatic failover',
  P1: 'Partitions: symmetric, one-way, bridge, flapping',
  P2: 'Each side believes it has a majority',
  P3: 'Data inconsistency between sides',
  P4: 'Service interruption outside the majority; majority under load',
  P5: 'Split-brain with conflicts that cannot be reconciled',
  P6: 'Misjudgment: nobody notices the partition',
  M1: 'Mitigation: redundant links (compare topologies)',
  M2: 'Mitigation: client retry and fault tolerance',
  M3: 'Mitigation: declared failure domains',
  M4: 'Mitigation: a minimum quorum',
  M5: 'Mitigation: manual confirmation and repair (pause, rewind, reinit)',
  X1: 'One cluster per DC; standby cluster across DCs',
  X2: 'Manual cross-DC failover: promoting the standby cluster',
  X3: 'Nested failure domains: rack, room, DC; cascading failover',
  X4: 'Cross-DC link breaks, replication stops',
  X5: 'Cross-DC lag beyond what the business tolerates',
  X6: 'Wrong manual switchover (wrong or stale side)',
  X7: 'Active-active across DCs diverges',
  X8: 'Mitigations: redundant links, lag monitoring, drills, local reads',
  W1: 'High inter-node latency (100-300 ms RTT) in one cluster',
  W2: 'Tuning: larger lag limit, longer detection, no false failovers',
  W3: 'A minimum number of votes against misjudgment',
  W4: 'Redundancy: multiple nodes per component, no single point of failure',
  N1: 'The store\'s own availability and consistency under the same faults',
};

export const COVERAGE_IDS: readonly string[] = Object.keys(COVERAGE);
