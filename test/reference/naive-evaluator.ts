// Naive reference evaluator for NetworkPolicy v1 and the admin tiers, one connection at a time, that the
// engine's property tests trust.
//
// Pairwise and obviously correct: it shares nothing with the engine (src/core/engine) beyond the model types and
// address parsing (AddressSet.of/has/covers); selectors, ports and pod ranges are matched here from scratch.

import { AddressSet, V6_OFFSET, type AddressInterval } from '../../src/core/model/address-set.js';
import type { Cluster, NetworkPolicy, Workload } from '../../src/core/model/cluster.js';
import type { AdminPeer, AdminPolicy, AdminRule, AdminTier } from '../../src/core/policy/admin-policy.js';
import type { LabelSelector, Labels, SelectorRequirement } from '../../src/core/model/labels.js';
import type { Protocol } from '../../src/core/model/port-set.js';
import type { NetworkPolicyRule, Peer, PodPeer, PortMatch } from '../../src/core/policy/network-policy.js';

/** One end of a connection: a workload (index into `cluster.workloads`) or an address outside the cluster. */
export type Endpoint =
  | { readonly kind: 'workload'; readonly index: number }
  /** An address on the unified line: IPv4 in [0, 2^32), IPv6 offset by 2^32 (see address-set.ts). */
  | { readonly kind: 'external'; readonly address: bigint };

export interface ReferenceOptions {
  readonly ipBlockPods: 'match' | 'ignore';
  /**
   * How hostNetwork pods are treated: `node`, never selected (as subject or peer) by pod or namespace selectors;
   * `pod`, like any other pod. Default, as the engine documents it: `node` with `ipBlockPods: 'match'`, `pod`
   * with `'ignore'`.
   */
  readonly hostNetworkPods?: 'node' | 'pod';
  /** The pod address ranges; undefined: a pod of unknown address may be anywhere in its family. */
  readonly podCidrs?: AddressSet;
}

type Direction = 'ingress' | 'egress';

/** Shorthand builders for endpoints. */
export function workload(index: number): Endpoint {
  return { kind: 'workload', index };
}

export function external(address: bigint): Endpoint {
  return { kind: 'external', address };
}

/**
 * Whether the connection `src` → `dst` on `protocol`/`port` is allowed.
 * "For a connection from a source pod to a destination pod to be allowed, both the egress policy on the source
 * pod and the ingress policy on the destination pod need to allow the connection. If either side does not allow
 * the connection, it will not happen."
 */
export function allowed(
  cluster: Cluster,
  src: Endpoint,
  dst: Endpoint,
  protocol: Protocol,
  port: number,
  options: ReferenceOptions,
): boolean {
  return (
    directionAllows(cluster, 'egress', src, dst, protocol, port, options) &&
    directionAllows(cluster, 'ingress', dst, src, protocol, port, options)
  );
}

/**
 * Whether the policies of `subject` for `direction` allow the connection with `peer` (for egress the subject is
 * the source and the peer the destination; for ingress the subject is the destination and the peer the source).
 */
