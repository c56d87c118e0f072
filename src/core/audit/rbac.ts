// Audit checks of the rbac area: who can do what, resolved binding → role (with aggregation) → rules → subjects → workloads.

import { compileSelector, type LabelSelector, type SelectorRequirement } from '../model/labels.js';
import { finding, podSpecs, valueAt, type PodSpecRef } from './objects.js';
import { isRecord } from './values.js';
import type { AuditContext, Check, CheckInfo, Finding, ObjectRecord, Severity, ValuePath } from './types.js';

// ---------------------------------------------------------------------------------------------------------------
// The resolver
// ---------------------------------------------------------------------------------------------------------------

/** One PolicyRule of a role, with where it was written (an input object, or a built-in role). */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  /** Empty: every object. Non-empty: only the named objects (and never `create`, which has no name to check). */
  readonly resourceNames: readonly string[];
  /** The role that contains the rule as written (differs from the bound role for aggregated ClusterRoles). */
  readonly owner: ResolvedRole;
  /** Index in `rules` of the owner. */
  readonly index: number;
}

export interface ResolvedRole {
  readonly kind: 'Role' | 'ClusterRole';
  /** `''` for ClusterRoles. */
  readonly namespace: string;
  readonly name: string;
  /** Absent for Kubernetes' default ClusterRoles that the input does not define. */
  readonly object?: ObjectRecord;
  /** The rules written in this role. */
  readonly own: readonly PolicyRule[];
  /** Own rules plus the rules of every ClusterRole its aggregationRule selects (what the API server would grant). */
  readonly rules: readonly PolicyRule[];
  /** ClusterRoles whose aggregationRule selects this one. */
  readonly aggregatedInto: readonly ResolvedRole[];
}

export interface RbacSubject {
  readonly kind: 'User' | 'Group' | 'ServiceAccount';
  readonly name: string;
  /** ServiceAccounts only: their namespace (a RoleBinding's own namespace when the subject has none). */
  readonly namespace: string;
  /** Index in the binding's `subjects`. */
  readonly index: number;
}

/** One subject of one binding, with the role it gets and where. */
export interface Grant {
  readonly binding: ObjectRecord;
  readonly subject: RbacSubject;
  readonly role: ResolvedRole;
  /** The namespace the rules apply in (a RoleBinding's namespace), or `''` for a ClusterRoleBinding (everywhere). */
  readonly scope: string;
}

/** One subject of one binding, whether or not its role is in the input (for checks about the subject alone). */
export interface BindingSubject {
  readonly binding: ObjectRecord;
  readonly subject: RbacSubject;
  readonly scope: string;
  readonly roleRef: { readonly kind: string; readonly name: string };
  readonly role?: ResolvedRole;
}

