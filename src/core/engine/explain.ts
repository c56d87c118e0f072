// Explains one connection: per direction, which tier, policy and rule allowed, denied or passed each port.
//
// A pair evaluator with provenance that works directly on the Cluster IR (never on the connectivity engine's
// rows), so it is an independent second implementation: the property tests check that both agree.
//
// Per direction: "admin tier by priority (lower number first; first matching rule wins; `Pass` jumps to the
// namespace tier) → NetworkPolicy → baseline tier → default allow" (DESIGN.md). "For a connection from a source
// pod to a destination pod to be allowed, both the egress policy on the source pod and the ingress policy on
// the destination pod need to allow the connection."

import type { SourceRef } from '../diagnostics.js';
import type { Cluster, NetworkPolicy, Workload } from '../model/cluster.js';
import { AddressSet } from '../model/address-set.js';
import { compileSelector, selectorKey, type LabelSelector, type Labels } from '../model/labels.js';
import { ConnSet, MAX_PORT, PROTOCOLS, PortSet, type Protocol } from '../model/port-set.js';
import {
  compareAdminPrecedence,
  type AdminPeer,
  type AdminPolicy,
  type AdminRule,
  type AdminSubject,
} from '../policy/admin-policy.js';
import type { Peer } from '../policy/network-policy.js';
import { resolvePorts } from '../policy/ports.js';
import { Connectivity, type ConnectivityOptions } from './connectivity.js';

/** One end of a connection: a workload (by index), or a range of addresses outside the cluster. */
export type Endpoint =
  | { readonly kind: 'workload'; readonly index: number }
  /**
   * External addresses [first, last]; evaluated at `first`. A range must lie wholly inside or outside every
   * address block (as the engine's external ranges do); a single address always does.
   */
  | { readonly kind: 'external'; readonly first: bigint; readonly last: bigint };

export type ExplainDirection = 'ingress' | 'egress';
export type ExplainTier = 'segmentation' | 'admin' | 'networkpolicy' | 'baseline' | 'default';
export type Verdict = 'allowed' | 'denied';
export type RuleAction = 'allow' | 'deny' | 'pass';

/** A policy, as an explanation names it. */
export interface PolicyRef {
  readonly kind: 'NetworkPolicy' | AdminPolicy['apiKind'];
  /** NetworkPolicy only: admin policies are cluster-scoped. */
  readonly namespace?: string;
  readonly name: string;
  readonly source?: SourceRef;
}

/** A rule of a policy: its 0-based index in the direction's rule list, its name (admin rules) and action. */
export interface RuleRef {
  readonly policy: PolicyRef;
  readonly direction: ExplainDirection;
  readonly index: number;
  /** Admin rules' `name`, when not empty. */
  readonly name?: string;
  /** NetworkPolicy rules only ever allow. */
  readonly action: RuleAction;
  readonly source?: SourceRef;
}

/** Why one part of the port space got its verdict in one direction. */
export interface Decision {
  readonly verdict: Verdict;
  /** The tier whose answer is final: `default` when no tier had one. */
  readonly tier: ExplainTier;
  /** The admin `Pass` rule that handed these ports down to NetworkPolicy (first matching rule wins: one at most). */
  readonly passedBy?: RuleRef;
  /**
   * The deciding rules: the one matching rule in the admin and baseline tiers; every allowing rule (the union)
   * for NetworkPolicy; none for a NetworkPolicy denial or the default (a baseline `Pass` is kept here).
   */
  readonly rules: readonly RuleRef[];
  /** NetworkPolicy tier: the policies that select the pod for this direction and so isolate it. */
  readonly isolatedBy: readonly PolicyRef[];
  /** NetworkPolicy denial: rules of the isolating policies whose peers match but whose ports do not. */
  readonly peerMatched: readonly RuleRef[];
}

/** Ports of one protocol with one decision (not necessarily contiguous). */
export interface Segment {
  readonly protocol: Protocol;
  readonly ports: PortSet;
  readonly decision: Decision;
}

