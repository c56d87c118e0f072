// Shared, memoized facts for the lint checks: which workloads each policy selects and each peer matches, rule
// peers as workload and address sets, and named ports resolved against a destination — computed once per input.

import type { SourceRef } from '../diagnostics.js';
import { WorkloadIndex } from '../engine/workload-index.js';
import { AddressSet } from '../model/address-set.js';
import type { Cluster, NetworkPolicy, Workload } from '../model/cluster.js';
import { selectorKey, type LabelSelector } from '../model/labels.js';
import type { ConnSet } from '../model/port-set.js';
import type { AdminPeer, AdminPolicy, AdminRule } from '../policy/admin-policy.js';
import type { NetworkPolicyRule, PodPeer, PortMatch } from '../policy/network-policy.js';
import type {
  LintCheckInfo,
  LintFinding,
  LintOptions,
  LintResource,
  LintRuleRef,
  LintSeverity,
} from './types.js';

export type Direction = 'ingress' | 'egress';
export const DIRECTIONS: readonly Direction[] = ['ingress', 'egress'];

/** What a rule's peers match: workloads (sorted indices, and as a set) and addresses outside the cluster. */
export interface RulePeers {
  readonly workloads: readonly number[];
  readonly workloadSet: ReadonlySet<number>;
  readonly addresses: AddressSet;
  /** Some peer (admin nodes, domainNames) matches things the input cannot show. */
  readonly opaque: boolean;
}

export class LintContext {
  readonly index: WorkloadIndex;
  readonly hostNetworkApart: boolean;
  /** Namespaces declared by a Namespace object in the input (not only implied by objects in them). */
  readonly declaredNamespaces: ReadonlySet<string>;
  private readonly workloadsByNamespace = new Map<string, number>();
  private readonly npSubjects = new Map<NetworkPolicy, readonly number[]>();
  private readonly adminSubjects = new Map<AdminPolicy, readonly number[]>();
  private readonly addressMatches = new Map<string, readonly number[]>();
  private readonly peerMatches = new Map<string, readonly number[]>();
  private readonly allWorkloads: readonly number[];

  constructor(
    readonly cluster: Cluster,
    readonly options: LintOptions,
  ) {
    const hostNetworkPods = options.hostNetworkPods ?? (options.ipBlockPods === 'match' ? 'node' : 'pod');
    this.hostNetworkApart = hostNetworkPods === 'node';
    this.index = new WorkloadIndex(cluster, this.hostNetworkApart);
    for (const w of cluster.workloads)
      this.workloadsByNamespace.set(w.namespace, (this.workloadsByNamespace.get(w.namespace) ?? 0) + 1);
    this.declaredNamespaces = new Set(
      [...cluster.namespaces.values()].filter((ns) => ns.source !== undefined).map((ns) => ns.name),
    );
    this.allWorkloads = cluster.workloads.map((_, i) => i);
  }

  get workloads(): readonly Workload[] {
    return this.cluster.workloads;
  }

  workloadCount(namespace: string): number {
    return this.workloadsByNamespace.get(namespace) ?? 0;
  }

  /** "An empty podSelector matches all pods in this namespace": the workloads a NetworkPolicy selects. */
  subjectsOf(policy: NetworkPolicy): readonly number[] {
    let subjects = this.npSubjects.get(policy);
    if (subjects === undefined) {
      subjects = this.index.podsMatching(new Set([policy.namespace]), policy.podSelector);
      this.npSubjects.set(policy, subjects);
    }
    return subjects;
  }

  /** The workloads an admin policy's subject selects. */
  adminSubjectsOf(policy: AdminPolicy): readonly number[] {
    let subjects = this.adminSubjects.get(policy);
    if (subjects === undefined) {
      const s = policy.subject;
      subjects = this.index.podsMatching(
        this.index.namespacesMatching(s.namespaceSelector),
        s.kind === 'pods' ? s.podSelector : undefined,
      );
      this.adminSubjects.set(policy, subjects);
    }
    return subjects;
  }

  /** Workloads matched by pod selector `pods` (every pod when absent) in the namespaces given. */
  podsIn(namespaces: ReadonlySet<string>, pods: LabelSelector | undefined): readonly number[] {
    const key = `${[...namespaces].sort().join(',')}|${pods === undefined ? '*' : selectorKey(pods)}`;
    let found = this.peerMatches.get(key);
    if (found === undefined) {
      found = this.index.podsMatching(namespaces, pods);
      this.peerMatches.set(key, found);
    }
    return found;
  }

  /** The namespaces a NetworkPolicy pod peer looks in: the policy's own, or those its selector matches. */
  peerNamespaces(peer: PodPeer, policyNamespace: string): ReadonlySet<string> {
    return peer.namespaceSelector === undefined
      ? new Set([policyNamespace])
      : this.index.namespacesMatching(peer.namespaceSelector);
  }

  /**
   * Workloads an address block matches, as the engine does: none with `--ipblock-pods ignore`; else a pod whose
   * address is known when the block holds it, a pod whose address is unknown when the block covers its whole pod
   * range.
   */
  addressWorkloads(addresses: AddressSet): readonly number[] {
    if (this.options.ipBlockPods === 'ignore') return [];
    const key = addresses.key();
    let found = this.addressMatches.get(key);
    if (found === undefined) {
      let coversUnknown = false;
      for (const family of [AddressSet.ALL_V4, AddressSet.ALL_V6]) {
        const range = this.options.podCidrs === undefined ? family : this.options.podCidrs.intersect(family);
        if (!range.isEmpty() && addresses.covers(range)) coversUnknown = true;
      }
      const out: number[] = [];
      this.workloads.forEach((w, i) => {
        if (w.ips.length > 0 ? w.ips.some((ip) => addresses.has(ip)) : coversUnknown) out.push(i);
      });
      found = out;
      this.addressMatches.set(key, found);
    }
    return found;
  }

