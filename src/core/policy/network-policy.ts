// The rule IR of NetworkPolicy v1: peers and ports after validation, absent and empty kept apart.

import type { SourceRef } from '../diagnostics.js';
import type { AddressSet } from '../model/address-set.js';
import type { LabelSelector } from '../model/labels.js';
import type { Protocol } from '../model/port-set.js';

/**
 * A pod peer. "If namespaceSelector is also set, then the NetworkPolicyPeer as a whole selects the pods matching
 * podSelector in the Namespaces selected by NamespaceSelector. Otherwise it selects the Pods matching
 * podSelector in the policy's own Namespace."
 */
export interface PodPeer {
  readonly kind: 'pods';
  /** Absent: the policy's own namespace. */
  readonly namespaceSelector?: LabelSelector;
  /** Absent with a namespaceSelector: every pod in the selected namespaces. */
  readonly podSelector?: LabelSelector;
}

/** A CIDR as written, and the addresses it stands for. */
export interface CidrBlock {
  readonly text: string;
  readonly addresses: AddressSet;
}

/** An ipBlock: `cidr` minus every `except`, already computed; the blocks are kept to split the address space. */
export interface AddressPeer {
  readonly kind: 'addresses';
  readonly addresses: AddressSet;
  readonly cidr: CidrBlock;
  readonly except: readonly CidrBlock[];
}

export type Peer = PodPeer | AddressPeer;

/**
 * A numeric port or range, or a named port resolved against the destination's container ports. A named port
 * without a protocol (admin policies' `namedPort`) matches the named container port with whatever protocol it has.
 */
export type PortMatch =
  | { readonly kind: 'number'; readonly protocol: Protocol; readonly first: number; readonly last: number }
  | { readonly kind: 'named'; readonly protocol?: Protocol; readonly name: string };

export interface NetworkPolicyRule {
  /** "If this field is empty or missing, this rule matches all sources (destinations)": `any`. */
  readonly peers: readonly Peer[] | 'any';
  /** "If this field is empty or missing, this rule matches all ports": `any`. */
  readonly ports: readonly PortMatch[] | 'any';
  readonly source?: SourceRef;
}
