// Unit tests of the lint checks: one positive and one negative case (at least) per check, on IR clusters.

import { describe, expect, it } from 'vitest';
import { parseCidr } from '../model/address-set.js';
import type { Cluster } from '../model/cluster.js';
import {
  ClusterBuilder,
  adminPeers,
  adminRule,
  ipBlock,
  named,
  nsSel,
  pods,
  port,
  rule,
  sel,
  subjects,
} from './_builder.js';
import { LINT_CHECKS } from './catalog.js';
import { lintCluster } from './index.js';
import type { LintFinding, LintOptions } from './types.js';

/** The shop: web → api → db, and the cluster DNS. */
function shop(): ClusterBuilder {
  return new ClusterBuilder()
    .namespace('shop', { team: 'shop' })
    .namespace('kube-system')
    .workload('shop', 'web', { labels: { app: 'web', tier: 'frontend' }, ports: ['http/8080'] })
    .workload('shop', 'api', { ports: ['http/8000', 'metrics/9090'] })
    .workload('shop', 'db', { kind: 'StatefulSet', ports: ['postgres/5432'] })
    .workload('kube-system', 'coredns', {
      labels: { 'k8s-app': 'kube-dns' },
      ports: ['dns/53/UDP', 'dns-tcp/53/TCP'],
    });
}

const DNS_RULE = rule(
  [pods(sel({ 'k8s-app': 'kube-dns' }), nsSel('kube-system'))],
  [port(53, 'UDP'), port(53, 'TCP')],
);

function lint(cluster: Cluster, options: Partial<LintOptions> = {}): LintFinding[] {
  return [...lintCluster(cluster, { ipBlockPods: 'match', ...options }).findings];
}

function of(findings: LintFinding[], check: string): LintFinding[] {
  return findings.filter((f) => f.check === check);
}

describe('the catalog', () => {
  it('has unique, well-formed ids with titles, rationale and fix', () => {
    const ids = LINT_CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of LINT_CHECKS) {
      expect(c.id).toMatch(/^BH-LINT-\d{3}$/);
      expect(c.title.length).toBeGreaterThan(5);
      expect(c.rationale.length).toBeGreaterThan(40);
      expect(c.fix.length).toBeGreaterThan(10);
    }
  });
});

describe('BH-LINT-001 policy selects nothing', () => {
  it('reports a podSelector that matches no workload (medium) and one in an empty namespace (low)', () => {
    const cluster = shop()
      .namespace('empty')
      .networkPolicy('shop', 'typo', sel({ app: 'wbe' }), { ingress: [] })
      .networkPolicy('empty', 'deny', sel(), { ingress: [] })
      .admin('nobody', 10, subjects.namespaces(nsSel('nowhere')), {
        ingress: [adminRule('x', 'deny', [adminPeers.namespaces(sel())])],
      })
      .build();
    const found = of(lint(cluster), 'BH-LINT-001');
    expect(found.map((f) => [f.resource.name, f.severity])).toEqual([
      ['typo', 'medium'],
      ['deny', 'low'],
      ['nobody', 'low'],
    ]);
    expect(found[0]!.message).toContain('matches none of the 3 workload(s) in namespace shop');
    expect(found[0]!.location?.path).toBe('NetworkPolicy/shop/typo');
  });

  it('says nothing of policies that select workloads', () => {
    const cluster = shop()
      .networkPolicy('shop', 'web', sel({ app: 'web' }), { ingress: [] })
      .admin('all', 10, subjects.namespaces(sel()), {
        ingress: [adminRule('x', 'deny', [adminPeers.namespaces(sel())])],
      })
      .build();
    expect(of(lint(cluster), 'BH-LINT-001')).toEqual([]);
  });
});