  /** What a NetworkPolicy rule's peers match. */
  networkPolicyRulePeers(rule: NetworkPolicyRule, policy: NetworkPolicy): RulePeers {
    if (rule.peers === 'any') return this.makePeers([this.allWorkloads], AddressSet.ALL, false);
    const lists: (readonly number[])[] = [];
    let addresses = AddressSet.EMPTY;
    for (const peer of rule.peers) {
      if (peer.kind === 'pods') {
        lists.push(this.podsIn(this.peerNamespaces(peer, policy.namespace), peer.podSelector));
      } else {
        addresses = addresses.union(peer.addresses);
        lists.push(this.addressWorkloads(peer.addresses));
      }
    }
    return this.makePeers(lists, addresses, false);
  }

  /** What one admin peer matches in pods (undefined for nodes and domains, which the input cannot show). */
  adminPeerWorkloads(peer: AdminPeer): readonly number[] | undefined {
    switch (peer.kind) {
      case 'namespaces':
        return this.podsIn(this.index.namespacesMatching(peer.namespaceSelector), undefined);
      case 'pods':
        return this.podsIn(this.index.namespacesMatching(peer.namespaceSelector), peer.podSelector);
      case 'networks':
        return this.addressWorkloads(peer.addresses);
      case 'nodes':
      case 'domains':
        return undefined;
    }
  }

  /** What an admin rule's peers match. */
  adminRulePeers(rule: AdminRule): RulePeers {
    const lists: (readonly number[])[] = [];
    let addresses = AddressSet.EMPTY;
    let opaque = false;
    for (const peer of rule.peers) {
      const found = this.adminPeerWorkloads(peer);
      if (found === undefined) opaque = true;
      else lists.push(found);
      if (peer.kind === 'networks') addresses = addresses.union(peer.addresses);
    }
    return this.makePeers(lists, addresses, opaque);
  }

  private makePeers(
    lists: readonly (readonly number[])[],
    addresses: AddressSet,
    opaque: boolean,
  ): RulePeers {
    const set = new Set<number>();
    for (const list of lists) for (const w of list) set.add(w);
    const workloads = lists.length === 1 ? lists[0]! : [...set].sort((a, b) => a - b);
    return { workloads, workloadSet: set, addresses, opaque };
  }
}

export { resolvePorts } from '../policy/ports.js';

/** True when a rule's ports include a named port. */
export function hasNamedPorts(ports: readonly PortMatch[] | 'any'): boolean {
  return ports !== 'any' && ports.some((p) => p.kind === 'named');
}

/** A key of a workload's named container ports: workloads with equal keys resolve every named port alike. */
export function namedPortsKey(w: Workload): string {
  return w.ports
    .filter((p) => p.name !== undefined)
    .map((p) => `${p.name}/${p.protocol}/${p.port}`)
    .sort()
    .join(',');
}

/** `a ⊆ b` for connection sets. */
export function connCovers(b: ConnSet, a: ConnSet): boolean {
  return a.subtract(b).isEmpty();
}

export function networkPolicyResource(policy: NetworkPolicy): LintResource {
  return { kind: 'NetworkPolicy', namespace: policy.namespace, name: policy.name };
}

export function adminResource(policy: AdminPolicy): LintResource {
  return { kind: policy.apiKind, namespace: '', name: policy.name };
}

/** `NetworkPolicy ns/name` or `AdminNetworkPolicy name`, for messages. */
export function describeResource(resource: LintResource): string {
  return resource.namespace === ''
    ? `${resource.kind} ${resource.name}`
    : `${resource.kind} ${resource.namespace}/${resource.name}`;
}

/** `ingress rule 2` or `egress rule 1 "allow-dns"` (1-based, as people count). */
export function describeRule(rule: LintRuleRef): string {
  return `${rule.direction} rule ${rule.index + 1}${rule.name !== '' ? ` "${rule.name}"` : ''}`;
}

/** Builds a finding of a check, with the catalog's title and the given (or default) severity. */
export function makeFinding(
  check: LintCheckInfo,
  fields: {
    readonly resource: LintResource;
    readonly message: string;
    readonly location?: SourceRef | undefined;
    readonly rule?: LintRuleRef | undefined;
    readonly severity?: LintSeverity;
    readonly fix?: string;
  },
): LintFinding {
  return {
    check: check.id,
    severity: fields.severity ?? check.severity,
    title: check.title,
    message: fields.message,
    resource: fields.resource,
    ...(fields.location !== undefined ? { location: fields.location } : {}),
    ...(fields.rule !== undefined ? { rule: fields.rule } : {}),
    fix: fields.fix ?? check.fix,
  };
}

/** A list for messages: the first `limit` items, then "and N more". */
export function listSome(items: readonly string[], limit = 5): string {
  if (items.length <= limit) return items.join(', ');
  return `${items.slice(0, limit).join(', ')} and ${items.length - limit} more`;
}

/** A SourceRef with a sub-path appended (e.g. a peer inside a rule), keeping the rule's range. */
export function withPath(source: SourceRef | undefined, suffix: string): SourceRef | undefined {
  if (source === undefined) return undefined;
  return {
    ...source,
    path: source.path !== undefined && source.path !== '' ? `${source.path}${suffix}` : suffix,
  };
}
