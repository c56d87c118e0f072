// Random clusters and options for property tests (fast-check arbitraries), shared by the engine and explain tests.
//
// Vocabularies are small so that selectors, names and addresses collide often.

import fc from 'fast-check';
import {
  AddressSet,
  V6_OFFSET,
  formatAddress,
  parseAddress,
  parseCidr,
} from '../../src/core/model/address-set.js';
import type {
  Cluster,
  ContainerPort,
  Namespace,
  NetworkPolicy,
  Workload,
} from '../../src/core/model/cluster.js';
import type { LabelSelector, SelectorOperator, SelectorRequirement } from '../../src/core/model/labels.js';
import { PROTOCOLS, type Protocol } from '../../src/core/model/port-set.js';
import type {
  AddressPeer,
  NetworkPolicyRule,
  Peer,
  PodPeer,
  PortMatch,
} from '../../src/core/policy/network-policy.js';
import type { ConnectivityOptions } from '../../src/core/engine/connectivity.js';
import type { AdminPeer, AdminPolicy, AdminRule } from '../../src/core/policy/admin-policy.js';

// ---- vocabularies: small, so selectors, names and addresses collide often ----

export const LABEL_KEYS = ['app', 'tier', 'env'] as const;
export const LABEL_VALUES = ['a', 'b', 'c'] as const;
export const NAMESPACE_NAMES = ['default', 'prod', 'dev', 'kube-system'] as const;
export const PORT_NAMES = ['http', 'dns', 'metrics'] as const;
export const WELL_KNOWN_PORTS = [1, 53, 80, 443, 8080, 9090, 65535] as const;
/** Blocks used as ipBlock.cidr; host bits are set on purpose in some ("the API ignores them"). */
export const CIDRS = [
  '0.0.0.0/0',
  '10.0.0.0/8',
  '10.0.0.0/16',
  '10.0.1.7/24',
  '10.1.0.0/16',
  '172.16.0.0/12',
  '192.168.1.0/24',
  '8.8.8.8/32',
  '::/0',
  'fd00::/8',
  'fd00::/64',
  '2001:db8::1/32',
] as const;
export const POD_IPS = [
  '10.0.0.5',
  '10.0.1.7',
  '10.1.2.3',
  '10.200.0.1',
  '172.16.5.4',
  '192.168.1.10',
  '8.8.8.8',
  'fd00::5',
  'fd00::1:0:0:5',
  '2001:db8::1',
] as const;
export const POD_CIDRS: readonly (readonly string[])[] = [
  ['10.0.0.0/8'],
  ['10.0.0.0/16'],
  ['10.0.0.0/8', 'fd00::/64'],
  ['fd00::/8'],
  ['0.0.0.0/0'],
];

// ---- arbitraries ----

export const labelsArb = fc.dictionary(fc.constantFrom(...LABEL_KEYS), fc.constantFrom(...LABEL_VALUES), {
  maxKeys: 3,
});

export const requirementArb: fc.Arbitrary<SelectorRequirement> = fc.oneof(
  fc.record({
    key: fc.constantFrom(...LABEL_KEYS, 'kubernetes.io/metadata.name'),
    operator: fc.constantFrom<SelectorOperator>('In', 'NotIn'),
    values: fc.uniqueArray(fc.constantFrom(...LABEL_VALUES, ...NAMESPACE_NAMES), {
      minLength: 1,
      maxLength: 2,
    }),
  }),
  fc.record({
    key: fc.constantFrom(...LABEL_KEYS, 'kubernetes.io/metadata.name'),
    operator: fc.constantFrom<SelectorOperator>('Exists', 'DoesNotExist'),
    values: fc.constant([] as string[]),
  }),
);

export const selectorArb: fc.Arbitrary<LabelSelector> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ requirements: [] }) },
  {
    weight: 3,
    arbitrary: fc
      .array(requirementArb, { minLength: 1, maxLength: 2 })
      .map((requirements) => ({ requirements })),
  },
);

export const portNumberArb = fc.oneof(
  fc.constantFrom(...WELL_KNOWN_PORTS),
  fc.integer({ min: 1, max: 65535 }),
);
export const protocolArb = fc.constantFrom<Protocol>(...PROTOCOLS);