describe('BH-LINT-002 peer matches nothing', () => {
  it('reports pod peers and namespace selectors that match nothing, in NetworkPolicy and admin rules', () => {
    const cluster = shop()
      .networkPolicy('shop', 'api', sel({ app: 'api' }), {
        ingress: [
          rule([pods(sel({ app: 'web' })), pods(sel({ app: 'wbe' }))]),
          rule([pods(undefined, sel({ team: 'nobody' }))]),
        ],
      })
      .admin('a', 10, subjects.namespaces(nsSel('shop')), {
        egress: [adminRule('to-ghosts', 'deny', [adminPeers.pods(nsSel('shop'), sel({ app: 'ghost' }))])],
      })
      .build();
    const found = of(lint(cluster), 'BH-LINT-002');
    expect(found.map((f) => [f.resource.name, f.location?.path, f.severity])).toEqual([
      ['api', 'NetworkPolicy/shop/api.spec.ingress[0].from[1]', 'medium'],
      ['api', 'NetworkPolicy/shop/api.spec.ingress[1].from[0]', 'medium'],
      ['a', 'AdminNetworkPolicy/a.spec.egress[0].to[0]', 'medium'],
    ]);
    expect(found[1]!.message).toContain('namespaceSelector matches no namespace');
    expect(found[2]!.rule).toEqual({ direction: 'egress', index: 0, name: 'to-ghosts' });
  });

  it('accepts peers that match, ipBlocks, and skips admin nodes peers', () => {
    const cluster = shop()
      .networkPolicy('shop', 'api', sel({ app: 'api' }), {
        ingress: [rule([pods(sel({ app: 'web' })), ipBlock('203.0.113.0/24'), pods(undefined, sel())])],
      })
      .admin('a', 10, subjects.namespaces(nsSel('shop')), {
        egress: [adminRule('nodes', 'allow', [adminPeers.nodes(sel({ role: 'none' }))])],
      })
      .build();
    expect(of(lint(cluster), 'BH-LINT-002')).toEqual([]);
  });
});

describe('BH-LINT-003 redundant rule', () => {
  it('reports a rule contained in a rule of a policy selecting a superset of its pods', () => {
    const cluster = shop()
      .networkPolicy('shop', 'api-narrow', sel({ app: 'api' }), {
        ingress: [rule([pods(sel({ app: 'web' }))], [port(8000)])],
      })
      .networkPolicy('shop', 'all-wide', sel(), {
        ingress: [rule([pods(sel({ app: 'web' })), pods(sel({ app: 'db' }))], [port(8000, 'TCP', 8100)])],
      })
      .build();
    const found = of(lint(cluster), 'BH-LINT-003');
    expect(found).toHaveLength(1);
    expect(found[0]!.resource.name).toBe('api-narrow');
    expect(found[0]!.message).toContain('ingress rule 1 of NetworkPolicy shop/all-wide');
  });

  it('reports only the later of two identical rules, and resolves named ports per destination', () => {
    const cluster = shop()
      .networkPolicy('shop', 'web', sel({ app: 'web' }), {
        // `http` on web is 8080: the second rule adds nothing to the first.
        ingress: [rule('any', [port(8080)]), rule('any', [named('http')]), rule('any', [port(8080)])],
        // Egress named ports resolve against each destination: `http` is 8000 on api.
        egress: [
          rule([pods(sel({ app: 'api' }))], [port(8000)]),
          rule([pods(sel({ app: 'api' }))], [named('http')]),
        ],
      })
      .build();
    const found = of(lint(cluster), 'BH-LINT-003');
    expect(found.map((f) => f.location?.path)).toEqual([
      'NetworkPolicy/shop/web.spec.ingress[1]',
      'NetworkPolicy/shop/web.spec.ingress[2]',
      'NetworkPolicy/shop/web.spec.egress[1]',
    ]);
  });

  it('says nothing when the other policy selects fewer pods, or the rule allows more', () => {
    const cluster = shop()
      .networkPolicy('shop', 'wide', sel(), { ingress: [rule([pods(sel({ app: 'web' }))], [port(8000)])] })
      .networkPolicy('shop', 'narrow', sel({ app: 'api' }), {
        ingress: [rule([pods(sel({ app: 'web' }))], [port(8000, 'TCP', 8001)])],
      })
      .networkPolicy('shop', 'named', sel({ app: 'web' }), {
        // `http` resolves to 8080 on web, which no other rule allows.
        ingress: [rule([pods(sel({ app: 'web' }))], [named('http')])],
      })
      .build();
    expect(of(lint(cluster), 'BH-LINT-003')).toEqual([]);
  });
});

