// BH-LINT-006 / BH-LINT-007: pods whose egress is restricted (by NetworkPolicy, or by admin or baseline rules) and
// that cannot reach the cluster DNS on UDP 53 (or only TCP 53 is missing). Evaluated on the full model, so every
// tier and the DNS pods' own ingress policies count.

import { Connectivity } from '../engine/connectivity.js';
import type { NetworkPolicy, Workload } from '../model/cluster.js';
import type { AdminPolicy } from '../policy/admin-policy.js';
import { DNS_BLOCKED, DNS_TCP_BLOCKED } from './catalog.js';
import {
  adminResource,
  describeResource,
  listSome,
  makeFinding,
  networkPolicyResource,
  type LintContext,
} from './context.js';
import type { LintFinding, LintResource } from './types.js';
import type { SourceRef } from '../diagnostics.js';

/** "kube-dns" is the label of the cluster DNS pods (CoreDNS keeps it); or CoreDNS by name in kube-system. */
export function isClusterDns(w: Workload): boolean {
  return (
    w.labels['k8s-app'] === 'kube-dns' ||
    (w.namespace === 'kube-system' && (w.name === 'coredns' || w.name === 'kube-dns'))
  );
}

/**
 * "Outgoing traffic is allowed if there are no NetworkPolicies selecting the pod ... OR if the traffic matches at
 * least one egress rule": a pod isolated for egress reaches the DNS only through a rule that allows it. One finding
 * per namespace and set of restricting policies, naming the workloads.
 */
export function checkDnsBlocked(ctx: LintContext, model?: Connectivity): LintFinding[] {
  const workloads = ctx.workloads;
  if (workloads.length === 0) return [];
  const built = model ?? Connectivity.build(ctx.cluster, ctx.options);
  const dns = workloads.flatMap((w, i) => (isClusterDns(w) ? [i] : []));
  const dnsNames = dns.map((i) => workloads[i]!.id);
  // Representatives of destination classes when no DNS pod is in the input: "UDP 53 anywhere".
  const anyDestinations = dns.length > 0 ? [] : representatives(built, workloads.length);
  const byClass = new Map<number, { udp: boolean; tcp: boolean }>();
  const reachable = (w: number): { udp: boolean; tcp: boolean } => {
    const c = built.classOf(w);
    let result = byClass.get(c);
    if (result === undefined) {
      let udp = false;
      let tcp = false;
      const targets = dns.length > 0 ? dns : anyDestinations;
      for (const d of targets) {
        if (d === w) continue;
        const conns = built.between(w, d);
        udp ||= conns.allows('UDP', 53);
        tcp ||= conns.allows('TCP', 53);
        if (udp && tcp) break;
      }
      if (dns.length === 0) {
        for (let e = 0; e < built.destinationExternals.length && !(udp && tcp); e++) {
          const conns = built.toExternal(w, e);
          udp ||= conns.allows('UDP', 53);
          tcp ||= conns.allows('TCP', 53);
        }
      }
      result = { udp, tcp };
      byClass.set(c, result);
    }
    return result;
  };

  interface Group {
    readonly namespace: string;
    readonly restrictedBy: LintResource[];
    readonly location: SourceRef | undefined;
    readonly udp: boolean;
    readonly workloads: string[];
  }
  const groups = new Map<string, Group>();
  const restrictingPolicies = restrictingIndex(ctx);
  workloads.forEach((w, i) => {
    if (isClusterDns(w) || !built.isEgressIsolated(i)) return;
    const { udp, tcp } = reachable(i);
    if (udp && tcp) return;
    const restricting = restrictingPolicies(i);
    const key = `${w.namespace}|${udp}|${restricting.resources.map((r) => `${r.kind}/${r.name}`).join(',')}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = {
        namespace: w.namespace,
        restrictedBy: restricting.resources,
        location: restricting.location ?? w.source,
        udp,
        workloads: [],
      };
      groups.set(key, group);
    }
    group.workloads.push(w.id);
  });

  const target =
    dns.length > 0
      ? `the cluster DNS (${listSome(dnsNames, 3)})`
      : 'port 53 anywhere (no kube-dns workload is in the input)';
  const findings: LintFinding[] = [];
  for (const group of groups.values()) {
    const first = group.restrictedBy[0];
    const resource: LintResource = first ?? {
      kind: 'Namespace',
      namespace: '',
      name: group.namespace,
    };
    const by =
      group.restrictedBy.length > 0
        ? `egress is restricted by ${listSome(group.restrictedBy.map(describeResource), 3)}`
        : 'egress is restricted';
    const count = `${group.workloads.length} workload(s) in namespace ${group.namespace} (${listSome(group.workloads)})`;
    findings.push(
      group.udp
        ? makeFinding(DNS_TCP_BLOCKED, {
            resource,
            location: group.location,
            message: `${count} can reach ${target} on UDP 53 but not on TCP 53; ${by}`,
          })
        : makeFinding(DNS_BLOCKED, {
            resource,
            location: group.location,
            message: `${count} cannot reach ${target} on UDP port 53, so name resolution fails; ${by}`,
            fix:
              'Add an egress rule for these pods: `to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, ' +
              'podSelector: {matchLabels: {k8s-app: kube-dns}}}]`, `ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]`' +
              ' (and, if an admin policy denies it, an Allow or Pass rule for the same peer before the Deny).',
          }),
    );
  }
  return findings;
}

/** One workload per class of the model (the classes are what policies can tell apart). */
function representatives(model: Connectivity, count: number): number[] {
  const seen = new Set<number>();
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const c = model.classOf(i);
    if (seen.has(c)) continue;
    seen.add(c);
    out.push(i);
  }
  return out;
}

/**
 * The NetworkPolicies isolating each workload for egress (sorted by name), else the admin policies with egress rules
 * selecting it: built once, indexed by workload.
 */
function restrictingIndex(
  ctx: LintContext,
): (w: number) => { resources: LintResource[]; location: SourceRef | undefined } {
  const nps = new Map<number, NetworkPolicy[]>();
  const admins = new Map<number, AdminPolicy[]>();
  const push = <T>(map: Map<number, T[]>, w: number, value: T): void => {
    const list = map.get(w);
    if (list === undefined) map.set(w, [value]);
    else list.push(value);
  };
  const sorted = [...ctx.cluster.networkPolicies].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const p of sorted) if (p.egress !== undefined) for (const w of ctx.subjectsOf(p)) push(nps, w, p);
  for (const p of ctx.cluster.adminPolicies)
    if (p.egress.length > 0) for (const w of ctx.adminSubjectsOf(p)) push(admins, w, p);
  return (w) => {
    const np = nps.get(w);
    if (np !== undefined) return { resources: np.map(networkPolicyResource), location: np[0]!.source };
    const admin = admins.get(w) ?? [];
    return { resources: admin.map(adminResource), location: admin[0]?.source };
  };
}
