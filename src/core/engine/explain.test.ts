// Table cases for explain: NetworkPolicy isolation and union, and the admin tiers (Pass, Deny over NetworkPolicy,
// baseline only without isolation, priority order, first rule wins), plus endpoint resolution.

import { describe, expect, it } from 'vitest';
import type { Cluster, NetworkPolicy, Workload } from '../model/cluster.js';
import { EVERYTHING, type LabelSelector } from '../model/labels.js';
import { ConnSet, PortSet } from '../model/port-set.js';
import type { AdminPolicy, AdminRule } from '../policy/admin-policy.js';
import type { NetworkPolicyRule } from '../policy/network-policy.js';
import { explainAllDenied, explainPair, type Endpoint, type PairExplanation } from './explain.js';
import { resolveEndpoint } from './resolve-endpoint.js';

const sel = (labels: Record<string, string>): LabelSelector => ({
  requirements: Object.entries(labels).map(([key, v]) => ({ key, operator: 'In' as const, values: [v] })),
});

function pod(name: string, app: string, extra: Partial<Workload> = {}): Workload {
  return {
    id: `default/${name}[Pod]`,
    kind: 'Pod',
    namespace: 'default',
    name,
    labels: { app },
    ports: [],
    ips: [],
    hostNetwork: false,
    ...extra,
  };
}

function cluster(networkPolicies: NetworkPolicy[], adminPolicies: AdminPolicy[] = []): Cluster {
  return {
    namespaces: new Map([
      ['default', { name: 'default', labels: { 'kubernetes.io/metadata.name': 'default' } }],
    ]),
    workloads: [pod('a', 'a'), pod('b', 'b', { ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] })],
    services: [],
    ingresses: [],
    networkPolicies,
    adminPolicies,
  };
}

const A: Endpoint = { kind: 'workload', index: 0 };
const B: Endpoint = { kind: 'workload', index: 1 };
const tcp = (first: number, last = first): ConnSet => ConnSet.ports('TCP', PortSet.range(first, last));
const toApp = (app: string, ports: NetworkPolicyRule['ports']): NetworkPolicyRule => ({
  peers: [{ kind: 'pods', podSelector: sel({ app }) }],
  ports,
});
const tcpPorts = (first: number, last = first): NetworkPolicyRule['ports'] => [
  { kind: 'number', protocol: 'TCP', first, last },
];

function np(name: string, app: string, spec: Pick<NetworkPolicy, 'ingress' | 'egress'>): NetworkPolicy {
  return { namespace: 'default', name, podSelector: sel({ app }), ...spec };
}

function admin(
  name: string,
  priority: number,
  ingress: AdminRule[],
  tier: 'admin' | 'baseline' = 'admin',
): AdminPolicy {
  return {
    apiKind: tier === 'admin' ? 'AdminNetworkPolicy' : 'BaselineAdminNetworkPolicy',
    tier,
    name,
    priority,
    subject: { kind: 'namespaces', namespaceSelector: EVERYTHING },
    ingress,
    egress: [],
  };
}

const fromAll = (name: string, action: AdminRule['action'], ports: AdminRule['ports']): AdminRule => ({
  name,
  action,
  peers: [{ kind: 'namespaces', namespaceSelector: EVERYTHING }],
  ports,
});

/** The ingress segments of a pair as `PROTO ports verdict tier rules`. */
function ingress(pair: PairExplanation): string[] {
  return pair.ingress!.segments.map((s) => {
    const d = s.decision;
    const rules = d.rules.map((r) => `${r.policy.name}#${r.index}`).join('+');
    const pass = d.passedBy !== undefined ? `pass:${d.passedBy.policy.name} ` : '';
    return `${s.protocol} ${s.ports.toString()} ${d.verdict} ${pass}${d.tier}${rules ? ` ${rules}` : ''}`;
  });
}

const OPTIONS = { ipBlockPods: 'match' } as const;