export const containerPortArb: fc.Arbitrary<ContainerPort> = fc
  .record({
    name: fc.option(fc.constantFrom(...PORT_NAMES), { nil: undefined }),
    port: portNumberArb,
    protocol: protocolArb,
  })
  .map(({ name, port, protocol }) => (name === undefined ? { port, protocol } : { name, port, protocol }));

export interface WorkloadSpec {
  readonly ns: number;
  readonly labels: Record<string, string>;
  readonly ports: ContainerPort[];
  readonly ips: bigint[];
  readonly hostNetwork: boolean;
}

export const ipArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...POD_IPS).map((t) => parseAddress(t)!) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: V6_OFFSET - 1n }) },
);

export const workloadSpecArb: fc.Arbitrary<WorkloadSpec> = fc.record({
  ns: fc.nat(),
  labels: labelsArb,
  ports: fc.array(containerPortArb, { maxLength: 3 }),
  ips: fc.oneof(
    { weight: 1, arbitrary: fc.constant([] as bigint[]) },
    { weight: 1, arbitrary: fc.uniqueArray(ipArb, { minLength: 1, maxLength: 2 }) },
  ),
  hostNetwork: fc.oneof(
    { weight: 9, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  ),
});

/** An ipBlock: a cidr from the vocabulary and excepts strictly inside it, as validation requires. */
export const addressPeerArb: fc.Arbitrary<AddressPeer> = fc
  .record({
    cidr: fc.constantFrom(...CIDRS),
    except: fc.array(
      fc.record({
        fraction: fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
        extra: fc.integer({ min: 1, max: 16 }),
      }),
      { maxLength: 2 },
    ),
  })
  .map(({ cidr, except }) => {
    const parsed = parseCidr(cidr)!;
    const bits = parsed.family === 4 ? 32 : 128;
    const block = parsed.set.intervals[0]!;
    const size = block.last - block.first + 1n;
    const excepts = except
      .filter(() => parsed.prefixLength < bits)
      .map(({ fraction, extra }) => {
        const prefix = Math.min(bits, parsed.prefixLength + extra);
        const address = block.first + (fraction % size);
        const text = `${formatAddress(address)}/${prefix}`;
        return { text, addresses: parseCidr(text)!.set };
      });
    let addresses = parsed.set;
    for (const e of excepts) addresses = addresses.subtract(e.addresses);
    return {
      kind: 'addresses' as const,
      addresses,
      cidr: { text: cidr, addresses: parsed.set },
      except: excepts,
    };
  });

export const podPeerArb: fc.Arbitrary<PodPeer> = fc
  .record({
    namespaceSelector: fc.option(selectorArb, { nil: undefined }),
    podSelector: fc.option(selectorArb, { nil: undefined }),
  })
  .map(({ namespaceSelector, podSelector }) => ({
    kind: 'pods' as const,
    ...(namespaceSelector !== undefined ? { namespaceSelector } : {}),
    ...(podSelector !== undefined ? { podSelector } : {}),
  }));

export const peerArb: fc.Arbitrary<Peer> = fc.oneof(
  { weight: 3, arbitrary: podPeerArb },
  { weight: 2, arbitrary: addressPeerArb },
);

export const portMatchArb: fc.Arbitrary<PortMatch> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .record({
        protocol: protocolArb,
        first: portNumberArb,
        span: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 70000 })),
      })
      .map(({ protocol, first, span }): PortMatch => ({
        kind: 'number',
        protocol,
        first,
        last: Math.min(65535, first + span),
      })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ protocol: protocolArb, name: fc.constantFrom(...PORT_NAMES) })
      .map(({ protocol, name }): PortMatch => ({ kind: 'named', protocol, name })),
  },
);

export const ruleArb: fc.Arbitrary<NetworkPolicyRule> = fc.record({
  peers: fc.oneof(
    { weight: 1, arbitrary: fc.constant('any' as const) },
    { weight: 3, arbitrary: fc.array(peerArb, { minLength: 1, maxLength: 3 }) },
  ),
  ports: fc.oneof(
    { weight: 1, arbitrary: fc.constant('any' as const) },
    { weight: 2, arbitrary: fc.array(portMatchArb, { minLength: 1, maxLength: 3 }) },
  ),
});

