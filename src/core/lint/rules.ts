// Lint checks on single rules and policy headers: allow-everything rules (BH-LINT-005) and admin policies that
// share a priority (BH-LINT-012).

import type { AdminPolicy } from '../policy/admin-policy.js';
import { ALLOW_ALL_RULE, PRIORITY_COLLISION } from './catalog.js';
import {
  DIRECTIONS,
  adminResource,
  describeResource,
  describeRule,
  makeFinding,
  networkPolicyResource,
  type LintContext,
} from './context.js';
import type { LintFinding } from './types.js';

/**
 * BH-LINT-005: a NetworkPolicy rule with no peers and no ports: "If this field is empty or missing, this rule
 * matches all sources" and "all ports". The IR keeps `{}`, `from: []` and absent alike as `any`.
 */
export function checkAllowAll(ctx: LintContext): LintFinding[] {
  const findings: LintFinding[] = [];
  for (const policy of ctx.cluster.networkPolicies) {
    const resource = networkPolicyResource(policy);
    for (const direction of DIRECTIONS) {
      (policy[direction] ?? []).forEach((rule, index) => {
        if (rule.peers !== 'any' || rule.ports !== 'any') return;
        const ruleRef = { direction, index, name: '' };
        const who =
          direction === 'ingress'
            ? 'from every pod and every address outside the cluster'
            : 'to every pod and every address outside the cluster';
        findings.push(
          makeFinding(ALLOW_ALL_RULE, {
            resource,
            location: rule.source,
            rule: ruleRef,
            severity: direction === 'ingress' ? 'medium' : 'low',
            message:
              `${describeRule(ruleRef)} of ${describeResource(resource)} has no ${direction === 'ingress' ? 'from' : 'to'} ` +
              `and no ports (\`{}\`): it allows ${direction} ${who} on every port, so the pods it selects are not ` +
              `isolated for ${direction} at all`,
          }),
        );
      });
    }
  }
  return findings;
}

/**
 * BH-LINT-012: admin policies of one tier with the same priority. BaselineAdminNetworkPolicy has no priority (there
 * is at most one) and is left out. One finding per policy of a colliding group, naming the others.
 */
export function checkPriorityCollisions(ctx: LintContext): LintFinding[] {
  const groups = new Map<string, AdminPolicy[]>();
  for (const policy of ctx.cluster.adminPolicies) {
    if (policy.apiKind === 'BaselineAdminNetworkPolicy') continue;
    const key = `${policy.tier}/${policy.priority}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [policy]);
    else group.push(policy);
  }
  const findings: LintFinding[] = [];
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    for (const policy of group) {
      const others = group.filter((p) => p !== policy);
      const mine = new Set(ctx.adminSubjectsOf(policy));
      const overlapping = others.filter((o) => ctx.adminSubjectsOf(o).some((w) => mine.has(w)));
      findings.push(
        makeFinding(PRIORITY_COLLISION, {
          resource: adminResource(policy),
          location: policy.source,
          severity: overlapping.length > 0 ? 'medium' : 'low',
          message:
            `${describeResource(adminResource(policy))} has priority ${policy.priority} in the ${policy.tier} tier, as ` +
            `${others.map((o) => describeResource(adminResource(o))).join(', ')}` +
            (overlapping.length > 0
              ? `; they select pods in common, so which applies first is undefined`
              : `; they select no pod in common today`),
        }),
      );
    }
  }
  return findings;
}