describe('BH-LINT-004 shadowed admin rule', () => {
  it('reports a rule every connection of which an earlier rule or policy matches', () => {
    const cluster = shop()
      .admin('deny-all-ingress', 10, subjects.namespaces(nsSel('shop')), {
        ingress: [adminRule('deny-everyone', 'deny', [adminPeers.namespaces(sel())])],
      })
      .admin('allow-web', 20, subjects.pods(nsSel('shop'), sel({ app: 'api' })), {
        ingress: [
          adminRule(
            'allow-web',
            'allow',
            [adminPeers.pods(nsSel('shop'), sel({ app: 'web' }))],
            [port(8000)],
          ),
        ],
      })
      .admin('ordering', 30, subjects.namespaces(nsSel('kube-system')), {
        egress: [
          adminRule('pass-dns', 'pass', [adminPeers.namespaces(sel())], [port(53, 'UDP')]),
          adminRule('deny-dns', 'deny', [adminPeers.pods(nsSel('shop'), sel())], [port(53, 'UDP')]),
        ],
      })
      .build();
    const found = of(lint(cluster), 'BH-LINT-004');
    expect(found.map((f) => [f.resource.name, f.rule?.name])).toEqual([
      ['allow-web', 'allow-web'],
      ['ordering', 'deny-dns'],
    ]);
    expect(found[0]!.message).toContain('AdminNetworkPolicy deny-all-ingress (priority 10)');
    expect(found[1]!.message).toContain('"pass-dns" (pass) of the same policy');
  });

  it('says nothing when the rule matches something first, or has peers it cannot see', () => {
    const cluster = shop()
      .admin('deny-some', 10, subjects.namespaces(nsSel('shop')), {
        ingress: [adminRule('deny-80', 'deny', [adminPeers.namespaces(sel())], [port(80)])],
      })
      .admin('allow-web', 20, subjects.namespaces(nsSel('shop')), {
        ingress: [
          adminRule(
            'allow-web',
            'allow',
            [adminPeers.pods(nsSel('shop'), sel({ app: 'web' }))],
            [port(80, 'TCP', 81)],
          ),
        ],
        egress: [
          adminRule('deny-out', 'deny', [adminPeers.networks('0.0.0.0/0')]),
          adminRule('nodes', 'allow', [adminPeers.nodes(sel())]),
        ],
      })
      .admin(
        'baseline',
        0,
        subjects.namespaces(nsSel('shop')),
        {
          ingress: [adminRule('deny', 'deny', [adminPeers.namespaces(sel())])],
        },
        { tier: 'baseline' },
      )
      .build();
    expect(of(lint(cluster), 'BH-LINT-004')).toEqual([]);
  });
});

describe('BH-LINT-005 allow-all rule', () => {
  it('reports `{}` rules: medium for ingress, low for egress', () => {
    const cluster = shop()
      .networkPolicy('shop', 'open', sel({ app: 'web' }), { ingress: [rule('any')], egress: [rule('any')] })
      .build();
    const found = of(lint(cluster), 'BH-LINT-005');
    expect(found.map((f) => [f.rule?.direction, f.severity])).toEqual([
      ['ingress', 'medium'],
      ['egress', 'low'],
    ]);
  });

  it('says nothing of rules restricted by peers or ports', () => {
    const cluster = shop()
      .networkPolicy('shop', 'web', sel({ app: 'web' }), {
        ingress: [rule('any', [port(8080)]), rule([pods(sel())])],
      })
      .build();
    expect(of(lint(cluster), 'BH-LINT-005')).toEqual([]);
  });
});

