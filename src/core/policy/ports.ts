// What a rule's ports mean for one destination: numeric ports and ranges, and named ports resolved against the
// destination's container ports. Shared by the engine, explain and lint, so they cannot disagree.

import type { Workload } from '../model/cluster.js';
import { ConnSet, PortSet, type Protocol } from '../model/port-set.js';
import type { PortMatch } from './network-policy.js';

/**
 * A rule's ports as a connection set. "If this field is empty or missing, this rule matches all ports." A named
 * port "resolves against the destination pod's container ports": the container ports of that name (and protocol,
 * when the rule gives one; admin `namedPort` gives none). With no destination pod — an address outside the
 * cluster — a named port matches nothing.
 */
export function resolvePorts(
  ports: readonly PortMatch[] | 'any',
  destination: Workload | undefined,
): ConnSet {
  if (ports === 'any') return ConnSet.ALL;
  const byProtocol: Record<Protocol, PortSet> = {
    TCP: PortSet.EMPTY,
    UDP: PortSet.EMPTY,
    SCTP: PortSet.EMPTY,
  };
  for (const port of ports) {
    if (port.kind === 'number') {
      byProtocol[port.protocol] = byProtocol[port.protocol].union(PortSet.range(port.first, port.last));
    } else if (destination !== undefined) {
      for (const cp of destination.ports) {
        if (cp.name === port.name && (port.protocol === undefined || cp.protocol === port.protocol))
          byProtocol[cp.protocol] = byProtocol[cp.protocol].union(PortSet.range(cp.port, cp.port));
      }
    }
  }
  return ConnSet.of(byProtocol);
}