export interface DirectionExplanation {
  readonly direction: ExplainDirection;
  /** The workload whose policies are evaluated: the source for egress, the destination for ingress. */
  readonly subject: number;
  readonly allowed: ConnSet;
  /** Per protocol (TCP, UDP, SCTP), by first port; one segment per distinct decision; they tile the scope. */
  readonly segments: readonly Segment[];
}

export interface PairExplanation {
  readonly source: Endpoint;
  readonly destination: Endpoint;
  /** The connections asked about (`--port`/`--protocol`), every connection by default. */
  readonly scope: ConnSet;
  /** Absent when the source is outside the cluster: no policy selects it. */
  readonly egress?: DirectionExplanation;
  /** Absent when the destination is outside the cluster. */
  readonly ingress?: DirectionExplanation;
  /** Egress verdict ∩ ingress verdict, within the scope. */
  readonly allowed: ConnSet;
}

export interface ExplainOptions extends ConnectivityOptions {
  /** Explain only these connections; default all. */
  readonly scope?: ConnSet;
}

/** A destination that the source can not reach on some of the scope, and why. */
export interface DeniedDestination {
  readonly destination: Endpoint;
  readonly denied: ConnSet;
  readonly explanation: PairExplanation;
}

/** Explains every direction of the connection from `source` to `destination`. Pure. */
export function explainPair(
  cluster: Cluster,
  source: Endpoint,
  destination: Endpoint,
  options: ExplainOptions,
): PairExplanation {
  return new Explainer(cluster, options).pair(source, destination);
}

/**
 * For every destination (every other workload, and the engine's destination external ranges when the source is
 * a workload), what `source` can not reach and the rules that stop it; destinations reachable on the whole scope
 * are left out.
 */
export function explainAllDenied(
  cluster: Cluster,
  source: Endpoint,
  options: ExplainOptions,
): DeniedDestination[] {
  const explainer = new Explainer(cluster, options);
  const destinations: Endpoint[] = cluster.workloads
    .map((_, index): Endpoint => ({ kind: 'workload', index }))
    .filter((d) => !(source.kind === 'workload' && d.kind === 'workload' && d.index === source.index));
  if (source.kind === 'workload') {
    for (const range of Connectivity.build(cluster, options).destinationExternals)
      destinations.push({ kind: 'external', first: range.first, last: range.last });
  }
  const out: DeniedDestination[] = [];
  for (const destination of destinations) {
    const explanation = explainer.pair(source, destination);
    const denied = explanation.scope.subtract(explanation.allowed);
    if (!denied.isEmpty()) out.push({ destination, denied, explanation });
  }
  return out;
}

/** A part of the port space with its decision, before it is split per protocol. */
interface Piece {
  readonly conns: ConnSet;
  readonly decision: Decision;
}

const NO_REFS: readonly never[] = [];

/** The ports an Allow or Deny rule of a first-match tier decides, and its verdict. */
function firstMatchPiece(
  tier: 'segmentation' | 'admin',
  rule: AdminRule,
  conns: ConnSet,
  ref: RuleRef,
): Piece {
  return {
    conns,
    decision: {
      verdict: rule.action === 'allow' ? 'allowed' : 'denied',
      tier,
      rules: [ref],
      isolatedBy: NO_REFS,
      peerMatched: NO_REFS,
    },
  };
}

/** Evaluates pairs of one cluster under one set of options; selectors are compiled once. */
export class Explainer {
  private readonly hostNetworkApart: boolean;
  private readonly scope: ConnSet;
  private readonly predicates = new Map<string, (labels: Labels) => boolean>();
  private readonly segmentationTier: readonly AdminPolicy[];
  private readonly adminTier: readonly AdminPolicy[];
  private readonly baselineTier: readonly AdminPolicy[];

