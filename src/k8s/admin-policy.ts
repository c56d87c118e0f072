// AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1, network-policy-api
// v0.1.7) and ClusterNetworkPolicy (v1alpha2) → the admin-tier IR, with every CRD validation rule (OpenAPI and
// CEL) reported as a diagnostic. API text is quoted next to the code that implements it.

import { AddressSet, parseCidr, V6_OFFSET, type ParsedCidr } from '../core/model/address-set.js';
import type { LabelSelector } from '../core/model/labels.js';
import { MAX_PORT, MIN_PORT, type Protocol } from '../core/model/port-set.js';
import type {
  AdminAction,
  AdminPeer,
  AdminPolicy,
  AdminRule,
  AdminSubject,
  AdminTier,
} from '../core/policy/admin-policy.js';
import type { CidrBlock, PortMatch } from '../core/policy/network-policy.js';
import { renderPath } from './documents.js';
import { readProtocol } from './network-policy.js';
import type { ObjectReader, Path } from './object-reader.js';
import { isPortName, readSelector } from './selectors.js';

export type AdminKind = AdminPolicy['apiKind'];

/** The kinds read here; all three are cluster-scoped ("+kubebuilder:resource:...,scope=Cluster"). */
export const ADMIN_KINDS: ReadonlySet<string> = new Set<AdminKind>([
  'AdminNetworkPolicy',
  'BaselineAdminNetworkPolicy',
  'ClusterNetworkPolicy',
]);

const GROUP = 'policy.networking.k8s.io';

/** What differs between the kinds: versions, field names, actions, list limits, peer types. */
interface Flavor {
  readonly kind: AdminKind;
  readonly apiVersion: string;
  /** v1alpha2 (ClusterNetworkPolicy): `protocols` instead of `ports`, Accept instead of Allow. */
  readonly v2: boolean;
  readonly actions: Readonly<Record<string, AdminAction>>;
  readonly maxRules: number;
  readonly maxPeers: number;
  readonly egressPeerFields: readonly string[];
}

const FLAVORS: Readonly<Record<AdminKind, Flavor>> = {
  AdminNetworkPolicy: {
    kind: 'AdminNetworkPolicy',
    apiVersion: `${GROUP}/v1alpha1`,
    v2: false,
    // "+kubebuilder:validation:Enum={"Allow", "Deny", "Pass"}"
    actions: { Allow: 'allow', Deny: 'deny', Pass: 'pass' },
    // "A total of 100 rules will be allowed in each ANP instance." From/To: "MaxItems=100".
    maxRules: 100,
    maxPeers: 100,
    egressPeerFields: ['namespaces', 'pods', 'nodes', 'networks', 'domainNames'],
  },
  BaselineAdminNetworkPolicy: {
    kind: 'BaselineAdminNetworkPolicy',
    apiVersion: `${GROUP}/v1alpha1`,
    v2: false,
    // "+kubebuilder:validation:Enum={"Allow", "Deny"}": the last tier has nothing to pass to.
    actions: { Allow: 'allow', Deny: 'deny' },
    maxRules: 100,
    maxPeers: 100,
    // BaselineAdminNetworkPolicyEgressPeer has no domainNames.
    egressPeerFields: ['namespaces', 'pods', 'nodes', 'networks'],
  },
  ClusterNetworkPolicy: {
    kind: 'ClusterNetworkPolicy',
    apiVersion: `${GROUP}/v1alpha2`,
    v2: true,
    // "+kubebuilder:validation:Enum={"Accept", "Deny", "Pass"}", in both tiers.
    actions: { Accept: 'allow', Deny: 'deny', Pass: 'pass' },
    // "A maximum of 25 rules is allowed in this block." From/To: "MaxItems=25".
    maxRules: 25,
    maxPeers: 25,
    egressPeerFields: ['namespaces', 'pods', 'nodes', 'networks', 'domainNames'],
  },
};

const INGRESS_PEER_FIELDS = ['namespaces', 'pods'] as const;

/** "Name is an identifier for this rule, that may be no more than 100 characters in length." */
const MAX_RULE_NAME = 100;
/** Networks: "+kubebuilder:validation:MaxItems=25"; DomainNames: "can have up to 25 domain names". */
const MAX_NETWORKS = 25;
const MAX_DOMAIN_NAMES = 25;
/** v1alpha1 ports: "MaxItems=100"; v1alpha2 protocols: "MaxItems=25". */
const MAX_PORTS_V1 = 100;
const MAX_PROTOCOLS_V2 = 25;
/** CIDR: "+kubebuilder:validation:MaxLength=43". */
const MAX_CIDR_LENGTH = 43;
/**
 * DomainName: "+kubebuilder:validation:Pattern=`^(\*\.)?([a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+
 * [a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$`"
 */
