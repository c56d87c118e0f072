// BH-LINT-003: NetworkPolicy rules made redundant by one other rule of the same direction in a policy that selects
// every pod the rule applies to. Exact on the input: peers are compared as sets of workloads and outside
// addresses, ports as connection sets, named ports resolved per destination as the engine does.

import type { ConnSet } from '../model/port-set.js';
import type { NetworkPolicy } from '../model/cluster.js';
import type { NetworkPolicyRule } from '../policy/network-policy.js';
import { REDUNDANT_RULE } from './catalog.js';
import {
  DIRECTIONS,
  connCovers,
  describeResource,
  describeRule,
  hasNamedPorts,
  makeFinding,
  namedPortsKey,
  networkPolicyResource,
  resolvePorts,
  type Direction,
  type LintContext,
  type RulePeers,
} from './context.js';
import type { LintFinding, LintRuleRef } from './types.js';

interface RuleInfo {
  readonly policy: number;
  readonly ref: LintRuleRef;
  readonly rule: NetworkPolicyRule;
  readonly peers: RulePeers;
  /** The numeric ports (named ports left out): what the rule allows to an outside address. */
  readonly numeric: ConnSet;
  readonly named: boolean;
  /** Input order over all rules, to report only the later of two identical rules. */
  readonly order: number;
  /** Ports per destination named-port key. */
  readonly resolved: Map<string, ConnSet>;
}

/**
 * "Traffic is allowed to a pod if ... the traffic matches at least one ingress rule across all of the NetworkPolicy
 * objects whose podSelector matches the pod" (egress likewise): rule R of policy P is redundant when another rule
 * R' of a policy P' whose subjects include all of P's allows, for every pod P selects, every peer and port R does.
 * Candidates P' are only the policies that select P's first pod, so the cost follows the overlap of policies, not
 * their number squared.
 */
export function checkRedundantRules(ctx: LintContext): LintFinding[] {
  const findings: LintFinding[] = [];
  const policies = ctx.cluster.networkPolicies;
  const keys = ctx.workloads.map(namedPortsKey);
  let order = 0;
  for (const direction of DIRECTIONS) {
    const rules: (RuleInfo[] | undefined)[] = policies.map((policy, p) => {
      const list = policy[direction];
      if (list === undefined || list.length === 0 || ctx.subjectsOf(policy).length === 0) return undefined;
      return list.map((rule, index) => ({
        policy: p,
        ref: { direction, index, name: '' },
        rule,
        peers: ctx.networkPolicyRulePeers(rule, policy),
        numeric: resolvePorts(rule.ports, undefined),
        named: hasNamedPorts(rule.ports),
        order: order++,
        resolved: new Map<string, ConnSet>(),
      }));
    });
    const selecting = new Map<number, number[]>();
    policies.forEach((policy, p) => {
      if (rules[p] === undefined) return;
      for (const w of ctx.subjectsOf(policy)) {
        const list = selecting.get(w);
        if (list === undefined) selecting.set(w, [p]);
        else list.push(p);
      }
    });
    const ports = (info: RuleInfo, w: number | undefined): ConnSet => {
      if (!info.named || w === undefined) return info.numeric;
      const key = keys[w]!;
      let set = info.resolved.get(key);
      if (set === undefined) {
        set = resolvePorts(info.rule.ports, ctx.workloads[w]);
        info.resolved.set(key, set);
      }
      return set;
    };
    policies.forEach((policy, p) => {
      const mine = rules[p];
      if (mine === undefined) return;
      const subjects = ctx.subjectsOf(policy);
      // One subject per named-port key: for ingress, named ports resolve against the selected pod.
      const subjectReps = [...new Map(subjects.map((w) => [keys[w]!, w])).values()];
      const candidates = selecting.get(subjects[0]!) ?? [];
      const contains: { q: number; equal: boolean }[] = [];
      for (const q of candidates) {
        if (q === p) {
          contains.push({ q, equal: true });
          continue;
        }
        const theirs = ctx.subjectsOf(policies[q]!);
        if (theirs.length < subjects.length) continue;
        const set = new Set(theirs);
        if (subjects.every((w) => set.has(w))) contains.push({ q, equal: theirs.length === subjects.length });
      }
      for (const r of mine) {
        let found: RuleInfo | undefined;
        for (const { q, equal } of contains) {
          for (const other of rules[q]!) {
            if (other === r) continue;
            if (!covers(direction, other, r, subjectReps, ports)) continue;
            // Two rules that allow the same for the same pods: report only the later one.
            if (equal && other.order > r.order && covers(direction, r, other, subjectReps, ports)) continue;
            found = other;
            break;
          }
          if (found !== undefined) break;
        }
        if (found === undefined) continue;
        findings.push(redundantFinding(policy, r, policies[found.policy]!, found));
      }
    });
  }
  return findings;
}

/** True when `by` allows every (peer, port) `r` allows, for every subject (given by named-port representatives). */
function covers(
  direction: Direction,
  by: RuleInfo,
  r: RuleInfo,
  subjectReps: readonly number[],
  ports: (info: RuleInfo, w: number | undefined) => ConnSet,
): boolean {
  const peersCovered = (): boolean =>
    by.peers.addresses.covers(r.peers.addresses) &&
    r.peers.workloads.length <= by.peers.workloads.length &&
    r.peers.workloads.every((w) => by.peers.workloadSet.has(w));
  if (r.peers.workloads.length === 0 && r.peers.addresses.isEmpty()) return false; // matches nothing: BH-LINT-002
  if (!r.named && !by.named) {
    return !r.numeric.isEmpty() && connCovers(by.numeric, r.numeric) && peersCovered();
  }
  if (direction === 'ingress') {
    // "A named port resolves against the destination": for ingress the selected pod, whatever the source.
    let allows = false;
    for (const w of subjectReps) {
      const mine = ports(r, w);
      if (mine.isEmpty()) continue;
      allows = true;
      if (!connCovers(ports(by, w), mine)) return false;
    }
    return allows && peersCovered();
  }
  // Egress: named ports resolve against each destination pod; outside addresses have none.
  let allows = false;
  if (!r.numeric.isEmpty() && !r.peers.addresses.isEmpty()) {
    allows = true;
    if (!by.peers.addresses.covers(r.peers.addresses) || !connCovers(by.numeric, r.numeric)) return false;
  }
  for (const n of r.peers.workloads) {
    const mine = ports(r, n);
    if (mine.isEmpty()) continue;
    allows = true;
    if (!by.peers.workloadSet.has(n) || !connCovers(ports(by, n), mine)) return false;
  }
  return allows;
}

function redundantFinding(
  policy: NetworkPolicy,
  r: RuleInfo,
  otherPolicy: NetworkPolicy,
  other: RuleInfo,
): LintFinding {
  const resource = networkPolicyResource(policy);
  const same = otherPolicy === policy;
  const where = same
    ? `${describeRule(other.ref)} of the same policy`
    : `${describeRule(other.ref)} of ${describeResource(networkPolicyResource(otherPolicy))} (which selects every pod this policy selects)`;
  return makeFinding(REDUNDANT_RULE, {
    resource,
    location: r.rule.source,
    rule: r.ref,
    message: `${describeRule(r.ref)} of ${describeResource(resource)} is redundant: ${where} already allows every peer and port it allows`,
    fix: same
      ? `Delete ${describeRule(r.ref)}, or narrow ${describeRule(other.ref)} if it allows more than intended.`
      : `Delete ${describeRule(r.ref)}, or narrow ${describeRule(other.ref)} of ${describeResource(networkPolicyResource(otherPolicy))} if it allows more than intended.`,
  });
}