export interface RbacGraph {
  /** Roles and ClusterRoles of the input (not the built-in defaults). */
  readonly roles: readonly ResolvedRole[];
  /** Every (binding, subject) pair, except Kubernetes' own `system:` bindings, with the role when it resolved. */
  readonly subjects: readonly BindingSubject[];
  /** Every (binding, subject) pair whose role resolved, except Kubernetes' own `system:` bindings. */
  readonly grants: readonly Grant[];
  readonly serviceAccounts: ReadonlyMap<string, ObjectRecord>;
  /** Workloads whose pods run as the subject (ServiceAccounts, `system:serviceaccount:` users, SA groups). */
  workloadsOf(subject: RbacSubject): readonly PodSpecRef[];
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const BOOTSTRAP_LABEL = 'kubernetes.io/bootstrapping';
/** Kubernetes' user-facing default ClusterRoles: reported through their bindings, never as role definitions. */
const DEFAULT_CLUSTER_ROLES = new Set(['cluster-admin', 'admin', 'edit', 'view']);
const SA_USER_PREFIX = 'system:serviceaccount:';
const SA_GROUP = 'system:serviceaccounts';

/**
 * Kubernetes' own objects (`system:` names, or the `kubernetes.io/bootstrapping: rbac-defaults` label): the API server
 * recreates them at start, so findings on them are not actionable. Bindings of the input TO `system:` roles are still
 * resolved and reported.
 */
export function isSystemObject(object: ObjectRecord): boolean {
  const labels = labelsOf(object.value);
  return object.name.startsWith('system:') || labels[BOOTSTRAP_LABEL] === 'rbac-defaults';
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function labelsOf(value: Readonly<Record<string, unknown>>): Record<string, string> {
  const labels = valueAt(value, ['metadata', 'labels']);
  const out: Record<string, string> = {};
  if (isRecord(labels)) for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') out[k] = v;
  return out;
}

function parseSelector(value: unknown): LabelSelector | undefined {
  if (!isRecord(value)) return undefined;
  const requirements: SelectorRequirement[] = [];
  if (isRecord(value['matchLabels']))
    for (const [key, v] of Object.entries(value['matchLabels']))
      requirements.push({ key, operator: 'In', values: [String(v)] });
  if (Array.isArray(value['matchExpressions']))
    for (const e of value['matchExpressions']) {
      if (!isRecord(e) || typeof e['key'] !== 'string') return undefined;
      const op = e['operator'];
      if (op !== 'In' && op !== 'NotIn' && op !== 'Exists' && op !== 'DoesNotExist') return undefined;
      requirements.push({ key: e['key'], operator: op, values: strings(e['values']) });
    }
  return { requirements };
}

type RuleSpec = readonly [apiGroups: string[], resources: string[], verbs: string[]];

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];

/** Kubernetes' default ClusterRoles (bootstrap policy, v1.30), used when the input does not define them. */
const VIEW_RULES: readonly RuleSpec[] = [
  [
    [''],
    [
      'configmaps',
      'endpoints',
      'persistentvolumeclaims',
      'persistentvolumeclaims/status',
      'pods',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'serviceaccounts',
      'services',
      'services/status',
      'bindings',
      'events',
      'limitranges',
      'namespaces/status',
      'pods/log',
      'pods/status',
      'replicationcontrollers/status',
      'resourcequotas',
      'resourcequotas/status',
      'namespaces',
    ],
    READ,
  ],
  [['discovery.k8s.io'], ['endpointslices'], READ],
  [
    ['apps'],
    ['controllerrevisions', 'daemonsets', 'deployments', 'replicasets', 'statefulsets', 'deployments/scale'],
    READ,
  ],
  [['autoscaling'], ['horizontalpodautoscalers'], READ],
  [['batch'], ['cronjobs', 'jobs'], READ],
  [['extensions'], ['daemonsets', 'deployments', 'ingresses', 'networkpolicies', 'replicasets'], READ],
  [['policy'], ['poddisruptionbudgets'], READ],
  [['networking.k8s.io'], ['ingresses', 'networkpolicies'], READ],
];
const EDIT_RULES: readonly RuleSpec[] = [
  ...VIEW_RULES,
  [[''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'], READ],
  [[''], ['serviceaccounts'], ['impersonate']],
  [[''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy'], WRITE],
  [
    [''],
    [
      'configmaps',
      'events',
      'persistentvolumeclaims',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'secrets',
      'serviceaccounts',
      'services',
      'services/proxy',
    ],
    WRITE,
  ],
  [[''], ['serviceaccounts/token'], ['create']],
  [
    ['apps'],
    ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'statefulsets'],
    WRITE,
  ],
  [['autoscaling'], ['horizontalpodautoscalers'], WRITE],
  [['batch'], ['cronjobs', 'jobs'], WRITE],
  [['extensions'], ['daemonsets', 'deployments', 'ingresses', 'networkpolicies', 'replicasets'], WRITE],
  [['policy'], ['poddisruptionbudgets'], WRITE],
  [['networking.k8s.io'], ['ingresses', 'networkpolicies'], WRITE],
  [['coordination.k8s.io'], ['leases'], [...READ, ...WRITE]],
];
const ADMIN_RULES: readonly RuleSpec[] = [
  ...EDIT_RULES,
  [['authorization.k8s.io'], ['localsubjectaccessreviews'], ['create']],
  [[RBAC_GROUP], ['rolebindings', 'roles'], [...READ, ...WRITE]],
];
const BUILTIN_ROLES: Readonly<Record<string, { rules: readonly RuleSpec[]; aggregateLabel?: string }>> = {
  'cluster-admin': { rules: [[['*'], ['*'], ['*']]] },
  admin: { rules: ADMIN_RULES, aggregateLabel: 'rbac.authorization.k8s.io/aggregate-to-admin' },
  edit: { rules: EDIT_RULES, aggregateLabel: 'rbac.authorization.k8s.io/aggregate-to-edit' },
  view: { rules: VIEW_RULES, aggregateLabel: 'rbac.authorization.k8s.io/aggregate-to-view' },
};

interface MutableRole {
  kind: 'Role' | 'ClusterRole';
  namespace: string;
  name: string;
  object?: ObjectRecord;
  own: PolicyRule[];
  rules: PolicyRule[];
  aggregatedInto: ResolvedRole[];
  selectors: ((labels: Record<string, string>) => boolean)[];
  labels: Record<string, string>;
}

function roleKey(kind: string, namespace: string, name: string): string {
  return kind === 'ClusterRole' ? `ClusterRole//${name}` : `Role/${namespace}/${name}`;
}

function ownRules(role: MutableRole, value: unknown): PolicyRule[] {
  if (!Array.isArray(value)) return [];
  const out: PolicyRule[] = [];
  value.forEach((rule: unknown, index) => {
    if (!isRecord(rule)) return;
    out.push({
      apiGroups: strings(rule['apiGroups']),
      resources: strings(rule['resources']),
      verbs: strings(rule['verbs']),
      resourceNames: strings(rule['resourceNames']),
      owner: role,
      index,
    });
  });
  return out;
}

const graphs = new WeakMap<readonly ObjectRecord[], RbacGraph>();

/** Resolves the RBAC objects of the input once per input (checks share the result). */
export function resolveRbac(objects: readonly ObjectRecord[]): RbacGraph {
  const cached = graphs.get(objects);
  if (cached !== undefined) return cached;
  const roles = new Map<string, MutableRole>();
  for (const object of objects) {
    if (object.kind !== 'Role' && object.kind !== 'ClusterRole') continue;
    const namespace = object.kind === 'ClusterRole' ? '' : object.namespace;
    const role: MutableRole = {
      kind: object.kind,
      namespace,
      name: object.name,
      object,
      own: [],
      rules: [],
      aggregatedInto: [],
      selectors: [],
      labels: labelsOf(object.value),
    };
    role.own = ownRules(role, object.value['rules']);
    const aggregation = object.value['aggregationRule'];
    if (
      object.kind === 'ClusterRole' &&
      isRecord(aggregation) &&
      Array.isArray(aggregation['clusterRoleSelectors'])
    )
      for (const s of aggregation['clusterRoleSelectors']) {
        const selector = parseSelector(s);
        if (selector !== undefined) role.selectors.push(compileSelector(selector));
      }
    roles.set(roleKey(object.kind, namespace, object.name), role);
  }
  for (const [name, builtin] of Object.entries(BUILTIN_ROLES)) {
    const defined = roles.get(roleKey('ClusterRole', '', name));
    if (defined !== undefined) {
      // The API server reconciles its default roles at every start, adding back any missing rule, unless the role is
      // annotated rbac.authorization.kubernetes.io/autoupdate: "false": what a binding gets is at least the default.
      const autoupdate = valueAt(defined.object?.value, [
        'metadata',
        'annotations',
        'rbac.authorization.kubernetes.io/autoupdate',
      ]);
      if (autoupdate !== 'false')
        defined.own.push(
          ...builtin.rules.map(([apiGroups, resources, verbs], i) => ({
            apiGroups,
            resources,
            verbs,
            resourceNames: [],
            owner: defined,
            index: defined.own.length + i,
          })),
        );
      continue;
    }
    const role: MutableRole = {
      kind: 'ClusterRole',
      namespace: '',
      name,
      own: [],
      rules: [],
      aggregatedInto: [],
      selectors: [],
      labels: {},
    };
    role.own = builtin.rules.map(([apiGroups, resources, verbs], index) => ({
      apiGroups,
      resources,
      verbs,
      resourceNames: [],
      owner: role,
      index,
    }));
    const label = builtin.aggregateLabel;
    if (label !== undefined) role.selectors.push((labels) => labels[label] === 'true');
    roles.set(roleKey('ClusterRole', '', name), role);
  }
  // "The control plane overwrites any values that you manually specify in the rules field of an aggregate
  // ClusterRole": rules are the union of the selected ClusterRoles' rules. Own rules are kept too (the controller
  // would replace them; keeping them errs on the side of reporting). A selected role that aggregates in turn has its
  // rules filled in by the controller as well, so chains are followed to a fixed point.
  const clusterRoles = [...roles.values()].filter((r) => r.kind === 'ClusterRole');
  for (const role of roles.values()) role.rules = [...role.own];
  for (const role of clusterRoles) {
    if (role.selectors.length === 0) continue;
    for (const other of clusterRoles)
      if (other !== role && role.selectors.some((s) => s(other.labels))) other.aggregatedInto.push(role);
  }
  for (const role of clusterRoles) {
    if (role.selectors.length === 0) continue;
    const seen = new Set<MutableRole>([role]);
    const queue = [role];
    while (queue.length > 0) {
      const current = queue.shift()!;
      for (const other of clusterRoles) {
        if (seen.has(other) || !current.selectors.some((s) => s(other.labels))) continue;
        seen.add(other);
        role.rules.push(...other.own);
        if (other.selectors.length > 0) queue.push(other);
      }
    }
  }

  const serviceAccounts = new Map<string, ObjectRecord>();
  for (const object of objects)
    if (object.kind === 'ServiceAccount') serviceAccounts.set(`${object.namespace}/${object.name}`, object);

  const grants: Grant[] = [];
  const bindingSubjects: BindingSubject[] = [];
  for (const binding of objects) {
    if (binding.kind !== 'RoleBinding' && binding.kind !== 'ClusterRoleBinding') continue;
    if (isSystemObject(binding)) continue;
    const ref = binding.value['roleRef'];
    if (!isRecord(ref) || typeof ref['name'] !== 'string') continue;
    const refKind = ref['kind'];
    // "A RoleBinding may reference any Role in the same namespace"; a ClusterRoleBinding only ClusterRoles.
    if (refKind !== 'ClusterRole' && (refKind !== 'Role' || binding.kind !== 'RoleBinding')) continue;
    const scope = binding.kind === 'RoleBinding' ? binding.namespace : '';
    const role = roles.get(roleKey(refKind, scope, ref['name']));
    const roleRef = { kind: refKind, name: ref['name'] };
    const subjects = binding.value['subjects'];
    if (!Array.isArray(subjects)) continue;
    subjects.forEach((s: unknown, index) => {
      if (!isRecord(s) || typeof s['name'] !== 'string') return;
      const kind = s['kind'];
      if (kind !== 'User' && kind !== 'Group' && kind !== 'ServiceAccount') return;
      let namespace = '';
      if (kind === 'ServiceAccount') {
        // rbac/v1 Subject.namespace: required for ServiceAccounts in a ClusterRoleBinding; the authorizer defaults an
        // empty one to the RoleBinding's namespace (appliesToUser: `if len(saNamespace) == 0 { saNamespace = namespace }`).
        namespace = typeof s['namespace'] === 'string' && s['namespace'] !== '' ? s['namespace'] : scope;
        if (namespace === '') return;
      }
      const subject: RbacSubject = { kind, name: s['name'], namespace, index };
      bindingSubjects.push({ binding, subject, scope, roleRef, ...(role !== undefined ? { role } : {}) });
      if (role !== undefined) grants.push({ binding, subject, role, scope });
    });
  }

  const pods = podSpecs(objects).filter((p) => !ownedByInputController(p.object, objects));
  const graph: RbacGraph = {
    roles: [...roles.values()].filter((r) => r.object !== undefined),
    subjects: bindingSubjects,
    grants,
    serviceAccounts,
    workloadsOf(subject) {
      const sa = serviceAccountOf(subject);
      if (sa !== undefined)
        return pods.filter((p) => p.object.namespace === sa.namespace && saName(p) === sa.name);
      if (subject.kind === 'Group' && subject.name === SA_GROUP) return pods;
      if (subject.kind === 'Group' && subject.name.startsWith(`${SA_GROUP}:`)) {
        const ns = subject.name.slice(SA_GROUP.length + 1);
        return pods.filter((p) => p.object.namespace === ns);
      }
      return [];
    },
  };
  graphs.set(objects, graph);
  return graph;
}

/** A ServiceAccount subject, or a User `system:serviceaccount:<ns>:<name>` (the same identity), as ns/name. */
export function serviceAccountOf(subject: RbacSubject): { namespace: string; name: string } | undefined {
  if (subject.kind === 'ServiceAccount') return { namespace: subject.namespace, name: subject.name };
  if (subject.kind === 'User' && subject.name.startsWith(SA_USER_PREFIX)) {
    const [namespace, name, ...rest] = subject.name.slice(SA_USER_PREFIX.length).split(':');
    if (namespace && name && rest.length === 0) return { namespace, name };
  }
  return undefined;
}

/** The service account a pod runs as: `serviceAccountName`, else the deprecated `serviceAccount`, else `default`. */
export function saName(pod: PodSpecRef): string {
  for (const field of ['serviceAccountName', 'serviceAccount']) {
    const v = pod.spec[field];
    if (typeof v === 'string' && v !== '') return v;
  }
  return 'default';
}

/**
 * Whether the API server mounts a token into the pod: "The pod spec takes precedence over the service account if both
 * specify a automountServiceAccountToken value"; the default is to mount.
 */
export function tokenMounted(pod: PodSpecRef, serviceAccounts: ReadonlyMap<string, ObjectRecord>): boolean {
  const own = pod.spec['automountServiceAccountToken'];
  if (typeof own === 'boolean') return own;
  const sa = serviceAccounts.get(`${pod.object.namespace}/${saName(pod)}`);
  return sa?.value['automountServiceAccountToken'] !== false;
}

function ownedByInputController(object: ObjectRecord, objects: readonly ObjectRecord[]): boolean {
  const owners = valueAt(object.value, ['metadata', 'ownerReferences']);
  if (!Array.isArray(owners)) return false;
  return owners.some(
    (o: unknown) =>
      isRecord(o) &&
      o['controller'] === true &&
      objects.some((x) => x.kind === o['kind'] && x.name === o['name'] && x.namespace === object.namespace),
  );
}

/**
 * Whether a rule allows `verb` on `group`/`resource` (which may be `resource/subresource`), as the RBAC authorizer's
 * RuleAllows does: `*` matches every verb, group and resource (subresources included); `*\/sub` matches that
 * subresource of every resource; `""` is the core group and is not matched by a named group.
 */
export function ruleAllows(rule: PolicyRule, verb: string, group: string, resource: string): boolean {
  if (!rule.verbs.includes('*') && !rule.verbs.includes(verb)) return false;
  if (!rule.apiGroups.includes('*') && !rule.apiGroups.includes(group)) return false;
  if (rule.resources.includes('*') || rule.resources.includes(resource)) return true;
  const slash = resource.indexOf('/');
  return slash >= 0 && rule.resources.includes(`*/${resource.slice(slash + 1)}`);
}

/** A question: does a rule allow any of these verbs on any of these resources? */
interface Ask {
  readonly verbs: readonly string[];
  readonly groups: readonly string[];
  readonly resources: readonly string[];
  /** Cluster-scoped resources: a RoleBinding (rules limited to one namespace) never grants them. */
  readonly clusterScoped: boolean;
}

interface Match {
  readonly verb: string;
  readonly resource: string;
  readonly ask: Ask;
  readonly rule: PolicyRule;
}

function matchAsks(rules: readonly PolicyRule[], asks: readonly Ask[], namespaced: boolean): Match[] {
  const out: Match[] = [];
  for (const ask of asks) {
    if (namespaced && ask.clusterScoped) continue;
    for (const resource of ask.resources)
      for (const verb of ask.verbs) {
        // Unrestricted rules first, so that a match reports the widest grant.
        const candidates = rules.filter((r) => ask.groups.some((g) => ruleAllows(r, verb, g, resource)));
        const rule =
          candidates.find((r) => r.resourceNames.length === 0) ??
          // "You cannot restrict create or deletecollection requests by their resource name."
          (verb === 'create' || verb === 'deletecollection' ? undefined : candidates[0]);
        if (rule !== undefined) out.push({ verb, resource, ask, rule });
      }
  }
  return out;
}

const ALL_STANDARD_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

/**
 * A rule that grants everything on every resource of every group (cluster-admin, or a copy of it): `*` verbs, or every
 * standard verb listed out, on `*` resources of `*` groups, not limited by resourceNames.
 */
export function isFullAdmin(role: ResolvedRole): boolean {
  return role.rules.some(
    (r) =>
      (r.verbs.includes('*') || ALL_STANDARD_VERBS.every((v) => r.verbs.includes(v))) &&
      r.resources.includes('*') &&
      r.apiGroups.includes('*') &&
      r.resourceNames.length === 0,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------------------------

function ref(kind: string, namespace: string, name: string): string {
  return `${kind} ${kind.startsWith('Cluster') || namespace === '' ? name : `${namespace}/${name}`}`;
}

function roleText(role: ResolvedRole): string {
  return ref(role.kind, role.namespace, role.name);
}

function subjectText(subject: RbacSubject): string {
  const sa = serviceAccountOf(subject);
  if (sa !== undefined) return `ServiceAccount ${sa.namespace}/${sa.name}`;
  return `${subject.kind} ${subject.name}`;
}

function workloadText(graph: RbacGraph, subject: RbacSubject): string {
  if (subject.kind === 'Group' && subject.name === SA_GROUP) return ' (every service account of the cluster)';
  if (subject.kind === 'Group' && subject.name.startsWith(`${SA_GROUP}:`))
    return ` (every service account of namespace ${subject.name.slice(SA_GROUP.length + 1)})`;
  const pods = graph.workloadsOf(subject);
  if (pods.length === 0) return '';
  const names = pods.slice(0, 5).map((p) => ref(p.object.kind, p.object.namespace, p.object.name));
  const more = pods.length > 5 ? ` and ${pods.length - 5} more` : '';
  const mounted = pods.filter((p) => tokenMounted(p, graph.serviceAccounts)).length;
  const tokens =
    mounted === 0 ? ', token not mounted' : mounted < pods.length ? ', token not mounted in all' : '';
  return ` (used by ${names.join(', ')}${more}${tokens})`;
}

/** The bound role, resolved or as the binding names it. */
function refText(b: BindingSubject): string {
  return b.role !== undefined ? roleText(b.role) : ref(b.roleRef.kind, b.scope, b.roleRef.name);
}

function via(grant: Grant): string {
  return `via ${ref(grant.binding.kind, grant.binding.namespace, grant.binding.name)} → ${roleText(grant.role)}`;
}

function whereText(scope: string, matches: readonly Match[]): string {
  if (scope !== '') return `in namespace ${scope}`;
  return matches.every((m) => m.ask.clusterScoped) ? 'cluster-wide' : 'in every namespace';
}

function whatText(matches: readonly Match[]): string {
  const byResource = new Map<string, string[]>();
  for (const m of matches) {
    const verbs = byResource.get(m.resource) ?? [];
    if (!verbs.includes(m.verb)) verbs.push(m.verb);
    byResource.set(m.resource, verbs);
  }
  // Resources with the same verbs are listed together: "create, get pods/exec, pods/attach".
  const byVerbs = new Map<string, string[]>();
  for (const [resource, verbs] of byResource) {
    const names = [
      ...new Set(matches.filter((m) => m.resource === resource).flatMap((m) => m.rule.resourceNames)),
    ];
    const only = matches.some((m) => m.resource === resource && m.rule.resourceNames.length === 0)
      ? ''
      : ` (only ${names.join(', ')})`;
    const key = verbs.join(', ');
    byVerbs.set(key, [...(byVerbs.get(key) ?? []), `${resource}${only}`]);
  }
  return [...byVerbs].map(([verbs, resources]) => `${verbs} ${resources.join(', ')}`).join('; ');
}

const LOWER: Readonly<Record<Severity, Severity>> = {
  critical: 'high',
  high: 'medium',
  medium: 'low',
  low: 'low',
};

// ---------------------------------------------------------------------------------------------------------------
// Catalog
// ---------------------------------------------------------------------------------------------------------------

const GOOD_PRACTICES = 'https://kubernetes.io/docs/concepts/security/rbac-good-practices/';
const NSA =
  'NSA/CISA Kubernetes Hardening Guidance v1.2: Authentication and authorization (RBAC, least privilege)';

function info(
  id: string,
  title: string,
  severity: Severity,
  rationale: string,
  remediation: string,
  references: readonly string[],
  mappings: CheckInfo['mappings'],
): CheckInfo {
  return { id, area: 'rbac', title, severity, rationale, remediation, references, mappings };
}

const CLUSTER_ADMIN = info(
  'BH-RBAC-001',
  'Subject has cluster-admin (full control)',
  'critical',
  'A subject bound to cluster-admin, or to any role granting every verb on every resource of every API group, can do anything: read every secret, run pods as any identity, and delete every NetworkPolicy. Members of the group system:masters bypass authorization altogether (the API server never asks RBAC about them), so mapping identities to it (e.g. the EKS aws-auth ConfigMap) cannot be revoked by editing bindings. Critical through a ClusterRoleBinding or system:masters; high through a RoleBinding (full control of one namespace, including its Roles, RoleBindings and NetworkPolicies).',
  'Bind a role that grants only what the subject needs (the default view/edit ClusterRoles in a RoleBinding, or a purpose-made Role). Keep cluster-admin for break-glass identities, and never map identities to system:masters.',
  [
    'CIS Kubernetes Benchmark v1.9 5.1.1',
    NSA,
    'MITRE ATT&CK T1078 Valid Accounts',
    'MITRE ATT&CK T1098 Account Manipulation',
    GOOD_PRACTICES,
  ],
  {
    kubescape: ['C-0035', 'C-0185'],
    polaris: [
      'clusterrolebindingClusterAdmin',
      'rolebindingClusterAdminClusterRole',
      'rolebindingClusterAdminRole',
    ],
    'kube-linter': ['cluster-admin-role-binding'],
    trivy: ['KSV-0111'],
    kics: ['249328b8-5f0f-409f-b1dd-029f07882e11'],
    cis: ['5.1.1'],
  },
);

const WILDCARD = info(
  'BH-RBAC-002',
  'Role uses wildcards',
  'medium',
  'A `*` in verbs, resources or apiGroups grants everything that exists now and everything added later (new CRDs, new subresources such as pods/exec or nodes/proxy, new verbs such as escalate). A rule with `*` verbs on `*` resources is cluster-admin in disguise (high).',
  "List the API groups, resources and verbs the subject needs. Kubernetes' own default roles (system:*, cluster-admin, admin, edit, view) are not reported here; their bindings are.",
  ['CIS Kubernetes Benchmark v1.9 5.1.3', NSA, 'MITRE ATT&CK T1078 Valid Accounts', GOOD_PRACTICES],
  {
    kubescape: ['C-0187'],
    'kube-linter': ['wildcard-in-rules'],
    checkov: ['CKV_K8S_49'],
    trivy: ['KSV-0044', 'KSV-0045', 'KSV-0046'],
    kics: ['6b896afb-ca07-467a-b256-1a0077a1c08e'],
    cis: ['5.1.3'],
  },
);

const ESCALATE = info(
  'BH-RBAC-003',
  'Subject can escalate, bind or impersonate',
  'high',
  'RBAC stops a subject from granting permissions it does not hold, except when it has `escalate` on roles (edit a role beyond its own rights), `bind` on roles (bind any role, cluster-admin included) or `impersonate` on users, groups or service accounts (act as them, e.g. as system:masters). Each is a path to cluster-admin. Critical when granted cluster-wide.',
  'Remove escalate, bind and impersonate from the role (and `*` verbs on rbac.authorization.k8s.io or core resources). If a controller must bind roles, restrict `bind` with resourceNames to the roles it hands out.',
  [
    'CIS Kubernetes Benchmark v1.9 5.1.8',
    NSA,
    'MITRE ATT&CK T1078 Valid Accounts',
    'MITRE ATT&CK T1548 Abuse Elevation Control Mechanism',
    'https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping',
  ],
  {
    kubescape: ['C-0065', 'C-0191'],
    checkov: ['CKV_K8S_157', 'CKV_K8S_158', 'CKV2_K8S_3'],
    trivy: ['KSV-0043', 'KSV-0050'],
    kics: ['8320826e-7a9c-4b0b-9535-578333193432', '9f85c3f6-26fd-4007-938a-2e0cb0100980'],
    cis: ['5.1.8'],
  },
);

const FIREWALL = info(
  'BH-RBAC-004',
  'Subject can change or delete network policies',
  'high',
  'Whoever can create, update, patch or delete NetworkPolicies can switch the firewall off for a namespace (delete the default-deny, or add an allow-all); the cluster-scoped admin tiers (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy, and the CNI-specific cluster-wide policies of Cilium and Calico) override namespace policies for the whole cluster. High for namespace policies in one namespace; critical cluster-wide or for admin tiers.',
  'Give write access to network policies only to the platform team and the GitOps controller that applies them; application service accounts and developers need at most get/list/watch. Do not bind `edit`/`admin` to workload service accounts.',
  [
    NSA,
    'MITRE ATT&CK T1562 Impair Defenses',
    'MITRE ATT&CK T1562.004 Disable or Modify System Firewall',
    GOOD_PRACTICES,
  ],
  { trivy: ['KSV-0056'] },
);

const SECRETS = info(
  'BH-RBAC-005',
  'Subject can read secrets',
  'high',
  'get, list or watch on secrets reveals their values, including service account tokens of more privileged identities. list and watch return every secret of the scope at once (high; critical cluster-wide); get needs the names but those are easy to guess (medium). Limited by resourceNames: one step lower.',
  'Grant secret access only to the named secrets a workload needs (resourceNames), or mount the secret instead of reading it through the API. Never grant list/watch on secrets cluster-wide.',
  [
    'CIS Kubernetes Benchmark v1.9 5.1.2',
    NSA,
    'MITRE ATT&CK T1552.007 Unsecured Credentials: Container API',
    GOOD_PRACTICES,
  ],
  {
    kubescape: ['C-0015', 'C-0186'],
    'kube-linter': ['access-to-secrets'],
    checkov: ['CKV2_K8S_5'],
    trivy: ['KSV-0041', 'KSV-0113'],
    kics: ['b7bca5c4-1dab-4c2c-8cbe-3050b9d59b14'],
    cis: ['5.1.2'],
  },
);

const EXEC = info(
  'BH-RBAC-006',
  'Subject can exec, attach or port-forward into pods',
  'high',
  "create (and, for older API servers speaking WebSocket, get) on pods/exec or pods/attach runs commands in any container of the scope, with its service account token and secrets; pods/portforward opens a tunnel to any pod port that bypasses NetworkPolicy ingress rules from the subject's own network; nodes/proxy reaches the kubelet API, which can exec into every pod on the node (critical).",
  'Remove pods/exec, pods/attach, pods/portforward and nodes/proxy from roles of service accounts and day-to-day users; grant them through a just-in-time, audited break-glass role.',
  [
    NSA,
    'MITRE ATT&CK T1609 Container Administration Command',
    'MITRE ATT&CK T1611 Escape to Host',
    GOOD_PRACTICES,
  ],
  {
    kubescape: ['C-0002', 'C-0063', 'C-0279'],
    polaris: [
      'clusterrolePodExecAttach',
      'rolePodExecAttach',
      'clusterrolebindingPodExecAttach',
      'rolebindingClusterRolePodExecAttach',
      'rolebindingRolePodExecAttach',
    ],
    checkov: ['CKV2_K8S_2'],
    trivy: ['KSV-0047', 'KSV-0053', 'KSV-0054'],
    kics: [
      'c589f42c-7924-4871-aee2-1cede9bc7cbc',
      'd45330fd-f58d-45fb-a682-6481477a0f84',
      '38fa11ef-dbcc-4da8-9680-7e1fd855b6fb',
    ],
  },
);

const CREATE_PODS = info(
  'BH-RBAC-007',
  'Subject can create workloads',
  'medium',
  "Whoever can create pods, or create/update/patch the controllers that create them (Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, ReplicationControllers), can run a pod as any service account of the namespace and mount any of its secrets, so they hold the union of every service account's permissions there; with a privileged pod, the node. Medium in one namespace, high cluster-wide.",
  'Let a deployment pipeline (one service account, audited) create workloads; give people and application service accounts read access. Enforce Pod Security admission so that created pods cannot be privileged.',
  ['CIS Kubernetes Benchmark v1.9 5.1.4', NSA, 'MITRE ATT&CK T1610 Deploy Container', GOOD_PRACTICES],
  {
    kubescape: ['C-0188'],
    'kube-linter': ['access-to-create-pods'],
    trivy: ['KSV-0048'],
    kics: ['592ad21d-ad9b-46c6-8d2d-fad09d62a942'],
    cis: ['5.1.4'],
  },
);

const DEFAULT_SA_BOUND = info(
  'BH-RBAC-008',
  'Role bound to a default service account',
  'medium',
  "Every pod that names no service account runs as its namespace's `default` service account, so a role bound to it is given to all of them, including pods added later by anyone who can create pods. Rights belong to a dedicated service account per workload.",
  'Create a service account for the workload that needs the rights, bind the role to it, and set serviceAccountName in its pod template. Keep `default` without bindings.',
  ['CIS Kubernetes Benchmark v1.9 5.1.5', NSA, 'MITRE ATT&CK T1078.001 Valid Accounts: Default Accounts'],
  {
    kubescape: ['C-0225', 'C-0239'],
    checkov: ['CKV_K8S_42'],
    kics: ['1e749bc9-fde8-471c-af0c-8254efd2dee5'],
    cis: ['5.1.5'],
  },
);

const DEFAULT_SA_AUTOMOUNT = info(
  'BH-RBAC-009',
  'Default ServiceAccount does not disable token automount',
  'low',
  "Every pod that names no service account runs as its namespace's `default` ServiceAccount; unless that ServiceAccount sets automountServiceAccountToken: false, each of them gets its token, and with it whatever the `default` account is bound to. Medium when the default service account has bindings in the input. (Pods running as `default` are reported by BH-POD-013.)",
  "Set automountServiceAccountToken: false on every namespace's `default` ServiceAccount, and give workloads that call the API their own ServiceAccount.",
  [
    'CIS Kubernetes Benchmark v1.9 5.1.5',
    'CIS Kubernetes Benchmark v1.9 5.1.6',
    NSA,
    'MITRE ATT&CK T1528 Steal Application Access Token',
  ],
  { checkov: ['CKV_K8S_41'], cis: ['5.1.5'] },
);

const TOKEN_POWERS = info(
  'BH-RBAC-010',
  'Workload token carries RBAC rights',
  'medium',
  'The pod gets the API token of a service account that the input binds to roles: code execution in any of its containers becomes API access with those rights. High when the rights include full control, reading secrets, creating workloads, exec, escalation or changing network policies (cluster takeover). Pods that do not mount the token are not reported. (Token automount as such is BH-POD-013/BH-POD-014.)',
  'Set automountServiceAccountToken: false on workloads that do not call the API; otherwise cut the bound roles down to what the workload calls, and prefer a projected token with a short expiry and an audience.',
  [
    'CIS Kubernetes Benchmark v1.9 5.1.6',
    NSA,
    'MITRE ATT&CK T1528 Steal Application Access Token',
    'MITRE ATT&CK T1552.007 Unsecured Credentials: Container API',
  ],
  { kubescape: ['C-0267', 'C-0272'], cis: ['5.1.6'] },
);

const ANONYMOUS = info(
  'BH-RBAC-011',
  'Role bound to anonymous or all authenticated users',
  'high',
  "The subjects User system:anonymous and Group system:unauthenticated are whoever reaches the API server without credentials (critical); Group system:authenticated is every identity the cluster knows, including every service account token of every pod (high). A role bound to them is granted to everyone. Kubernetes' own system: bindings (discovery, public-info-viewer) are not reported.",
  'Bind the role to the users, groups or service accounts that need it instead.',
  [
    NSA,
    'MITRE ATT&CK T1078 Valid Accounts',
    'MITRE ATT&CK T1190 Exploit Public-Facing Application',
    GOOD_PRACTICES,
  ],
  { kubescape: ['C-0262', 'C-0265'] },
);

// ---------------------------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------------------------

/** A check about a power: reported on every binding subject that gets it, and on input roles no binding uses. */
interface PowerSpec {
  readonly info: CheckInfo;
  readonly asks: readonly Ask[];
  readonly severity: (clusterWide: boolean, matches: readonly Match[]) => Severity;
  /** Appended to the message: what the power means. */
  readonly consequence: string;
}

function boundRoles(graph: RbacGraph): Set<ResolvedRole> {
  const out = new Set<ResolvedRole>();
  for (const grant of graph.grants) {
    out.add(grant.role);
    for (const rule of grant.role.rules) out.add(rule.owner);
  }
  return out;
}

/** Roles of the input reported as definitions: not Kubernetes' own, and bound by nothing in the input. */
function unboundRoles(graph: RbacGraph): ResolvedRole[] {
  const bound = boundRoles(graph);
  return graph.roles.filter(
    (r) =>
      r.object !== undefined &&
      !bound.has(r) &&
      !isSystemObject(r.object) &&
      !(r.kind === 'ClusterRole' && DEFAULT_CLUSTER_ROLES.has(r.name)),
  );
}

function runPower(context: AuditContext, spec: PowerSpec): Finding[] {
  const graph = resolveRbac(context.objects);
  const out: Finding[] = [];
  for (const grant of graph.grants) {
    // Full control is reported once, by BH-RBAC-001, not as each of its parts.
    if (isFullAdmin(grant.role)) continue;
    const matches = matchAsks(grant.role.rules, spec.asks, grant.scope !== '');
    if (matches.length === 0) continue;
    let severity = spec.severity(grant.scope === '', matches);
    if (matches.every((m) => m.rule.resourceNames.length > 0)) severity = LOWER[severity];
    const message = `${subjectText(grant.subject)}${workloadText(graph, grant.subject)} can ${whatText(matches)} ${whereText(grant.scope, matches)} ${via(grant)}${spec.consequence}`;
    out.push(
      finding(context, spec.info, grant.binding, ['subjects', grant.subject.index], message, severity),
    );
  }
  for (const role of unboundRoles(graph)) {
    if (isFullAdmin(role) && spec.info.id !== CLUSTER_ADMIN.id) continue;
    const matches = matchAsks(role.own, spec.asks, role.kind === 'Role');
    if (matches.length === 0) continue;
    let severity = spec.severity(role.kind === 'ClusterRole', matches);
    if (matches.every((m) => m.rule.resourceNames.length > 0)) severity = LOWER[severity];
    const into =
      role.aggregatedInto.length > 0
        ? `; it is aggregated into ${role.aggregatedInto.map(roleText).join(', ')}`
        : '';
    const message = `${roleText(role)} grants ${whatText(matches)} (no binding in the input${into})${spec.consequence}`;
    out.push(finding(context, spec.info, role.object!, ['rules', matches[0]!.rule.index], message, severity));
  }
  return out;
}

const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];

function powerCheck(spec: PowerSpec): Check {
  return { info: spec.info, run: (context) => runPower(context, spec) };
}

const ESCALATE_SPEC: PowerSpec = {
  info: ESCALATE,
  asks: [
    { verbs: ['escalate', 'bind'], groups: [RBAC_GROUP], resources: ['roles'], clusterScoped: false },
    // The bind check for a RoleBinding to a ClusterRole is made in the RoleBinding's namespace.
    { verbs: ['bind'], groups: [RBAC_GROUP], resources: ['clusterroles'], clusterScoped: false },
    { verbs: ['escalate'], groups: [RBAC_GROUP], resources: ['clusterroles'], clusterScoped: true },
    { verbs: ['impersonate'], groups: [''], resources: ['users', 'groups'], clusterScoped: true },
    { verbs: ['impersonate'], groups: [''], resources: ['serviceaccounts'], clusterScoped: false },
    { verbs: ['impersonate'], groups: ['authentication.k8s.io'], resources: ['uids'], clusterScoped: true },
  ],
  severity: (clusterWide) => (clusterWide ? 'critical' : 'high'),
  consequence: ": a path around RBAC's escalation checks",
};
const escalateCheck = powerCheck(ESCALATE_SPEC);

const FIREWALL_SPEC: PowerSpec = {
  info: FIREWALL,
  asks: [
    {
      verbs: WRITE_VERBS,
      groups: ['networking.k8s.io', 'extensions'],
      resources: ['networkpolicies'],
      clusterScoped: false,
    },
    {
      verbs: WRITE_VERBS,
      groups: ['policy.networking.k8s.io'],
      resources: ['adminnetworkpolicies', 'baselineadminnetworkpolicies', 'clusternetworkpolicies'],
      clusterScoped: true,
    },
    { verbs: WRITE_VERBS, groups: ['cilium.io'], resources: ['ciliumnetworkpolicies'], clusterScoped: false },
    {
      verbs: WRITE_VERBS,
      groups: ['cilium.io'],
      resources: ['ciliumclusterwidenetworkpolicies'],
      clusterScoped: true,
    },
    {
      verbs: WRITE_VERBS,
      groups: ['crd.projectcalico.org', 'projectcalico.org'],
      resources: ['networkpolicies'],
      clusterScoped: false,
    },
    {
      verbs: WRITE_VERBS,
      groups: ['crd.projectcalico.org', 'projectcalico.org'],
      resources: ['globalnetworkpolicies'],
      clusterScoped: true,
    },
  ],
  severity: (clusterWide, matches) =>
    clusterWide || matches.some((m) => m.ask.clusterScoped) ? 'critical' : 'high',
  consequence: ': it can switch the firewall off',
};
const firewallCheck = powerCheck(FIREWALL_SPEC);

const SECRETS_SPEC: PowerSpec = {
  info: SECRETS,
  asks: [{ verbs: ['get', 'list', 'watch'], groups: [''], resources: ['secrets'], clusterScoped: false }],
  severity: (clusterWide, matches) =>
    matches.some((m) => m.verb !== 'get') ? (clusterWide ? 'critical' : 'high') : 'medium',
  consequence: '',
};
const secretsCheck = powerCheck(SECRETS_SPEC);

const EXEC_SPEC: PowerSpec = {
  info: EXEC,
  asks: [
    {
      verbs: ['create', 'get'],
      groups: [''],
      resources: ['pods/exec', 'pods/attach', 'pods/portforward'],
      clusterScoped: false,
    },
    { verbs: ['get', 'create'], groups: [''], resources: ['nodes/proxy'], clusterScoped: true },
  ],
  severity: (_clusterWide, matches) =>
    matches.some((m) => m.resource === 'nodes/proxy') ? 'critical' : 'high',
  consequence: '',
};
const execCheck = powerCheck(EXEC_SPEC);

const CREATE_PODS_SPEC: PowerSpec = {
  info: CREATE_PODS,
  asks: [
    { verbs: ['create'], groups: [''], resources: ['pods'], clusterScoped: false },
    {
      verbs: ['create', 'update', 'patch'],
      groups: ['apps', 'extensions'],
      resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'],
      clusterScoped: false,
    },
    {
      verbs: ['create', 'update', 'patch'],
      groups: ['batch'],
      resources: ['jobs', 'cronjobs'],
      clusterScoped: false,
    },
    {
      verbs: ['create', 'update', 'patch'],
      groups: [''],
      resources: ['replicationcontrollers'],
      clusterScoped: false,
    },
  ],
  severity: (clusterWide) => (clusterWide ? 'high' : 'medium'),
  consequence: ': it can run pods as any service account there',
};
const createPodsCheck = powerCheck(CREATE_PODS_SPEC);

const clusterAdminCheck: Check = {
  info: CLUSTER_ADMIN,
  run(context) {
    const graph = resolveRbac(context.objects);
    const out: Finding[] = [];
    for (const b of graph.subjects) {
      if (b.subject.kind !== 'Group' || b.subject.name !== 'system:masters') continue;
      out.push(
        finding(
          context,
          CLUSTER_ADMIN,
          b.binding,
          ['subjects', b.subject.index],
          `${ref(b.binding.kind, b.binding.namespace, b.binding.name)} names Group system:masters: its members bypass RBAC entirely, whatever they are bound to`,
          'critical',
        ),
      );
    }
    for (const grant of graph.grants) {
      const path: ValuePath = ['subjects', grant.subject.index];
      const who = `${subjectText(grant.subject)}${workloadText(graph, grant.subject)}`;
      if (grant.subject.kind === 'Group' && grant.subject.name === 'system:masters') continue;
      if (!isFullAdmin(grant.role)) continue;
      const message =
        grant.scope === ''
          ? `${who} can do anything cluster-wide (every verb on every resource) ${via(grant)}`
          : `${who} can do anything in namespace ${grant.scope}, including edit its Roles, RoleBindings and NetworkPolicies, ${via(grant)}`;
      out.push(
        finding(
          context,
          CLUSTER_ADMIN,
          grant.binding,
          path,
          message,
          grant.scope === '' ? 'critical' : 'high',
        ),
      );
    }
    // EKS maps IAM identities to Kubernetes users and groups in kube-system/aws-auth.
    for (const object of context.objects) {
      if (object.kind !== 'ConfigMap' || object.name !== 'aws-auth' || object.namespace !== 'kube-system')
        continue;
      for (const key of ['mapRoles', 'mapUsers']) {
        const text = valueAt(object.value, ['data', key]);
        if (typeof text !== 'string') continue;
        const entries = text.split(/^\s*-\s/m).filter((e) => /\bsystem:masters\b/.test(e));
        if (entries.length === 0) continue;
        const arns = entries.map((e) => /(?:rolearn|userarn)\s*:\s*"?([^\s"]+)/.exec(e)?.[1] ?? '?');
        out.push(
          finding(
            context,
            CLUSTER_ADMIN,
            object,
            ['data', key],
            `ConfigMap kube-system/aws-auth maps ${arns.join(', ')} to Group system:masters (${key}): superuser access that bypasses RBAC`,
            'critical',
          ),
        );
      }
    }
    return out;
  },
};

const wildcardCheck: Check = {
  info: WILDCARD,
  run(context) {
    const graph = resolveRbac(context.objects);
    const bindings = new Map<ResolvedRole, string[]>();
    for (const grant of graph.grants) {
      const list = bindings.get(grant.role) ?? [];
      list.push(subjectText(grant.subject));
      bindings.set(grant.role, list);
    }
    const out: Finding[] = [];
    for (const role of graph.roles) {
      if (role.object === undefined || isSystemObject(role.object)) continue;
      if (role.kind === 'ClusterRole' && DEFAULT_CLUSTER_ROLES.has(role.name)) continue;
      const rules = role.object.value['rules'];
      if (!Array.isArray(rules)) continue;
      for (const rule of role.own) {
        const fields = (['verbs', 'resources', 'apiGroups'] as const).filter((f) => rule[f].includes('*'));
        if (fields.length === 0) continue;
        const first = fields[0]!;
        const raw = valueAt(rules, [rule.index, first]);
        const at = Array.isArray(raw) ? raw.indexOf('*') : -1;
        const everything = rule.verbs.includes('*') && rule.resources.includes('*');
        const subjects = [...new Set(bindings.get(role) ?? [])];
        const boundTo =
          subjects.length > 0
            ? `; bound to ${subjects.slice(0, 5).join(', ')}${subjects.length > 5 ? ` and ${subjects.length - 5} more` : ''}`
            : '; no binding in the input';
        out.push(
          finding(
            context,
            WILDCARD,
            role.object,
            at >= 0 ? ['rules', rule.index, first, at] : ['rules', rule.index],
            `${roleText(role)} rule ${rule.index} uses "*" in ${fields.join(', ')}${everything ? ': every verb on every resource' : ''}${boundTo}`,
            everything ? 'high' : 'medium',
          ),
        );
      }
    }
    return out;
  },
};

const defaultSaBoundCheck: Check = {
  info: DEFAULT_SA_BOUND,
  run(context) {
    const graph = resolveRbac(context.objects);
    const out: Finding[] = [];
    for (const grant of graph.subjects) {
      const sa = serviceAccountOf(grant.subject);
      if (sa === undefined || sa.name !== 'default') continue;
      const severity: Severity = grant.role !== undefined && isFullAdmin(grant.role) ? 'high' : 'medium';
      const message = `${subjectText(grant.subject)}${workloadText(graph, grant.subject)} is bound to ${refText(grant)} ${grant.scope === '' ? 'in every namespace' : `in namespace ${grant.scope}`} by ${ref(grant.binding.kind, grant.binding.namespace, grant.binding.name)}: every pod of namespace ${sa.namespace} without a serviceAccountName gets it`;
      out.push(
        finding(
          context,
          DEFAULT_SA_BOUND,
          grant.binding,
          ['subjects', grant.subject.index],
          message,
          severity,
        ),
      );
    }
    return out;
  },
};

/** Pod specs that stand for a workload: Pods and ReplicaSets created by a controller of the input are left out. */
function workloadPods(objects: readonly ObjectRecord[]): PodSpecRef[] {
  return podSpecs(objects).filter((p) => !ownedByInputController(p.object, objects));
}

/** Grants the input gives to the service account ns/name (directly or as its `system:serviceaccount:` user). */
function grantsOf(graph: RbacGraph, namespace: string, name: string): Grant[] {
  return graph.grants.filter((g) => {
    const sa = serviceAccountOf(g.subject);
    if (sa !== undefined) return sa.namespace === namespace && sa.name === name;
    return (
      g.subject.kind === 'Group' &&
      (g.subject.name === SA_GROUP || g.subject.name === `${SA_GROUP}:${namespace}`)
    );
  });
}

function grantsText(grants: readonly Grant[]): string {
  const parts = [
    ...new Set(
      grants.map(
        (g) => `${roleText(g.role)} via ${ref(g.binding.kind, g.binding.namespace, g.binding.name)}`,
      ),
    ),
  ];
  return `${parts.slice(0, 3).join(', ')}${parts.length > 3 ? ` and ${parts.length - 3} more` : ''}`;
}

const defaultSaAutomountCheck: Check = {
  info: DEFAULT_SA_AUTOMOUNT,
  run(context) {
    const graph = resolveRbac(context.objects);
    const out: Finding[] = [];
    for (const sa of graph.serviceAccounts.values()) {
      if (sa.name !== 'default' || sa.value['automountServiceAccountToken'] === false) continue;
      const grants = grantsOf(graph, sa.namespace, 'default');
      const set = typeof sa.value['automountServiceAccountToken'] === 'boolean';
      const users = workloadPods(context.objects).filter(
        (p) => p.object.namespace === sa.namespace && saName(p) === 'default',
      );
      const usedBy =
        users.length > 0
          ? ` (${users
              .slice(0, 5)
              .map((p) => ref(p.object.kind, p.object.namespace, p.object.name))
              .join(', ')}${users.length > 5 ? ` and ${users.length - 5} more` : ''})`
          : '';
      out.push(
        finding(
          context,
          DEFAULT_SA_AUTOMOUNT,
          sa,
          set ? ['automountServiceAccountToken'] : ['metadata', 'name'],
          `ServiceAccount ${sa.namespace}/default does not set automountServiceAccountToken: false, so every pod of the namespace without a serviceAccountName${usedBy} gets its token${grants.length > 0 ? ` and with it ${grantsText(grants)}` : ''}`,
          grants.length > 0 ? 'medium' : 'low',
        ),
      );
    }
    return out;
  },
};

/** Every power of BH-RBAC-003 to 007: what makes a token a cluster-takeover token. */
const TAKEOVER_ASKS: readonly Ask[] = [
  ESCALATE_SPEC,
  FIREWALL_SPEC,
  SECRETS_SPEC,
  EXEC_SPEC,
  CREATE_PODS_SPEC,
].flatMap((spec) => spec.asks);

const tokenPowersCheck: Check = {
  info: TOKEN_POWERS,
  run(context) {
    const graph = resolveRbac(context.objects);
    const out: Finding[] = [];
    for (const pod of workloadPods(context.objects)) {
      if (!tokenMounted(pod, graph.serviceAccounts)) continue;
      const sa = saName(pod);
      const grants = grantsOf(graph, pod.object.namespace, sa);
      if (grants.length === 0) continue;
      const takeover = grants.some(
        (g) => isFullAdmin(g.role) || matchAsks(g.role.rules, TAKEOVER_ASKS, g.scope !== '').length > 0,
      );
      const field = ['serviceAccountName', 'serviceAccount'].find((f) => typeof pod.spec[f] === 'string');
      out.push(
        finding(
          context,
          TOKEN_POWERS,
          pod.object,
          field === undefined ? pod.path : [...pod.path, field],
          `${ref(pod.object.kind, pod.object.namespace, pod.object.name)} mounts the token of ServiceAccount ${pod.object.namespace}/${sa}, which holds ${grantsText(grants)}${takeover ? ': enough to take over its scope' : ''}`,
          takeover ? 'high' : 'medium',
        ),
      );
    }
    return out;
  },
};

const ANONYMOUS_SUBJECTS: Readonly<Record<string, Severity>> = {
  'User system:anonymous': 'critical',
  'Group system:unauthenticated': 'critical',
  'Group system:authenticated': 'high',
};

const anonymousCheck: Check = {
  info: ANONYMOUS,
  run(context) {
    const graph = resolveRbac(context.objects);
    const out: Finding[] = [];
    for (const grant of graph.subjects) {
      const key = `${grant.subject.kind} ${grant.subject.name}`;
      const severity = ANONYMOUS_SUBJECTS[key];
      if (severity === undefined) continue;
      const who =
        grant.subject.name === 'system:authenticated'
          ? "every authenticated identity (every pod's token included)"
          : 'anyone who reaches the API server, without credentials';
      out.push(
        finding(
          context,
          ANONYMOUS,
          grant.binding,
          ['subjects', grant.subject.index],
          `${key} is bound to ${refText(grant)} ${grant.scope === '' ? 'in every namespace' : `in namespace ${grant.scope}`} by ${ref(grant.binding.kind, grant.binding.namespace, grant.binding.name)}: ${who} gets it`,
          severity,
        ),
      );
    }
    return out;
  },
};

/**
 * The RBAC checks. Bindings and roles that Kubernetes itself creates (`system:` names, the
 * `kubernetes.io/bootstrapping: rbac-defaults` label) are skipped; the default ClusterRoles cluster-admin, admin, edit
 * and view are known (bootstrap policy) when the input does not define them, and are reported through their bindings.
 */
export const rbacChecks: readonly Check[] = [
  clusterAdminCheck,
  wildcardCheck,
  escalateCheck,
  firewallCheck,
  secretsCheck,
  execCheck,
  createPodsCheck,
  defaultSaBoundCheck,
  defaultSaAutomountCheck,
  tokenPowersCheck,
  anonymousCheck,
];
