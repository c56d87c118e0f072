// Property test: the connectivity engine agrees with the naive reference evaluator on random clusters with
// NetworkPolicies and admin-tier (admin and baseline) policies.
//
// On every ordered workload pair, every external range (at both ends), every protocol and every probe port, in
// every option mode. Engine bugs make this fail: a failure prints the seed and a shrunk counterexample.

import fc from 'fast-check';
import { describe, it } from 'vitest';
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
import type { AdminPeer, AdminPolicy, AdminRule } from '../../src/core/policy/admin-policy.js';
import { Connectivity, type ConnectivityOptions } from '../../src/core/engine/connectivity.js';
import {
  allowed,
  external,
  workload,
  type Endpoint,
  type ReferenceOptions,
} from '../reference/naive-evaluator.js';

const NUM_RUNS = 800;

// ---- vocabularies: small, so selectors, names and addresses collide often ----

const LABEL_KEYS = ['app', 'tier', 'env'] as const;
const LABEL_VALUES = ['a', 'b', 'c'] as const;
const NAMESPACE_NAMES = ['default', 'prod', 'dev', 'kube-system'] as const;
const PORT_NAMES = ['http', 'dns', 'metrics'] as const;
const WELL_KNOWN_PORTS = [1, 53, 80, 443, 8080, 9090, 65535] as const;
/** Blocks used as ipBlock.cidr; host bits are set on purpose in some ("the API ignores them"). */
const CIDRS = [
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
const POD_IPS = [
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
const POD_CIDRS: readonly (readonly string[])[] = [
  ['10.0.0.0/8'],
  ['10.0.0.0/16'],
  ['10.0.0.0/8', 'fd00::/64'],
  ['fd00::/8'],
  ['0.0.0.0/0'],
];

// ---- arbitraries ----

const labelsArb = fc.dictionary(fc.constantFrom(...LABEL_KEYS), fc.constantFrom(...LABEL_VALUES), {
  maxKeys: 3,
});

const requirementArb: fc.Arbitrary<SelectorRequirement> = fc.oneof(
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

const selectorArb: fc.Arbitrary<LabelSelector> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ requirements: [] }) },
  {
    weight: 3,
    arbitrary: fc
      .array(requirementArb, { minLength: 1, maxLength: 2 })
      .map((requirements) => ({ requirements })),
  },
);

const portNumberArb = fc.oneof(fc.constantFrom(...WELL_KNOWN_PORTS), fc.integer({ min: 1, max: 65535 }));
const protocolArb = fc.constantFrom<Protocol>(...PROTOCOLS);

const containerPortArb: fc.Arbitrary<ContainerPort> = fc
  .record({
    name: fc.option(fc.constantFrom(...PORT_NAMES), { nil: undefined }),
    port: portNumberArb,
    protocol: protocolArb,
  })
  .map(({ name, port, protocol }) => (name === undefined ? { port, protocol } : { name, port, protocol }));

interface WorkloadSpec {
  readonly ns: number;
  readonly labels: Record<string, string>;
  readonly ports: ContainerPort[];
  readonly ips: bigint[];
  readonly hostNetwork: boolean;
}

const ipArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...POD_IPS).map((t) => parseAddress(t)!) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: V6_OFFSET - 1n }) },
);

