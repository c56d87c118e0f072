// Table cases that check the naive reference evaluator itself against hand-computed answers.
//
// The cases come from the Kubernetes NetworkPolicy documentation, so the reference the property tests trust is
// itself checked.

import { describe, expect, it } from 'vitest';
import { AddressSet, parseAddress, parseCidr } from '../../src/core/model/address-set.js';
import type {
  Cluster,
  ContainerPort,
  Namespace,
  NetworkPolicy,
  Workload,
} from '../../src/core/model/cluster.js';
import type { LabelSelector, SelectorRequirement } from '../../src/core/model/labels.js';
import type { Protocol } from '../../src/core/model/port-set.js';
import type {
  AddressPeer,
  NetworkPolicyRule,
  PodPeer,
  PortMatch,
} from '../../src/core/policy/network-policy.js';
import {
  allowed,
  external,
  matchesSelector,
  workload,
  type Endpoint,
  type ReferenceOptions,
} from './naive-evaluator.js';

// ---- builders ----

function ns(name: string, labels: Record<string, string> = {}): Namespace {
  return { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } };
}

interface PodOptions {
  readonly labels?: Record<string, string>;
  readonly ports?: readonly ContainerPort[];
  readonly ips?: readonly string[];
  readonly hostNetwork?: boolean;
}

function pod(namespace: string, name: string, o: PodOptions = {}): Workload {
  return {
    id: `${namespace}/${name}[Pod]`,
    kind: 'Pod',
    namespace,
    name,
    labels: o.labels ?? {},
    ports: o.ports ?? [],
    ips: (o.ips ?? []).map((t) => parseAddress(t)!),
    hostNetwork: o.hostNetwork ?? false,
  };
}

function labels(
  match: Record<string, string>,
  expressions: readonly SelectorRequirement[] = [],
): LabelSelector {
  return {
    requirements: [
      ...Object.entries(match).map(([key, v]) => ({ key, operator: 'In' as const, values: [v] })),
      ...expressions,
    ],
  };
}

const ALL_SELECTOR: LabelSelector = { requirements: [] };

function block(cidr: string, except: readonly string[] = []): AddressPeer {
  const c = parseCidr(cidr)!;
  const ex = except.map((t) => ({ text: t, addresses: parseCidr(t)!.set }));
  let addresses = c.set;
  for (const e of ex) addresses = addresses.subtract(e.addresses);
  return { kind: 'addresses', addresses, cidr: { text: cidr, addresses: c.set }, except: ex };
}

function tcp(first: number, last = first): PortMatch {
  return { kind: 'number', protocol: 'TCP', first, last };
}

function named(name: string, protocol: Protocol = 'TCP'): PortMatch {
  return { kind: 'named', protocol, name };
}

function rule(
  peers: NetworkPolicyRule['peers'] = 'any',
  ports: NetworkPolicyRule['ports'] = 'any',
): NetworkPolicyRule {
  return { peers, ports };
}

interface PolicyOptions {
  readonly ingress?: readonly NetworkPolicyRule[];
  readonly egress?: readonly NetworkPolicyRule[];
}

function policy(
  namespace: string,
  name: string,
  podSelector: LabelSelector,
  o: PolicyOptions,
): NetworkPolicy {
  return {
    namespace,
    name,
    podSelector,
    ...(o.ingress !== undefined ? { ingress: o.ingress } : {}),
    ...(o.egress !== undefined ? { egress: o.egress } : {}),
  };
}

function cluster(
  namespaces: readonly Namespace[],
  workloads: readonly Workload[],
  networkPolicies: readonly NetworkPolicy[],
): Cluster {
  return {
    namespaces: new Map(namespaces.map((n) => [n.name, n])),
    workloads,
    services: [],
    ingresses: [],
    adminPolicies: [],
    networkPolicies,
  };
}

const MATCH: ReferenceOptions = { ipBlockPods: 'match' };
const IGNORE: ReferenceOptions = { ipBlockPods: 'ignore' };
const ip = (text: string): Endpoint => external(parseAddress(text)!);

// ---- cases ----

