// The catalog of lint checks: stable ids, titles, default severities, rationale (with the API text each relies
// on) and the generic fix. Ids are never reused; docs/lint.md describes each one with an example.

import type { LintCheckInfo } from './types.js';

export const SELECTS_NOTHING: LintCheckInfo = {
  id: 'BH-LINT-001',
  title: 'Policy selects no workload',
  severity: 'medium',
  rationale:
    'NetworkPolicy podSelector: "Selects the pods to which this NetworkPolicy object applies." AdminNetworkPolicy ' +
    'subject: "Subject defines the pods to which this AdminNetworkPolicy applies." A policy whose selector matches ' +
    'no workload in the input protects nothing, usually because of a label typo. Low when the namespace(s) it ' +
    'selects hold no workload at all in the input (the input is probably partial).',
  fix: 'Correct the selector so that it matches the labels of the pods the policy is meant for, or delete the policy.',
};

export const PEER_MATCHES_NOTHING: LintCheckInfo = {
  id: 'BH-LINT-002',
  title: 'Peer matches nothing',
  severity: 'medium',
  rationale:
    'NetworkPolicyPeer: "podSelector ... selects pods"; "namespaceSelector selects namespaces using cluster-scoped ' +
    'labels"; with both, "the pods matching podSelector in the Namespaces selected by namespaceSelector". A peer ' +
    'that matches no pod or no namespace allows (or, in an admin policy, denies) nothing: the rule does not do what ' +
    'it says. Admin nodes and domainNames peers cannot be checked offline and are skipped. Low when the selected ' +
    'namespaces hold no workload at all in the input.',
  fix: "Correct the peer's selectors (namespaces carry kubernetes.io/metadata.name=<name>), or delete the peer.",
};

export const REDUNDANT_RULE: LintCheckInfo = {
  id: 'BH-LINT-003',
  title: 'Rule made redundant by another rule',
  severity: 'low',
  rationale:
    'NetworkPolicySpec.ingress: "Traffic is allowed to a pod if ... the traffic matches at least one ingress rule ' +
    'across all of the NetworkPolicy objects whose podSelector matches the pod" (egress likewise). Rules only add, ' +
    'so a rule whose peers and ports are all allowed by one other rule of the same direction, in a policy that ' +
    'selects every pod this rule applies to, changes nothing. Usually a leftover, or a sign that the other rule is ' +
    'broader than meant.',
  fix: 'Delete the redundant rule, or narrow the broader rule if it allows more than intended.',
};

export const SHADOWED_ADMIN_RULE: LintCheckInfo = {
  id: 'BH-LINT-004',
  title: 'Admin rule shadowed by earlier rules',
  severity: 'medium',
  rationale:
    'AdminNetworkPolicy: "Rules with lower priority values have higher precedence, and are checked before rules ' +
    'with higher priority values"; "a rule that appears at the top of the ingress rules would take the highest ' +
    'precedence". The first matching rule decides (Pass included), so a rule every connection of which is already ' +
    'matched by an earlier rule of its policy or of a higher-precedence policy of the same tier can never apply.',
  fix: 'Move the rule before the rules that shadow it (or give its policy a lower priority number), or delete it.',
};

export const ALLOW_ALL_RULE: LintCheckInfo = {
  id: 'BH-LINT-005',
  title: 'Rule allows everything',
  severity: 'medium',
  rationale:
    'NetworkPolicy from/to: "If this field is empty or missing, this rule matches all sources (destinations)"; ' +
    'ports: "If this field is empty or missing, this rule matches all ports". A rule `{}` (or with empty from/to and ' +
    'ports) allows every pod and every address outside the cluster on every port, which undoes the isolation the ' +
    'policy creates; often a mistake for "deny all". Medium for ingress, low for egress.',
  fix: 'For deny-all, write `ingress: []` / `egress: []` (or omit the list and keep policyTypes); otherwise list the peers and ports meant.',
};

export const DNS_BLOCKED: LintCheckInfo = {
  id: 'BH-LINT-006',
  title: 'Egress isolation blocks DNS',
  severity: 'medium',
  rationale:
    'NetworkPolicySpec.egress: "Outgoing traffic is allowed if there are no NetworkPolicies selecting the pod ... OR ' +
    'if the traffic matches at least one egress rule across all of the NetworkPolicy objects whose podSelector ' +
    'matches the pod." Isolating a pod for egress also cuts it off from the cluster DNS (pods labelled ' +
    'k8s-app=kube-dns, UDP and TCP 53) unless a rule allows it, and name resolution then fails. Without a DNS ' +
    'workload in the input, the check asks whether UDP 53 is reachable anywhere.',
  fix: 'Add an egress rule to namespaceSelector kubernetes.io/metadata.name=kube-system with podSelector k8s-app=kube-dns on port 53 UDP and TCP.',
};