/** A direction: absent (not isolating), `[]` (deny all) or some rules. */
export const directionArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant([] as NetworkPolicyRule[]) },
  { weight: 3, arbitrary: fc.array(ruleArb, { minLength: 1, maxLength: 3 }) },
);

export interface PolicySpec {
  readonly ns: number;
  readonly podSelector: LabelSelector;
  readonly ingress: NetworkPolicyRule[] | undefined;
  readonly egress: NetworkPolicyRule[] | undefined;
}

export const policySpecArb: fc.Arbitrary<PolicySpec> = fc.record({
  ns: fc.nat(),
  podSelector: selectorArb,
  ingress: directionArb,
  egress: directionArb,
});

export const namespaceSpecArb = fc.record({ labels: labelsArb });

// ---- admin tiers ----

export const adminPeerArb: fc.Arbitrary<AdminPeer> = fc.oneof(
  {
    weight: 3,
    arbitrary: selectorArb.map((namespaceSelector) => ({ kind: 'namespaces' as const, namespaceSelector })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ namespaceSelector: selectorArb, podSelector: selectorArb })
      .map(({ namespaceSelector, podSelector }) => ({
        kind: 'pods' as const,
        namespaceSelector,
        podSelector,
      })),
  },
  {
    weight: 2,
    arbitrary: fc.uniqueArray(fc.constantFrom(...CIDRS), { minLength: 1, maxLength: 2 }).map((texts) => {
      const cidrs = texts.map((text) => ({ text, addresses: parseCidr(text)!.set }));
      return {
        kind: 'networks' as const,
        cidrs,
        addresses: cidrs.reduce((a, c) => a.union(c.addresses), AddressSet.EMPTY),
      };
    }),
  },
  { weight: 1, arbitrary: selectorArb.map((nodeSelector) => ({ kind: 'nodes' as const, nodeSelector })) },
);

/** Admin ports: numbers and ranges with a protocol, and named ports with or without one. */
export const adminPortArb: fc.Arbitrary<PortMatch> = fc.oneof(
  portMatchArb,
  fc.constantFrom(...PORT_NAMES).map((name) => ({ kind: 'named' as const, name })),
);

export const adminRuleArb = (actions: readonly AdminRule['action'][]): fc.Arbitrary<AdminRule> =>
  fc.record({
    name: fc.constant(''),
    action: fc.constantFrom(...actions),
    peers: fc.array(adminPeerArb, { minLength: 1, maxLength: 2 }),
    ports: fc.oneof(
      { weight: 1, arbitrary: fc.constant('any' as const) },
      { weight: 2, arbitrary: fc.array(adminPortArb, { minLength: 1, maxLength: 2 }) },
    ),
  });

export const adminPolicyArb: fc.Arbitrary<AdminPolicy> = fc
  .record({
    // `segmentation` is the generated tier of Docker's network isolation (Deny, or Pass to end the policy).
    tier: fc.constantFrom('admin' as const, 'baseline' as const, 'segmentation' as const),
    priority: fc.integer({ min: 0, max: 3 }),
    namespaceSelector: selectorArb,
    podSelector: fc.option(selectorArb, { nil: undefined }),
    ingressAdmin: fc.array(adminRuleArb(['allow', 'deny', 'pass']), { maxLength: 3 }),
    egressAdmin: fc.array(adminRuleArb(['allow', 'deny', 'pass']), { maxLength: 3 }),
    ingressBaseline: fc.array(adminRuleArb(['allow', 'deny']), { maxLength: 3 }),
    egressBaseline: fc.array(adminRuleArb(['allow', 'deny']), { maxLength: 3 }),
  })
  .map((p) => ({
    apiKind: p.tier === 'admin' ? ('AdminNetworkPolicy' as const) : ('ClusterNetworkPolicy' as const),
    tier: p.tier,
    name: '',
    priority: p.priority,
    subject:
      p.podSelector === undefined
        ? { kind: 'namespaces' as const, namespaceSelector: p.namespaceSelector }
        : { kind: 'pods' as const, namespaceSelector: p.namespaceSelector, podSelector: p.podSelector },
    ingress: p.tier === 'baseline' ? p.ingressBaseline : p.ingressAdmin,
    egress: p.tier === 'baseline' ? p.egressBaseline : p.egressAdmin,
  }));