describe('explainPair', () => {
  it('no policy: both directions allowed by default', () => {
    const pair = explainPair(cluster([]), A, B, OPTIONS);
    expect(pair.allowed.isAll()).toBe(true);
    expect(ingress(pair)).toEqual([
      'TCP 1-65535 allowed default',
      'UDP 1-65535 allowed default',
      'SCTP 1-65535 allowed default',
    ]);
  });

  it('NetworkPolicy: isolation from selection, the union of every allowing rule', () => {
    const c = cluster([
      np('deny', 'b', { ingress: [] }),
      np('web', 'b', { ingress: [toApp('a', tcpPorts(80, 90)), toApp('a', tcpPorts(85, 100))] }),
    ]);
    const pair = explainPair(c, A, B, OPTIONS);
    expect(pair.allowed.toString()).toBe('TCP 80-100');
    expect(ingress(pair)).toEqual([
      'TCP 1-79,101-65535 denied networkpolicy',
      'TCP 80-84 allowed networkpolicy web#0',
      'TCP 85-90 allowed networkpolicy web#0+web#1',
      'TCP 91-100 allowed networkpolicy web#1',
      'UDP 1-65535 denied networkpolicy',
      'SCTP 1-65535 denied networkpolicy',
    ]);
    const denied = pair.ingress!.segments[0]!.decision;
    expect(denied.isolatedBy.map((p) => p.name)).toEqual(['deny', 'web']);
    expect(denied.peerMatched.map((r) => r.index)).toEqual([0, 1]);
    expect(pair.egress!.segments.every((s) => s.decision.tier === 'default')).toBe(true);
  });

  it('a named port resolves against the destination, for egress too', () => {
    const c = cluster([
      np('out', 'a', { egress: [toApp('b', [{ kind: 'named', protocol: 'TCP', name: 'http' }])] }),
    ]);
    expect(explainPair(c, A, B, OPTIONS).allowed.toString()).toBe('TCP 8080');
    expect(explainPair(c, A, { kind: 'external', first: 1n, last: 1n }, OPTIONS).allowed.isEmpty()).toBe(
      true,
    );
  });

  it('admin Pass hands the ports to NetworkPolicy', () => {
    const c = cluster(
      [np('web', 'b', { ingress: [toApp('a', tcpPorts(80))] })],
      [admin('pass', 1, [fromAll('p', 'pass', tcpPorts(80, 81))])],
    );
    const pair = explainPair(c, A, B, OPTIONS);
    expect(pair.allowed.toString()).toBe('TCP 80');
    expect(ingress(pair).slice(0, 3)).toEqual([
      'TCP 1-79,82-65535 denied networkpolicy',
      'TCP 80 allowed pass:pass networkpolicy web#0',
      'TCP 81 denied pass:pass networkpolicy',
    ]);
  });

  it('admin Deny overrides a NetworkPolicy allow', () => {
    const c = cluster(
      [np('web', 'b', { ingress: [toApp('a', 'any')] })],
      [admin('block', 5, [fromAll('no-ssh', 'deny', tcpPorts(22))])],
    );
    const pair = explainPair(c, A, B, OPTIONS);
    expect(pair.allowed.equals(ConnSet.ALL.subtract(tcp(22)))).toBe(true);
    expect(ingress(pair)[0]).toBe('TCP 1-21,23-65535 allowed networkpolicy web#0');
    expect(ingress(pair)[1]).toBe('TCP 22 denied admin block#0');
  });

  it('the baseline tier applies only where no NetworkPolicy isolates the pod', () => {
    const baseline = admin('default', 0, [fromAll('deny-all', 'deny', 'any')], 'baseline');
    const open = explainPair(cluster([], [baseline]), A, B, OPTIONS);
    expect(open.allowed.isEmpty()).toBe(true);
    expect(ingress(open)[0]).toBe('TCP 1-65535 denied baseline default#0');
    const isolated = explainPair(
      cluster([np('web', 'b', { ingress: [toApp('a', tcpPorts(443))] })], [baseline]),
      A,
      B,
      OPTIONS,
    );
    expect(isolated.allowed.toString()).toBe('TCP 443');
  });

  it('lower priority numbers first; within a policy the first matching rule wins', () => {
    const c = cluster(
      [],
      [
        admin('late', 10, [fromAll('allow-all', 'allow', 'any')]),
        admin('early', 1, [
          fromAll('deny-80', 'deny', tcpPorts(80)),
          fromAll('allow-80-90', 'allow', tcpPorts(80, 90)),
        ]),
      ],
    );
    const pair = explainPair(c, A, B, OPTIONS);
    expect(pair.allowed.equals(ConnSet.ALL.subtract(tcp(80)))).toBe(true);
    expect(ingress(pair).slice(0, 3)).toEqual([
      'TCP 1-79,91-65535 allowed admin late#0',
      'TCP 80 denied admin early#0',
      'TCP 81-90 allowed admin early#1',
    ]);
  });

  it('an external source has no egress explanation; explainAllDenied lists what is stopped', () => {
    const c = cluster([np('deny', 'b', { ingress: [] })]);
    const pair = explainPair(c, { kind: 'external', first: 5n, last: 5n }, B, OPTIONS);
    expect(pair.egress).toBeUndefined();
    expect(pair.allowed.isEmpty()).toBe(true);
    const denied = explainAllDenied(c, A, OPTIONS);
    expect(denied.map((d) => d.destination)).toEqual([B]);
    expect(denied[0]!.denied.isAll()).toBe(true);
  });

  it('respects the scope (--port/--protocol)', () => {
    const c = cluster([np('web', 'b', { ingress: [toApp('a', tcpPorts(80))] })]);
    const pair = explainPair(c, A, B, { ...OPTIONS, scope: tcp(79, 80) });
    expect(pair.allowed.toString()).toBe('TCP 80');
    expect(ingress(pair)).toEqual(['TCP 79 denied networkpolicy', 'TCP 80 allowed networkpolicy web#0']);
  });
});

describe('resolveEndpoint', () => {
  const c: Cluster = {
    ...cluster([]),
    workloads: [
      pod('web', 'web', { ips: [10n] }),
      { ...pod('web', 'web'), id: 'default/web[Deployment]', kind: 'Deployment' },
      pod('db', 'db'),
    ],
  };
  it('resolves exact ids, unique names, addresses', () => {
    expect(resolveEndpoint(c, 'default/web[Deployment]')).toEqual({
      ok: true,
      endpoint: { kind: 'workload', index: 1 },
    });
    expect(resolveEndpoint(c, 'db')).toEqual({ ok: true, endpoint: { kind: 'workload', index: 2 } });
    expect(resolveEndpoint(c, '0.0.0.10')).toEqual({ ok: true, endpoint: { kind: 'workload', index: 0 } });
    expect(resolveEndpoint(c, '8.8.8.8')).toEqual({
      ok: true,
      endpoint: { kind: 'external', first: 0x08080808n, last: 0x08080808n },
    });
  });
  it('reports ambiguity and unknown names with candidates', () => {
    const ambiguous = resolveEndpoint(c, 'default/web');
    expect(ambiguous.ok).toBe(false);
    if (!ambiguous.ok) expect(ambiguous.suggestions).toEqual(['default/web[Deployment]', 'default/web[Pod]']);
    const unknown = resolveEndpoint(c, 'default/dbb');
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.suggestions[0]).toBe('default/db[Pod]');
  });
});
