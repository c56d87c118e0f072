// Audit checks of the exposure area: what is reachable from outside the cluster or across namespaces, answered
// from the reachability model (what policies actually allow), not from whether some policy exists.

import type { Connectivity } from '../engine/connectivity.js';
import { selectsWorkload, targetPorts } from '../engine/ingress-exposure.js';
import type { Service, Workload } from '../model/cluster.js';
import { ConnSet, PortSet, type Protocol } from '../model/port-set.js';
import { containersOf, finding, podSpecs, recordOf, valueAt } from './objects.js';
import { PLAINTEXT_PORTS, SENSITIVE_PORTS } from './ports.js';
import type { AuditContext, Check, CheckInfo, Finding, ObjectRecord, ValuePath } from './types.js';
import { isRecord } from './values.js';

const NET_EXPOSED: CheckInfo = {
  id: 'BH-NET-001',
  area: 'exposure',
  title: 'Workload reachable from outside the cluster',
  severity: 'high',
  rationale:
    'A LoadBalancer or NodePort Service, an Ingress or Route, or a hostPort publishes a workload beyond the cluster, ' +
    'and the policies that apply to it (NetworkPolicy and the admin tiers) let external addresses in on that port. ' +
    'Other tools report every such Service; Bulkhead reports it only when the traffic is really allowed, so a ' +
    'default-deny that blocks it is not a finding.',
  remediation:
    'If the exposure is intended, restrict the sources (ipBlock of known ranges, loadBalancerSourceRanges) and make sure the ' +
    'workload authenticates; if not, use a ClusterIP Service, drop the hostPort, or add an ingress NetworkPolicy.',
  references: [
    'CIS 5.3.2',
    'NSA/CISA Kubernetes Hardening Guide: Network separation and hardening',
    'MITRE ATT&CK T1133',
  ],
  mappings: {
    'kube-linter': ['exposed-services'],
    'kube-score': ['Service Type'],
    polaris: ['hostPortSet'],
    kubescape: ['C-0021', 'C-0044'],
    checkov: ['CKV_K8S_26'],
  },
};

const NET_SENSITIVE: CheckInfo = {
  id: 'BH-NET-002',
  area: 'exposure',
  title: 'Sensitive port reachable from other namespaces or from outside',
  severity: 'high',
  rationale:
    'Databases, caches, SSH, cluster components and admin interfaces should be reachable only by their own ' +
    'clients. A container port of such a service that workloads of other namespaces, or external addresses, can ' +
    'reach is an open door for lateral movement and data theft.',
  remediation:
    'Add an ingress NetworkPolicy that admits only the workloads that need the port (by pod and namespace selector).',
  references: [
    'NSA/CISA Kubernetes Hardening Guide: Network policies',
    'MITRE ATT&CK T1210',
    'MITRE ATT&CK T1021',
  ],
  mappings: { kubescape: ['C-0021', 'C-0042'], 'kube-linter': ['ssh-port'] },
};

const NET_PUBLIC_EGRESS: CheckInfo = {
  id: 'BH-NET-003',
  area: 'exposure',
  title: 'Egress to the whole internet',
  severity: 'medium',
  rationale:
    'A workload that can open connections to every external address can exfiltrate data and reach command-and-' +
    'control servers. This is reported for workloads whose egress policies allow all external addresses (an ipBlock ' +
    'of 0.0.0.0/0, a rule without `to`); workloads no policy restricts at all are reported by BH-SEG-003.',
  remediation: 'Allow egress only to the address ranges and ports the workload needs (and to cluster DNS).',
  references: ['NSA/CISA Kubernetes Hardening Guide: Network policies', 'MITRE ATT&CK T1041'],
  mappings: { trivy: ['KUBE-0002'] },
};

const NET_PLAINTEXT: CheckInfo = {
  id: 'BH-NET-004',
  area: 'exposure',
  title: 'Plaintext protocol exposed outside the cluster',
  severity: 'medium',
  rationale:
    'A port that usually carries a clear-text protocol (HTTP, FTP, Telnet, LDAP, Redis, ...) is reachable from ' +
    'outside the cluster: credentials and data cross networks the cluster does not control without TLS.',
  remediation:
    'Terminate TLS in front of the workload (an Ingress with tls, a TLS port), and stop publishing the plaintext port.',
  references: ['NSA/CISA Kubernetes Hardening Guide: Network separation and hardening', 'MITRE ATT&CK T1040'],
  mappings: {},
};