describe('BH-LINT-006 / 007 egress isolation blocks DNS', () => {
  it('reports pods isolated for egress without a DNS allowance, one finding per namespace and policies', () => {
    const cluster = shop().networkPolicy('shop', 'default-deny', sel(), { egress: [] }).build();
    const found = of(lint(cluster), 'BH-LINT-006');
    expect(found).toHaveLength(1);
    expect(found[0]!.resource).toEqual({ kind: 'NetworkPolicy', namespace: 'shop', name: 'default-deny' });
    expect(found[0]!.message).toContain('3 workload(s) in namespace shop');
    expect(found[0]!.message).toContain('kube-system/coredns[Deployment]');
    expect(found[0]!.fix).toContain('k8s-app: kube-dns');
  });

  it('reports a UDP-only allowance as BH-LINT-007, and an admin deny as BH-LINT-006', () => {
    const cluster = shop()
      .networkPolicy('shop', 'default-deny', sel(), {
        egress: [rule([pods(sel({ 'k8s-app': 'kube-dns' }), nsSel('kube-system'))], [port(53, 'UDP')])],
      })
      .namespace('batch')
      .workload('batch', 'job', { kind: 'Job' })
      .admin('no-egress', 10, subjects.namespaces(nsSel('batch')), {
        egress: [adminRule('deny', 'deny', [adminPeers.namespaces(sel())])],
      })
      .build();
    const findings = lint(cluster);
    expect(of(findings, 'BH-LINT-007').map((f) => f.resource.name)).toEqual(['default-deny']);
    expect(of(findings, 'BH-LINT-006').map((f) => f.resource)).toEqual([
      { kind: 'AdminNetworkPolicy', namespace: '', name: 'no-egress' },
    ]);
  });

  it('says nothing when DNS is allowed, and looks for port 53 anywhere without a DNS workload', () => {
    const allowed = shop()
      .networkPolicy('shop', 'default-deny', sel(), { egress: [] })
      .networkPolicy('shop', 'dns', sel(), { egress: [DNS_RULE] })
      .build();
    expect(of(lint(allowed), 'BH-LINT-006')).toEqual([]);
    const noDns = new ClusterBuilder()
      .workload('shop', 'web')
      .workload('shop', 'api')
      .networkPolicy('shop', 'web', sel({ app: 'web' }), {
        egress: [rule([ipBlock('8.8.8.8/32')], [port(53, 'UDP'), port(53, 'TCP')])],
      })
      .networkPolicy('shop', 'api', sel({ app: 'api' }), { egress: [] })
      .build();
    const found = of(lint(noDns), 'BH-LINT-006');
    expect(found.map((f) => f.resource.name)).toEqual(['api']);
    expect(found[0]!.message).toContain('port 53 anywhere (no kube-dns workload is in the input)');
  });
});

describe('BH-LINT-008 ipBlock overlaps pod addresses', () => {
  it('reports blocks holding the --pod-cidr range (low when covering all of it) or known pod addresses', () => {
    const cluster = shop()
      .workload('shop', 'cache', { ips: ['192.168.7.7'] })
      .networkPolicy('shop', 'web', sel({ app: 'web' }), {
        ingress: [
          rule([ipBlock('10.244.1.0/24')]),
          rule([ipBlock('10.0.0.0/8')]),
          rule([ipBlock('192.168.0.0/16')]),
        ],
      })
      .build();
    const found = of(lint(cluster, { podCidrs: parseCidr('10.244.0.0/16')!.set }), 'BH-LINT-008');
    expect(found.map((f) => [f.rule?.index, f.severity])).toEqual([
      [0, 'medium'],
      [1, 'low'],
      [2, 'medium'],
    ]);
    expect(found[0]!.message).toContain('10.244.1.0-10.244.1.255 (--pod-cidr)');
    expect(found[1]!.message).toContain('covers the whole pod range');
    expect(found[2]!.message).toContain('shop/cache[Deployment]');
  });

  it('says nothing of external blocks, nor without a pod range', () => {
    const cluster = shop()
      .networkPolicy('shop', 'web', sel({ app: 'web' }), { ingress: [rule([ipBlock('10.0.0.0/8')])] })
      .build();
    expect(of(lint(cluster), 'BH-LINT-008')).toEqual([]);
    expect(of(lint(cluster, { podCidrs: parseCidr('100.64.0.0/10')!.set }), 'BH-LINT-008')).toEqual([]);
  });
});

