// BH-LINT-004: admin-tier rules (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy) that can
// never be the first to match: every (peer, port) they match, for every pod their policy selects, is matched by an
// earlier rule of the same policy or a rule of a higher-precedence policy of the same tier.

import { AddressSet, V6_OFFSET } from '../model/address-set.js';
import type { ConnSet } from '../model/port-set.js';
import type { AdminPolicy, AdminRule, AdminTier } from '../policy/admin-policy.js';
import { SHADOWED_ADMIN_RULE } from './catalog.js';
import {
  DIRECTIONS,
  adminResource,
  connCovers,
  describeResource,
  describeRule,
  hasNamedPorts,
  listSome,
  makeFinding,
  namedPortsKey,
  resolvePorts,
  type Direction,
  type LintContext,
} from './context.js';
import type { LintFinding, LintRuleRef } from './types.js';

interface RuleEntry {
  readonly policy: AdminPolicy;
  readonly ref: LintRuleRef;
  readonly rule: AdminRule;
  /** Workload indices, then outside ranges as `workloads + range index`. */
  readonly nodes: Int32Array;
  readonly nodeSet: ReadonlySet<number>;
  /** Nodes or domainNames peers: it matches things the input cannot show. */
  readonly opaque: boolean;
  readonly named: boolean;
  readonly numeric: ConnSet;
  readonly resolved: Map<string, ConnSet>;
}

/**
 * The order of the engine (and DESIGN.md): "lower numbers have higher precedence"; equal priorities, which the API
 * leaves undefined, by kind and name.
 */