export const clusterArb: fc.Arbitrary<Cluster> = fc
  .record({
    namespaces: fc.array(namespaceSpecArb, { minLength: 1, maxLength: 4 }),
    workloads: fc.array(workloadSpecArb, { minLength: 1, maxLength: 8 }),
    policies: fc.array(policySpecArb, { maxLength: 5 }),
    adminPolicies: fc.oneof(
      { weight: 1, arbitrary: fc.constant([] as AdminPolicy[]) },
      { weight: 2, arbitrary: fc.array(adminPolicyArb, { minLength: 1, maxLength: 3 }) },
    ),
  })
  .map(({ namespaces, workloads, policies, adminPolicies }) => {
    const nsList: Namespace[] = namespaces.map((n, i) => {
      const name = NAMESPACE_NAMES[i]!;
      return { name, labels: { ...n.labels, 'kubernetes.io/metadata.name': name } };
    });
    const nsName = (i: number): string => nsList[i % nsList.length]!.name;
    const ws: Workload[] = workloads.map((w, i) => {
      const namespace = nsName(w.ns);
      return {
        id: `${namespace}/w${i}[Pod]`,
        kind: 'Pod',
        namespace,
        name: `w${i}`,
        labels: w.labels,
        ports: w.ports,
        ips: w.ips,
        hostNetwork: w.hostNetwork,
      };
    });
    const ps: NetworkPolicy[] = policies.map((p, i) => ({
      namespace: nsName(p.ns),
      name: `p${i}`,
      podSelector: p.podSelector,
      ...(p.ingress !== undefined ? { ingress: p.ingress } : {}),
      ...(p.egress !== undefined ? { egress: p.egress } : {}),
    }));
    return {
      namespaces: new Map(nsList.map((n) => [n.name, n])),
      workloads: ws,
      services: [],
      ingresses: [],
      // Distinct names, so the order among equal priorities (kind, then name) is the same on both sides.
      adminPolicies: adminPolicies.map((p, i) => ({ ...p, name: `a${i}` })),
      networkPolicies: ps,
    };
  });

/** Options with every ipBlockPods mode, hostNetworkPods explicit or left to its default, podCidrs or not. */
export const optionsArb: fc.Arbitrary<ConnectivityOptions> = fc
  .record({
    ipBlockPods: fc.constantFrom('match' as const, 'ignore' as const),
    hostNetworkPods: fc.option(fc.constantFrom('node' as const, 'pod' as const), { nil: undefined }),
    podCidrs: fc.option(fc.constantFrom(...POD_CIDRS), { nil: undefined }),
  })
  .map(({ ipBlockPods, hostNetworkPods, podCidrs }) => ({
    ipBlockPods,
    ...(hostNetworkPods !== undefined ? { hostNetworkPods } : {}),
    ...(podCidrs !== undefined
      ? { podCidrs: podCidrs.map((t) => parseCidr(t)!.set).reduce((a, b) => a.union(b), AddressSet.EMPTY) }
      : {}),
  }));

// ---- probes ----

/** 1, 65535, and every port number of the cluster's rules and container ports with its neighbours. */
export function probePorts(cluster: Cluster): number[] {
  const ports = new Set<number>([1, 65535]);
  const add = (p: number): void => {
    for (const q of [p - 1, p, p + 1]) if (q >= 1 && q <= 65535) ports.add(q);
  };
  for (const w of cluster.workloads) for (const cp of w.ports) add(cp.port);
  const rules = [
    ...cluster.networkPolicies.flatMap((p) => [...(p.ingress ?? []), ...(p.egress ?? [])]),
    ...cluster.adminPolicies.flatMap((p) => [...p.ingress, ...p.egress]),
  ];
  {
    for (const rule of rules) {
      if (rule.ports === 'any') continue;
      for (const m of rule.ports) {
        if (m.kind === 'number') {
          add(m.first);
          add(m.last);
        }
      }
    }
  }
  return [...ports].sort((a, b) => a - b);
}