const NET_INGRESS_TLS: CheckInfo = {
  id: 'BH-NET-005',
  area: 'exposure',
  title: 'Ingress without TLS',
  severity: 'medium',
  rationale:
    'An Ingress with no `tls` section (or one that leaves some of its hosts out) serves HTTP in clear text to the ' +
    'outside world.',
  remediation: 'Add spec.tls with a certificate Secret for every host of the Ingress.',
  references: ['NSA/CISA Kubernetes Hardening Guide: Network separation and hardening', 'MITRE ATT&CK T1040'],
  mappings: {},
};

/** The object a workload was read from (its controller's manifest, or the pod), for locations. */
function workloadObject(context: AuditContext, w: Workload): ObjectRecord | undefined {
  return recordOf(context, w.kind, w.namespace, w.name);
}

function externalReach(model: Connectivity, w: number, protocol: Protocol, ports: PortSet): ConnSet {
  let allowed = ConnSet.NONE;
  model.sourceExternals.forEach((_, e) => {
    allowed = allowed.union(model.fromExternal(e, w).intersect(ConnSet.ports(protocol, ports)));
  });
  return allowed;
}

function describeConn(conn: ConnSet): string {
  return conn.toString();
}

/** Externally published paths: LoadBalancer/NodePort Services, Ingress/Route (ingress controller), hostPorts. */
function exposedFindings(context: AuditContext): Finding[] {
  const out: Finding[] = [];
  const model = context.model();
  const workloads = context.cluster.workloads;
  for (const service of context.cluster.services) {
    if (service.type !== 'LoadBalancer' && service.type !== 'NodePort') continue;
    if (service.selector === undefined) continue;
    const record = recordOf(context, 'Service', service.namespace, service.name);
    workloads.forEach((w, wi) => {
      if (!selectsWorkload(service, w)) return;
      service.ports.forEach((sp, pi) => {
        const ports = targetPorts(service, sp.name ?? sp.port, w);
        if (ports.isEmpty()) return;
        const reach = externalReach(model, wi, sp.protocol, ports);
        if (reach.isEmpty()) return;
        out.push(
          finding(
            context,
            NET_EXPOSED,
            record ?? serviceLikeRecord(service),
            ['spec', 'ports', pi],
            `${service.type} Service ${service.namespace}/${service.name} port ${sp.port}/${sp.protocol} publishes ${w.id}, and its policies allow external addresses in on ${describeConn(reach)}`,
          ),
        );
      });
    });
  }
  for (const d of model.ingressExposedWorkloads) {
    const reach = model.fromIngressController(d);
    if (reach.isEmpty()) continue;
    const w = workloads[d]!;
    const ingress = context.cluster.ingresses.find((i) => i.namespace === w.namespace);
    const record =
      (ingress && recordOf(context, ingress.kind, ingress.namespace, ingress.name)) ??
      workloadObject(context, w);
    if (record === undefined) continue;
    out.push(
      finding(
        context,
        NET_EXPOSED,
        record,
        [],
        `${ingress ? `${ingress.kind} ${ingress.namespace}/${ingress.name}` : 'an Ingress or Route'} sends outside traffic to ${w.id}, and its policies let the ingress controller in on ${describeConn(reach)}`,
      ),
    );
  }
  workloads.forEach((w, wi) => {
    const record = workloadObject(context, w);
    if (record === undefined) return;
    for (const { path, hostPort, containerPort, protocol } of hostPorts(record)) {
      const reach = externalReach(model, wi, protocol, PortSet.range(containerPort, containerPort));
      if (reach.isEmpty()) continue;
      out.push(
        finding(
          context,
          NET_EXPOSED,
          record,
          path,
          `hostPort ${hostPort}/${protocol} publishes ${w.id} port ${containerPort} on its node, and its policies allow external addresses in on it`,
        ),
      );
    }
  });
  return out;
}