describe('BH-LINT-009 / 010 overlapping blocks and useless excepts', () => {
  it('reports overlapping blocks of one rule and excepts that remove nothing', () => {
    const cluster = shop()
      .networkPolicy('shop', 'web', sel({ app: 'web' }), {
        egress: [
          rule([ipBlock('10.0.0.0/8'), ipBlock('10.1.0.0/16')]),
          rule([ipBlock('172.16.0.0/12', ['172.16.0.0/16', '172.16.5.0/24'])]),
          rule([
            ipBlock('192.168.0.0/16', ['192.168.1.0/24']),
            ipBlock('192.168.1.0/25'),
            ipBlock('192.168.1.128/25'),
          ]),
        ],
      })
      .build();
    const findings = lint(cluster);
    const overlaps = of(findings, 'BH-LINT-009');
    expect(overlaps.map((f) => f.location?.path)).toEqual([
      'NetworkPolicy/shop/web.spec.egress[0].to[1].ipBlock',
    ]);
    expect(overlaps[0]!.message).toContain('lies inside ipBlock 10.0.0.0/8');
    const excepts = of(findings, 'BH-LINT-010');
    expect(excepts.map((f) => f.location?.path)).toEqual([
      'NetworkPolicy/shop/web.spec.egress[1].to[0].ipBlock.except[1]',
      'NetworkPolicy/shop/web.spec.egress[2].to[0].ipBlock.except[0]',
    ]);
    expect(excepts[0]!.message).toContain('inside an earlier except');
    expect(excepts[1]!.message).toContain('other ipBlocks of the same rule allow all of its addresses again');
  });

  it('says nothing of disjoint blocks, blocks in different rules, and excepts that remove addresses', () => {
    const cluster = shop()
      .networkPolicy('shop', 'web', sel({ app: 'web' }), {
        egress: [
          rule([ipBlock('0.0.0.0/0', ['10.0.0.0/8']), ipBlock('10.1.0.0/16')]),
          rule([ipBlock('10.0.0.0/8')]),
        ],
      })
      .build();
    const findings = lint(cluster);
    expect(of(findings, 'BH-LINT-009')).toEqual([]);
    expect(of(findings, 'BH-LINT-010')).toEqual([]);
  });
});

describe('BH-LINT-011 named port resolves nowhere', () => {
  it('reports named ports no destination declares (ingress: selected pods, egress: peers, outside addresses)', () => {
    const cluster = shop()
      .networkPolicy('shop', 'web', sel({ app: 'web' }), {
        ingress: [rule('any', [named('https')]), rule('any', [named('http', 'UDP')])],
        egress: [
          rule([pods(sel({ app: 'api' }))], [named('postgres')]),
          rule([ipBlock('203.0.113.0/24')], [named('https')]),
        ],
      })
      .admin('a', 10, subjects.namespaces(nsSel('shop')), {
        egress: [
          adminRule('db', 'allow', [adminPeers.pods(nsSel('shop'), sel({ app: 'db' }))], [named('pg')]),
        ],
      })
      .build();
    const found = of(lint(cluster), 'BH-LINT-011');
    expect(found.map((f) => f.location?.path)).toEqual([
      'NetworkPolicy/shop/web.spec.ingress[0].ports[0]',
      'NetworkPolicy/shop/web.spec.ingress[1].ports[0]',
      'NetworkPolicy/shop/web.spec.egress[0].ports[0]',
      'NetworkPolicy/shop/web.spec.egress[1].ports[0]',
      'AdminNetworkPolicy/a.spec.egress[0].ports[0]',
    ]);
    const byPath = (suffix: string): string => found.find((f) => f.location?.path?.endsWith(suffix))!.message;
    expect(byPath('ingress[0].ports[0]')).toContain('they declare http/TCP');
    expect(byPath('ingress[1].ports[0]')).toContain('only with another protocol');
    expect(byPath('egress[1].ports[0]')).toContain('only addresses outside the cluster');
  });

  it('accepts named ports some destination declares', () => {
    const cluster = shop()
      .networkPolicy('shop', 'web', sel({ app: 'web' }), {
        ingress: [rule('any', [named('http')])],
        egress: [rule([pods(sel())], [named('postgres'), named('metrics')])],
      })
      .build();
    expect(of(lint(cluster), 'BH-LINT-011')).toEqual([]);
  });
});

