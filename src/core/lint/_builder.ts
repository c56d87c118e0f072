// A small builder of clusters as IR objects for the lint tests (private: `_`-prefixed, not part of the API).

import { parseAddress, parseCidr, AddressSet } from '../model/address-set.js';
import type { Cluster, ContainerPort, Namespace, NetworkPolicy, Workload } from '../model/cluster.js';
import type { LabelSelector, Labels } from '../model/labels.js';
import type { Protocol } from '../model/port-set.js';
import type { AdminAction, AdminPeer, AdminPolicy, AdminRule, AdminSubject } from '../policy/admin-policy.js';
import type {
  AddressPeer,
  CidrBlock,
  NetworkPolicyRule,
  Peer,
  PodPeer,
  PortMatch,
} from '../policy/network-policy.js';

/** `{app: web}` → a selector with one `In` requirement per label; `{}` selects everything. */
export function sel(labels: Labels = {}): LabelSelector {
  return {
    requirements: Object.entries(labels).map(([key, value]) => ({
      key,
      operator: 'In' as const,
      values: [value],
    })),
  };
}

export function nsSel(name: string): LabelSelector {
  return sel({ 'kubernetes.io/metadata.name': name });
}

export function pods(podSelector?: LabelSelector, namespaceSelector?: LabelSelector): PodPeer {
  return {
    kind: 'pods',
    ...(podSelector !== undefined ? { podSelector } : {}),
    ...(namespaceSelector !== undefined ? { namespaceSelector } : {}),
  };
}

function block(text: string): CidrBlock {
  const parsed = parseCidr(text);
  if (parsed === undefined) throw new Error(`bad CIDR ${text}`);
  return { text, addresses: parsed.set };
}

export function ipBlock(cidr: string, except: string[] = []): AddressPeer {
  const c = block(cidr);
  const e = except.map(block);
  return {
    kind: 'addresses',
    cidr: c,
    except: e,
    addresses: e.reduce((set, x) => set.subtract(x.addresses), c.addresses),
  };
}

export function port(number: number, protocol: Protocol = 'TCP', last = number): PortMatch {
  return { kind: 'number', protocol, first: number, last };
}

export function named(name: string, protocol?: Protocol): PortMatch {
  return { kind: 'named', name, ...(protocol !== undefined ? { protocol } : {}) };
}

export function rule(peers: Peer[] | 'any', ports: PortMatch[] | 'any' = 'any'): NetworkPolicyRule {
  return { peers, ports };
}

export function adminRule(
  name: string,
  action: AdminAction,
  peers: AdminPeer[],
  ports: PortMatch[] | 'any' = 'any',
): AdminRule {
  return { name, action, peers, ports };
}

export const adminPeers = {
  namespaces: (namespaceSelector: LabelSelector): AdminPeer => ({ kind: 'namespaces', namespaceSelector }),
  pods: (namespaceSelector: LabelSelector, podSelector: LabelSelector): AdminPeer => ({
    kind: 'pods',
    namespaceSelector,
    podSelector,
  }),
  networks: (...cidrs: string[]): AdminPeer => {
    const blocks = cidrs.map(block);
    return {
      kind: 'networks',
      cidrs: blocks,
      addresses: blocks.reduce((set, b) => set.union(b.addresses), AddressSet.EMPTY),
    };
  },
  nodes: (nodeSelector: LabelSelector): AdminPeer => ({ kind: 'nodes', nodeSelector }),
};

export interface WorkloadSpec {
  readonly labels?: Labels;
  /** `name/port/protocol` or `port` (protocol TCP), e.g. `http/8080`, `dns/53/UDP`. */
  readonly ports?: string[];
  readonly ips?: string[];
  readonly kind?: string;
  readonly hostNetwork?: boolean;
}

/** Rules and policies get a SourceRef in `test.yaml` with their path, so findings can be located in tests. */
export class ClusterBuilder {
  private readonly namespaces = new Map<string, Namespace>();
  private readonly workloads: Workload[] = [];
  private readonly networkPolicies: NetworkPolicy[] = [];
  private readonly adminPolicies: AdminPolicy[] = [];