  constructor(
    private readonly cluster: Cluster,
    private readonly options: ExplainOptions,
  ) {
    const hostNetworkPods = options.hostNetworkPods ?? (options.ipBlockPods === 'match' ? 'node' : 'pod');
    this.hostNetworkApart = hostNetworkPods === 'node';
    this.scope = options.scope ?? ConnSet.ALL;
    // The engine's evaluation order: by priority, equal priorities by kind and name.
    const byPriority = (tier: AdminPolicy['tier']): AdminPolicy[] =>
      cluster.adminPolicies.filter((policy) => policy.tier === tier).sort(compareAdminPrecedence);
    this.segmentationTier = byPriority('segmentation');
    this.adminTier = byPriority('admin');
    this.baselineTier = byPriority('baseline');
  }

  pair(source: Endpoint, destination: Endpoint): PairExplanation {
    const egress =
      source.kind === 'workload' ? this.direction('egress', source.index, destination) : undefined;
    const ingress =
      destination.kind === 'workload' ? this.direction('ingress', destination.index, source) : undefined;
    const allowed = (egress?.allowed ?? this.scope).intersect(ingress?.allowed ?? this.scope);
    return {
      source,
      destination,
      scope: this.scope,
      ...(egress !== undefined ? { egress } : {}),
      ...(ingress !== undefined ? { ingress } : {}),
      allowed,
    };
  }

  /** One direction of the subject workload's policies, against the peer at the other end. */
  direction(direction: ExplainDirection, subject: number, peer: Endpoint): DirectionExplanation {
    const w = this.cluster.workloads[subject]!;
    // "A named port ... resolves against the destination pod's container ports", for egress rules too.
    const destination =
      direction === 'ingress' ? w : peer.kind === 'workload' ? this.cluster.workloads[peer.index] : undefined;
    // hostNetwork pods under the `node` model: "ignore hostNetwork pods when processing podSelector and
    // namespaceSelector" - never a subject, so every direction of theirs is open.
    const selectable = !(w.hostNetwork && this.hostNetworkApart);
    const pieces: Piece[] = [];
    const passed: { conns: ConnSet; rule: RuleRef }[] = [];
    // Docker's segmentation first, one policy at a time: a Deny is final; a Pass only ends that policy.
    let open = this.scope;
    if (selectable)
      for (const policy of this.segmentationTier) {
        let passedHere = ConnSet.NONE;
        const rest = this.walkTier([policy], direction, w, peer, destination, open, (rule, ports, ref) => {
          if (rule.action === 'pass') passedHere = passedHere.union(ports);
          else pieces.push(firstMatchPiece('segmentation', rule, ports, ref));
        });
        open = rest.union(passedHere);
      }
    const remaining = !selectable
      ? this.scope
      : this.walkTier(this.adminTier, direction, w, peer, destination, open, (rule, ports, ref) => {
          if (rule.action === 'pass') passed.push({ conns: ports, rule: ref });
          else pieces.push(firstMatchPiece('admin', rule, ports, ref));
        });
    // What the admin tier did not decide, and what it passed, goes on to NetworkPolicy and the baseline tier.
    const lower = (conns: ConnSet, passedBy: RuleRef | undefined): void => {
      if (conns.isEmpty()) return;
      pieces.push(...this.lowerTiers(direction, w, selectable, peer, destination, conns, passedBy));
    };
    lower(remaining, undefined);
    for (const { conns, rule } of passed) lower(conns, rule);
    let allowed = ConnSet.NONE;
    for (const piece of pieces)
      if (piece.decision.verdict === 'allowed') allowed = allowed.union(piece.conns);
    return { direction, subject, allowed, segments: toSegments(pieces) };
  }

