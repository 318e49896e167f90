// The failure-domain tree: region > datacenter > room > rack > host. Each host carries its path,
// outermost first. The distance between two hosts is the level at which their paths part; it
// picks the latency class of the link and lets faults name whole domains ("cut dc2 from dc1").

/** Latency classes, nearest first. */
export const DISTANCES = ['local', 'rack', 'room', 'dc', 'region', 'world'] as const;
export type Distance = (typeof DISTANCES)[number];

/** Names of the levels of a host's domain path, outermost first. */
export const DOMAIN_LEVELS = ['region', 'datacenter', 'room', 'rack'] as const;
export type DomainLevel = (typeof DOMAIN_LEVELS)[number];

/**
 * Distance between two hosts from their domain paths. Paths of different depth compare on the
 * common prefix: two hosts that both say only [eu, dc1] are in the same datacenter.
 */
export function distanceBetween(a: { name: string; domains: readonly string[] }, b: { name: string; domains: readonly string[] }): Distance {
  if (a.name === b.name) return 'local';
  const n = Math.min(a.domains.length, b.domains.length);
  let common = 0;
  while (common < n && a.domains[common] === b.domains[common]) common++;
  switch (common) {
    case 0:
      return 'world';
    case 1:
      return 'region';
    case 2:
      return 'dc';
    case 3:
      return 'room';
    default:
      return 'rack';
  }
}