const workloadSpecArb: fc.Arbitrary<WorkloadSpec> = fc.record({
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
const addressPeerArb: fc.Arbitrary<AddressPeer> = fc
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

const podPeerArb: fc.Arbitrary<PodPeer> = fc
  .record({
    namespaceSelector: fc.option(selectorArb, { nil: undefined }),
    podSelector: fc.option(selectorArb, { nil: undefined }),
  })
  .map(({ namespaceSelector, podSelector }) => ({
    kind: 'pods' as const,
    ...(namespaceSelector !== undefined ? { namespaceSelector } : {}),
    ...(podSelector !== undefined ? { podSelector } : {}),
  }));

const peerArb: fc.Arbitrary<Peer> = fc.oneof(
  { weight: 3, arbitrary: podPeerArb },
  { weight: 2, arbitrary: addressPeerArb },
);

const portMatchArb: fc.Arbitrary<PortMatch> = fc.oneof(
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

const ruleArb: fc.Arbitrary<NetworkPolicyRule> = fc.record({
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
const directionArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant([] as NetworkPolicyRule[]) },
  { weight: 3, arbitrary: fc.array(ruleArb, { minLength: 1, maxLength: 3 }) },
);

interface PolicySpec {
  readonly ns: number;
  readonly podSelector: LabelSelector;
  readonly ingress: NetworkPolicyRule[] | undefined;
  readonly egress: NetworkPolicyRule[] | undefined;
}

const policySpecArb: fc.Arbitrary<PolicySpec> = fc.record({
  ns: fc.nat(),
  podSelector: selectorArb,
  ingress: directionArb,
  egress: directionArb,
});

const namespaceSpecArb = fc.record({ labels: labelsArb });

// ---- admin tiers ----

const adminPeerArb: fc.Arbitrary<AdminPeer> = fc.oneof(
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
const adminPortArb: fc.Arbitrary<PortMatch> = fc.oneof(
  portMatchArb,
  fc.constantFrom(...PORT_NAMES).map((name) => ({ kind: 'named' as const, name })),
);

const adminRuleArb = (actions: readonly AdminRule['action'][]): fc.Arbitrary<AdminRule> =>
  fc.record({
    name: fc.constant(''),
    action: fc.constantFrom(...actions),
    peers: fc.array(adminPeerArb, { minLength: 1, maxLength: 2 }),
    ports: fc.oneof(
      { weight: 1, arbitrary: fc.constant('any' as const) },
      { weight: 2, arbitrary: fc.array(adminPortArb, { minLength: 1, maxLength: 2 }) },
    ),
  });

const adminPolicyArb: fc.Arbitrary<AdminPolicy> = fc
  .record({
    tier: fc.constantFrom('admin' as const, 'baseline' as const),
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
    ingress: p.tier === 'admin' ? p.ingressAdmin : p.ingressBaseline,
    egress: p.tier === 'admin' ? p.egressAdmin : p.egressBaseline,
  }));

const clusterArb: fc.Arbitrary<Cluster> = fc
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
const optionsArb: fc.Arbitrary<ConnectivityOptions> = fc
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

// ---- the comparison ----

/** 1, 65535, and every port number of the cluster's rules and container ports with its neighbours. */
function probePorts(cluster: Cluster): number[] {
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

function describeEndpoint(cluster: Cluster, e: Endpoint): string {
  return e.kind === 'workload'
    ? `${cluster.workloads[e.index]!.id} (#${e.index})`
    : `${formatAddress(e.address)}[External]`;
}

function fail(cluster: Cluster, options: ConnectivityOptions, what: string): never {
  const opts = `{ipBlockPods: ${options.ipBlockPods}${options.hostNetworkPods === undefined ? '' : `, hostNetworkPods: ${options.hostNetworkPods}`}${options.podCidrs === undefined ? '' : `, podCidrs: ${options.podCidrs.intervals.map((i) => `${formatAddress(i.first)}-${formatAddress(i.last)}`).join(' ')}`}}`;
  throw new Error(
    `${what} with options ${opts} in a cluster of ${cluster.workloads.length} workloads, ${cluster.networkPolicies.length} NetworkPolicies and ${cluster.adminPolicies.length} admin-tier policies`,
  );
}

/** Throws on the first disagreement between the engine and the reference. */
function checkAgreement(cluster: Cluster, options: ConnectivityOptions): void {
  const model = Connectivity.build(cluster, options);
  // The same options, spelled out field by field so the reference never depends on the engine's types.
  const reference: ReferenceOptions = {
    ipBlockPods: options.ipBlockPods,
    ...(options.hostNetworkPods !== undefined ? { hostNetworkPods: options.hostNetworkPods } : {}),
    ...(options.podCidrs !== undefined ? { podCidrs: options.podCidrs } : {}),
  };
  const ports = probePorts(cluster);
  const n = cluster.workloads.length;
  const compare = (
    engineAllows: (protocol: Protocol, port: number) => boolean,
    ends: readonly (readonly [Endpoint, Endpoint])[],
  ): void => {
    for (const protocol of PROTOCOLS) {
      for (const port of ports) {
        const expected = engineAllows(protocol, port);
        for (const [src, dst] of ends) {
          const actual = allowed(cluster, src, dst, protocol, port, reference);
          if (actual !== expected) {
            fail(
              cluster,
              options,
              `${describeEndpoint(cluster, src)} => ${describeEndpoint(cluster, dst)} ${protocol}/${port}: engine says ${expected ? 'allowed' : 'denied'}, reference ${actual ? 'allowed' : 'denied'}`,
            );
          }
        }
      }
    }
  };
  for (let s = 0; s < n; s++) {
    for (let d = 0; d < n; d++) {
      if (s === d) continue;
      const conns = model.between(s, d);
      compare((protocol, port) => conns.allows(protocol, port), [[workload(s), workload(d)]]);
    }
  }
  // External ranges: each must lie wholly inside or outside every block, so both ends give the engine's answer.
  model.sourceExternals.forEach((range, e) => {
    for (let d = 0; d < n; d++) {
      const conns = model.fromExternal(e, d);
      compare(
        (protocol, port) => conns.allows(protocol, port),
        [
          [external(range.first), workload(d)],
          [external(range.last), workload(d)],
        ],
      );
    }
  });
  model.destinationExternals.forEach((range, e) => {
    for (let s = 0; s < n; s++) {
      const conns = model.toExternal(s, e);
      compare(
        (protocol, port) => conns.allows(protocol, port),
        [
          [workload(s), external(range.first)],
          [workload(s), external(range.last)],
        ],
      );
    }
  });
}

/** The external ranges of a side tile the address space from 0 without gaps or overlaps. */
function checkRangesTile(cluster: Cluster, options: ConnectivityOptions): void {
  const model = Connectivity.build(cluster, options);
  for (const [side, ranges] of [
    ['source', model.sourceExternals],
    ['destination', model.destinationExternals],
  ] as const) {
    let next = 0n;
    for (const r of ranges) {
      if (r.first !== next || r.last < r.first)
        fail(cluster, options, `${side} external ranges do not tile the address space at ${r.id}`);
      next = r.last + 1n;
    }
    if (next !== V6_OFFSET && next !== AddressSet.ALL.intervals[0]!.last + 1n)
      fail(cluster, options, `${side} external ranges end at ${formatAddress(next - 1n)}`);
  }
}

describe('connectivity engine vs naive reference', () => {
  it(`agrees on every pair, external range end, protocol and probe port (${NUM_RUNS} random clusters)`, () => {
    fc.assert(
      fc.property(clusterArb, optionsArb, (cluster, options) => {
        checkRangesTile(cluster, options);
        checkAgreement(cluster, options);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('agrees in every option mode on the same clusters', () => {
    const podCidrs = parseCidr('10.0.0.0/8')!.set.union(parseCidr('fd00::/64')!.set);
    const modes: ConnectivityOptions[] = [
      { ipBlockPods: 'match' },
      { ipBlockPods: 'ignore' },
      { ipBlockPods: 'match', podCidrs },
      { ipBlockPods: 'ignore', podCidrs: parseCidr('10.0.0.0/16')!.set },
      { ipBlockPods: 'match', hostNetworkPods: 'pod' },
      { ipBlockPods: 'ignore', hostNetworkPods: 'node', podCidrs },
    ];
    fc.assert(
      fc.property(clusterArb, (cluster) => {
        for (const options of modes) checkAgreement(cluster, options);
      }),
      { numRuns: 150 },
    );
  });
});
