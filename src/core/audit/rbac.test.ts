// Unit tests of the RBAC resolver (binding → role → rules → subjects → workloads) and of every BH-RBAC check.

import { describe, expect, it } from 'vitest';
import { isFullAdmin, rbacChecks, resolveRbac, ruleAllows, type PolicyRule } from './rbac.js';
import { record, runCheck, type Json } from './_test-support.js';
import type { Finding, ObjectRecord } from './types.js';

type Rule = { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[] };

/** Rules without apiGroups are in the core group `""`. */
const withGroups = (rules: Rule[]): Rule[] => rules.map((r) => ({ apiGroups: [''], ...r }));
const role = (name: string, rules: Rule[], namespace = 'shop', extra: Json = {}): ObjectRecord =>
  record('Role', name, { rules: withGroups(rules), ...extra }, namespace);
const clusterRole = (name: string, rules: Rule[], extra: Json = {}): ObjectRecord =>
  record('ClusterRole', name, { rules: withGroups(rules), ...extra });
const sa = (name: string, namespace = 'shop'): Json => ({ kind: 'ServiceAccount', name, namespace });
const user = (name: string): Json => ({ kind: 'User', name, apiGroup: 'rbac.authorization.k8s.io' });
const group = (name: string): Json => ({ kind: 'Group', name, apiGroup: 'rbac.authorization.k8s.io' });

function roleBinding(
  name: string,
  roleRef: [string, string],
  subjects: Json[],
  namespace = 'shop',
  extra: Json = {},
) {
  return record(
    'RoleBinding',
    name,
    {
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleRef[0], name: roleRef[1] },
      subjects,
      ...extra,
    },
    namespace,
  );
}
function clusterRoleBinding(name: string, roleName: string, subjects: Json[], extra: Json = {}) {
  return record('ClusterRoleBinding', name, {
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    subjects,
    ...extra,
  });
}
function deployment(name: string, spec: Json = {}, namespace = 'shop'): ObjectRecord {
  return record(
    'Deployment',
    name,
    { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], ...spec } } } },
    namespace,
  );
}

const run = (id: string, ...objects: ObjectRecord[]): Finding[] => runCheck(rbacChecks, id, objects);

const summary = (findings: readonly Finding[]): string[][] =>
  findings.map((f) => [`${f.resource.kind} ${f.resource.name}`, f.location.path ?? '', f.severity]);

function rule(r: Rule): PolicyRule {
  return {
    apiGroups: r.apiGroups ?? [''],
    resources: r.resources ?? [],
    verbs: r.verbs ?? [],
    resourceNames: r.resourceNames ?? [],
    owner: undefined as never,
    index: 0,
  };
}

describe('ruleAllows', () => {
  it.each([
    ['"" is the core group only', { resources: ['secrets'], verbs: ['get'] }, 'get', '', 'secrets', true],
    [
      '"" does not match a named group',
      { resources: ['networkpolicies'], verbs: ['delete'] },
      'delete',
      'networking.k8s.io',
      'networkpolicies',
      false,
    ],
    [
      '"*" group matches a named group',
      { apiGroups: ['*'], resources: ['networkpolicies'], verbs: ['delete'] },
      'delete',
      'networking.k8s.io',
      'networkpolicies',
      true,
    ],
    [
      '"*" group matches the core group',
      { apiGroups: ['*'], resources: ['secrets'], verbs: ['list'] },
      'list',
      '',
      'secrets',
      true,
    ],
    [
      '"*" resource matches subresources',
      { resources: ['*'], verbs: ['create'] },
      'create',
      '',
      'pods/exec',
      true,
    ],
    [
      'a resource does not match its subresources',
      { resources: ['pods'], verbs: ['create'] },
      'create',
      '',
      'pods/exec',
      false,
    ],
    [
      '"*/exec" matches pods/exec',
      { resources: ['*/exec'], verbs: ['create'] },
      'create',
      '',
      'pods/exec',
      true,
    ],
    [
      '"pods/*" is not an RBAC pattern',
      { resources: ['pods/*'], verbs: ['create'] },
      'create',
      '',
      'pods/exec',
      false,
    ],
    [
      '"*" verb',
      { resources: ['roles'], verbs: ['*'], apiGroups: ['rbac.authorization.k8s.io'] },
      'escalate',
      'rbac.authorization.k8s.io',
      'roles',
      true,
    ],
    ['other verb', { resources: ['secrets'], verbs: ['list'] }, 'get', '', 'secrets', false],
  ] as const)('%s', (_name, r, verb, groupName, resource, expected) => {
    expect(ruleAllows(rule(r as unknown as Rule), verb, groupName, resource)).toBe(expected);
  });
});

