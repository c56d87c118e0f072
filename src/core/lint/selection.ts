// Lint checks about what policies select: subjects that select no workload (BH-LINT-001), peers that match
// nothing (BH-LINT-002) and policies in namespaces that do not exist (BH-LINT-013).

import type { SourceRef } from '../diagnostics.js';
import type { AdminPeer } from '../policy/admin-policy.js';
import type { PodPeer } from '../policy/network-policy.js';
import { NAMESPACE_MISSING, PEER_MATCHES_NOTHING, SELECTS_NOTHING } from './catalog.js';
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
import type { LintFinding, LintResource, LintRuleRef, LintSeverity } from './types.js';

/** Namespaces every cluster has, so a policy there is never "in a namespace that does not exist". */
const BUILTIN_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/** BH-LINT-001: a NetworkPolicy podSelector or admin subject that selects no workload of the input. */
export function checkSelectsNothing(ctx: LintContext): LintFinding[] {
  const findings: LintFinding[] = [];
  for (const policy of ctx.cluster.networkPolicies) {
    if (ctx.subjectsOf(policy).length > 0) continue;
    const empty = ctx.workloadCount(policy.namespace) === 0;
    findings.push(
      makeFinding(SELECTS_NOTHING, {
        resource: networkPolicyResource(policy),
        location: policy.source,
        severity: empty ? 'low' : 'medium',
        message: empty
          ? `${describeResource(networkPolicyResource(policy))} selects no workload: namespace ${policy.namespace} has no workloads in the input`
          : `${describeResource(networkPolicyResource(policy))}'s podSelector matches none of the ${ctx.workloadCount(policy.namespace)} workload(s) in namespace ${policy.namespace}`,
      }),
    );
  }
  for (const policy of ctx.cluster.adminPolicies) {
    if (ctx.adminSubjectsOf(policy).length > 0) continue;
    const namespaces = [...ctx.index.namespacesMatching(policy.subject.namespaceSelector)];
    const populated = namespaces.filter((ns) => ctx.workloadCount(ns) > 0);
    const resource = adminResource(policy);
    findings.push(
      makeFinding(SELECTS_NOTHING, {
        resource,
        location: policy.source,
        severity: populated.length > 0 ? 'medium' : 'low',
        message:
          namespaces.length === 0
            ? `${describeResource(resource)}'s subject namespaceSelector matches no namespace in the input`
            : populated.length === 0
              ? `${describeResource(resource)} selects no workload: the namespaces it selects (${listSome(namespaces.sort())}) have no workloads in the input`
              : `${describeResource(resource)}'s subject podSelector matches no workload in the namespaces it selects (${listSome(populated.sort())})`,
      }),
    );
  }
  return findings;
}

/**
 * Why a pod peer (namespaces, then pods in them) matches nothing, with the severity: medium when the selected
 * namespaces hold workloads the pod selector misses, or the namespace selector misses declared namespaces; low
 * when the input simply has no workloads there.
 */
function explainEmptyPeer(
  ctx: LintContext,
  namespaces: ReadonlySet<string>,
  what: string,
): { message: string; severity: LintSeverity } {
  if (namespaces.size === 0) {
    return {
      message: `${what}: its namespaceSelector matches no namespace in the input`,
      severity: ctx.declaredNamespaces.size > 0 ? 'medium' : 'low',
    };
  }
  const populated = [...namespaces].filter((ns) => ctx.workloadCount(ns) > 0).sort();
  if (populated.length === 0) {
    return {
      message: `${what}: the namespace(s) it selects (${listSome([...namespaces].sort())}) have no workloads in the input`,
      severity: 'low',
    };
  }
  return {
    message: `${what}: its podSelector matches no workload in ${listSome(populated)}`,
    severity: 'medium',
  };
}

