// Docker network segmentation as generated policies of the `segmentation` tier: containers with no network in common
// cannot talk.

import type { SourceRef } from '../core/diagnostics.js';
import type { Workload } from '../core/model/cluster.js';
import { AddressSet, parseCidr } from '../core/model/address-set.js';
import type { LabelSelector } from '../core/model/labels.js';
import { MAX_PORT, MIN_PORT, PROTOCOLS, type Protocol } from '../core/model/port-set.js';
import type { AdminPeer, AdminPolicy, AdminRule } from '../core/policy/admin-policy.js';
import type { PortMatch } from '../core/policy/network-policy.js';

/** How one service is attached: `network_mode` ('' when absent) and the Docker networks (full names). */
export interface ServiceNetworking {
  readonly mode: string;
  readonly networks: readonly { readonly fullName: string; readonly internal: boolean }[];
  readonly hostNetwork: boolean;
  /** The service's `network_mode` or the service itself: where the generated policies say they come from. */
  readonly source: SourceRef;
}

/** The synthetic label marking attachment to a Docker network (full name, e.g. `shop_backnet`). */
export function networkLabel(fullName: string): string {
  return `bulkhead.io/network.${fullName}`;
}

const ALL_PODS: AdminPeer = {
  kind: 'namespaces',
  namespaceSelector: { requirements: [] },
};

function allAddresses(): AdminPeer {
  const v4 = parseCidr('0.0.0.0/0')!;
  const v6 = parseCidr('::/0')!;
  return {
    kind: 'networks',
    addresses: AddressSet.EMPTY.union(v4.set).union(v6.set),
    cidrs: [
      { text: '0.0.0.0/0', addresses: v4.set },
      { text: '::/0', addresses: v6.set },
    ],
  };
}

function is(key: string, value: string): LabelSelector {
  return { requirements: [{ key, operator: 'In', values: [value] }] };
}

/**
 * The policies that model Docker's network isolation for one service (none for `network_mode: host`, which policies
 * cannot select). DESIGN.md, Docker mapping: "Docker networks still segment: two containers with no network in
 * common cannot talk whatever the policy." NetworkPolicies add up (a written policy could allow what Docker forbids),
 * so the isolation is a ClusterNetworkPolicy of Bulkhead's `segmentation` tier, evaluated before every written one:
 * - ingress: Pass from containers sharing a network (the written admin policies, then NetworkPolicy decide), Deny
 *   from every other
 *   container, Deny from outside addresses except to the ports the service publishes on the host;
 * - egress, only for services attached to `internal: true` networks alone (Docker gives those no route out), or with
 *   `network_mode: none`: Pass to containers sharing a network, Deny to everything else.
 * `subject` names the policy and selects its pods in the workload's namespace: by default the Compose service (its
 * project and service labels: a service's replicas together); the live Docker inventory passes the containers of
 * one namespace that share the same networks and published ports (src/docker/inventory.ts).
 */
export function dockerNetworkPolicies(
  workload: Workload,
  net: ServiceNetworking,
  published: readonly { protocol: Protocol; first: number; last: number }[],
  subject: { readonly name: string; readonly pods: LabelSelector } = {
    name: workload.name,
    pods: composeServiceSelector(workload),
  },
): AdminPolicy[] {
  if (net.hostNetwork) return [];
  const sharing: AdminPeer[] = net.networks.map((n) => ({
    kind: 'pods',
    namespaceSelector: { requirements: [] },
    podSelector: is(networkLabel(n.fullName), 'true'),
  }));
  const rule = (
    name: string,
    action: AdminRule['action'],
    peers: AdminPeer[],
    ports: AdminRule['ports'],
  ): AdminRule => ({
    name,
    action,
    peers,
    ports,
    source: net.source,
  });
  const ingress: AdminRule[] = [];
  if (sharing.length > 0) ingress.push(rule('docker-shared-network', 'pass', sharing, 'any'));
  ingress.push(rule('docker-no-shared-network', 'deny', [ALL_PODS], 'any'));
  const unpublished = complement(published);
  if (unpublished === 'any' || unpublished.length > 0)
    ingress.push(rule('docker-unpublished-ports', 'deny', [allAddresses()], unpublished));
  const egress: AdminRule[] = [];
  const noRouteOut = net.networks.length === 0 || net.networks.every((n) => n.internal);
  if (noRouteOut) {
    if (sharing.length > 0) egress.push(rule('docker-shared-network', 'pass', sharing, 'any'));
    egress.push(rule('docker-no-shared-network', 'deny', [ALL_PODS, allAddresses()], 'any'));
  }
  return [
    {
      apiKind: 'ClusterNetworkPolicy',
      // Evaluated before every written policy: Docker isolation holds "whatever the policy", and a Pass here ends
      // only this policy, so AdminNetworkPolicies still decide traffic within a network.
      tier: 'segmentation',
      name: `docker-networks.${workload.namespace}.${subject.name}`,
      priority: 0,
      subject: {
        kind: 'pods',
        namespaceSelector: is('kubernetes.io/metadata.name', workload.namespace),
        podSelector: subject.pods,
      },
      ingress,
      egress,
      source: net.source,
    },
  ];
}

/** The pods of one Compose service: its project and service labels. */
function composeServiceSelector(workload: Workload): LabelSelector {
  return {
    requirements: [
      {
        key: 'com.docker.compose.project',
        operator: 'In',
        values: [workload.labels['com.docker.compose.project']!],
      },
      { key: 'com.docker.compose.service', operator: 'In', values: [workload.name] },
    ],
  };
}

/** The ports of every protocol that are not published; 'any' when nothing is published. */
function complement(
  published: readonly { protocol: Protocol; first: number; last: number }[],
): PortMatch[] | 'any' {
  if (published.length === 0) return 'any';
  const out: PortMatch[] = [];
  for (const protocol of PROTOCOLS) {
    const ranges = published
      .filter((p) => p.protocol === protocol)
      .map((p) => [p.first, p.last] as const)
      .sort((a, b) => a[0] - b[0]);
    let next = MIN_PORT;
    for (const [first, last] of ranges) {
      if (first > next) out.push({ kind: 'number', protocol, first: next, last: first - 1 });
      next = Math.max(next, last + 1);
    }
    if (next <= MAX_PORT) out.push({ kind: 'number', protocol, first: next, last: MAX_PORT });
  }
  return out;
}