describe('resolveRbac', () => {
  it('scopes a RoleBinding to a ClusterRole to the binding namespace', () => {
    const objects = [
      clusterRole('np-writer', [
        { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['delete'] },
      ]),
      roleBinding('b', ['ClusterRole', 'np-writer'], [user('alice')]),
    ];
    const [grant] = resolveRbac(objects).grants;
    expect(grant?.scope).toBe('shop');
    const [f] = run('BH-RBAC-004', ...objects);
    expect(f?.message).toBe(
      'User alice can delete networkpolicies in namespace shop via RoleBinding shop/b → ClusterRole np-writer: it can switch the firewall off',
    );
    expect(f?.severity).toBe('high');
  });

  it('a RoleBinding never grants cluster-scoped resources (admin network policies, nodes/proxy)', () => {
    const anp = clusterRole('anp', [
      { apiGroups: ['policy.networking.k8s.io'], resources: ['adminnetworkpolicies'], verbs: ['delete'] },
      { resources: ['nodes/proxy'], verbs: ['get'] },
    ]);
    expect(run('BH-RBAC-004', anp, roleBinding('b', ['ClusterRole', 'anp'], [user('alice')]))).toEqual([]);
    expect(run('BH-RBAC-006', anp, roleBinding('b', ['ClusterRole', 'anp'], [user('alice')]))).toEqual([]);
    const crb = run('BH-RBAC-004', anp, clusterRoleBinding('c', 'anp', [user('alice')]));
    expect(summary(crb)).toEqual([['ClusterRoleBinding c', 'subjects.0', 'critical']]);
    expect(crb[0]?.message).toContain('delete adminnetworkpolicies cluster-wide');
  });

  it('a RoleBinding resolves a Role of its own namespace only', () => {
    const objects = [
      role('reader', [{ resources: ['secrets'], verbs: ['list'] }], 'other'),
      roleBinding('b', ['Role', 'reader'], [user('alice')], 'shop'),
    ];
    expect(resolveRbac(objects).grants).toEqual([]);
    // The Role is then unbound: it is reported as a definition.
    expect(summary(run('BH-RBAC-005', ...objects))).toEqual([['Role reader', 'rules.0', 'high']]);
  });

  it('aggregates ClusterRoles by label, into built-in edit too', () => {
    const objects = [
      clusterRole('monitoring', [], {
        aggregationRule: {
          clusterRoleSelectors: [{ matchLabels: { 'example.com/aggregate-to-monitoring': 'true' } }],
        },
      }),
      clusterRole('secret-part', [{ resources: ['secrets'], verbs: ['list'] }], {
        metadata: { labels: { 'example.com/aggregate-to-monitoring': 'true' } },
      }),
      clusterRole(
        'crd-part',
        [{ apiGroups: ['cilium.io'], resources: ['ciliumnetworkpolicies'], verbs: ['create'] }],
        {
          metadata: { labels: { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' } },
        },
      ),
      clusterRoleBinding('mon', 'monitoring', [sa('prometheus', 'monitoring')]),
      roleBinding('dev', ['ClusterRole', 'edit'], [group('developers')]),
    ];
    const graph = resolveRbac(objects);
    const monitoring = graph.grants.find((g) => g.binding.name === 'mon')?.role;
    expect(monitoring?.rules.map((r) => r.owner.name)).toEqual(['secret-part']);
    expect(run('BH-RBAC-005', ...objects).map((f) => f.message)).toContain(
      'ServiceAccount monitoring/prometheus can list secrets in every namespace via ClusterRoleBinding mon → ClusterRole monitoring',
    );
    const firewall = run('BH-RBAC-004', ...objects).map((f) => f.message);
    expect(
      firewall.some((m) => m.includes('ciliumnetworkpolicies') && m.startsWith('Group developers')),
    ).toBe(true);
  });

  it('defaults a ServiceAccount subject namespace to the RoleBinding namespace, and links its workloads', () => {
    const objects = [
      roleBinding('b', ['ClusterRole', 'edit'], [{ kind: 'ServiceAccount', name: 'api' }]),
      deployment('api', { serviceAccountName: 'api' }),
      deployment('api', { serviceAccountName: 'api' }, 'elsewhere'),
      deployment('web'),
    ];
    const [grant] = resolveRbac(objects).grants;
    expect(grant?.subject).toEqual({ kind: 'ServiceAccount', name: 'api', namespace: 'shop', index: 0 });
    expect(run('BH-RBAC-004', ...objects)[0]?.message).toBe(
      'ServiceAccount shop/api (used by Deployment shop/api) can create, update, patch, delete, deletecollection networkpolicies in namespace shop via RoleBinding shop/b → ClusterRole edit: it can switch the firewall off',
    );
    // In a ClusterRoleBinding the namespace is required: without it the subject matches nothing.
    expect(
      resolveRbac([clusterRoleBinding('c', 'edit', [{ kind: 'ServiceAccount', name: 'api' }])]).grants,
    ).toEqual([]);
  });

  it('treats the User system:serviceaccount:<ns>:<name> as that service account', () => {
    const objects = [
      roleBinding('b', ['ClusterRole', 'view'], [user('system:serviceaccount:shop:default')]),
      deployment('web'),
    ];
    expect(run('BH-RBAC-008', ...objects)[0]?.message).toContain(
      'ServiceAccount shop/default (used by Deployment shop/web)',
    );
  });

  it('Group subjects: system:serviceaccounts:<ns> covers every workload of the namespace', () => {
    const objects = [
      roleBinding('b', ['ClusterRole', 'edit'], [group('system:serviceaccounts:shop')]),
      deployment('api', { serviceAccountName: 'api' }),
    ];
    expect(run('BH-RBAC-005', ...objects)[0]?.message).toMatch(
      /^Group system:serviceaccounts:shop \(every service account of namespace shop\) can get, list, watch secrets/,
    );
    expect(summary(run('BH-RBAC-010', ...objects))).toEqual([
      ['Deployment api', 'spec.template.spec.serviceAccountName', 'high'],
    ]);
  });

  it('resourceNames restrict a rule (one severity step lower) and never allow create', () => {
    const named = [
      role('one-secret', [
        { resources: ['secrets'], verbs: ['get', 'list'], resourceNames: ['db-password'] },
      ]),
      roleBinding('b', ['Role', 'one-secret'], [user('alice')]),
    ];
    const [f] = run('BH-RBAC-005', ...named);
    expect(f?.message).toContain('get, list secrets (only db-password) in namespace shop');
    expect(f?.severity).toBe('medium');
    const create = [
      role('exec-one', [{ resources: ['pods/exec'], verbs: ['create'], resourceNames: ['debug'] }]),
      roleBinding('b', ['Role', 'exec-one'], [user('alice')]),
    ];
    expect(run('BH-RBAC-006', ...create)).toEqual([]);
  });

  it('skips Kubernetes own bindings and roles but resolves bindings to system: roles', () => {
    const objects = [
      clusterRoleBinding('cluster-admin', 'cluster-admin', [group('system:masters')], {
        metadata: { labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
      }),
      clusterRoleBinding('system:thing', 'cluster-admin', [user('x')]),
      role('system:test', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
    ];
    expect(run('BH-RBAC-001', ...objects)).toEqual([]);
    expect(run('BH-RBAC-002', ...objects)).toEqual([]);
    const bound = run(
      'BH-RBAC-001',
      ...objects,
      roleBinding('b', ['Role', 'system:test'], [user('testuser')]),
    );
    expect(summary(bound)).toEqual([['RoleBinding b', 'subjects.0', 'high']]);
  });

  it('knows the default ClusterRoles; a redefinition only adds to them (the API server reconciles them)', () => {
    const bound = clusterRoleBinding('c', 'cluster-admin', [user('a')]);
    expect(isFullAdmin(resolveRbac([bound]).grants[0]!.role)).toBe(true);
    const redefined = clusterRole('cluster-admin', [{ resources: ['pods'], verbs: ['get'] }]);
    expect(summary(run('BH-RBAC-001', redefined, bound))).toEqual([
      ['ClusterRoleBinding c', 'subjects.0', 'critical'],
    ]);
    const pinned = clusterRole('cluster-admin', [{ resources: ['pods'], verbs: ['get'] }], {
      metadata: { annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'false' } },
    });
    expect(run('BH-RBAC-001', pinned, bound)).toEqual([]);
  });
});

interface Case {
  readonly id: string;
  readonly name: string;
  readonly objects: ObjectRecord[];
  /** [resource, path, severity] per finding. */
  readonly expected: string[][];
}

const CASES: readonly Case[] = [
  {
    id: 'BH-RBAC-001',
    name: 'ClusterRoleBinding to cluster-admin',
    objects: [clusterRoleBinding('ops', 'cluster-admin', [user('bob'), sa('ci', 'build')])],
    expected: [
      ['ClusterRoleBinding ops', 'subjects.0', 'critical'],
      ['ClusterRoleBinding ops', 'subjects.1', 'critical'],
    ],
  },
  {
    id: 'BH-RBAC-001',
    name: 'system:masters in a binding, and in aws-auth',
    objects: [
      clusterRoleBinding('m', 'view', [group('system:masters')]),
      record(
        'ConfigMap',
        'aws-auth',
        {
          data: {
            mapRoles:
              '- rolearn: arn:aws:iam::1:role/admin\n  groups:\n    - system:masters\n- rolearn: arn:aws:iam::1:role/node\n  groups:\n    - system:nodes\n',
          },
        },
        'kube-system',
      ),
    ],
    expected: [
      ['ClusterRoleBinding m', 'subjects.0', 'critical'],
      ['ConfigMap aws-auth', 'data.mapRoles', 'critical'],
    ],
  },
  {
    id: 'BH-RBAC-001',
    name: 'negative: edit in a RoleBinding',
    objects: [roleBinding('b', ['ClusterRole', 'edit'], [user('bob')])],
    expected: [],
  },
  {
    id: 'BH-RBAC-002',
    name: 'wildcards in verbs, and everything',
    objects: [
      role('some', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', '*'] }]),
      clusterRole('all', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
    ],
    expected: [
      ['Role some', 'rules.0.verbs.1', 'medium'],
      ['ClusterRole all', 'rules.0.verbs.0', 'high'],
    ],
  },
  {
    id: 'BH-RBAC-002',
    name: 'negative: explicit lists; default ClusterRoles by name',
    objects: [
      role('explicit', [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] }]),
      clusterRole('admin', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
    ],
    expected: [],
  },
  {
    id: 'BH-RBAC-003',
    name: 'escalate on roles (bound), impersonate users (unbound ClusterRole)',
    objects: [
      role('esc', [
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['get', 'escalate'] },
      ]),
      roleBinding('b', ['Role', 'esc'], [user('alice')]),
      clusterRole('imp', [{ apiGroups: [''], resources: ['users', 'groups'], verbs: ['impersonate'] }]),
    ],
    expected: [
      ['RoleBinding b', 'subjects.0', 'high'],
      ['ClusterRole imp', 'rules.0', 'critical'],
    ],
  },
  {
    id: 'BH-RBAC-003',
    name: 'negative: create rolebindings is not escalation',
    objects: [
      role('rb', [
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['create'] },
      ]),
      roleBinding('b', ['Role', 'rb'], [user('alice')]),
    ],
    expected: [],
  },
  {
    id: 'BH-RBAC-004',
    name: 'cluster-wide write on networkpolicies',
    objects: [
      clusterRole('np', [
        { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['patch'] },
      ]),
      clusterRoleBinding('c', 'np', [sa('gitops', 'flux')]),
    ],
    expected: [['ClusterRoleBinding c', 'subjects.0', 'critical']],
  },
  {
    id: 'BH-RBAC-004',
    name: 'negative: read-only view, and a core-group rule',
    objects: [
      roleBinding('v', ['ClusterRole', 'view'], [user('alice')]),
      role('wrong-group', [{ apiGroups: [''], resources: ['networkpolicies'], verbs: ['delete'] }]),
    ],
    expected: [],
  },
  {
    id: 'BH-RBAC-005',
    name: 'get only is medium, list cluster-wide is critical',
    objects: [
      role('getter', [{ resources: ['secrets'], verbs: ['get'] }]),
      roleBinding('b', ['Role', 'getter'], [user('alice')]),
      clusterRole('lister', [{ resources: ['secrets'], verbs: ['list'] }]),
      clusterRoleBinding('c', 'lister', [user('bob')]),
    ],
    expected: [
      ['RoleBinding b', 'subjects.0', 'medium'],
      ['ClusterRoleBinding c', 'subjects.0', 'critical'],
    ],
  },
  {
    id: 'BH-RBAC-005',
    name: 'negative: configmaps',
    objects: [
      role('cm', [{ resources: ['configmaps'], verbs: ['list'] }]),
      roleBinding('b', ['Role', 'cm'], [user('a')]),
    ],
    expected: [],
  },
  {
    id: 'BH-RBAC-006',
    name: 'pods/exec via a wildcard subresource, nodes/proxy',
    objects: [
      role('exec', [{ resources: ['*/exec'], verbs: ['create'] }]),
      roleBinding('b', ['Role', 'exec'], [user('alice')]),
      clusterRole('kubelet', [{ resources: ['nodes/proxy'], verbs: ['get'] }]),
      clusterRoleBinding('c', 'kubelet', [user('bob')]),
    ],
    expected: [
      ['RoleBinding b', 'subjects.0', 'high'],
      ['ClusterRoleBinding c', 'subjects.0', 'critical'],
    ],
  },
  {
    id: 'BH-RBAC-006',
    name: 'negative: pods/log',
    objects: [
      role('logs', [{ resources: ['pods/log'], verbs: ['get'] }]),
      roleBinding('b', ['Role', 'logs'], [user('a')]),
    ],
    expected: [],
  },
  {
    id: 'BH-RBAC-007',
    name: 'create pods',
    objects: [
      role('role1', [{ resources: ['pods'], verbs: ['create'] }]),
      roleBinding('role-binding1', ['Role', 'role1'], [sa('account1')]),
    ],
    expected: [['RoleBinding role-binding1', 'subjects.0', 'medium']],
  },
  {
    id: 'BH-RBAC-007',
    name: 'negative: get pods',
    objects: [
      role('r', [{ resources: ['pods'], verbs: ['get'] }]),
      roleBinding('b', ['Role', 'r'], [sa('account1')]),
    ],
    expected: [],
  },
  {
    id: 'BH-RBAC-008',
    name: 'default service account bound to a Role',
    objects: [
      role('pod-reader', [{ resources: ['pods'], verbs: ['get'] }]),
      roleBinding('read-pods', ['Role', 'pod-reader'], [sa('default')]),
    ],
    expected: [['RoleBinding read-pods', 'subjects.0', 'medium']],
  },
  {
    id: 'BH-RBAC-008',
    name: 'default service account bound to a role that is not in the input',
    objects: [clusterRoleBinding('crb', 'test', [sa('default', 'n1'), group('dev')])],
    expected: [['ClusterRoleBinding crb', 'subjects.0', 'medium']],
  },
  {
    id: 'BH-RBAC-008',
    name: 'negative: a dedicated service account',
    objects: [
      role('pod-reader', [{ resources: ['pods'], verbs: ['get'] }]),
      roleBinding('read-pods', ['Role', 'pod-reader'], [sa('supercool')]),
    ],
    expected: [],
  },
  {
    id: 'BH-RBAC-009',
    name: 'default ServiceAccount without automount false',
    objects: [record('ServiceAccount', 'default', { automountServiceAccountToken: true }, 'awesomeness')],
    expected: [['ServiceAccount default', 'automountServiceAccountToken', 'low']],
  },
  {
    id: 'BH-RBAC-009',
    name: 'negative: default ServiceAccount with automount false, another ServiceAccount',
    objects: [
      record('ServiceAccount', 'default', { automountServiceAccountToken: false }, 'awesomeness'),
      record('ServiceAccount', 'notdefault', {}, 'awesomeness'),
    ],
    expected: [],
  },
  {
    id: 'BH-RBAC-010',
    name: 'workload mounts a token with rights',
    objects: [
      role('cm', [{ resources: ['configmaps'], verbs: ['get'] }]),
      roleBinding('b', ['Role', 'cm'], [sa('api')]),
      deployment('api', { serviceAccountName: 'api' }),
    ],
    expected: [['Deployment api', 'spec.template.spec.serviceAccountName', 'medium']],
  },
  {
    id: 'BH-RBAC-010',
    name: 'negative: token not mounted (ServiceAccount says false), and a workload whose account has no bindings',
    objects: [
      role('cm', [{ resources: ['configmaps'], verbs: ['get'] }]),
      roleBinding('b', ['Role', 'cm'], [sa('api')]),
      record('ServiceAccount', 'api', { automountServiceAccountToken: false }, 'shop'),
      deployment('api', { serviceAccountName: 'api' }),
      deployment('web', { serviceAccountName: 'web' }),
    ],
    expected: [],
  },
  {
    id: 'BH-RBAC-011',
    name: 'anonymous and all authenticated',
    objects: [clusterRoleBinding('anon', 'view', [user('system:anonymous'), group('system:authenticated')])],
    expected: [
      ['ClusterRoleBinding anon', 'subjects.0', 'critical'],
      ['ClusterRoleBinding anon', 'subjects.1', 'high'],
    ],
  },
  {
    id: 'BH-RBAC-011',
    name: 'negative: Kubernetes own system:discovery binding',
    objects: [clusterRoleBinding('system:discovery', 'system:discovery', [group('system:authenticated')])],
    expected: [],
  },
];

describe('RBAC checks', () => {
  it.each(CASES.map((c) => [`${c.id} ${c.name}`, c] as const))('%s', (_name, c) => {
    expect(summary(run(c.id, ...c.objects))).toEqual(c.expected);
  });

  it('reports full control once, by BH-RBAC-001, not as each of its parts', () => {
    const objects = [clusterRoleBinding('ops', 'cluster-admin', [user('bob')])];
    for (const id of ['BH-RBAC-003', 'BH-RBAC-004', 'BH-RBAC-005', 'BH-RBAC-006', 'BH-RBAC-007'])
      expect(run(id, ...objects)).toEqual([]);
  });

  it('catalog entries are complete', () => {
    const ids = rbacChecks.map((c) => c.info.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { info } of rbacChecks) {
      expect(info.id).toMatch(/^BH-RBAC-\d{3}$/);
      expect(info.area).toBe('rbac');
      expect(info.rationale.length).toBeGreaterThan(40);
      expect(info.remediation.length).toBeGreaterThan(20);
      expect(info.references.length).toBeGreaterThan(0);
    }
  });
});