  /** The NetworkPolicy tier, then (when no NetworkPolicy isolates the pod) the baseline tier, then the default. */
  private lowerTiers(
    direction: ExplainDirection,
    w: Workload,
    selectable: boolean,
    peer: Endpoint,
    destination: Workload | undefined,
    conns: ConnSet,
    passedBy: RuleRef | undefined,
  ): Piece[] {
    const pass = passedBy !== undefined ? { passedBy } : {};
    // "A pod is isolated for ingress if there is any NetworkPolicy that both selects the pod and has Ingress in
    // its policyTypes"; then "the only allowed connections into the pod are those ... allowed by the ingress list
    // of some NetworkPolicy that applies to the pod" - the union over every selecting policy.
    const selecting = selectable
      ? this.cluster.networkPolicies.filter(
          (p) =>
            p[direction] !== undefined &&
            p.namespace === w.namespace &&
            this.predicate(p.podSelector)(w.labels),
        )
      : [];
    if (selecting.length > 0) {
      const isolatedBy = selecting.map(networkPolicyRef);
      const contributions: { conns: ConnSet; rule: RuleRef }[] = [];
      const peerMatched: RuleRef[] = [];
      for (const policy of selecting) {
        policy[direction]!.forEach((rule, index) => {
          const matches =
            rule.peers === 'any' || rule.peers.some((p) => this.networkPeerMatches(p, policy, peer));
          if (!matches) return;
          const ref: RuleRef = {
            policy: networkPolicyRef(policy),
            direction,
            index,
            action: 'allow',
            ...(rule.source !== undefined ? { source: rule.source } : {}),
          };
          const ports = resolvePorts(rule.ports, destination).intersect(conns);
          if (ports.isEmpty()) peerMatched.push(ref);
          else contributions.push({ conns: ports, rule: ref });
        });
      }
      const pieces: Piece[] = [];
      let allowedHere = ConnSet.NONE;
      for (const part of partition(contributions)) {
        allowedHere = allowedHere.union(part.conns);
        pieces.push({
          conns: part.conns,
          decision: {
            verdict: 'allowed',
            tier: 'networkpolicy',
            ...pass,
            rules: part.ids,
            isolatedBy,
            peerMatched: NO_REFS,
          },
        });
      }
      const denied = conns.subtract(allowedHere);
      if (!denied.isEmpty()) {
        // Rules whose peer matched but which allow other ports only.
        const partial = contributions.map((c) => c.rule).concat(peerMatched);
        pieces.push({
          conns: denied,
          decision: {
            verdict: 'denied',
            tier: 'networkpolicy',
            ...pass,
            rules: NO_REFS,
            isolatedBy,
            peerMatched: partial.sort(compareRules),
          },
        });
      }
      return pieces;
    }
    const pieces: Piece[] = [];
    const remaining = !selectable
      ? conns
      : this.walkTier(this.baselineTier, direction, w, peer, destination, conns, (rule, ports, ref) => {
          pieces.push({
            conns: ports,
            decision: {
              // A baseline Pass has no tier below it but the default.
              verdict: rule.action === 'deny' ? 'denied' : 'allowed',
              tier: rule.action === 'pass' ? 'default' : 'baseline',
              ...pass,
              rules: [ref],
              isolatedBy: NO_REFS,
              peerMatched: NO_REFS,
            },
          });
        });
    if (!remaining.isEmpty())
      pieces.push({
        conns: remaining,
        decision: {
          verdict: 'allowed',
          tier: 'default',
          ...pass,
          rules: NO_REFS,
          isolatedBy: NO_REFS,
          peerMatched: NO_REFS,
        },
      });
    return pieces;
  }

  /**
   * One admin-style tier in priority order, rules in list order: "the first rule that matches decides". Each
   * matching rule takes the connections it covers that no earlier rule decided and hands them to `decide`; the
   * connections left undecided are returned.
   */
  private walkTier(
    tier: readonly AdminPolicy[],
    direction: ExplainDirection,
    w: Workload,
    peer: Endpoint,
    destination: Workload | undefined,
    conns: ConnSet,
    decide: (rule: AdminRule, ports: ConnSet, ref: RuleRef) => void,
  ): ConnSet {
    let remaining = conns;
    for (const policy of tier) {
      if (remaining.isEmpty()) break;
      if (!this.subjectSelects(policy.subject, w)) continue;
      policy[direction].forEach((rule, index) => {
        if (remaining.isEmpty() || !rule.peers.some((p) => this.adminPeerMatches(p, peer))) return;
        const ports = resolvePorts(rule.ports, destination).intersect(remaining);
        if (ports.isEmpty()) return;
        remaining = remaining.subtract(ports);
        decide(rule, ports, adminRuleRef(policy, direction, index));
      });
    }
    return remaining;
  }

