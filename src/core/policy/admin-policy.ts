// The IR of the admin tiers: AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io
// v1alpha1) and ClusterNetworkPolicy (v1alpha2, tier Admin or Baseline), after validation.

import type { SourceRef } from '../diagnostics.js';
import type { AddressSet } from '../model/address-set.js';
import type { LabelSelector } from '../model/labels.js';
import type { CidrBlock, PortMatch } from './network-policy.js';

/** Admin rules are evaluated before NetworkPolicy, baseline rules after it. */
/**
 * `segmentation` is Bulkhead's own tier for Docker's network isolation (generated, never read from YAML), evaluated
 * before the admin tier: a Deny there is final ("two containers with no network in common cannot talk whatever the
 * policy"), a Pass only ends that policy, so the written admin policies still decide traffic within a network.
 */
export type AdminTier = 'segmentation' | 'admin' | 'baseline';

/**
 * "Allow"/"Accept": the connection is allowed, no later tier is consulted. "Deny": it is dropped. "Pass": the
 * admin tier steps aside and NetworkPolicy (then the baseline tier) decides. Accept (v1alpha2) is stored as allow.
 */
export type AdminAction = 'allow' | 'deny' | 'pass';

/** Which pods a policy applies to: all pods in the selected namespaces, or the selected pods in them. */
export type AdminSubject =
  | { readonly kind: 'namespaces'; readonly namespaceSelector: LabelSelector }
  | { readonly kind: 'pods'; readonly namespaceSelector: LabelSelector; readonly podSelector: LabelSelector };

export type AdminPeer =
  /** Every pod in the namespaces the selector matches. */
  | { readonly kind: 'namespaces'; readonly namespaceSelector: LabelSelector }
  /** The pods the pod selector matches in the namespaces the namespace selector matches. */
  | { readonly kind: 'pods'; readonly namespaceSelector: LabelSelector; readonly podSelector: LabelSelector }
  /** Nodes by label (egress only): the cluster's nodes are not in the manifests, so this matches no workload. */
  | { readonly kind: 'nodes'; readonly nodeSelector: LabelSelector }
  /** Addresses (egress; v1alpha2 also ingress): like an ipBlock without except, possibly several CIDRs. */
  | { readonly kind: 'networks'; readonly addresses: AddressSet; readonly cidrs: readonly CidrBlock[] }
  /** Domain names (v1alpha2 egress): not resolvable offline; matches no address the analysis knows. */
  | { readonly kind: 'domains'; readonly names: readonly string[] };

export interface AdminRule {
  /** The rule's `name`, for explanations; empty when the policy gives none. */
  readonly name: string;
  readonly action: AdminAction;
  readonly peers: readonly AdminPeer[];
  /**
   * `any` when the rule has no ports/protocols. Named ports here may have no protocol (v1alpha1 `namedPort`):
   * then they match a destination container port of that name with whatever protocol it has.
   */
  readonly ports: readonly PortMatch[] | 'any';
  readonly source?: SourceRef;
}

export interface AdminPolicy {
  readonly apiKind: 'AdminNetworkPolicy' | 'BaselineAdminNetworkPolicy' | 'ClusterNetworkPolicy';
  readonly tier: AdminTier;
  readonly name: string;
  /** Lower numbers are evaluated first. BaselineAdminNetworkPolicy has none (there is at most one): 0. */
  readonly priority: number;
  readonly subject: AdminSubject;
  /** Rules in the order written: within a policy, the first matching rule wins. */
  readonly ingress: readonly AdminRule[];
  readonly egress: readonly AdminRule[];
  readonly source?: SourceRef;
}

/**
 * Evaluation order within a tier: "lower numbers have higher precedence". Equal priorities are left undefined
 * by the API (and reported by the loader); they are ordered by kind, then name, so that a result never depends on
 * the order of files.
 */
export function compareAdminPrecedence(a: AdminPolicy, b: AdminPolicy): number {
  return (
    a.priority - b.priority ||
    (a.apiKind < b.apiKind ? -1 : a.apiKind > b.apiKind ? 1 : 0) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}
