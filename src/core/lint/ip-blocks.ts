// Lint checks on NetworkPolicy ipBlocks: blocks that overlap pod addresses (BH-LINT-008), blocks of one rule that
// overlap each other (BH-LINT-009), and excepts that remove nothing (BH-LINT-010).

import { AddressSet, formatAddress } from '../model/address-set.js';
import type { NetworkPolicy } from '../model/cluster.js';
import type { AddressPeer, NetworkPolicyRule } from '../policy/network-policy.js';
import { EXCEPT_REMOVES_NOTHING, IPBLOCKS_OVERLAP, IPBLOCK_OVERLAPS_PODS } from './catalog.js';
import {
  DIRECTIONS,
  describeResource,
  describeRule,
  listSome,
  makeFinding,
  networkPolicyResource,
  withPath,
  type LintContext,
} from './context.js';
import type { LintFinding, LintRuleRef } from './types.js';

interface BlockAt {
  readonly policy: NetworkPolicy;
  readonly rule: NetworkPolicyRule;
  readonly ref: LintRuleRef;
  readonly field: 'from' | 'to';
  readonly peer: AddressPeer;
  readonly index: number;
}

function* blocks(ctx: LintContext): Generator<BlockAt> {
  for (const policy of ctx.cluster.networkPolicies) {
    for (const direction of DIRECTIONS) {
      const field = direction === 'ingress' ? 'from' : 'to';
      for (const [r, rule] of (policy[direction] ?? []).entries()) {
        if (rule.peers === 'any') continue;
        for (const [index, peer] of rule.peers.entries()) {
          if (peer.kind === 'addresses')
            yield { policy, rule, ref: { direction, index: r, name: '' }, field, peer, index };
        }
      }
    }
  }
}

/** `10.0.0.0-10.255.255.255, 192.168.1.7` */
function describeAddresses(set: AddressSet): string {
  return listSome(
    set.intervals.map((i) =>
      i.first === i.last ? formatAddress(i.first) : `${formatAddress(i.first)}-${formatAddress(i.last)}`,
    ),
    3,
  );
}

function describeBlock(peer: AddressPeer): string {
  return peer.except.length === 0
    ? peer.cidr.text
    : `${peer.cidr.text} except ${peer.except.map((e) => e.text).join(', ')}`;
}

/**
 * BH-LINT-008. Kubernetes: ipBlocks "should be cluster-external IPs, since Pod IPs are ephemeral and
 * unpredictable". The pod range is `--pod-cidr` plus the pod addresses known in the input.
 */
export function checkIpBlocksOverlapPods(ctx: LintContext): LintFinding[] {
  const podCidrs = ctx.options.podCidrs;
  const known = ctx.workloads.filter((w) => w.ips.length > 0);
  if (podCidrs === undefined && known.length === 0) return [];
  const findings: LintFinding[] = [];
  for (const at of blocks(ctx)) {
    const addresses = at.peer.addresses;
    const cidrOverlap = podCidrs === undefined ? AddressSet.EMPTY : addresses.intersect(podCidrs);
    const pods = known.filter((w) => w.ips.some((ip) => addresses.has(ip))).map((w) => w.id);
    if (cidrOverlap.isEmpty() && pods.length === 0) continue;
    const wholeRange =
      podCidrs !== undefined
        ? addresses.covers(podCidrs)
        : addresses.covers(AddressSet.ALL_V4) || addresses.covers(AddressSet.ALL_V6);
    const parts: string[] = [];
    if (!cidrOverlap.isEmpty()) parts.push(`the pod range ${describeAddresses(cidrOverlap)} (--pod-cidr)`);
    if (pods.length > 0) parts.push(`the addresses of ${listSome(pods)}`);
    const resource = networkPolicyResource(at.policy);
    findings.push(
      makeFinding(IPBLOCK_OVERLAPS_PODS, {
        resource,
        location: withPath(at.rule.source, `.${at.field}[${at.index}].ipBlock`),
        rule: at.ref,
        severity: wholeRange ? 'low' : 'medium',
        message:
          `ipBlock ${describeBlock(at.peer)} in ${describeRule(at.ref)} of ${describeResource(resource)} contains ` +
          `${parts.join(' and ')}; ipBlocks are meant for addresses outside the cluster, and network plugins differ ` +
          `on whether they match pod traffic` +
          (wholeRange ? ' (the block covers the whole pod range, as "anywhere" does)' : ''),
      }),
    );
  }
  return findings;
}

/**
 * BH-LINT-009 and BH-LINT-010. Peers are alternatives ("matches at least one item"), so two blocks of one rule that
 * overlap list addresses twice; an except inside an earlier except of its block, or whose addresses another peer
 * of the rule allows again, removes nothing.
 */
export function checkIpBlockRedundancy(ctx: LintContext): LintFinding[] {
  const findings: LintFinding[] = [];
  const byRule = new Map<NetworkPolicyRule, BlockAt[]>();
  for (const at of blocks(ctx)) {
    const list = byRule.get(at.rule);
    if (list === undefined) byRule.set(at.rule, [at]);
    else list.push(at);
  }
  for (const list of byRule.values()) {
    list.forEach((at, i) => {
      const resource = networkPolicyResource(at.policy);
      const inRule = `${describeRule(at.ref)} of ${describeResource(resource)}`;
      for (const earlier of list.slice(0, i)) {
        const overlap = at.peer.addresses.intersect(earlier.peer.addresses);
        if (overlap.isEmpty()) continue;
        const inside = earlier.peer.addresses.covers(at.peer.addresses);
        findings.push(
          makeFinding(IPBLOCKS_OVERLAP, {
            resource,
            location: withPath(at.rule.source, `.${at.field}[${at.index}].ipBlock`),
            rule: at.ref,
            message: inside
              ? `ipBlock ${describeBlock(at.peer)} (${at.field}[${at.index}]) lies inside ipBlock ${describeBlock(earlier.peer)} (${earlier.field}[${earlier.index}]) of ${inRule}: it adds nothing`
              : `ipBlock ${describeBlock(at.peer)} (${at.field}[${at.index}]) overlaps ipBlock ${describeBlock(earlier.peer)} (${earlier.field}[${earlier.index}]) of ${inRule} in ${describeAddresses(overlap)}`,
          }),
        );
        break;
      }
      // Addresses the other peers of the rule allow (blocks only; pod peers match pods, not addresses).
      const others = list
        .filter((o) => o !== at)
        .reduce((set, o) => set.union(o.peer.addresses), AddressSet.EMPTY);
      at.peer.except.forEach((except, x) => {
        const earlierExcepts = at.peer.except
          .slice(0, x)
          .reduce((set, e) => set.union(e.addresses), AddressSet.EMPTY);
        const insideExcept = earlierExcepts.covers(except.addresses);
        const allowedAgain = others.covers(except.addresses);
        const both = earlierExcepts.union(others).covers(except.addresses);
        if (!insideExcept && !allowedAgain && !both) return;
        findings.push(
          makeFinding(EXCEPT_REMOVES_NOTHING, {
            resource,
            location: withPath(at.rule.source, `.${at.field}[${at.index}].ipBlock.except[${x}]`),
            rule: at.ref,
            message:
              `except ${except.text} of ipBlock ${at.peer.cidr.text} (${at.field}[${at.index}]) in ${inRule} removes nothing: ` +
              (insideExcept
                ? 'it lies inside an earlier except of the same block'
                : allowedAgain
                  ? 'other ipBlocks of the same rule allow all of its addresses again'
                  : 'earlier excepts and other ipBlocks of the rule already account for all of its addresses'),
          }),
        );
      });
    });
  }
  return findings;
}