function directionAllows(
  cluster: Cluster,
  direction: Direction,
  subject: Endpoint,
  peer: Endpoint,
  protocol: Protocol,
  port: number,
  options: ReferenceOptions,
): boolean {
  // External endpoints are outside the cluster: no policy selects them, so nothing isolates them.
  if (subject.kind === 'external') return true;
  const subjectWorkload = cluster.workloads[subject.index]!;
  // The destination, against whose container ports named ports resolve, is the subject for ingress and the peer
  // for egress.
  const destination = direction === 'ingress' ? subject : peer;
  // Docker's network isolation (Bulkhead's generated segmentation tier) before everything: per policy, the first
  // matching rule; Deny (or Allow) is final, Pass only ends that policy.
  for (const policy of sortedPolicies(cluster, 'segmentation', subjectWorkload, options)) {
    const action = firstMatch(cluster, policy, direction, peer, destination, protocol, port, options);
    if (action === 'deny') return false;
    if (action === 'allow') return true;
  }
  // Admin tier first: "AdminNetworkPolicies with lower priority values are evaluated first"; within a policy
  // "rules are evaluated in order"; the first rule that matches decides. "Pass" skips the rest of the admin tier
  // and delegates to NetworkPolicy.
  const admin = adminVerdict(
    cluster,
    'admin',
    direction,
    subjectWorkload,
    peer,
    destination,
    protocol,
    port,
    options,
  );
  if (admin === 'allow') return true;
  if (admin === 'deny') return false;
  // "By default, a pod is non-isolated for ingress [egress]; all inbound [outbound] connections are allowed.
  // A pod is isolated for ingress [egress] if there is any NetworkPolicy that both selects the pod and has
  // "Ingress" ["Egress"] in its policyTypes."
  const applying = cluster.networkPolicies.filter(
    (policy) => selectsSubject(policy, subjectWorkload, options) && policy[direction] !== undefined,
  );
  if (applying.length === 0) {
    // Not isolated by NetworkPolicy: "BaselineAdminNetworkPolicy ... rules are only evaluated for traffic that is
    // not matched by any AdminNetworkPolicy or NetworkPolicy"; first matching rule; nothing matched: allowed.
    const baseline = adminVerdict(
      cluster,
      'baseline',
      direction,
      subjectWorkload,
      peer,
      destination,
      protocol,
      port,
      options,
    );
    return baseline !== 'deny';
  }
  // "When a pod is isolated for ingress, the only allowed connections into the pod are those from the pod's node
  // and those allowed by the ingress list of some NetworkPolicy that applies to the pod for ingress. The effects
  // of those ingress lists combine additively." (Likewise for egress.) `ingress: []` allows nothing.
  for (const policy of applying) {
    for (const rule of policy[direction]!) {
      if (ruleMatches(cluster, policy, rule, peer, destination, protocol, port, options)) return true;
    }
  }
  return false;
}

/**
 * The action of the first matching rule of `tier`'s policies that select `w`, or undefined when none matches.
 * Policies of equal priority (undefined by the API) are taken by kind, then name.
 */
function adminVerdict(
  cluster: Cluster,
  tier: AdminTier,
  direction: Direction,
  w: Workload,
  peer: Endpoint,
  destination: Endpoint,
  protocol: Protocol,
  port: number,
  options: ReferenceOptions,
): AdminRule['action'] | undefined {
  for (const policy of sortedPolicies(cluster, tier, w, options)) {
    const action = firstMatch(cluster, policy, direction, peer, destination, protocol, port, options);
    if (action !== undefined) return action;
  }
  return undefined;
}