describe('BH-LINT-012 admin priority collisions', () => {
  it('lists every policy of a colliding group: medium when their subjects share pods', () => {
    const cluster = shop()
      .admin('a', 5, subjects.namespaces(nsSel('shop')), {})
      .admin('b', 5, subjects.pods(nsSel('shop'), sel({ app: 'web' })), {})
      .admin('c', 7, subjects.namespaces(nsSel('shop')), {})
      .admin('d', 7, subjects.namespaces(nsSel('kube-system')), {})
      .build();
    const found = of(lint(cluster), 'BH-LINT-012');
    expect(found.map((f) => [f.resource.name, f.severity])).toEqual([
      ['a', 'medium'],
      ['b', 'medium'],
      ['c', 'low'],
      ['d', 'low'],
    ]);
    expect(found[0]!.message).toContain('as AdminNetworkPolicy b');
  });

  it('says nothing of distinct priorities or of different tiers', () => {
    const cluster = shop()
      .admin('a', 5, subjects.namespaces(nsSel('shop')), {})
      .admin('b', 6, subjects.namespaces(nsSel('shop')), {})
      .admin('default', 0, subjects.namespaces(nsSel('shop')), {}, { tier: 'baseline' })
      .admin(
        'cnp',
        0,
        subjects.namespaces(nsSel('shop')),
        {},
        { tier: 'baseline', apiKind: 'ClusterNetworkPolicy' },
      )
      .build();
    expect(of(lint(cluster), 'BH-LINT-012')).toEqual([]);
  });
});

describe('BH-LINT-013 namespace does not exist', () => {
  it('reports a policy whose namespace is neither declared nor populated', () => {
    const cluster = shop().networkPolicy('shpo', 'deny', sel(), { ingress: [] }).build();
    const found = of(lint(cluster), 'BH-LINT-013');
    expect(found.map((f) => [f.resource.name, f.severity])).toEqual([['deny', 'medium']]);
    expect(found[0]!.message).toContain('declared namespaces: kube-system, shop');
    const undeclared = new ClusterBuilder()
      .workload('shop', 'web')
      .networkPolicy('shpo', 'deny', sel(), { ingress: [] })
      .build();
    expect(of(lint(undeclared), 'BH-LINT-013').map((f) => f.severity)).toEqual(['low']);
  });

  it('says nothing of declared, populated or built-in namespaces', () => {
    const cluster = new ClusterBuilder()
      .namespace('declared')
      .workload('populated', 'web')
      .networkPolicy('declared', 'a', sel(), { ingress: [] })
      .networkPolicy('populated', 'b', sel(), { ingress: [] })
      .networkPolicy('default', 'c', sel(), { ingress: [] })
      .build();
    expect(of(lint(cluster), 'BH-LINT-013')).toEqual([]);
  });
});

describe('lintCluster', () => {
  it('skips checks that need workloads when the input has none, and lists the checks that ran', () => {
    const cluster = new ClusterBuilder()
      .networkPolicy('default', 'deny', sel(), { ingress: [rule('any')] })
      .build();
    const result = lintCluster(cluster, { ipBlockPods: 'match' });
    expect(result.skipped.map((s) => s.id)).toContain('BH-LINT-001');
    expect(result.checks.map((c) => c.id)).not.toContain('BH-LINT-001');
    expect(result.checks.map((c) => c.id)).toContain('BH-LINT-005');
    expect(result.findings.map((f) => f.check)).toEqual(['BH-LINT-005']);
  });

  it('returns nothing for a clean cluster', () => {
    const cluster = shop()
      .networkPolicy('shop', 'default-deny', sel(), { ingress: [], egress: [DNS_RULE] })
      .networkPolicy('shop', 'api', sel({ app: 'api' }), {
        ingress: [rule([pods(sel({ app: 'web' }))], [named('http')])],
      })
      .networkPolicy('shop', 'web', sel({ app: 'web' }), {
        egress: [rule([pods(sel({ app: 'api' }))], [named('http')])],
      })
      .build();
    expect(lint(cluster)).toEqual([]);
  });
});