describe('naive reference evaluator', () => {
  const namespaces = [
    ns('default'),
    ns('prod', { team: 'a', env: 'prod' }),
    ns('dev', { team: 'a', env: 'dev' }),
  ];
  const web = pod('default', 'web', {
    labels: { app: 'web' },
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  });
  const db = pod('default', 'db', { labels: { app: 'db', role: 'db' } });
  const api = pod('prod', 'api', { labels: { app: 'api' } });
  const job = pod('dev', 'job', { labels: { app: 'api' } });

  it('allows everything without policies, to and from outside too', () => {
    const c = cluster(namespaces, [web, db], []);
    expect(allowed(c, workload(0), workload(1), 'TCP', 1, MATCH)).toBe(true);
    expect(allowed(c, workload(1), workload(0), 'SCTP', 65535, MATCH)).toBe(true);
    expect(allowed(c, ip('8.8.8.8'), workload(0), 'UDP', 53, MATCH)).toBe(true);
    expect(allowed(c, workload(0), ip('2001:db8::1'), 'UDP', 53, MATCH)).toBe(true);
  });

  it('default deny ingress: "podSelector: {}" with "policyTypes: [Ingress]" isolates every pod of the namespace for ingress only', () => {
    const c = cluster(
      namespaces,
      [web, db, api],
      [policy('default', 'default-deny-ingress', ALL_SELECTOR, { ingress: [] })],
    );
    expect(allowed(c, workload(0), workload(1), 'TCP', 80, MATCH)).toBe(false);
    expect(allowed(c, workload(2), workload(0), 'TCP', 80, MATCH)).toBe(false);
    expect(allowed(c, ip('1.2.3.4'), workload(0), 'TCP', 80, MATCH)).toBe(false);
    // Egress is not isolated, and pods of other namespaces are not selected.
    expect(allowed(c, workload(0), workload(2), 'TCP', 80, MATCH)).toBe(true);
    expect(allowed(c, workload(0), ip('1.2.3.4'), 'TCP', 80, MATCH)).toBe(true);
  });

  it('default deny egress and an allow-all ingress rule "{}"', () => {
    const c = cluster(
      namespaces,
      [web, db],
      [
        policy('default', 'deny-egress', ALL_SELECTOR, { egress: [] }),
        policy('default', 'allow-all-ingress', ALL_SELECTOR, { ingress: [rule()] }),
      ],
    );
    expect(allowed(c, workload(0), workload(1), 'TCP', 80, MATCH)).toBe(false);
    expect(allowed(c, ip('1.2.3.4'), workload(1), 'TCP', 80, MATCH)).toBe(true);
    expect(allowed(c, workload(0), ip('1.2.3.4'), 'TCP', 80, MATCH)).toBe(false);
  });

  it('allows from a namespace: namespaceSelector alone selects every pod of the matching namespaces', () => {
    const c = cluster(
      namespaces,
      [web, api, job],
      [
        policy('default', 'from-prod', labels({ app: 'web' }), {
          ingress: [rule([{ kind: 'pods', namespaceSelector: labels({ env: 'prod' }) }])],
        }),
      ],
    );
    expect(allowed(c, workload(1), workload(0), 'TCP', 80, MATCH)).toBe(true);
    expect(allowed(c, workload(2), workload(0), 'TCP', 80, MATCH)).toBe(false);
    expect(allowed(c, ip('10.0.0.1'), workload(0), 'TCP', 80, MATCH)).toBe(false);
  });

  it("podSelector alone means the policy's own namespace; namespaceSelector {} means every namespace", () => {
    const own: PodPeer = { kind: 'pods', podSelector: labels({ app: 'api' }) };
    const everywhere: PodPeer = {
      kind: 'pods',
      namespaceSelector: ALL_SELECTOR,
      podSelector: labels({ app: 'api' }),
    };
    const c1 = cluster(
      namespaces,
      [web, api, job],
      [policy('default', 'p', labels({ app: 'web' }), { ingress: [rule([own])] })],
    );
    expect(allowed(c1, workload(1), workload(0), 'TCP', 80, MATCH)).toBe(false);
    const c2 = cluster(
      namespaces,
      [web, api, job],
      [policy('default', 'p', labels({ app: 'web' }), { ingress: [rule([everywhere])] })],
    );
    expect(allowed(c2, workload(1), workload(0), 'TCP', 80, MATCH)).toBe(true);
    expect(allowed(c2, workload(2), workload(0), 'TCP', 80, MATCH)).toBe(true);
  });

  it('AND within one peer, OR across peers', () => {
    const pods = [web, api, job, pod('prod', 'worker', { labels: { app: 'worker' } })];
    // "- namespaceSelector: {env: prod}\n  podSelector: {app: api}" — one element: pods labelled api in prod.
    const and = cluster(namespaces, pods, [
      policy('default', 'and', labels({ app: 'web' }), {
        ingress: [
          rule([
            { kind: 'pods', namespaceSelector: labels({ env: 'prod' }), podSelector: labels({ app: 'api' }) },
          ]),
        ],
      }),
    ]);
    expect(allowed(and, workload(1), workload(0), 'TCP', 80, MATCH)).toBe(true);
    expect(allowed(and, workload(2), workload(0), 'TCP', 80, MATCH)).toBe(false);
    expect(allowed(and, workload(3), workload(0), 'TCP', 80, MATCH)).toBe(false);
    // "- namespaceSelector: {env: prod}\n- podSelector: {app: api}" — two elements: anything in prod, or api pods in default.
    const or = cluster(namespaces, pods, [
      policy('default', 'or', labels({ app: 'web' }), {
        ingress: [
          rule([
            { kind: 'pods', namespaceSelector: labels({ env: 'prod' }) },
            { kind: 'pods', podSelector: labels({ app: 'api' }) },
          ]),
        ],
      }),
    ]);
    expect(allowed(or, workload(1), workload(0), 'TCP', 80, MATCH)).toBe(true);
    expect(allowed(or, workload(3), workload(0), 'TCP', 80, MATCH)).toBe(true);
    expect(allowed(or, workload(2), workload(0), 'TCP', 80, MATCH)).toBe(false);
  });

  it('ipBlock with except: "cidr: 172.17.0.0/16, except: [172.17.1.0/24]"', () => {
    const c = cluster(
      namespaces,
      [web, db],
      [
        policy('default', 'p', labels({ app: 'db' }), {
          ingress: [rule([block('172.17.0.0/16', ['172.17.1.0/24'])])],
        }),
      ],
    );
    expect(allowed(c, ip('172.17.0.5'), workload(1), 'TCP', 5432, MATCH)).toBe(true);
    expect(allowed(c, ip('172.17.255.255'), workload(1), 'TCP', 5432, MATCH)).toBe(true);
    expect(allowed(c, ip('172.17.1.5'), workload(1), 'TCP', 5432, MATCH)).toBe(false);
    expect(allowed(c, ip('172.18.0.0'), workload(1), 'TCP', 5432, MATCH)).toBe(false);
    // The IPv4 block says nothing about IPv6.
    expect(allowed(c, ip('::ffff:172.17.0.5'), workload(1), 'TCP', 5432, MATCH)).toBe(false);
  });

  it('ipBlock and pods: known addresses match under "match" only; unknown addresses need the whole pod range', () => {
    const withIp = pod('default', 'a', { ips: ['10.1.2.3'] });
    const noIp = pod('default', 'b');
    const target = pod('default', 't', { labels: { app: 't' } });
    const mk = (peer: AddressPeer): Cluster =>
      cluster(
        namespaces,
        [withIp, noIp, target],
        [policy('default', 'p', labels({ app: 't' }), { ingress: [rule([peer])] })],
      );
    const narrow = mk(block('10.1.0.0/16'));
    expect(allowed(narrow, workload(0), workload(2), 'TCP', 80, MATCH)).toBe(true);
    expect(allowed(narrow, workload(0), workload(2), 'TCP', 80, IGNORE)).toBe(false);
    expect(allowed(narrow, workload(1), workload(2), 'TCP', 80, MATCH)).toBe(false);
    const everything = mk(block('0.0.0.0/0'));
    expect(allowed(everything, workload(1), workload(2), 'TCP', 80, MATCH)).toBe(true);
    expect(allowed(everything, workload(1), workload(2), 'TCP', 80, IGNORE)).toBe(false);
    const podCidrs = parseCidr('10.0.0.0/8')!.set;
    expect(allowed(narrow, workload(1), workload(2), 'TCP', 80, { ipBlockPods: 'match', podCidrs })).toBe(
      false,
    );
    const covering = mk(block('10.0.0.0/7'));
    expect(allowed(covering, workload(1), workload(2), 'TCP', 80, { ipBlockPods: 'match', podCidrs })).toBe(
      true,
    );
    expect(allowed(covering, workload(1), workload(2), 'TCP', 80, MATCH)).toBe(false);
    // An IPv6-only pod range: a v4 block never covers it, ::/0 does.
    const v6Range = { ipBlockPods: 'match', podCidrs: parseCidr('fd00::/48')!.set } as const;
    expect(allowed(everything, workload(1), workload(2), 'TCP', 80, v6Range)).toBe(false);
    expect(allowed(mk(block('fd00::/16')), workload(1), workload(2), 'TCP', 80, v6Range)).toBe(true);
    expect(
      allowed(mk(block('fd00::/16', ['fd00:0:0:1::/64'])), workload(1), workload(2), 'TCP', 80, v6Range),
    ).toBe(false);
    // An empty family of podCidrs is skipped rather than counted as covered.
    expect(
      allowed(mk(block('10.0.0.0/8', ['10.0.0.0/9'])), workload(1), workload(2), 'TCP', 80, {
        ipBlockPods: 'match',
        podCidrs: AddressSet.EMPTY,
      }),
    ).toBe(false);
  });

  it('named port resolves against the destination pod for ingress and for egress; toward an address it matches nothing', () => {
    const client = pod('default', 'client', {
      labels: { app: 'client' },
      ports: [{ name: 'http', port: 9000, protocol: 'TCP' }],
    });
    const ingress = cluster(
      namespaces,
      [web, client],
      [policy('default', 'p', labels({ app: 'web' }), { ingress: [rule('any', [named('http')])] })],
    );
    expect(allowed(ingress, workload(1), workload(0), 'TCP', 8080, MATCH)).toBe(true);
    expect(allowed(ingress, workload(1), workload(0), 'TCP', 9000, MATCH)).toBe(false);
    expect(allowed(ingress, workload(1), workload(0), 'UDP', 8080, MATCH)).toBe(false);
    const egress = cluster(
      namespaces,
      [web, client],
      [policy('default', 'p', labels({ app: 'client' }), { egress: [rule('any', [named('http')])] })],
    );
    expect(allowed(egress, workload(1), workload(0), 'TCP', 8080, MATCH)).toBe(true);
    expect(allowed(egress, workload(1), workload(0), 'TCP', 9000, MATCH)).toBe(false);
    expect(allowed(egress, workload(1), ip('1.1.1.1'), 'TCP', 8080, MATCH)).toBe(false);
    expect(allowed(egress, workload(1), ip('1.1.1.1'), 'TCP', 9000, MATCH)).toBe(false);
    // A UDP name does not match a TCP container port of the same name.
    const udp = cluster(
      namespaces,
      [web, client],
      [policy('default', 'p', labels({ app: 'web' }), { ingress: [rule('any', [named('http', 'UDP')])] })],
    );
    expect(allowed(udp, workload(1), workload(0), 'UDP', 8080, MATCH)).toBe(false);
    expect(allowed(udp, workload(1), workload(0), 'TCP', 8080, MATCH)).toBe(false);
  });

  it('endPort: "port: 32000, endPort: 32768" allows the inclusive range, on the given protocol only', () => {
    const c = cluster(
      namespaces,
      [web, db],
      [policy('default', 'p', labels({ app: 'db' }), { egress: [rule('any', [tcp(32000, 32768)])] })],
    );
    expect(allowed(c, workload(1), workload(0), 'TCP', 31999, MATCH)).toBe(false);
    expect(allowed(c, workload(1), workload(0), 'TCP', 32000, MATCH)).toBe(true);
    expect(allowed(c, workload(1), workload(0), 'TCP', 32768, MATCH)).toBe(true);
    expect(allowed(c, workload(1), workload(0), 'TCP', 32769, MATCH)).toBe(false);
    expect(allowed(c, workload(1), workload(0), 'UDP', 32000, MATCH)).toBe(false);
  });

  it('both ends must allow; policies selecting a pod add up', () => {
    const c = cluster(
      namespaces,
      [web, db],
      [
        policy('default', 'web-egress', labels({ app: 'web' }), {
          egress: [rule([{ kind: 'pods', podSelector: labels({ app: 'db' }) }], [tcp(5432)])],
        }),
        policy('default', 'db-ingress-1', labels({ app: 'db' }), { ingress: [rule('any', [tcp(5432)])] }),
        policy('default', 'db-ingress-2', labels({ role: 'db' }), { ingress: [rule('any', [tcp(6432)])] }),
      ],
    );
    expect(allowed(c, workload(0), workload(1), 'TCP', 5432, MATCH)).toBe(true);
    expect(allowed(c, workload(0), workload(1), 'TCP', 6432, MATCH)).toBe(false); // web's egress
    expect(allowed(c, ip('1.1.1.1'), workload(1), 'TCP', 6432, MATCH)).toBe(true); // union of db's policies
    expect(allowed(c, workload(1), workload(0), 'TCP', 5432, MATCH)).toBe(true); // nothing isolates the reverse
  });

  it('hostNetwork pods: under "node" neither selected nor matched by selectors; under "pod" like any pod', () => {
    const host = pod('default', 'node-agent', { labels: { app: 'web' }, hostNetwork: true });
    const c = cluster(
      namespaces,
      [web, host, db],
      [
        policy('default', 'deny', ALL_SELECTOR, { ingress: [], egress: [] }),
        policy('default', 'from-web', labels({ app: 'db' }), {
          ingress: [rule([{ kind: 'pods', podSelector: labels({ app: 'web' }) }])],
        }),
      ],
    );
    const node: ReferenceOptions = { ipBlockPods: 'match', hostNetworkPods: 'node' };
    const asPod: ReferenceOptions = { ipBlockPods: 'match', hostNetworkPods: 'pod' };
    expect(allowed(c, workload(2), workload(1), 'TCP', 80, node)).toBe(false); // db's egress is denied
    expect(allowed(c, ip('1.1.1.1'), workload(1), 'TCP', 80, node)).toBe(true); // host pod not isolated
    expect(allowed(c, workload(1), ip('1.1.1.1'), 'TCP', 80, node)).toBe(true);
    expect(allowed(c, workload(1), workload(2), 'TCP', 80, node)).toBe(false); // not matched by app=web
    expect(allowed(c, ip('1.1.1.1'), workload(1), 'TCP', 80, asPod)).toBe(false); // selected by deny
    expect(allowed(c, workload(1), ip('1.1.1.1'), 'TCP', 80, asPod)).toBe(false);
    // Default: `node` with ipBlockPods match, `pod` with ignore.
    expect(allowed(c, ip('1.1.1.1'), workload(1), 'TCP', 80, MATCH)).toBe(true);
    expect(allowed(c, ip('1.1.1.1'), workload(1), 'TCP', 80, IGNORE)).toBe(false);
    // Under `pod`, app=web matches the host pod, but its own egress is denied too.
    const open = cluster(
      namespaces,
      [web, host, db],
      [
        policy('default', 'from-web', labels({ app: 'db' }), {
          ingress: [rule([{ kind: 'pods', podSelector: labels({ app: 'web' }) }])],
        }),
      ],
    );
    expect(allowed(open, workload(1), workload(2), 'TCP', 80, asPod)).toBe(true);
    expect(allowed(open, workload(1), workload(2), 'TCP', 80, node)).toBe(false);
  });

  it('selector operators: matchLabels, In, NotIn (absent key matches), Exists, DoesNotExist', () => {
    const l = { app: 'web', tier: 'front' };
    expect(matchesSelector(ALL_SELECTOR, {})).toBe(true);
    expect(matchesSelector(labels({ app: 'web' }), l)).toBe(true);
    expect(matchesSelector(labels({ app: 'web', tier: 'back' }), l)).toBe(false);
    expect(matchesSelector(labels({}, [{ key: 'app', operator: 'In', values: ['db', 'web'] }]), l)).toBe(
      true,
    );
    expect(matchesSelector(labels({}, [{ key: 'app', operator: 'In', values: [] }]), l)).toBe(false);
    expect(matchesSelector(labels({}, [{ key: 'app', operator: 'NotIn', values: ['web'] }]), l)).toBe(false);
    expect(matchesSelector(labels({}, [{ key: 'env', operator: 'NotIn', values: ['prod'] }]), l)).toBe(true);
    expect(matchesSelector(labels({}, [{ key: 'tier', operator: 'Exists', values: [] }]), l)).toBe(true);
    expect(matchesSelector(labels({}, [{ key: 'env', operator: 'Exists', values: [] }]), l)).toBe(false);
    expect(matchesSelector(labels({}, [{ key: 'env', operator: 'DoesNotExist', values: [] }]), l)).toBe(true);
    expect(matchesSelector(labels({}, [{ key: 'app', operator: 'DoesNotExist', values: [] }]), l)).toBe(
      false,
    );
    // Labels inherited from Object.prototype are not labels.
    expect(matchesSelector(labels({}, [{ key: 'toString', operator: 'Exists', values: [] }]), l)).toBe(false);
  });
});
