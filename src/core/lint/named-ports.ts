// BH-LINT-011: named ports that no destination pod of the rule declares, so the port matches nothing.

import type { Workload } from '../model/cluster.js';
import type { PortMatch } from '../policy/network-policy.js';
import { NAMED_PORT_UNRESOLVED } from './catalog.js';
import {
  DIRECTIONS,
  adminResource,
  describeResource,
  describeRule,
  listSome,
  makeFinding,
  networkPolicyResource,
  withPath,
  type LintContext,
} from './context.js';
import type { SourceRef } from '../diagnostics.js';
import type { LintFinding, LintResource, LintRuleRef } from './types.js';

/**
 * "port ... can either be a numerical or named port on a pod": a named port resolves against the destination's
 * container ports with the same name and protocol — the selected pods for ingress, the peers' pods for egress (an
 * address outside the cluster has no named ports). Rules whose destinations are empty for another reason (a
 * policy or peer selecting nothing) are left to BH-LINT-001 and BH-LINT-002.
 */
export function checkNamedPorts(ctx: LintContext): LintFinding[] {
  const findings: LintFinding[] = [];
  const check = (
    resource: LintResource,
    ref: LintRuleRef,
    ports: readonly PortMatch[] | 'any',
    source: SourceRef | undefined,
    destinations: readonly number[],
    outsideOnly: boolean,
  ): void => {
    if (ports === 'any') return;
    ports.forEach((port, i) => {
      if (port.kind !== 'named') return;
      if (destinations.length === 0 && !outsideOnly) return;
      const pods = destinations.map((w) => ctx.workloads[w]!);
      if (pods.some((w) => resolves(w, port.name, port.protocol))) return;
      const proto = port.protocol === undefined ? '' : ` (${port.protocol})`;
      const declared = [
        ...new Set(
          pods.flatMap((w) =>
            w.ports.flatMap((p) => (p.name === undefined ? [] : [`${p.name}/${p.protocol}`])),
          ),
        ),
      ].sort();
      const otherProtocol = pods.some((w) => w.ports.some((p) => p.name === port.name));
      const whose =
        ref.direction === 'ingress' ? 'the pods the policy selects' : "the rule's destination pods";
      findings.push(
        makeFinding(NAMED_PORT_UNRESOLVED, {
          resource,
          location: withPath(source, `.ports[${i}]`),
          rule: ref,
          message:
            `named port "${port.name}"${proto} in ${describeRule(ref)} of ${describeResource(resource)} matches nothing: ` +
            (destinations.length === 0
              ? 'the rule reaches only addresses outside the cluster, which have no named ports'
              : otherProtocol
                ? `${whose} name "${port.name}" only with another protocol`
                : `none of ${whose} (${listSome(
                    pods.map((w) => w.id),
                    3,
                  )}) declares it` +
                  (declared.length > 0
                    ? `; they declare ${listSome(declared, 8)}`
                    : '; they declare no named ports')),
        }),
      );
    });
  };
  for (const policy of ctx.cluster.networkPolicies) {
    const resource = networkPolicyResource(policy);
    for (const direction of DIRECTIONS) {
      (policy[direction] ?? []).forEach((rule, index) => {
        const ref = { direction, index, name: '' };
        if (direction === 'ingress') {
          check(resource, ref, rule.ports, rule.source, ctx.subjectsOf(policy), false);
        } else {
          const peers = ctx.networkPolicyRulePeers(rule, policy);
          const outsideOnly = rule.peers !== 'any' && rule.peers.every((p) => p.kind === 'addresses');
          check(resource, ref, rule.ports, rule.source, peers.workloads, outsideOnly);
        }
      });
    }
  }
  for (const policy of ctx.cluster.adminPolicies) {
    const resource = adminResource(policy);
    for (const direction of DIRECTIONS) {
      policy[direction].forEach((rule, index) => {
        const ref = { direction, index, name: rule.name };
        const destinations =
          direction === 'ingress' ? ctx.adminSubjectsOf(policy) : ctx.adminRulePeers(rule).workloads;
        check(resource, ref, rule.ports, rule.source, destinations, false);
      });
    }
  }
  return findings;
}

function resolves(w: Workload, name: string, protocol: string | undefined): boolean {
  return w.ports.some((p) => p.name === name && (protocol === undefined || p.protocol === protocol));
}