/** BH-LINT-002: pod and namespace peers that match nothing. Admin nodes and domainNames peers are skipped. */
export function checkPeersMatchNothing(ctx: LintContext): LintFinding[] {
  const findings: LintFinding[] = [];
  const report = (
    resource: LintResource,
    source: SourceRef | undefined,
    ruleRef: LintRuleRef,
    peerAt: string,
    peerText: string,
    namespaces: ReadonlySet<string>,
  ): void => {
    const { message, severity } = explainEmptyPeer(
      ctx,
      namespaces,
      `${peerAt} (${peerText}) of ${describeRule(ruleRef)} in ${describeResource(resource)} matches no pod`,
    );
    findings.push(
      makeFinding(PEER_MATCHES_NOTHING, {
        resource,
        location: withPath(source, `.${peerAt}`),
        rule: ruleRef,
        severity,
        message,
      }),
    );
  };
  for (const policy of ctx.cluster.networkPolicies) {
    const resource = networkPolicyResource(policy);
    for (const direction of DIRECTIONS) {
      const field = direction === 'ingress' ? 'from' : 'to';
      (policy[direction] ?? []).forEach((rule, index) => {
        if (rule.peers === 'any') return;
        rule.peers.forEach((peer, p) => {
          if (peer.kind !== 'pods') return;
          const namespaces = ctx.peerNamespaces(peer, policy.namespace);
          if (ctx.podsIn(namespaces, peer.podSelector).length > 0) return;
          const ruleRef = { direction, index, name: '' };
          report(resource, rule.source, ruleRef, `${field}[${p}]`, describePodPeer(peer), namespaces);
        });
      });
    }
  }
  for (const policy of ctx.cluster.adminPolicies) {
    const resource = adminResource(policy);
    for (const direction of DIRECTIONS) {
      const field = direction === 'ingress' ? 'from' : 'to';
      policy[direction].forEach((rule, index) => {
        rule.peers.forEach((peer, p) => {
          if (peer.kind !== 'namespaces' && peer.kind !== 'pods') return;
          if ((ctx.adminPeerWorkloads(peer) ?? []).length > 0) return;
          const namespaces = ctx.index.namespacesMatching(peer.namespaceSelector);
          const ruleRef = { direction, index, name: rule.name };
          report(resource, rule.source, ruleRef, `${field}[${p}]`, describeAdminPeer(peer), namespaces);
        });
      });
    }
  }
  return findings;
}

/** BH-LINT-013: a NetworkPolicy whose namespace has no Namespace object and no workload in the input. */
export function checkNamespaceMissing(ctx: LintContext): LintFinding[] {
  const findings: LintFinding[] = [];
  for (const policy of ctx.cluster.networkPolicies) {
    const ns = policy.namespace;
    if (BUILTIN_NAMESPACES.has(ns) || ctx.declaredNamespaces.has(ns) || ctx.workloadCount(ns) > 0) continue;
    const declared = [...ctx.declaredNamespaces].sort();
    findings.push(
      makeFinding(NAMESPACE_MISSING, {
        resource: networkPolicyResource(policy),
        location: policy.source,
        severity: declared.length > 0 ? 'medium' : 'low',
        message:
          `namespace ${ns} of ${describeResource(networkPolicyResource(policy))} has no Namespace object and no workload in the input` +
          (declared.length > 0 ? ` (declared namespaces: ${listSome(declared)})` : ''),
      }),
    );
  }
  return findings;
}

function describePodPeer(peer: PodPeer): string {
  const parts: string[] = [];
  if (peer.namespaceSelector !== undefined)
    parts.push(`namespaceSelector ${describeSelector(peer.namespaceSelector)}`);
  if (peer.podSelector !== undefined) parts.push(`podSelector ${describeSelector(peer.podSelector)}`);
  return parts.join(', ');
}

function describeAdminPeer(peer: AdminPeer & { kind: 'namespaces' | 'pods' }): string {
  return peer.kind === 'namespaces'
    ? `namespaces ${describeSelector(peer.namespaceSelector)}`
    : `pods: namespaceSelector ${describeSelector(peer.namespaceSelector)}, podSelector ${describeSelector(peer.podSelector)}`;
}

/** `{app=web, tier in (a,b)}`: a selector in kubectl's words. */
export function describeSelector(selector: {
  readonly requirements: readonly { key: string; operator: string; values: readonly string[] }[];
}): string {
  if (selector.requirements.length === 0) return '{}';
  const items = selector.requirements.map((r) => {
    switch (r.operator) {
      case 'In':
        return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`;
      case 'NotIn':
        return `${r.key} notin (${r.values.join(',')})`;
      case 'Exists':
        return r.key;
      default:
        return `!${r.key}`;
    }
  });
  return `{${items.join(', ')}}`;
}