export function byPrecedence(a: AdminPolicy, b: AdminPolicy): number {
  return (
    a.priority - b.priority ||
    (a.apiKind < b.apiKind ? -1 : a.apiKind > b.apiKind ? 1 : 0) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

/**
 * "Rules with lower priority values have higher precedence, and are checked before rules with higher priority
 * values"; within a policy "a rule that appears at the top ... would take the highest precedence". The first
 * matching rule decides, Pass included, so a rule is shadowed when all it matches was matched before it.
 */
export function checkShadowedAdminRules(ctx: LintContext): LintFinding[] {
  const findings: LintFinding[] = [];
  for (const tier of ['admin', 'baseline'] as AdminTier[]) {
    const policies = ctx.cluster.adminPolicies.filter((p) => p.tier === tier).sort(byPrecedence);
    if (policies.length === 0) continue;
    for (const direction of DIRECTIONS) findings.push(...checkTierDirection(ctx, policies, direction));
  }
  return findings;
}

function checkTierDirection(
  ctx: LintContext,
  policies: readonly AdminPolicy[],
  direction: Direction,
): LintFinding[] {
  const workloads = ctx.workloads;
  const W = workloads.length;
  const keys = workloads.map(namedPortsKey);
  const ranges = splitRanges(policies, direction);
  const entries = policies.map((policy) =>
    policy[direction].map((rule, index): RuleEntry => {
      const peers = ctx.adminRulePeers(rule);
      const nodes: number[] = [...peers.workloads];
      ranges.forEach((first, i) => {
        if (peers.addresses.has(first)) nodes.push(W + i);
      });
      return {
        policy,
        ref: { direction, index, name: rule.name },
        rule,
        nodes: Int32Array.from(nodes),
        nodeSet: new Set(nodes),
        opaque: peers.opaque,
        named: hasNamedPorts(rule.ports),
        numeric: resolvePorts(rule.ports, undefined),
        resolved: new Map(),
      };
    }),
  );
  // Which policies (by position) select each workload, in precedence order.
  const selectedBy = new Map<number, number[]>();
  policies.forEach((policy, k) => {
    if (policy[direction].length === 0) return;
    for (const w of ctx.adminSubjectsOf(policy)) {
      const list = selectedBy.get(w);
      if (list === undefined) selectedBy.set(w, [k]);
      else list.push(k);
    }
  });
  // "A named port resolves against the destination": the subject for ingress, the peer for egress.
  const portsAt = (entry: RuleEntry, subject: number, node: number): ConnSet => {
    if (!entry.named) return entry.numeric;
    const destination = direction === 'ingress' ? subject : node < W ? node : undefined;
    if (destination === undefined) return entry.numeric;
    const key = keys[destination]!;
    let set = entry.resolved.get(key);
    if (set === undefined) {
      set = resolvePorts(entry.rule.ports, workloads[destination]);
      entry.resolved.set(key, set);
    }
    return set;
  };

  const findings: LintFinding[] = [];
  policies.forEach((policy, k) => {
    const mine = entries[k]!;
    const subjects = ctx.adminSubjectsOf(policy);
    if (mine.length === 0 || subjects.length === 0) return;
    // Subjects alike for this question: the same earlier policies select them (and, for ingress, same named ports).
    const groups = new Map<string, { rep: number; earlier: number[] }>();
    for (const w of subjects) {
      const earlier = (selectedBy.get(w) ?? []).filter((j) => j < k);
      const key = `${earlier.join(',')}|${direction === 'ingress' ? keys[w] : ''}`;
      if (!groups.has(key)) groups.set(key, { rep: w, earlier });
    }
    const open = new Array<boolean>(mine.length).fill(false);
    const matches = new Array<boolean>(mine.length).fill(false);
    const witness = new Array<{ rep: number; earlier: number[] } | undefined>(mine.length);
    for (const group of groups.values()) {
      const covered = new Array<ConnSet | undefined>(W + ranges.length);
      const add = (entry: RuleEntry): void => {
        for (const n of entry.nodes) {
          const ports = portsAt(entry, group.rep, n);
          if (ports.isEmpty()) continue;
          const before = covered[n];
          covered[n] = before === undefined ? ports : before.union(ports);
        }
      };
      for (const j of group.earlier) for (const entry of entries[j]!) add(entry);
      mine.forEach((entry, i) => {
        if (entry.opaque) open[i] = true;
        if (!open[i]) {
          for (const n of entry.nodes) {
            const ports = portsAt(entry, group.rep, n);
            if (ports.isEmpty()) continue;
            matches[i] = true;
            witness[i] ??= group;
            const before = covered[n];
            if (before === undefined || !connCovers(before, ports)) {
              open[i] = true;
              break;
            }
          }
        }
        add(entry);
      });
    }
    mine.forEach((entry, i) => {
      const group = witness[i];
      if (open[i] || !matches[i] || group === undefined) return;
      const shadowers = findShadowers(
        entry,
        [...group.earlier.flatMap((j) => entries[j]!), ...mine.slice(0, i)],
        group.rep,
        portsAt,
      );
      const resource = adminResource(policy);
      findings.push(
        makeFinding(SHADOWED_ADMIN_RULE, {
          resource,
          location: entry.rule.source,
          rule: entry.ref,
          message:
            `${describeRule(entry.ref)} (${entry.rule.action}) of ${describeResource(resource)} can never apply: ` +
            `every connection it matches is matched first by ${listSome(shadowers, 3)}`,
        }),
      );
    });
  });
  return findings;
}

/** The earlier rules that match part of what `entry` matches, described for the message. */
function findShadowers(
  entry: RuleEntry,
  earlier: readonly RuleEntry[],
  subject: number,
  portsAt: (entry: RuleEntry, subject: number, node: number) => ConnSet,
): string[] {
  const out: string[] = [];
  for (const e of earlier) {
    const overlaps = [...entry.nodes].some(
      (n) =>
        e.nodeSet.has(n) &&
        !portsAt(e, subject, n)
          .intersect(portsAt(entry, subject, n))
          .isEmpty(),
    );
    if (!overlaps) continue;
    const same = e.policy === entry.policy;
    out.push(
      `${describeRule(e.ref)} (${e.rule.action}) of ${same ? 'the same policy' : `${describeResource(adminResource(e.policy))} (priority ${e.policy.priority})`}`,
    );
  }
  return out;
}

/**
 * First addresses of the outside ranges, split at every boundary of every `networks` peer of the tier's rules of
 * one direction, so that each range lies wholly inside or outside every peer.
 */
function splitRanges(policies: readonly AdminPolicy[], direction: Direction): bigint[] {
  const starts = new Set<bigint>([0n, V6_OFFSET]);
  const end = AddressSet.ALL.intervals[0]!.last + 1n;
  for (const policy of policies)
    for (const rule of policy[direction])
      for (const peer of rule.peers) {
        if (peer.kind !== 'networks') continue;
        for (const interval of peer.addresses.intervals) {
          starts.add(interval.first);
          starts.add(interval.last + 1n);
        }
      }
  return [...starts].filter((s) => s < end).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
