// Audit checks of the segmentation area: default deny per namespace, workloads no policy restricts, lateral
// movement, and cross-namespace reachability into sensitive namespaces — from the reachability model.

import type { NetworkPolicy, Workload } from '../model/cluster.js';
import { PortSet } from '../model/port-set.js';
import { finding, recordOf } from './objects.js';
import type { AuditContext, Check, CheckInfo, Finding, ObjectRecord } from './types.js';

const SEG_NO_DEFAULT_DENY_INGRESS: CheckInfo = {
  id: 'BH-SEG-001',
  area: 'segmentation',
  title: 'Namespace without default deny for ingress',
  severity: 'medium',
  rationale:
    'Without a NetworkPolicy that selects every pod of the namespace for ingress ("podSelector: {}" with Ingress), ' +
    'any new workload starts open to every pod in the cluster until someone writes a policy for it. A default deny ' +
    'makes isolation the rule and allowances the exception.',
  remediation:
    'Add `kind: NetworkPolicy, spec: {podSelector: {}, policyTypes: [Ingress]}` to the namespace, then allow what each workload needs.',
  references: [
    'CIS 5.3.2',
    'NSA/CISA Kubernetes Hardening Guide: Network policies (default deny)',
    'MITRE ATT&CK T1210',
  ],
  mappings: {
    kubescape: ['C-0260', 'C-0030'],
  },
};

const SEG_NO_DEFAULT_DENY_EGRESS: CheckInfo = {
  id: 'BH-SEG-002',
  area: 'segmentation',
  title: 'Namespace without default deny for egress',
  severity: 'low',
  rationale:
    'Without a NetworkPolicy that selects every pod of the namespace for egress, workloads can connect anywhere: to ' +
    'other tenants, to cloud metadata endpoints, to the internet.',
  remediation:
    'Add `spec: {podSelector: {}, policyTypes: [Egress]}` to the namespace, and allow DNS and the destinations each workload needs.',
  references: ['NSA/CISA Kubernetes Hardening Guide: Network policies (default deny)', 'MITRE ATT&CK T1041'],
  mappings: { kubescape: ['C-0030'] },
};

const SEG_UNRESTRICTED: CheckInfo = {
  id: 'BH-SEG-003',
  area: 'segmentation',
  title: 'Workload isolated in neither direction',
  severity: 'medium',
  rationale:
    "No NetworkPolicy (nor admin or baseline policy) restricts this workload's ingress or egress: every pod can reach " +
    'it on every port, and it can reach everything.',
  remediation:
    'Select the workload with ingress and egress NetworkPolicies (or a namespace default deny) that allow only what it needs.',
  references: ['CIS 5.3.2', 'NSA/CISA Kubernetes Hardening Guide: Network policies', 'MITRE ATT&CK T1210'],
  mappings: {
    polaris: ['missingNetworkPolicy'],
    'kube-linter': ['non-isolated-pod'],
    'kube-score': ['Pod NetworkPolicy'],
    kubescape: ['C-0260'],
  },
};

const SEG_LATERAL: CheckInfo = {
  id: 'BH-SEG-004',
  area: 'segmentation',
  title: 'Lateral movement: workload reaches a large share of the cluster',
  severity: 'medium',
  rationale:
    'A compromised workload that can open connections to most of the cluster lets an attacker move laterally. The ' +
    'threshold is `settings.lateralMovementShare` of the other workloads (default 0.5).',
  remediation: "Restrict the workload's egress to the services it calls.",
  references: [
    'NSA/CISA Kubernetes Hardening Guide: Network policies',
    'MITRE ATT&CK T1210',
    'MITRE ATT&CK T1046',
  ],
  mappings: { kubescape: ['C-0054'] },
};

const SEG_SENSITIVE_NAMESPACE: CheckInfo = {
  id: 'BH-SEG-005',
  area: 'segmentation',
  title: 'Sensitive namespace reachable from other namespaces',
  severity: 'high',
  rationale:
    'Workloads of namespaces listed in `settings.sensitiveNamespaces` (default kube-system) should be reachable from ' +
    'other namespaces only for what they serve them. Cluster DNS (port 53 of kube-dns) is not counted.',
  remediation:
    'Add an ingress NetworkPolicy to the sensitive namespace that admits only the namespaces and ports that need it.',
  references: ['CIS 5.3.2', 'NSA/CISA Kubernetes Hardening Guide: Network separation', 'MITRE ATT&CK T1210'],
  mappings: {},
};

/**
 * Compose services are segmented by their Docker networks (BH-CMP-007), not by NetworkPolicy: the default-deny and
 * isolation checks do not apply to them.
 */
const COMPOSE_KIND = 'ComposeService';

function namespaceRecord(context: AuditContext, namespace: string): ObjectRecord | undefined {
  return recordOf(context, 'Namespace', '', namespace);
}

function workloadRecord(context: AuditContext, w: Workload): ObjectRecord | undefined {
  return recordOf(context, w.kind, w.namespace, w.name);
}

/** "An empty podSelector selects all pods in the namespace": a policy that isolates every pod for `direction`. */
function isDefaultDeny(policy: NetworkPolicy, direction: 'ingress' | 'egress'): boolean {
  return policy.podSelector.requirements.length === 0 && policy[direction] !== undefined;
}