  private predicate(selector: LabelSelector): (labels: Labels) => boolean {
    const key = selectorKey(selector);
    let p = this.predicates.get(key);
    if (p === undefined) {
      p = compileSelector(selector);
      this.predicates.set(key, p);
    }
    return p;
  }

  /** Namespaces are matched by their labels; a namespace the cluster does not list matches no selector. */
  private namespaceMatches(namespace: string, selector: LabelSelector): boolean {
    const ns = this.cluster.namespaces.get(namespace);
    return ns !== undefined && this.predicate(selector)(ns.labels);
  }

  /** Whether a workload can be matched by a pod or namespace selector (hostNetwork pods under `node`: never). */
  private selectorVisible(w: Workload): boolean {
    return !(w.hostNetwork && this.hostNetworkApart);
  }

  /** Admin subjects: "all pods in the selected namespaces", or the selected pods in them. */
  private subjectSelects(subject: AdminSubject, w: Workload): boolean {
    if (!this.namespaceMatches(w.namespace, subject.namespaceSelector)) return false;
    return subject.kind === 'namespaces' || this.predicate(subject.podSelector)(w.labels);
  }

  /**
   * A NetworkPolicy peer. "If namespaceSelector is also set, then the NetworkPolicyPeer as a whole selects the
   * pods matching podSelector in the Namespaces selected by NamespaceSelector. Otherwise it selects the Pods
   * matching podSelector in the policy's own Namespace."
   */
  private networkPeerMatches(peer: Peer, policy: NetworkPolicy, end: Endpoint): boolean {
    if (peer.kind === 'addresses') return this.addressesMatch(peer.addresses, end);
    if (end.kind !== 'workload') return false;
    const w = this.cluster.workloads[end.index]!;
    if (!this.selectorVisible(w)) return false;
    const inNamespace =
      peer.namespaceSelector === undefined
        ? w.namespace === policy.namespace
        : this.namespaceMatches(w.namespace, peer.namespaceSelector);
    return inNamespace && (peer.podSelector === undefined || this.predicate(peer.podSelector)(w.labels));
  }

  /** Admin peers: namespaces and pods by selectors, networks by address; nodes and domains match nothing here. */
  private adminPeerMatches(peer: AdminPeer, end: Endpoint): boolean {
    switch (peer.kind) {
      case 'networks':
        return this.addressesMatch(peer.addresses, end);
      case 'nodes':
      case 'domains':
        return false;
      case 'namespaces':
      case 'pods': {
        if (end.kind !== 'workload') return false;
        const w = this.cluster.workloads[end.index]!;
        if (!this.selectorVisible(w) || !this.namespaceMatches(w.namespace, peer.namespaceSelector))
          return false;
        return peer.kind === 'namespaces' || this.predicate(peer.podSelector)(w.labels);
      }
    }
  }

  /**
   * An address block. External addresses by containment; pods only under `ipBlockPods: 'match'`: by a known
   * address, or - address unknown - when the block covers the whole pod range of a family ("a Deny to 0.0.0.0/0
   * also denies pod-to-pod traffic"). Exactly the engine's `addressPeerWorkloads`.
   */
  private addressesMatch(addresses: AddressSet, end: Endpoint): boolean {
    if (end.kind === 'external') return addresses.has(end.first);
    if (this.options.ipBlockPods !== 'match') return false;
    const w = this.cluster.workloads[end.index]!;
    return w.ips.length > 0 ? w.ips.some((ip) => addresses.has(ip)) : this.coversPodRange(addresses);
  }

  private coversPodRange(addresses: AddressSet): boolean {
    for (const family of [AddressSet.ALL_V4, AddressSet.ALL_V6]) {
      const range = this.options.podCidrs === undefined ? family : this.options.podCidrs.intersect(family);
      if (!range.isEmpty() && addresses.covers(range)) return true;
    }
    return false;
  }
}

function networkPolicyRef(policy: NetworkPolicy): PolicyRef {
  return {
    kind: 'NetworkPolicy',
    namespace: policy.namespace,
    name: policy.name,
    ...(policy.source !== undefined ? { source: policy.source } : {}),
  };
}

