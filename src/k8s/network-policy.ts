// NetworkPolicy (networking.k8s.io/v1) objects → validated policy IR, with every API validation rule reported.

import type { ConnectionLimits, NetworkPolicy } from '../core/model/cluster.js';
import { parseCidr, type ParsedCidr } from '../core/model/address-set.js';
import { MAX_PORT, MIN_PORT, PROTOCOLS, type Protocol } from '../core/model/port-set.js';
import type { CidrBlock, NetworkPolicyRule, Peer, PortMatch } from '../core/policy/network-policy.js';
import type { ObjectReader, Path } from './object-reader.js';
import { isPortName, readSelector } from './selectors.js';

/** Reads a NetworkPolicy; undefined when it has errors (the API server would reject the whole object). */
export function readNetworkPolicy(
  reader: ObjectReader,
  namespace: string,
  name: string,
): NetworkPolicy | undefined {
  reader.checkKnownFields([], ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  const spec = reader.record(['spec']);
  if (spec === undefined) {
    reader.report(
      'MISSING_FIELD',
      'error',
      [],
      'spec is required',
      'Add a spec with at least a podSelector.',
    );
    return undefined;
  }
  reader.checkKnownFields(['spec'], ['podSelector', 'ingress', 'egress', 'policyTypes']);
  // podSelector is required by the API but decodes to {} when absent: "An empty podSelector selects all pods".
  const podSelector = readSelector(reader, ['spec', 'podSelector']) ?? { requirements: [] };

  const types = readPolicyTypes(reader, spec);
  const ingress = types.ingress ? readRules(reader, 'ingress') : undefined;
  const egress = types.egress ? readRules(reader, 'egress') : undefined;
  if (!types.ingress && spec['ingress'] !== undefined && spec['ingress'] !== null) {
    reader.report(
      'IGNORED_RULES',
      'warning',
      ['spec', 'ingress'],
      'ingress rules are ignored: policyTypes does not list Ingress',
      'Add Ingress to policyTypes, or delete the ingress rules.',
      true,
    );
  }
  if (!types.egress && spec['egress'] !== undefined && spec['egress'] !== null) {
    reader.report(
      'IGNORED_RULES',
      'warning',
      ['spec', 'egress'],
      'egress rules are ignored: policyTypes does not list Egress',
      'Add Egress to policyTypes, or delete the egress rules.',
      true,
    );
  }
  const limits = readLimits(reader);
  if (reader.hasErrors) return undefined;
  return {
    namespace,
    name,
    podSelector,
    ...(ingress !== undefined ? { ingress } : {}),
    ...(egress !== undefined ? { egress } : {}),
    ...(limits !== undefined ? { limits } : {}),
    source: reader.sourceRef(),
  };
}

export const RATE_LIMIT_ANNOTATION = 'bulkhead.io/rate-limit';
export const RATE_LIMIT_BURST_ANNOTATION = 'bulkhead.io/rate-limit-burst';
export const CONNECTION_LIMIT_ANNOTATION = 'bulkhead.io/connection-limit';
const LIMIT_MAX = 1_000_000;

/**
 * Bulkhead's flood limits (docs/enforcement.md): `bulkhead.io/rate-limit: "100/second"` (also `/minute`, `/hour`),
 * `bulkhead.io/rate-limit-burst: "50"` (default: the rate's count), `bulkhead.io/connection-limit: "20"`.
 */
function readLimits(reader: ObjectReader): ConnectionLimits | undefined {
  const annotations = reader.record(['metadata', 'annotations']);
  if (annotations === undefined) return undefined;
  const at = (key: string): Path => ['metadata', 'annotations', key];
  const number = (key: string, text: string): number | undefined => {
    if (/^[1-9]\d{0,6}$/.test(text) && Number(text) <= LIMIT_MAX) return Number(text);
    reader.report(
      'INVALID_ANNOTATION',
      'error',
      at(key),
      `${key}: "${text}" is not a whole number from 1 to ${LIMIT_MAX}`,
      'Write a count such as "20".',
    );
    return undefined;
  };
  const text = (key: string): string | undefined => {
    const value = annotations[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value.trim();
    reader.report('INVALID_ANNOTATION', 'error', at(key), `${key} must be a string`, 'Quote the value.');
    return undefined;
  };
  let rate: ConnectionLimits['rate'];
  const rateText = text(RATE_LIMIT_ANNOTATION);
  if (rateText !== undefined) {
    const match = /^(\d+)\/(second|minute|hour)$/.exec(rateText);
    if (match === null)
      reader.report(
        'INVALID_ANNOTATION',
        'error',
        at(RATE_LIMIT_ANNOTATION),
        `${RATE_LIMIT_ANNOTATION}: "${rateText}" is not COUNT/second, COUNT/minute or COUNT/hour`,
        'Write new connections per source, e.g. "100/second".',
      );
    else {
      const count = number(RATE_LIMIT_ANNOTATION, match[1]!);
      const burstText = text(RATE_LIMIT_BURST_ANNOTATION);
      const burst = burstText === undefined ? count : number(RATE_LIMIT_BURST_ANNOTATION, burstText);
      if (count !== undefined && burst !== undefined)
        rate = { count, per: match[2] as 'second' | 'minute' | 'hour', burst };
    }
  } else if (text(RATE_LIMIT_BURST_ANNOTATION) !== undefined)
    reader.report(
      'INVALID_ANNOTATION',
      'error',
      at(RATE_LIMIT_BURST_ANNOTATION),
      `${RATE_LIMIT_BURST_ANNOTATION} needs ${RATE_LIMIT_ANNOTATION}`,
      `Add ${RATE_LIMIT_ANNOTATION}, e.g. "100/second", or remove the burst.`,
    );
  const concurrentText = text(CONNECTION_LIMIT_ANNOTATION);
  const concurrent =
    concurrentText === undefined ? undefined : number(CONNECTION_LIMIT_ANNOTATION, concurrentText);
  if (rate === undefined && concurrent === undefined) return undefined;
  return { ...(rate !== undefined ? { rate } : {}), ...(concurrent !== undefined ? { concurrent } : {}) };
}

/**
 * "If this field is not specified, it will default based on the existence of ingress or egress rules; policies
 * that contain an egress section are assumed to affect egress, and all policies (whether or not they contain an
 * ingress section) are assumed to affect ingress."
 */
function readPolicyTypes(
  reader: ObjectReader,
  spec: Record<string, unknown>,
): { ingress: boolean; egress: boolean } {
  const list = reader.array(['spec', 'policyTypes']);
  if (list === undefined) {
    return { ingress: true, egress: spec['egress'] !== undefined && spec['egress'] !== null };
  }
  const types = { ingress: false, egress: false };
  list.forEach((value, i) => {
    if (value === 'Ingress') types.ingress = true;
    else if (value === 'Egress') types.egress = true;
    else
      reader.report(
        'INVALID_POLICY_TYPE',
        'error',
        ['spec', 'policyTypes', i],
        `policyTypes entry ${JSON.stringify(value)} is not Ingress or Egress`,
        'policyTypes lists Ingress, Egress, or both (case matters).',
      );
  });
  return types;
}

function readRules(reader: ObjectReader, direction: 'ingress' | 'egress'): NetworkPolicyRule[] {
  const list = reader.array(['spec', direction]) ?? [];
  const peersField = direction === 'ingress' ? 'from' : 'to';
  const rules: NetworkPolicyRule[] = [];
  list.forEach((raw, i) => {
    const at: Path = ['spec', direction, i];
    if (raw === null) {
      // `- ` with nothing after it is an empty rule, `{}`.
      rules.push({ peers: 'any', ports: 'any', source: reader.sourceRef(at) });
      return;
    }
    if (reader.record(at) === undefined) return;
    reader.checkKnownFields(at, [peersField, 'ports']);
    const peers = readPeers(reader, [...at, peersField]);
    const ports = readPorts(reader, [...at, 'ports']);
    rules.push({ peers, ports, source: reader.sourceRef(at) });
  });
  return rules;
}

function readPeers(reader: ObjectReader, path: Path): NetworkPolicyRule['peers'] {
  const list = reader.array(path);
  // "If this field is empty or missing, this rule matches all sources (traffic not restricted by source)."
  if (list === undefined || list.length === 0) return 'any';
  const peers: Peer[] = [];
  list.forEach((_, i) => {
    const at = [...path, i];
    const raw = reader.record(at, true);
    if (raw === undefined) return;
    reader.checkKnownFields(at, ['podSelector', 'namespaceSelector', 'ipBlock']);
    const hasIpBlock = raw['ipBlock'] !== undefined && raw['ipBlock'] !== null;
    const hasPods = raw['podSelector'] !== undefined && raw['podSelector'] !== null;
    const hasNamespaces = raw['namespaceSelector'] !== undefined && raw['namespaceSelector'] !== null;
    if (hasIpBlock && (hasPods || hasNamespaces)) {
      reader.report(
        'INVALID_PEER',
        'error',
        at,
        'a peer may not set ipBlock together with podSelector or namespaceSelector',
        'Split it into two peers: one with ipBlock, one with the selectors.',
      );
      return;
    }
    if (!hasIpBlock && !hasPods && !hasNamespaces) {
      reader.report(
        'INVALID_PEER',
        'error',
        at,
        'a peer must set podSelector, namespaceSelector or ipBlock',
        'Fill in the peer, or remove it (a rule with no peers matches everything).',
      );
      return;
    }
    if (hasIpBlock) {
      const peer = readIpBlock(reader, [...at, 'ipBlock']);
      if (peer !== undefined) peers.push(peer);
      return;
    }
    const podSelector = readSelector(reader, [...at, 'podSelector']);
    const namespaceSelector = readSelector(reader, [...at, 'namespaceSelector']);
    peers.push({
      kind: 'pods',
      ...(namespaceSelector !== undefined ? { namespaceSelector } : {}),
      ...(podSelector !== undefined ? { podSelector } : {}),
    });
  });
  return peers;
}

function readCidr(reader: ObjectReader, path: Path, text: string): ParsedCidr | undefined {
  const parsed = parseCidr(text);
  if (parsed === undefined) {
    reader.report(
      'INVALID_CIDR',
      'error',
      path,
      `"${text}" is not a valid CIDR`,
      'Write an IPv4 or IPv6 network as address/prefix, e.g. 10.0.0.0/8 or fd00::/8 (octets 0-255, prefix at most 32 or 128).',
    );
  }
  return parsed;
}

/**
 * "IPBlock describes a particular CIDR ... that is allowed to the pods matched by a NetworkPolicySpec's
 * podSelector. The except entry describes CIDRs that should not be included within this rule."
 * Validation: "except values will be rejected if they are outside the cidr range".
 */
function readIpBlock(reader: ObjectReader, path: Path): Peer | undefined {
  if (reader.record(path) === undefined) return undefined;
  reader.checkKnownFields(path, ['cidr', 'except']);
  const cidrText = reader.string([...path, 'cidr'], true);
  if (cidrText === undefined) return undefined;
  const cidr = readCidr(reader, [...path, 'cidr'], cidrText);
  const except: CidrBlock[] = [];
  let ok = cidr !== undefined;
  (reader.array([...path, 'except']) ?? []).forEach((_, i) => {
    const at = [...path, 'except', i];
    const text = reader.string(at, true);
    if (text === undefined) {
      ok = false;
      return;
    }
    const parsed = readCidr(reader, at, text);
    if (parsed === undefined) {
      ok = false;
      return;
    }
    if (
      cidr !== undefined &&
      (parsed.family !== cidr.family ||
        !cidr.set.covers(parsed.set) ||
        parsed.prefixLength <= cidr.prefixLength)
    ) {
      ok = false;
      reader.report(
        'EXCEPT_OUTSIDE_CIDR',
        'error',
        at,
        `except "${text}" is not strictly inside cidr "${cidrText}"`,
        `Each except must be a smaller network inside ${cidrText}; remove it or fix the prefix.`,
      );
      return;
    }
    except.push({ text, addresses: parsed.set });
  });
  if (!ok || cidr === undefined) return undefined;
  let addresses = cidr.set;
  for (const block of except) addresses = addresses.subtract(block.addresses);
  return { kind: 'addresses', addresses, cidr: { text: cidrText, addresses: cidr.set }, except };
}

function readPorts(reader: ObjectReader, path: Path): NetworkPolicyRule['ports'] {
  const list = reader.array(path);
  // "If this field is empty or missing, this rule matches all ports."
  if (list === undefined || list.length === 0) return 'any';
  const ports: PortMatch[] = [];
  list.forEach((_, i) => {
    const at = [...path, i];
    const raw = reader.record(at, true);
    if (raw === undefined) return;
    reader.checkKnownFields(at, ['protocol', 'port', 'endPort']);
    const protocol = readProtocol(reader, [...at, 'protocol']);
    const port = raw['port'];
    const endPort = reader.integer([...at, 'endPort']);
    if (protocol === undefined) return;
    if (port === undefined || port === null) {
      // "If this field is not provided, this matches all port names and numbers."
      if (endPort !== undefined) {
        reader.report(
          'END_PORT_WITHOUT_PORT',
          'error',
          [...at, 'endPort'],
          'endPort is set but port is not',
          'Set port to the first port of the range.',
        );
        return;
      }
      ports.push({ kind: 'number', protocol, first: MIN_PORT, last: MAX_PORT });
      return;
    }
    if (typeof port === 'string') {
      if (/^[0-9]+$/.test(port)) {
        reader.report(
          'INVALID_PORT',
          'error',
          [...at, 'port'],
          `port "${port}" is a number written as a string`,
          'Write the port number without quotes, or use a port name.',
        );
        return;
      }
      if (!isPortName(port)) {
        reader.report(
          'INVALID_PORT',
          'error',
          [...at, 'port'],
          `"${port}" is not a valid port name`,
          'A port name (IANA_SVC_NAME) has at most 15 characters: lowercase letters, digits and "-", at least one letter.',
        );
        return;
      }
      // "endPort ... cannot be defined if the port field is not defined or if the port field is defined as a
      // named (string) port."
      if (endPort !== undefined) {
        reader.report(
          'END_PORT_WITH_NAMED_PORT',
          'error',
          [...at, 'endPort'],
          `endPort cannot be used with the named port "${port}"`,
          'Use a numeric port with endPort, or drop endPort.',
        );
        return;
      }
      ports.push({ kind: 'named', protocol, name: port });
      return;
    }
    if (typeof port !== 'number' || !Number.isInteger(port)) {
      reader.report(
        'INVALID_TYPE',
        'error',
        [...at, 'port'],
        'port must be a number or a port name',
        'Write a port number (1-65535) or a container port name.',
      );
      return;
    }
    if (port < MIN_PORT || port > MAX_PORT) {
      reader.report(
        'PORT_OUT_OF_RANGE',
        'error',
        [...at, 'port'],
        `port ${port} is outside 1-65535`,
        'Use a port between 1 and 65535.',
      );
      return;
    }
    if (endPort !== undefined) {
      if (endPort < MIN_PORT || endPort > MAX_PORT) {
        reader.report(
          'PORT_OUT_OF_RANGE',
          'error',
          [...at, 'endPort'],
          `endPort ${endPort} is outside 1-65535`,
          'Use an endPort between port and 65535.',
        );
        return;
      }
      // "endPort must be equal or greater than port."
      if (endPort < port) {
        reader.report(
          'END_PORT_BEFORE_PORT',
          'error',
          [...at, 'endPort'],
          `endPort ${endPort} is less than port ${port}`,
          `Set endPort to ${port} or more, or swap the two.`,
        );
        return;
      }
    }
    ports.push({ kind: 'number', protocol, first: port, last: endPort ?? port });
  });
  return ports;
}

/**
 * "The protocol (TCP, UDP, or SCTP) which traffic must match. If not specified, this field defaults to TCP." (The
 * admin policies' v1alpha1 ports read the same: "+kubebuilder:default=TCP".)
 */
export function readProtocol(reader: ObjectReader, path: Path): Protocol | undefined {
  const value = reader.get(path);
  if (value === undefined || value === null) return 'TCP';
  if (typeof value === 'string' && (PROTOCOLS as readonly string[]).includes(value)) return value as Protocol;
  reader.report(
    'INVALID_PROTOCOL',
    'error',
    path,
    `protocol ${JSON.stringify(value)} is not TCP, UDP or SCTP`,
    'Use TCP, UDP or SCTP in capitals; leave it out for TCP.',
  );
  return undefined;
}