function defaultDenyFindings(direction: 'ingress' | 'egress', info: CheckInfo) {
  return (context: AuditContext): Finding[] => {
    const out: Finding[] = [];
    const namespaces = [
      ...new Set(context.cluster.workloads.filter((w) => w.kind !== COMPOSE_KIND).map((w) => w.namespace)),
    ].sort();
    for (const namespace of namespaces) {
      const covered = context.cluster.networkPolicies.some(
        (p) => p.namespace === namespace && isDefaultDeny(p, direction),
      );
      if (covered) continue;
      const count = context.cluster.workloads.filter((w) => w.namespace === namespace).length;
      const record =
        namespaceRecord(context, namespace) ??
        workloadRecord(
          context,
          context.cluster.workloads.find((w) => w.namespace === namespace)!,
        );
      if (record === undefined) continue;
      // The finding is about the namespace, located at its object, or at a workload of it when it has none.
      out.push({
        ...finding(
          context,
          info,
          record,
          [],
          `namespace ${namespace} (${count} workload(s)) has no NetworkPolicy that selects all its pods for ${direction}`,
        ),
        resource: { kind: 'Namespace', namespace: '', name: namespace },
      });
    }
    return out;
  };
}

function unrestrictedFindings(context: AuditContext): Finding[] {
  const model = context.model();
  const out: Finding[] = [];
  context.cluster.workloads.forEach((w, i) => {
    if (w.kind === COMPOSE_KIND || model.isIngressIsolated(i) || model.isEgressIsolated(i)) return;
    const record = workloadRecord(context, w);
    if (record === undefined) return;
    out.push(
      finding(
        context,
        SEG_UNRESTRICTED,
        record,
        [],
        `no policy restricts ${w.id}: it accepts and opens any connection`,
      ),
    );
  });
  return out;
}

/** How many other workloads each one reaches, from the model's class-level count. */
function lateralFindings(context: AuditContext): Finding[] {
  const model = context.model();
  const workloads = context.cluster.workloads;
  const others = workloads.length - 1;
  if (others < 2) return [];
  const threshold = context.settings.lateralMovementShare;
  const reached = model.reachableCounts();
  const out: Finding[] = [];
  workloads.forEach((w, i) => {
    const count = reached[i]!;
    if (count / others <= threshold) return;
    // Workloads no policy restricts at all are BH-SEG-003's; Compose services are segmented by networks.
    if (w.kind === COMPOSE_KIND || (!model.isEgressIsolated(i) && !model.isIngressIsolated(i))) return;
    const record = workloadRecord(context, w);
    if (record === undefined) return;
    out.push(
      finding(
        context,
        SEG_LATERAL,
        record,
        [],
        `${w.id} can open connections to ${count} of the ${others} other workloads (${Math.round((count / others) * 100)}%, threshold ${Math.round(threshold * 100)}%)`,
      ),
    );
  });
  return out;
}

function sensitiveNamespaceFindings(context: AuditContext): Finding[] {
  const model = context.model();
  const sensitive = new Set(context.settings.sensitiveNamespaces);
  const workloads = context.cluster.workloads;
  const out: Finding[] = [];
  workloads.forEach((w, wi) => {
    if (!sensitive.has(w.namespace)) return;
    const isDns = w.labels['k8s-app'] === 'kube-dns';
    const reachers = workloads.filter((v, vi) => {
      if (v.namespace === w.namespace) return false;
      const conn = model.between(vi, wi);
      if (conn.isEmpty()) return false;
      // Cluster DNS serves everyone: port 53 alone is not a finding.
      if (isDns) {
        const withoutDns =
          conn.tcp.subtract(portOnly53).isEmpty() &&
          conn.udp.subtract(portOnly53).isEmpty() &&
          conn.sctp.isEmpty();
        if (withoutDns) return false;
      }
      return true;
    });
    if (reachers.length === 0) return;
    const record = workloadRecord(context, w);
    if (record === undefined) return;
    out.push(
      finding(
        context,
        SEG_SENSITIVE_NAMESPACE,
        record,
        [],
        `${w.id} in sensitive namespace ${w.namespace} is reachable from ${reachers.length} workload(s) of other namespaces (e.g. ${reachers
          .slice(0, 3)
          .map((v) => v.id)
          .join(', ')})`,
      ),
    );
  });
  return out;
}

const portOnly53 = PortSet.range(53, 53);

export const segmentationChecks: readonly Check[] = [
  { info: SEG_NO_DEFAULT_DENY_INGRESS, run: defaultDenyFindings('ingress', SEG_NO_DEFAULT_DENY_INGRESS) },
  { info: SEG_NO_DEFAULT_DENY_EGRESS, run: defaultDenyFindings('egress', SEG_NO_DEFAULT_DENY_EGRESS) },
  { info: SEG_UNRESTRICTED, run: unrestrictedFindings },
  { info: SEG_LATERAL, run: lateralFindings },
  { info: SEG_SENSITIVE_NAMESPACE, run: sensitiveNamespaceFindings },
];