function adminRuleRef(policy: AdminPolicy, direction: ExplainDirection, index: number): RuleRef {
  const rule = policy[direction][index]!;
  return {
    policy: {
      kind: policy.apiKind,
      name: policy.name,
      ...(policy.source !== undefined ? { source: policy.source } : {}),
    },
    direction,
    index,
    ...(rule.name !== '' ? { name: rule.name } : {}),
    action: rule.action,
    ...(rule.source !== undefined ? { source: rule.source } : {}),
  };
}

/** A stable text for a rule reference, to group equal decisions. */
export function ruleKey(r: RuleRef): string {
  return `${policyKey(r.policy)}#${r.direction}#${r.index}`;
}

export function policyKey(p: PolicyRef): string {
  return `${p.kind}/${p.namespace ?? ''}/${p.name}`;
}

function compareRules(a: RuleRef, b: RuleRef): number {
  const ka = policyKey(a.policy);
  const kb = policyKey(b.policy);
  return ka < kb ? -1 : ka > kb ? 1 : a.index - b.index;
}

/** A stable text for a decision: pieces with equal keys are merged into one segment. */
export function decisionKey(d: Decision): string {
  return [
    d.verdict,
    d.tier,
    d.passedBy === undefined ? '' : ruleKey(d.passedBy),
    d.rules.map(ruleKey).join(','),
    d.isolatedBy.map(policyKey).join(','),
    d.peerMatched.map(ruleKey).join(','),
  ].join('|');
}

/**
 * Splits the union of the contributions into parts covered by the same set of contributors: which rules allow
 * each port. Per protocol, at every interval boundary.
 */
function partition<T extends RuleRef>(
  contributions: readonly { conns: ConnSet; rule: T }[],
): { conns: ConnSet; ids: T[] }[] {
  const groups = new Map<string, { ids: T[]; ports: Record<Protocol, PortSet> }>();
  for (const protocol of PROTOCOLS) {
    const cuts = new Set<number>();
    for (const c of contributions) {
      for (const i of c.conns.get(protocol).intervals) {
        cuts.add(i.first);
        cuts.add(i.last + 1);
      }
    }
    const sorted = [...cuts].sort((a, b) => a - b);
    for (let k = 0; k + 1 < sorted.length; k++) {
      const first = sorted[k]!;
      const last = Math.min(MAX_PORT, sorted[k + 1]! - 1);
      const ids = contributions.filter((c) => c.conns.get(protocol).has(first)).map((c) => c.rule);
      if (ids.length === 0) continue;
      ids.sort(compareRules);
      const key = ids.map(ruleKey).join(',');
      let group = groups.get(key);
      if (group === undefined) {
        group = { ids, ports: { TCP: PortSet.EMPTY, UDP: PortSet.EMPTY, SCTP: PortSet.EMPTY } };
        groups.set(key, group);
      }
      group.ports[protocol] = group.ports[protocol].union(PortSet.range(first, last));
    }
  }
  return [...groups.values()].map((g) => ({ conns: ConnSet.of(g.ports), ids: g.ids }));
}

/** Pieces → segments: per protocol, equal decisions merged, ordered by first port. */
function toSegments(pieces: readonly Piece[]): Segment[] {
  const out: Segment[] = [];
  for (const protocol of PROTOCOLS) {
    const byKey = new Map<string, { ports: PortSet; decision: Decision }>();
    for (const piece of pieces) {
      const ports = piece.conns.get(protocol);
      if (ports.isEmpty()) continue;
      const key = decisionKey(piece.decision);
      const entry = byKey.get(key);
      if (entry === undefined) byKey.set(key, { ports, decision: piece.decision });
      else entry.ports = entry.ports.union(ports);
    }
    const segments = [...byKey.values()].map((e) => ({ protocol, ports: e.ports, decision: e.decision }));
    segments.sort((a, b) => a.ports.intervals[0]!.first - b.ports.intervals[0]!.first);
    out.push(...segments);
  }
  return out;
}