/** A stand-in record for a Service the input did not list as an object (cannot happen for read manifests). */
function serviceLikeRecord(service: Service): ObjectRecord {
  return {
    kind: 'Service',
    apiVersion: 'v1',
    namespace: service.namespace,
    name: service.name,
    value: {},
    annotations: {},
    source: service.source ?? { file: '-' },
  };
}

/** Container ports with a hostPort (in any container of the pod spec), with their paths. */
function hostPorts(
  record: ObjectRecord,
): { path: ValuePath; hostPort: number; containerPort: number; protocol: Protocol }[] {
  const out: { path: ValuePath; hostPort: number; containerPort: number; protocol: Protocol }[] = [];
  for (const pod of podSpecs([record])) {
    for (const container of containersOf(pod)) {
      const ports = container.container['ports'];
      if (!Array.isArray(ports)) continue;
      ports.forEach((p: unknown, pi) => {
        if (!isRecord(p) || typeof p['hostPort'] !== 'number' || typeof p['containerPort'] !== 'number')
          return;
        const protocol = p['protocol'] === 'UDP' || p['protocol'] === 'SCTP' ? p['protocol'] : 'TCP';
        out.push({
          path: [...container.path, 'ports', pi, 'hostPort'],
          hostPort: p['hostPort'],
          containerPort: p['containerPort'],
          protocol,
        });
      });
    }
  }
  return out;
}

/** Container ports of well-known sensitive services reachable from outside or from other namespaces. */
function sensitiveFindings(context: AuditContext): Finding[] {
  const out: Finding[] = [];
  const model = context.model();
  const workloads = context.cluster.workloads;
  // One representative workload per class: a class's members are reached by exactly the same workloads.
  const members = new Map<number, number[]>();
  workloads.forEach((_, i) => {
    const c = model.classOf(i);
    const list = members.get(c);
    if (list === undefined) members.set(c, [i]);
    else list.push(i);
  });
  const classes = [...members.entries()];
  /** Workload indices reaching class `c` on the port, memoised per (class, port, protocol). */
  const reachers = new Map<string, number[]>();
  const reachersOf = (c: number, protocol: Protocol, port: number): number[] => {
    const key = `${c}/${protocol}/${port}`;
    let list = reachers.get(key);
    if (list === undefined) {
      list = [];
      for (const [source, sourceMembers] of classes) {
        if (!model.connectionOfId(model.classPairId(source, c)).allows(protocol, port)) continue;
        list.push(...sourceMembers);
      }
      list.sort((a, b) => a - b); // workload order, for stable examples in messages
      reachers.set(key, list);
    }
    return list;
  };
  workloads.forEach((w, wi) => {
    const record = workloadObject(context, w);
    if (record === undefined) return;
    const seen = new Set<string>();
    for (const cp of w.ports) {
      const what = SENSITIVE_PORTS.get(cp.port);
      if (what === undefined || seen.has(`${cp.port}/${cp.protocol}`)) continue;
      seen.add(`${cp.port}/${cp.protocol}`);
      const port = PortSet.range(cp.port, cp.port);
      const external = !externalReach(model, wi, cp.protocol, port).isEmpty();
      const others = reachersOf(model.classOf(wi), cp.protocol, cp.port).filter(
        (vi) => vi !== wi && workloads[vi]!.namespace !== w.namespace,
      );
      if (!external && others.length === 0) continue;
      const from = [
        ...(external ? ['addresses outside the cluster'] : []),
        ...(others.length > 0
          ? [
              `${others.length} workload(s) of other namespaces (e.g. ${others
                .slice(0, 3)
                .map((v) => workloads[v]!.id)
                .join(', ')})`,
            ]
          : []),
      ].join(' and ');
      out.push(
        finding(
          context,
          NET_SENSITIVE,
          record,
          containerPortPath(record, cp.port) ?? [],
          `${w.id} port ${cp.port}/${cp.protocol} (${what}) is reachable from ${from}`,
          external ? 'critical' : 'high',
        ),
      );
    }
  });
  return out;
}