/** The policies of `tier` that select `w`, in evaluation order. */
function sortedPolicies(
  cluster: Cluster,
  tier: AdminTier,
  w: Workload,
  options: ReferenceOptions,
): AdminPolicy[] {
  return cluster.adminPolicies
    .filter((policy) => policy.tier === tier && adminSubjectSelects(cluster, policy, w, options))
    .sort(
      (a, b) =>
        a.priority - b.priority ||
        (a.apiKind < b.apiKind ? -1 : a.apiKind > b.apiKind ? 1 : 0) ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
}

/** The action of the first rule of `policy` that matches, or undefined. */
function firstMatch(
  cluster: Cluster,
  policy: AdminPolicy,
  direction: Direction,
  peer: Endpoint,
  destination: Endpoint,
  protocol: Protocol,
  port: number,
  options: ReferenceOptions,
): AdminRule['action'] | undefined {
  for (const rule of policy[direction]) {
    const peerOk = rule.peers.some((p) => adminPeerMatches(cluster, p, peer, options));
    if (peerOk && portsMatch(cluster, rule.ports, destination, protocol, port)) return rule.action;
  }
  return undefined;
}

/**
 * "Subject defines the pods to which this AdminNetworkPolicy applies": `namespaces` ("all pods in the selected
 * namespaces") or `pods` ("pods selected by podSelector in namespaces selected by namespaceSelector").
 */
function adminSubjectSelects(
  cluster: Cluster,
  policy: AdminPolicy,
  w: Workload,
  options: ReferenceOptions,
): boolean {
  if (hiddenHostNetworkPod(w, options)) return false;
  const ns = cluster.namespaces.get(w.namespace);
  if (ns === undefined || !matchesSelector(policy.subject.namespaceSelector, ns.labels)) return false;
  return policy.subject.kind === 'namespaces' || matchesSelector(policy.subject.podSelector, w.labels);
}

/** Admin peers: namespaces, pods (both by selectors), networks (addresses); nodes and domains match nothing here. */
function adminPeerMatches(
  cluster: Cluster,
  p: AdminPeer,
  peer: Endpoint,
  options: ReferenceOptions,
): boolean {
  switch (p.kind) {
    case 'networks':
      return addressesMatch(cluster, p.addresses, peer, options);
    case 'nodes':
    case 'domains':
      return false;
    case 'namespaces':
    case 'pods': {
      if (peer.kind === 'external') return false;
      const w = cluster.workloads[peer.index]!;
      if (hiddenHostNetworkPod(w, options)) return false;
      const ns = cluster.namespaces.get(w.namespace);
      if (ns === undefined || !matchesSelector(p.namespaceSelector, ns.labels)) return false;
      return p.kind === 'namespaces' || matchesSelector(p.podSelector, w.labels);
    }
  }
}

/**
 * "podSelector selects the grouping of pods to which the policy applies ... An empty podSelector selects all pods
 * in the namespace." A policy selects pods only in its own namespace.
 */
function selectsSubject(policy: NetworkPolicy, w: Workload, options: ReferenceOptions): boolean {
  return (
    !hiddenHostNetworkPod(w, options) &&
    w.namespace === policy.namespace &&
    matchesSelector(policy.podSelector, w.labels)
  );
}

/**
 * "NetworkPolicy behavior for hostNetwork pods is undefined, but it should be limited to 2 possibilities:
 * - The network plugin can distinguish hostNetwork pod traffic from all other traffic (including being able to
 *   distinguish traffic from different hostNetwork pods on the same node), and will apply
 *   podSelector/namespaceSelector to hostNetwork pods just like it does to pod-network pods. [`pod`]
 * - The network plugin cannot properly distinguish hostNetwork pod traffic, and so it ignores hostNetwork pods
 *   when matching podSelector and namespaceSelector. Traffic to/from hostNetwork pods is treated the same as all
 *   other traffic to/from the node IP." [`node`]
 * True when `w` is a hostNetwork pod that selectors must not see.
 */
function hiddenHostNetworkPod(w: Workload, options: ReferenceOptions): boolean {
  const mode = options.hostNetworkPods ?? (options.ipBlockPods === 'match' ? 'node' : 'pod');
  return w.hostNetwork && mode === 'node';
}

/**
 * "Each rule allows traffic which matches both the from [to] and ports sections."
 */
function ruleMatches(
  cluster: Cluster,
  policy: NetworkPolicy,
  rule: NetworkPolicyRule,
  peer: Endpoint,
  destination: Endpoint,
  protocol: Protocol,
  port: number,
  options: ReferenceOptions,
): boolean {
  return (
    peersMatch(cluster, policy, rule.peers, peer, options) &&
    portsMatch(cluster, rule.ports, destination, protocol, port)
  );
}

/**
 * "If this field is empty or missing, this rule matches all sources [destinations] (traffic not restricted by
 * source). If this field is present and contains at least one item, this rule allows traffic only if the traffic
 * matches at least one item in the from [to] list."
 */
function peersMatch(
  cluster: Cluster,
  policy: NetworkPolicy,
  peers: readonly Peer[] | 'any',
  peer: Endpoint,
  options: ReferenceOptions,
): boolean {
  if (peers === 'any') return true;
  return peers.some((p) =>
    p.kind === 'pods'
      ? podPeerMatches(cluster, policy, p, peer, options)
      : addressesMatch(cluster, p.addresses, peer, options),
  );
}

/**
 * "podSelector ... If namespaceSelector is also set, then the NetworkPolicyPeer as a whole selects the Pods
 * matching PodSelector in the Namespaces selected by NamespaceSelector. Otherwise it selects the Pods matching
 * PodSelector in the policy's own Namespace."
 * "namespaceSelector ... If podSelector is also set, then the NetworkPolicyPeer as a whole selects the Pods
 * matching PodSelector in the Namespaces selected by NamespaceSelector. Otherwise it selects all Pods in the
 * Namespaces selected by NamespaceSelector."
 */
function podPeerMatches(
  cluster: Cluster,
  policy: NetworkPolicy,
  p: PodPeer,
  peer: Endpoint,
  options: ReferenceOptions,
): boolean {
  if (peer.kind === 'external') return false;
  const w = cluster.workloads[peer.index]!;
  if (hiddenHostNetworkPod(w, options)) return false;
  let namespaceOk: boolean;
  if (p.namespaceSelector === undefined) {
    namespaceOk = w.namespace === policy.namespace;
  } else {
    const ns = cluster.namespaces.get(w.namespace);
    namespaceOk = ns !== undefined && matchesSelector(p.namespaceSelector, ns.labels);
  }
  if (!namespaceOk) return false;
  return p.podSelector === undefined || matchesSelector(p.podSelector, w.labels);
}

/**
 * "ipBlock defines policy on a particular IPBlock": "cidr is a string representing the IPBlock" and "except is a
 * slice of CIDRs that should not be included within an IPBlock" (`addresses` is cidr minus except, computed by
 * the parser). "IPBlock describes a particular CIDR ... that is allowed to the pods matched by a
 * NetworkPolicySpec's podSelector."
 * Pods are matched by address only under `ipBlockPods: 'match'`: a pod with known addresses when one of them is
 * inside; a pod with unknown addresses when the block covers the whole pod range of IPv4 or of IPv6.
 */
function addressesMatch(
  cluster: Cluster,
  addresses: AddressSet,
  peer: Endpoint,
  options: ReferenceOptions,
): boolean {
  if (peer.kind === 'external') return addresses.has(peer.address);
  if (options.ipBlockPods === 'ignore') return false;
  const w = cluster.workloads[peer.index]!;
  if (w.ips.length > 0) return w.ips.some((ip) => addresses.has(ip));
  const families: readonly AddressInterval[] = [
    { first: 0n, last: V6_OFFSET - 1n },
    { first: V6_OFFSET, last: V6_OFFSET + (1n << 128n) - 1n },
  ];
  for (const family of families) {
    // The family's pod range: each podCidrs interval clipped to the family by hand, or the whole family.
    const range: AddressInterval[] = [];
    for (const i of options.podCidrs?.intervals ?? [family]) {
      const first = i.first > family.first ? i.first : family.first;
      const last = i.last < family.last ? i.last : family.last;
      if (first <= last) range.push({ first, last });
    }
    if (range.length === 0) continue;
    if (range.every((interval) => addresses.covers(AddressSet.of([interval])))) return true;
  }
  return false;
}

/**
 * "ports ... If this field is empty or missing, this rule matches all ports (traffic not restricted by port). If
 * this field is present and contains at least one item, then this rule allows traffic only if the traffic matches
 * at least one port in the list."
 */
function portsMatch(
  cluster: Cluster,
  ports: readonly PortMatch[] | 'any',
  destination: Endpoint,
  protocol: Protocol,
  port: number,
): boolean {
  if (ports === 'any') return true;
  return ports.some((m) => portMatches(cluster, m, destination, protocol, port));
}

/**
 * "protocol ... must match. If not specified, this field defaults to TCP."
 * "port ... This can either be a numerical or named port on a pod."
 * "endPort indicates that the range of ports from port to endPort if set, inclusive, should be allowed."
 * A named port names a container port of the destination pod with that name and protocol; an address outside
 * the cluster has no container ports, so a named port toward it matches nothing.
 */
function portMatches(
  cluster: Cluster,
  m: PortMatch,
  destination: Endpoint,
  protocol: Protocol,
  port: number,
): boolean {
  // A named port without a protocol (admin `namedPort`) matches the named container port whatever its protocol.
  if (m.protocol !== undefined && m.protocol !== protocol) return false;
  if (m.kind === 'number') return m.first <= port && port <= m.last;
  if (destination.kind === 'external') return false;
  const w = cluster.workloads[destination.index]!;
  return w.ports.some((cp) => cp.name === m.name && cp.protocol === protocol && cp.port === port);
}

/**
 * "A label selector is a label query over a set of resources. The result of matchLabels and matchExpressions are
 * ANDed. An empty label selector matches all objects." matchLabels entries arrive as In requirements with one
 * value.
 */
export function matchesSelector(selector: LabelSelector, labels: Labels): boolean {
  for (const requirement of selector.requirements) {
    if (!matchesRequirement(requirement, labels)) return false;
  }
  return true;
}

/**
 * "operator represents a key's relationship to a set of values. Valid operators are In, NotIn, Exists and
 * DoesNotExist." apimachinery: "NotIn ... the label key does not exist or its value is not in the set".
 */
function matchesRequirement(requirement: SelectorRequirement, labels: Labels): boolean {
  const present = Object.prototype.hasOwnProperty.call(labels, requirement.key);
  const value = present ? labels[requirement.key] : undefined;
  switch (requirement.operator) {
    case 'In':
      return present && requirement.values.includes(value!);
    case 'NotIn':
      return !present || !requirement.values.includes(value!);
    case 'Exists':
      return present;
    case 'DoesNotExist':
      return !present;
  }
}