const DOMAIN_NAME =
  /^(\*\.)?([a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$/;

/**
 * Reads an AdminNetworkPolicy, BaselineAdminNetworkPolicy or ClusterNetworkPolicy; undefined when it has errors
 * (the API server would reject the whole object). `name` is metadata.name, already read and checked.
 */
export function readAdminPolicy(reader: ObjectReader, name: string): AdminPolicy | undefined {
  const kind = reader.kind as AdminKind;
  const flavor = FLAVORS[kind];
  if (flavor === undefined) throw new Error(`readAdminPolicy called for kind ${kind}`);
  reader.checkKnownFields([], ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  checkApiVersion(reader, flavor);
  checkNoNamespace(reader);

  // BaselineAdminNetworkPolicy: "+kubebuilder:validation:XValidation:rule="self.metadata.name == 'default'",
  // message="Only one baseline admin network policy with metadata.name=\"default\" can be created in the cluster""
  if (kind === 'BaselineAdminNetworkPolicy' && name !== 'default') {
    reader.report(
      'INVALID_BASELINE_NAME',
      'error',
      ['metadata', 'name'],
      `a BaselineAdminNetworkPolicy must be named "default", not "${name}"`,
      'Only one BaselineAdminNetworkPolicy, named "default", can exist in a cluster: rename it to default.',
    );
  }

  const spec = reader.record(['spec']);
  if (spec === undefined) {
    if (reader.get(['spec']) === undefined || reader.get(['spec']) === null) {
      reader.report(
        'MISSING_FIELD',
        'error',
        [],
        'spec is required',
        `Add a spec with ${kind === 'BaselineAdminNetworkPolicy' ? 'a subject' : 'a priority and a subject'}.`,
      );
    }
    return undefined;
  }
  reader.checkKnownFields(
    ['spec'],
    kind === 'AdminNetworkPolicy'
      ? ['priority', 'subject', 'ingress', 'egress']
      : kind === 'BaselineAdminNetworkPolicy'
        ? ['subject', 'ingress', 'egress']
        : ['tier', 'priority', 'subject', 'ingress', 'egress'],
  );

  const tier = kind === 'ClusterNetworkPolicy' ? readTier(reader) : kindTier(kind);
  // "BaselineAdminNetworkPolicy has none (there is at most one): 0" (the IR's convention).
  const priority = kind === 'BaselineAdminNetworkPolicy' ? 0 : readPriority(reader);
  const subject = readSubject(reader, flavor);
  const ingress = readRules(reader, flavor, 'ingress');
  const egress = readRules(reader, flavor, 'egress');

  if (reader.hasErrors || tier === undefined || priority === undefined || subject === undefined)
    return undefined;
  return {
    apiKind: kind,
    tier,
    name,
    priority,
    subject,
    ingress,
    egress,
    source: reader.sourceRef(),
  };
}

function kindTier(kind: AdminKind): AdminTier {
  return kind === 'BaselineAdminNetworkPolicy' ? 'baseline' : 'admin';
}

function checkApiVersion(reader: ObjectReader, flavor: Flavor): void {
  const apiVersion = reader.get(['apiVersion']);
  if (apiVersion === flavor.apiVersion) return;
  reader.report(
    'UNSUPPORTED_API_VERSION',
    'error',
    ['apiVersion'],
    `${flavor.kind} is read as ${flavor.apiVersion}, not ${JSON.stringify(apiVersion)}`,
    flavor.kind === 'ClusterNetworkPolicy'
      ? `Use apiVersion: ${flavor.apiVersion} (the version this tool validates against).`
      : `Use apiVersion: ${flavor.apiVersion} (network-policy-api v0.1.7, the last release with this kind).`,
  );
}

/** The three kinds are cluster-scoped: a namespace on them is ignored by the API server. */
function checkNoNamespace(reader: ObjectReader): void {
  const namespace = reader.get(['metadata', 'namespace']);
  if (namespace === undefined || namespace === null || namespace === '') return;
  reader.report(
    'NAMESPACE_IGNORED',
    'warning',
    ['metadata', 'namespace'],
    `${reader.kind} is cluster-scoped; metadata.namespace is ignored`,
    'Remove metadata.namespace: the policy applies to the namespaces its subject selects, not to this one.',
  );
}

/**
 * "Tier is used as the top-level grouping for network policy prioritization. ... ClusterNetworkPolicy can use 2
 * of these tiers: Admin and Baseline." "+kubebuilder:validation:Enum={"Admin", "Baseline"}"
 */
function readTier(reader: ObjectReader): AdminTier | undefined {
  const tier = reader.string(['spec', 'tier'], true);
  if (tier === undefined) return undefined;
  if (tier === 'Admin') return 'admin';
  if (tier === 'Baseline') return 'baseline';
  reader.report(
    'INVALID_TIER',
    'error',
    ['spec', 'tier'],
    `tier ${JSON.stringify(tier)} is not Admin or Baseline`,
    'Use tier: Admin (before NetworkPolicy) or tier: Baseline (after it); case matters.',
  );
  return undefined;
}

/**
 * "Priority is a value from 0 to 1000. Policies with lower priority values have higher precedence, and are
 * checked before policies with higher priority values." "+kubebuilder:validation:Minimum=0", "Maximum=1000".
 */
function readPriority(reader: ObjectReader): number | undefined {
  const priority = reader.integer(['spec', 'priority'], true);
  if (priority === undefined) return undefined;
  if (priority < 0 || priority > 1000) {
    reader.report(
      'PRIORITY_OUT_OF_RANGE',
      'error',
      ['spec', 'priority'],
      `priority ${priority} is outside 0-1000`,
      'Use a priority from 0 (evaluated first) to 1000.',
    );
    return undefined;
  }
  return priority;
}

/**
 * "Subject defines the pods to which this AdminNetworkPolicy applies. Note that host-networked pods are not
 * included in subject selection." "Exactly one field must be set." (MinProperties=1, MaxProperties=1)
 */
function readSubject(reader: ObjectReader, flavor: Flavor): AdminSubject | undefined {
  const path: Path = ['spec', 'subject'];
  const subject = reader.record(path, true);
  if (subject === undefined) return undefined;
  reader.checkKnownFields(path, ['namespaces', 'pods']);
  const field = exactlyOne(
    reader,
    path,
    subject,
    ['namespaces', 'pods'],
    'INVALID_SUBJECT',
    'subject',
    'Use namespaces: <selector> for every pod in the selected namespaces, or pods: {namespaceSelector, podSelector}.',
  );
  if (field === undefined) return undefined;
  if (field === 'namespaces') {
    // "Namespaces is used to select pods via namespace selectors."
    const namespaceSelector = readSelector(reader, [...path, 'namespaces']) ?? EVERYTHING;
    return { kind: 'namespaces', namespaceSelector };
  }
  const pods = readNamespacedPod(reader, flavor, [...path, 'pods']);
  return pods === undefined ? undefined : { kind: 'pods', ...pods };
}

/** A selector that matches everything: `{}`. */
const EVERYTHING: LabelSelector = { requirements: [] };

/**
 * NamespacedPod: "NamespaceSelector follows standard label selector semantics; if empty, it selects all
 * Namespaces. PodSelector is used to explicitly select pods within a namespace; if empty, it selects all Pods."
 * v1alpha1 requires both; v1alpha2 marks namespaceSelector "+optional" (absent: the empty selector, all
 * namespaces) and podSelector "+required".
 */
function readNamespacedPod(
  reader: ObjectReader,
  flavor: Flavor,
  path: Path,
): { namespaceSelector: LabelSelector; podSelector: LabelSelector } | undefined {
  if (reader.record(path) === undefined) return undefined;
  reader.checkKnownFields(path, ['namespaceSelector', 'podSelector']);
  const nsPath = [...path, 'namespaceSelector'];
  const podPath = [...path, 'podSelector'];
  // A missing selector is what the API server would refuse; it is read as `{}` (as netpol-analyzer and the
  // selector's own "if empty, it selects all" read it) and reported, so the rest of the policy still counts.
  const missing = (selectorPath: Path, hint: string): void =>
    reader.report(
      'MISSING_SELECTOR',
      'warning',
      selectorPath,
      `${renderPath(selectorPath)} is required by the API; read as {} (everything)`,
      hint,
    );
  if (!flavor.v2 && isAbsent(reader.get(nsPath))) {
    missing(nsPath, 'Add namespaceSelector: {} for every namespace, or a selector for some.');
  }
  if (isAbsent(reader.get(podPath))) {
    missing(podPath, 'Add podSelector: {} for every pod, or a selector for some.');
  }
  const namespaceSelector = readSelector(reader, nsPath) ?? EVERYTHING;
  const podSelector = readSelector(reader, podPath) ?? EVERYTHING;
  return { namespaceSelector, podSelector };
}

function readRules(reader: ObjectReader, flavor: Flavor, direction: 'ingress' | 'egress'): AdminRule[] {
  const path: Path = ['spec', direction];
  const list = reader.array(path);
  if (list === undefined) return [];
  // "ANPs with no ingress rules do not affect ingress traffic." The list has MaxItems only.
  checkMaxItems(reader, path, list, flavor.maxRules, `${direction} rules`);
  const rules: AdminRule[] = [];
  list.forEach((_, i) => {
    const rule = readRule(reader, flavor, direction, [...path, i]);
    if (rule !== undefined) rules.push(rule);
  });
  return rules;
}

function readRule(
  reader: ObjectReader,
  flavor: Flavor,
  direction: 'ingress' | 'egress',
  at: Path,
): AdminRule | undefined {
  if (reader.record(at, true) === undefined) return undefined;
  const peersField = direction === 'ingress' ? 'from' : 'to';
  const portsField = flavor.v2 ? 'protocols' : 'ports';
  reader.checkKnownFields(at, ['name', 'action', peersField, portsField]);

  // "+kubebuilder:validation:MaxLength=100"
  const name = reader.string([...at, 'name']) ?? '';
  if (name.length > MAX_RULE_NAME) {
    reader.report(
      'INVALID_RULE_NAME',
      'error',
      [...at, 'name'],
      `rule name is ${name.length} characters long; at most ${MAX_RULE_NAME} are allowed`,
      'Shorten the rule name to 100 characters or fewer.',
    );
  }
  const action = readAction(reader, flavor, [...at, 'action']);
  const peers = readPeers(reader, flavor, direction, [...at, peersField]);
  const ports = flavor.v2 ? readProtocols(reader, [...at, 'protocols']) : readPorts(reader, [...at, 'ports']);
  if (action === undefined || peers === undefined || ports === undefined) return undefined;

  if (direction === 'egress') {
    // "<network-policy-api:experimental:validation> ... rule="!(self.to.exists(peer, has(peer.networks) ||
    // has(peer.nodes) || has(peer.domainNames)) && has(self.ports) && self.ports.exists(port,
    // has(port.namedPort)))",message="networks/nodes/domainNames peer cannot be set with namedPorts since there
    // are no namedPorts for networks/nodes/domainNames"" (v1alpha2: protocols and destinationNamedPort).
    const nonPod = peers.find((p) => p.kind === 'nodes' || p.kind === 'networks' || p.kind === 'domains');
    const namedIndex = ports === 'any' ? -1 : ports.findIndex((p) => p.kind === 'named');
    if (nonPod !== undefined && namedIndex >= 0) {
      // Analysed all the same: toward a non-pod peer the named port simply matches nothing.
      reader.report(
        'NAMED_PORT_WITH_NON_POD_PEER',
        'warning',
        [...at, portsField, namedIndex],
        `a named port in a rule with a ${nonPod.kind} peer matches nothing there: only pods have named ports`,
        'Use port numbers in this rule, or move the nodes/networks/domainNames peers to a rule of their own.',
      );
    }
  }

  // "DomainNames is only supported for ALLOW rules" (v1alpha2: "only supported for Accept rules"). The CRD does
  // not enforce it; implementations ignore or refuse such rules.
  const domainsIndex = peers.findIndex((p) => p.kind === 'domains');
  if (domainsIndex >= 0 && action !== 'allow') {
    reader.report(
      'DOMAIN_NAMES_NOT_ALLOW',
      'warning',
      [...at, 'action'],
      `domainNames peers are only supported in ${flavor.v2 ? 'Accept' : 'Allow'} rules`,
      'Allow the domains in one rule and deny the rest (e.g. networks 0.0.0.0/0) in a later, lower-precedence rule.',
    );
  }
  return { name, action, peers, ports, source: reader.sourceRef(at) };
}

function readAction(reader: ObjectReader, flavor: Flavor, path: Path): AdminAction | undefined {
  const text = reader.string(path, true);
  if (text === undefined) return undefined;
  const action = Object.hasOwn(flavor.actions, text) ? flavor.actions[text] : undefined;
  if (action !== undefined) return action;
  const allowed = Object.keys(flavor.actions).join(', ');
  let hint = `Use one of ${allowed} (case matters).`;
  if (flavor.v2 && text === 'Allow')
    hint = 'ClusterNetworkPolicy (v1alpha2) says Accept where v1alpha1 said Allow.';
  else if (!flavor.v2 && text === 'Accept')
    hint = `${flavor.kind} (v1alpha1) says Allow; Accept is v1alpha2.`;
  else if (flavor.kind === 'BaselineAdminNetworkPolicy' && text === 'Pass')
    hint = 'The baseline tier is the last one, so there is nothing to pass to: use Allow or Deny.';
  reader.report(
    'INVALID_ACTION',
    'error',
    path,
    `action ${JSON.stringify(text)} is not one of ${allowed}`,
    hint,
  );
  return undefined;
}

/**
 * "From is the list of sources whose traffic this rule applies to. If any element matches the source of incoming
 * traffic then the specified action is applied. This field must be defined and contain at least one item."
 * (MinItems=1, MaxItems=100; v1alpha2 MaxItems=25). `to` likewise.
 */
function readPeers(
  reader: ObjectReader,
  flavor: Flavor,
  direction: 'ingress' | 'egress',
  path: Path,
): AdminPeer[] | undefined {
  const list = reader.array(path, true);
  if (list === undefined) return undefined;
  const fields = direction === 'ingress' ? INGRESS_PEER_FIELDS : flavor.egressPeerFields;
  return readItems(
    reader,
    path,
    list,
    { empty: 'at least one peer', max: flavor.maxPeers, items: 'peers' },
    (at) => readPeer(reader, flavor, direction, fields, at),
  );
}

/**
 * "Exactly one of the fields must be set for a given peer and this is enforced by the validation rules on the
 * CRD." (MinProperties=1, MaxProperties=1)
 */
function readPeer(
  reader: ObjectReader,
  flavor: Flavor,
  direction: 'ingress' | 'egress',
  fields: readonly string[],
  at: Path,
): AdminPeer | undefined {
  const raw = reader.record(at, true);
  if (raw === undefined) return undefined;
  const egressOnly = flavor.egressPeerFields.filter((f) => !fields.includes(f));
  const misplaced = direction === 'ingress' ? presentFields(raw, egressOnly) : [];
  // Egress-only peer types in an ingress rule get their own error below rather than an unknown-field warning.
  reader.checkKnownFields(at, [...fields, ...misplaced]);
  if (misplaced.length > 0) {
    reader.report(
      'INVALID_PEER',
      'error',
      [...at, misplaced[0]!],
      `${misplaced[0]} peers are only allowed in egress rules`,
      `Ingress peers are ${fields.join(' or ')}.`,
      true,
    );
    return undefined;
  }
  const field = exactlyOne(reader, at, raw, fields, 'INVALID_PEER', 'a peer', {
    none: 'Fill in the peer, or remove it.',
    several: 'Split it into several peers of the rule: peers are ORed.',
  });
  if (field === undefined) return undefined;
  const path = [...at, field];
  switch (field) {
    case 'namespaces':
      // "Namespaces defines a way to select all pods within a set of Namespaces. Note that host-networked pods
      // are not included in this type of peer."
      return { kind: 'namespaces', namespaceSelector: readSelector(reader, path) ?? EVERYTHING };
    case 'pods': {
      const pods = readNamespacedPod(reader, flavor, path);
      return pods === undefined ? undefined : { kind: 'pods', ...pods };
    }
    case 'nodes':
      // "Nodes defines a way to select a set of nodes in the cluster (based on the node's labels). ... if present
      // but empty, it selects all Nodes."
      return { kind: 'nodes', nodeSelector: readSelector(reader, path) ?? EVERYTHING };
    case 'networks':
      return readNetworks(reader, path);
    default:
      return readDomainNames(reader, path);
  }
}

/**
 * "Networks defines a way to select peers via CIDR blocks. ... Each item in Networks should be provided in the
 * CIDR format and should be IPv4 or IPv6, for example "10.0.0.0/8" or "fd00::/8". Networks can have upto 25 CIDRs
 * specified." (+listType=set, MinItems=1, MaxItems=25; CIDR: isCIDR(self), MaxLength=43)
 */
function readNetworks(reader: ObjectReader, path: Path): AdminPeer | undefined {
  const list = reader.array(path);
  if (list === undefined) return undefined;
  const seen = new Set<string>();
  const cidrs = readItems(
    reader,
    path,
    list,
    { empty: 'at least one CIDR', max: MAX_NETWORKS, items: 'CIDRs' },
    (at): CidrBlock | undefined => {
      const text = reader.string(at, true);
      if (text === undefined || !checkUniqueItem(reader, at, text, seen)) return undefined;
      const parsed = readCidr(reader, at, text);
      return parsed === undefined ? undefined : { text, addresses: parsed.set };
    },
  );
  if (cidrs === undefined) return undefined;
  const addresses = cidrs.reduce((all, c) => all.union(c.addresses), AddressSet.EMPTY);
  return { kind: 'networks', addresses, cidrs };
}

/**
 * The CEL `isCIDR` of Kubernetes (netip.ParsePrefix): address/prefix, host bits allowed, no leading zeros in IPv4
 * octets, no zone, no IPv4-mapped IPv6 address; at most 43 characters.
 */
function readCidr(reader: ObjectReader, path: Path, text: string): ParsedCidr | undefined {
  const parsed = text.length <= MAX_CIDR_LENGTH && !hasLeadingZeroOctet(text) ? parseCidr(text) : undefined;
  if (parsed === undefined) {
    reader.report(
      'INVALID_CIDR',
      'error',
      path,
      `"${text}" is not a valid CIDR`,
      'Write an IPv4 or IPv6 network as address/prefix, e.g. 10.0.0.0/8 or fd00::/8 (octets 0-255 without leading zeros, prefix at most 32 or 128).',
    );
    return undefined;
  }
  if (parsed.family === 6 && isIPv4Mapped(parsed)) {
    reader.report(
      'INVALID_CIDR',
      'error',
      path,
      `"${text}" is an IPv4-mapped IPv6 network, which Kubernetes CIDR validation refuses`,
      'Write the IPv4 network itself, e.g. 10.0.0.0/8.',
    );
    return undefined;
  }
  return parsed;
}

function hasLeadingZeroOctet(text: string): boolean {
  const address = text.split('/')[0] ?? '';
  const quad = address.slice(address.lastIndexOf(':') + 1);
  return quad.includes('.') && quad.split('.').some((octet) => /^0[0-9]/.test(octet));
}

/** ::ffff:a.b.c.d — netip's Is4In6. */
function isIPv4Mapped(parsed: ParsedCidr): boolean {
  const first = parsed.set.intervals[0]?.first;
  return first !== undefined && (first - V6_OFFSET) >> 32n === 0xffffn;
}

/**
 * "DomainNames provides a way to specify domain names as peers. ... DomainName can be an exact match, or use the
 * wildcard specifier '*' to match one or more labels. ... '*' may only be specified as a prefix."
 * (+listType=set, MinItems=1, MaxItems=25)
 */
function readDomainNames(reader: ObjectReader, path: Path): AdminPeer | undefined {
  const list = reader.array(path);
  if (list === undefined) return undefined;
  const seen = new Set<string>();
  const names = readItems(
    reader,
    path,
    list,
    { empty: 'at least one domain name', max: MAX_DOMAIN_NAMES, items: 'domain names' },
    (at) => {
      const text = reader.string(at, true);
      if (text === undefined || !checkUniqueItem(reader, at, text, seen)) return undefined;
      if (DOMAIN_NAME.test(text)) return text;
      reader.report(
        'INVALID_DOMAIN_NAME',
        'error',
        at,
        `"${text}" is not a valid domain name`,
        'Write a fully qualified name such as example.com, or *.example.com for its subdomains ("*" only as the first label).',
      );
      return undefined;
    },
  );
  return names === undefined ? undefined : { kind: 'domains', names };
}

/**
 * v1alpha1 "Ports allows for matching traffic based on port and protocols. ... If Ports is not set then the rule
 * does not filter traffic via port." (MinItems=1, MaxItems=100) Each AdminNetworkPolicyPort: "Exactly one field
 * must be set." (portNumber, namedPort, portRange)
 */
function readPorts(reader: ObjectReader, path: Path): PortMatch[] | 'any' | undefined {
  const list = reader.array(path);
  if (list === undefined) return 'any';
  return readItems(
    reader,
    path,
    list,
    { empty: 'at least one port (leave ports out to match every port)', max: MAX_PORTS_V1, items: 'ports' },
    (at) => readPort(reader, at),
  );
}

function readPort(reader: ObjectReader, at: Path): PortMatch | undefined {
  const raw = reader.record(at, true);
  if (raw === undefined) return undefined;
  const fields = ['portNumber', 'namedPort', 'portRange'];
  reader.checkKnownFields(at, fields);
  const field = exactlyOne(
    reader,
    at,
    raw,
    fields,
    'INVALID_PORT',
    'a port',
    'Write each port as its own list item.',
  );
  if (field === undefined) return undefined;
  const path = [...at, field];
  if (field === 'namedPort') {
    // "NamedPort selects a port on a pod(s) based on name." No protocol: the container port's own applies.
    const name = reader.string(path);
    return name === undefined ? undefined : checkPortName(reader, path, name);
  }
  if (reader.record(path) === undefined) return undefined;
  if (field === 'portNumber') {
    reader.checkKnownFields(path, ['protocol', 'port']);
    // Port: "Protocol is the network protocol (TCP, UDP, or SCTP) which traffic must match. If not specified, this
    // field defaults to TCP." "Number defines a network port value." (required, Minimum=1, Maximum=65535)
    const protocol = readProtocol(reader, [...path, 'protocol']);
    const port = readPortNumber(reader, [...path, 'port'], true);
    if (protocol === undefined || port === undefined) return undefined;
    return { kind: 'number', protocol, first: port, last: port };
  }
  reader.checkKnownFields(path, ['protocol', 'start', 'end']);
  const protocol = readProtocol(reader, [...path, 'protocol']);
  const range = readRange(reader, path, false);
  if (protocol === undefined || range === undefined) return undefined;
  return { kind: 'number', protocol, first: range.start, last: range.end };
}

/**
 * v1alpha2 "Protocols allows for more fine-grain matching of traffic on protocol-specific attributes such as the
 * port. If unspecified, protocol-specific attributes will not be used to match traffic." (MinItems=1,
 * MaxItems=25) Each ClusterNetworkPolicyProtocol: "Exactly one field must be set." (tcp, udp, sctp,
 * destinationNamedPort)
 */
function readProtocols(reader: ObjectReader, path: Path): PortMatch[] | 'any' | undefined {
  const list = reader.array(path);
  if (list === undefined) return 'any';
  return readItems(
    reader,
    path,
    list,
    {
      empty: 'at least one protocol (leave protocols out to match everything)',
      max: MAX_PROTOCOLS_V2,
      items: 'protocols',
    },
    (at) => readProtocolEntry(reader, at),
  );
}

const PROTOCOL_FIELDS: Readonly<Record<string, Protocol>> = { tcp: 'TCP', udp: 'UDP', sctp: 'SCTP' };

function readProtocolEntry(reader: ObjectReader, at: Path): PortMatch | undefined {
  const raw = reader.record(at, true);
  if (raw === undefined) return undefined;
  const fields = ['tcp', 'udp', 'sctp', 'destinationNamedPort'];
  reader.checkKnownFields(at, fields);
  const field = exactlyOne(
    reader,
    at,
    raw,
    fields,
    'INVALID_PORT',
    'a protocols entry',
    'Write each protocol as its own list item, e.g. - tcp: {destinationPort: {number: 80}}.',
  );
  if (field === undefined) return undefined;
  const path = [...at, field];
  if (field === 'destinationNamedPort') {
    // "DestinationNamedPort selects a destination port on a pod based on the ContainerPort name."
    const name = reader.string(path);
    return name === undefined ? undefined : checkPortName(reader, path, name);
  }
  const protocol = PROTOCOL_FIELDS[field]!;
  // ClusterNetworkPolicyProtocolTCP (UDP, SCTP): "+kubebuilder:validation:MinProperties=1"; "DestinationPort for
  // the match." Port: "You must specify either Port or Range." (MinProperties=1, MaxProperties=1)
  if (reader.record(path) === undefined) return undefined;
  reader.checkKnownFields(path, ['destinationPort']);
  const portPath = [...path, 'destinationPort'];
  const port = reader.record(portPath);
  if (port === undefined) {
    if (isAbsent(reader.get(portPath)))
      reader.report(
        'INVALID_PORT',
        'error',
        path,
        `${field} must set destinationPort`,
        `Write ${field}: {destinationPort: {number: N}} or {destinationPort: {range: {start, end}}}; leave protocols out to match every port.`,
      );
    return undefined;
  }
  reader.checkKnownFields(portPath, ['number', 'range']);
  const portField = exactlyOne(
    reader,
    portPath,
    port,
    ['number', 'range'],
    'INVALID_PORT',
    'destinationPort',
    'Use number: N for one port, or range: {start, end} for several.',
  );
  if (portField === undefined) return undefined;
  if (portField === 'number') {
    // "Number defines a network port value." (Minimum=1, Maximum=65535)
    const number = readPortNumber(reader, [...portPath, 'number'], true);
    return number === undefined ? undefined : { kind: 'number', protocol, first: number, last: number };
  }
  const rangePath = [...portPath, 'range'];
  if (reader.record(rangePath) === undefined) return undefined;
  reader.checkKnownFields(rangePath, ['start', 'end']);
  const range = readRange(reader, rangePath, true);
  return range === undefined ? undefined : { kind: 'number', protocol, first: range.start, last: range.end };
}

/**
 * v1alpha1 PortRange: "Start defines a network port that is the start of a port range, the Start value must be
 * less than End." — no CEL rule enforces it, so start == end is accepted (one port). v1alpha2 PortRange:
 * "+kubebuilder:validation:XValidation:rule="self.start < self.end", message="Start port must be less than End
 * port"". Both: start and end required, Minimum=1, Maximum=65535.
 */
function readRange(
  reader: ObjectReader,
  path: Path,
  strict: boolean,
): { start: number; end: number } | undefined {
  const start = readPortNumber(reader, [...path, 'start'], true);
  const end = readPortNumber(reader, [...path, 'end'], true);
  if (start === undefined || end === undefined) return undefined;
  if (start > end || (strict && start === end)) {
    reader.report(
      'PORT_RANGE_REVERSED',
      'error',
      [...path, 'end'],
      strict ? `end ${end} must be greater than start ${start}` : `end ${end} is less than start ${start}`,
      start === end ? `Use number: ${start} for a single port.` : 'Swap start and end.',
    );
    return undefined;
  }
  return { start, end };
}

function readPortNumber(reader: ObjectReader, path: Path, required: boolean): number | undefined {
  const port = reader.integer(path, required);
  if (port === undefined) return undefined;
  if (port < MIN_PORT || port > MAX_PORT) {
    reader.report(
      'PORT_OUT_OF_RANGE',
      'error',
      path,
      `port ${port} is outside 1-65535`,
      'Use a port between 1 and 65535.',
    );
    return undefined;
  }
  return port;
}

/**
 * A named port matches a container port of that name, and container port names are IANA_SVC_NAMEs: any other
 * name can match nothing.
 */
function checkPortName(reader: ObjectReader, path: Path, name: string): PortMatch | undefined {
  if (isPortName(name)) return { kind: 'named', name };
  reader.report(
    'INVALID_PORT',
    'error',
    path,
    /^[0-9]+$/.test(name) ? `named port "${name}" is a number` : `"${name}" is not a valid port name`,
    /^[0-9]+$/.test(name)
      ? 'Use a port number field for numbers; a named port is a container port name.'
      : 'A port name (IANA_SVC_NAME) has at most 15 characters: lowercase letters, digits and "-", at least one letter.',
  );
  return undefined;
}

/** Fields of `record` among `fields` that are set (null counts as absent). */
/**
 * The one field of `fields` that `raw` sets ("exactly one of" is how the API's union types read), or undefined
 * after reporting that none or several are set.
 */
function exactlyOne(
  reader: ObjectReader,
  at: Path,
  raw: Record<string, unknown>,
  fields: readonly string[],
  code: string,
  what: string,
  hint: string | { readonly none: string; readonly several: string },
): string | undefined {
  const set = presentFields(raw, fields);
  if (set.length === 1) return set[0]!;
  const list = fields.length === 2 ? `${fields[0]} and ${fields[1]}` : fields.join(', ');
  reader.report(
    code,
    'error',
    at,
    set.length === 0
      ? `${what} must set one of ${fields.join(', ')}`
      : `${what} must set exactly one of ${list}, not ${set.join(' and ')}`,
    typeof hint === 'string' ? hint : set.length === 0 ? hint.none : hint.several,
  );
  return undefined;
}

function presentFields(record: Record<string, unknown>, fields: readonly string[]): string[] {
  return fields.filter((f) => Object.hasOwn(record, f) && !isAbsent(record[f]));
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null;
}

/** The item bounds of a list field: what an empty list lacks, the MaxItems, and what its items are called. */
interface ListBounds {
  readonly empty: string;
  readonly max: number;
  readonly items: string;
}

/**
 * A list field with "+kubebuilder:validation:MinItems=1" and "MaxItems=N". Every item is read, so each bad one gets
 * its own diagnostic; the items come back only when all of them are valid.
 */
function readItems<T>(
  reader: ObjectReader,
  path: Path,
  list: readonly unknown[],
  bounds: ListBounds,
  readItem: (at: Path) => T | undefined,
): T[] | undefined {
  if (!checkMinItems(reader, path, list, bounds.empty)) return undefined;
  if (!checkMaxItems(reader, path, list, bounds.max, bounds.items)) return undefined;
  const items: T[] = [];
  let ok = true;
  list.forEach((_, i) => {
    const item = readItem([...path, i]);
    if (item === undefined) ok = false;
    else items.push(item);
  });
  return ok ? items : undefined;
}

/** "+kubebuilder:validation:MinItems=1" */
function checkMinItems(reader: ObjectReader, path: Path, list: readonly unknown[], what: string): boolean {
  if (list.length > 0) return true;
  reader.report(
    'EMPTY_LIST',
    'error',
    path,
    `${renderPath(path)} must have ${what}`,
    'Add an item, or remove the field where the API allows it to be absent.',
    true,
  );
  return false;
}

/** "+kubebuilder:validation:MaxItems=N": reported at the first item too many. */
function checkMaxItems(
  reader: ObjectReader,
  path: Path,
  list: readonly unknown[],
  max: number,
  what: string,
): boolean {
  if (list.length <= max) return true;
  reader.report(
    'TOO_MANY_ITEMS',
    'error',
    [...path, max],
    `${list.length} ${what} in ${renderPath(path)}; the API allows at most ${max}`,
    `Split them over several ${what === 'ingress rules' || what === 'egress rules' ? 'policies' : 'rules'}, or merge items.`,
  );
  return false;
}

/** "+listType=set": the API server rejects duplicate items. */
function checkUniqueItem(reader: ObjectReader, path: Path, text: string, seen: Set<string>): boolean {
  if (!seen.has(text)) {
    seen.add(text);
    return true;
  }
  reader.report(
    'DUPLICATE_ITEM',
    'error',
    path,
    `"${text}" is listed twice`,
    'This list is a set: remove the duplicate.',
  );
  return false;
}