/** The path of the first container port `port` of the object's pod spec. */
function containerPortPath(record: ObjectRecord, port: number): ValuePath | undefined {
  for (const pod of podSpecs([record])) {
    for (const container of containersOf(pod)) {
      const ports = container.container['ports'];
      if (!Array.isArray(ports)) continue;
      const index = ports.findIndex((p) => valueAt(p, ['containerPort']) === port);
      if (index >= 0) return [...container.path, 'ports', index, 'containerPort'];
    }
  }
  return undefined;
}

/** Workloads whose egress, restricted by some policy, still reaches every external address. */
function publicEgressFindings(context: AuditContext): Finding[] {
  const out: Finding[] = [];
  const model = context.model();
  context.cluster.workloads.forEach((w, wi) => {
    if (!model.isEgressIsolated(wi)) return;
    const ranges = model.destinationExternals;
    if (ranges.length === 0) return;
    let everywhere: ConnSet | undefined;
    ranges.forEach((_, e) => {
      const conn = model.toExternal(wi, e);
      everywhere = everywhere === undefined ? conn : everywhere.intersect(conn);
    });
    if (everywhere === undefined || everywhere.isEmpty()) return;
    const record = workloadObject(context, w);
    if (record === undefined) return;
    out.push(
      finding(
        context,
        NET_PUBLIC_EGRESS,
        record,
        [],
        `${w.id} is restricted for egress, yet its policies let it reach every external address on ${describeConn(everywhere)}`,
      ),
    );
  });
  return out;
}

/** Exposure findings (BH-NET-001) on ports of plaintext protocols. */
function plaintextFindings(context: AuditContext): Finding[] {
  const out: Finding[] = [];
  for (const f of exposedFindings(context)) {
    const match = /port (\d+)\/(TCP|UDP|SCTP)/.exec(f.message);
    const port = match ? Number(match[1]) : undefined;
    const what = port !== undefined ? PLAINTEXT_PORTS.get(port) : undefined;
    if (what === undefined) continue;
    out.push({
      ...f,
      check: NET_PLAINTEXT.id,
      title: NET_PLAINTEXT.title,
      severity: NET_PLAINTEXT.severity,
      message: `${what} in clear text: ${f.message}`,
    });
  }
  return out;
}

/** "The tls section ... If multiple members of this list specify different hosts..." — hosts left without TLS. */
function ingressTlsFindings(context: AuditContext): Finding[] {
  const out: Finding[] = [];
  for (const record of context.objects) {
    if (record.kind !== 'Ingress') continue;
    const rules = valueAt(record.value, ['spec', 'rules']);
    const hosts = Array.isArray(rules)
      ? rules.flatMap((r) =>
          typeof valueAt(r, ['host']) === 'string' ? [valueAt(r, ['host']) as string] : [],
        )
      : [];
    const tls = valueAt(record.value, ['spec', 'tls']);
    const covered = new Set(
      Array.isArray(tls)
        ? tls.flatMap((t) =>
            Array.isArray(valueAt(t, ['hosts']))
              ? (valueAt(t, ['hosts']) as unknown[]).filter((h): h is string => typeof h === 'string')
              : [],
          )
        : [],
    );
    if (!Array.isArray(tls) || tls.length === 0) {
      out.push(
        finding(
          context,
          NET_INGRESS_TLS,
          record,
          ['spec'],
          `Ingress ${record.namespace}/${record.name} has no tls section: it serves HTTP in clear text`,
        ),
      );
      continue;
    }
    const uncovered = hosts.filter(
      (h) => !covered.has(h) && ![...covered].some((c) => c.startsWith('*.') && h.endsWith(c.slice(1))),
    );
    if (uncovered.length > 0)
      out.push(
        finding(
          context,
          NET_INGRESS_TLS,
          record,
          ['spec', 'tls'],
          `Ingress ${record.namespace}/${record.name} has no TLS for ${uncovered.join(', ')}`,
        ),
      );
  }
  return out;
}

export const exposureChecks: readonly Check[] = [
  { info: NET_EXPOSED, run: exposedFindings },
  { info: NET_SENSITIVE, run: sensitiveFindings },
  { info: NET_PUBLIC_EGRESS, run: publicEgressFindings },
  { info: NET_PLAINTEXT, run: plaintextFindings },
  { info: NET_INGRESS_TLS, run: ingressTlsFindings },
];