export const DNS_TCP_BLOCKED: LintCheckInfo = {
  id: 'BH-LINT-007',
  title: 'Egress isolation blocks DNS over TCP',
  severity: 'low',
  rationale:
    'DNS falls back to TCP port 53 for answers larger than a UDP message (RFC 7766: "all general-purpose DNS ' +
    'implementations MUST support both UDP and TCP transport"). A pod that may reach the cluster DNS on UDP 53 but ' +
    'not TCP 53 fails on large responses.',
  fix: 'Add `{port: 53, protocol: TCP}` next to the UDP port of the DNS egress rule.',
};

export const IPBLOCK_OVERLAPS_PODS: LintCheckInfo = {
  id: 'BH-LINT-008',
  title: 'ipBlock overlaps pod addresses',
  severity: 'medium',
  rationale:
    'NetworkPolicy concepts: ipBlock "selects particular IP CIDR ranges to allow as ingress sources or egress ' +
    'destinations. These should be cluster-external IPs, since Pod IPs are ephemeral and unpredictable." Whether ' +
    'an ipBlock matches pod traffic differs between network plugins. Checked against --pod-cidr and the pod ' +
    'addresses known in the input. Low when the block covers the whole pod range (e.g. 0.0.0.0/0, meant as ' +
    '"anywhere").',
  fix: 'Select pods with podSelector/namespaceSelector, and add the pod CIDR to the ipBlock except list.',
};

export const IPBLOCKS_OVERLAP: LintCheckInfo = {
  id: 'BH-LINT-009',
  title: 'ipBlocks of one rule overlap',
  severity: 'low',
  rationale:
    'NetworkPolicy from/to: "this rule allows traffic only if the traffic matches at least one item in the from ' +
    'list". Peers are alternatives, so addresses listed by two ipBlocks of one rule are listed twice; one of the ' +
    'blocks is (partly) redundant, often a typo in a prefix length.',
  fix: 'Merge the blocks or correct the CIDRs.',
};

export const EXCEPT_REMOVES_NOTHING: LintCheckInfo = {
  id: 'BH-LINT-010',
  title: 'ipBlock except removes nothing',
  severity: 'low',
  rationale:
    'IPBlock.except: "a slice of CIDRs that should not be included within an IPBlock". An except that lies inside ' +
    'another except of the same block, or whose addresses another peer of the same rule allows again, excludes ' +
    'nothing from what the rule allows.',
  fix: 'Delete the except, or remove the peer that allows its addresses again.',
};

export const NAMED_PORT_UNRESOLVED: LintCheckInfo = {
  id: 'BH-LINT-011',
  title: 'Named port resolves nowhere',
  severity: 'medium',
  rationale:
    'NetworkPolicyPort.port: "This can either be a numerical or named port on a pod." A named port resolves ' +
    "against the destination pod's container ports (the selected pods for ingress, the peers' pods for egress) of " +
    'the same protocol; where none of them has a port of that name, the port matches nothing. AdminNetworkPolicy ' +
    'namedPort: "NamedPort selects a port on a pod(s) based on name."',
  fix: 'Use the container port name the destination pods declare (ports[].name), its protocol, or a port number.',
};

export const PRIORITY_COLLISION: LintCheckInfo = {
  id: 'BH-LINT-012',
  title: 'Admin policies share a priority',
  severity: 'medium',
  rationale:
    'AdminNetworkPolicy priority: "If two (or more) policies with the same priority could both match a connection, ' +
    'then the implementation can apply any of the matching policies to the connection, and there is no way for the ' +
    'user to reliably determine which one it will choose." Bulkhead orders them by kind and name; a cluster may ' +
    'not. Low when the policies select no pod in common.',
  fix: 'Give every policy of a tier its own priority.',
};

export const NAMESPACE_MISSING: LintCheckInfo = {
  id: 'BH-LINT-013',
  title: 'Policy in a namespace that does not exist',
  severity: 'low',
  rationale:
    'A NetworkPolicy is namespaced: it selects pods "in this namespace" only, and the API server refuses to create ' +
    'an object in a namespace that does not exist. A policy whose namespace has no Namespace object and no ' +
    'workload in the input is often in the wrong namespace (metadata.namespace missing or misspelt). Medium when ' +
    'the input declares other namespaces (so it is meant to be complete).',
  fix: 'Set metadata.namespace to the namespace of the pods the policy is meant for, or add the Namespace.',
};

/** Every check, in id order. */
export const LINT_CHECKS: readonly LintCheckInfo[] = [
  SELECTS_NOTHING,
  PEER_MATCHES_NOTHING,
  REDUNDANT_RULE,
  SHADOWED_ADMIN_RULE,
  ALLOW_ALL_RULE,
  DNS_BLOCKED,
  DNS_TCP_BLOCKED,
  IPBLOCK_OVERLAPS_PODS,
  IPBLOCKS_OVERLAP,
  EXCEPT_REMOVES_NOTHING,
  NAMED_PORT_UNRESOLVED,
  PRIORITY_COLLISION,
  NAMESPACE_MISSING,
];