  /** A declared namespace (as from a Namespace object). */
  namespace(name: string, labels: Labels = {}): this {
    this.namespaces.set(name, {
      name,
      labels: { ...labels, 'kubernetes.io/metadata.name': name },
      source: { file: 'test.yaml', path: `Namespace/${name}` },
    });
    return this;
  }

  workload(namespace: string, name: string, spec: WorkloadSpec = {}): this {
    const kind = spec.kind ?? 'Deployment';
    const ports = (spec.ports ?? []).map((text): ContainerPort => {
      const parts = text.split('/');
      if (/^[0-9]+$/.test(parts[0]!))
        return { port: Number(parts[0]), protocol: (parts[1] ?? 'TCP') as Protocol };
      return { name: parts[0]!, port: Number(parts[1]), protocol: (parts[2] ?? 'TCP') as Protocol };
    });
    this.workloads.push({
      id: `${namespace}/${name}[${kind}]`,
      kind,
      namespace,
      name,
      labels: spec.labels ?? { app: name },
      ports,
      ips: (spec.ips ?? []).map((ip) => parseAddress(ip)!),
      hostNetwork: spec.hostNetwork ?? false,
      source: { file: 'test.yaml', path: `${kind}/${namespace}/${name}` },
    });
    return this;
  }

  networkPolicy(
    namespace: string,
    name: string,
    podSelector: LabelSelector,
    rules: { ingress?: NetworkPolicyRule[]; egress?: NetworkPolicyRule[] },
  ): this {
    const at = `NetworkPolicy/${namespace}/${name}`;
    const located = (
      list: NetworkPolicyRule[] | undefined,
      direction: string,
    ): NetworkPolicyRule[] | undefined =>
      list?.map((r, i) => ({ ...r, source: { file: 'test.yaml', path: `${at}.spec.${direction}[${i}]` } }));
    const ingress = located(rules.ingress, 'ingress');
    const egress = located(rules.egress, 'egress');
    this.networkPolicies.push({
      namespace,
      name,
      podSelector,
      ...(ingress !== undefined ? { ingress } : {}),
      ...(egress !== undefined ? { egress } : {}),
      source: { file: 'test.yaml', path: at },
    });
    return this;
  }

  admin(
    name: string,
    priority: number,
    subject: AdminSubject,
    rules: { ingress?: AdminRule[]; egress?: AdminRule[] },
    options: { tier?: 'admin' | 'baseline'; apiKind?: AdminPolicy['apiKind'] } = {},
  ): this {
    const apiKind =
      options.apiKind ?? (options.tier === 'baseline' ? 'BaselineAdminNetworkPolicy' : 'AdminNetworkPolicy');
    const at = `${apiKind}/${name}`;
    const located = (list: AdminRule[] | undefined, direction: string): AdminRule[] =>
      (list ?? []).map((r, i) => ({
        ...r,
        source: { file: 'test.yaml', path: `${at}.spec.${direction}[${i}]` },
      }));
    this.adminPolicies.push({
      apiKind,
      tier: options.tier ?? 'admin',
      name,
      priority,
      subject,
      ingress: located(rules.ingress, 'ingress'),
      egress: located(rules.egress, 'egress'),
      source: { file: 'test.yaml', path: at },
    });
    return this;
  }

  build(): Cluster {
    const namespaces = new Map(this.namespaces);
    for (const name of [
      ...this.workloads.map((w) => w.namespace),
      ...this.networkPolicies.map((p) => p.namespace),
    ])
      if (!namespaces.has(name))
        namespaces.set(name, { name, labels: { 'kubernetes.io/metadata.name': name } });
    return {
      namespaces,
      workloads: this.workloads,
      services: [],
      networkPolicies: this.networkPolicies,
      adminPolicies: this.adminPolicies,
      ingresses: [],
    };
  }
}

/** Subjects for admin policies. */
export const subjects = {
  namespaces: (namespaceSelector: LabelSelector): AdminSubject => ({ kind: 'namespaces', namespaceSelector }),
  pods: (namespaceSelector: LabelSelector, podSelector: LabelSelector): AdminSubject => ({
    kind: 'pods',
    namespaceSelector,
    podSelector,
  }),
};
