// Tests for reading AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy: every diagnostic
// code at its line:column with its hint, the IR of every subject, peer and port form, and cross-object checks.

import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../core/diagnostics.js';
import type { AdminPolicy } from '../core/policy/admin-policy.js';
import { parseCidr } from '../core/model/address-set.js';
import { readAdminPolicy } from './admin-policy.js';
import { splitObjects } from './documents.js';
import { loadCluster } from './load-cluster.js';
import { ObjectReader } from './object-reader.js';

/** Marks where the diagnostic must point; removed before the text is read. */
const MARK = '⟦';

const V1 = 'policy.networking.k8s.io/v1alpha1';
const V2 = 'policy.networking.k8s.io/v1alpha2';

const indent = (text: string, by: string): string =>
  text
    .split('\n')
    .map((l) => (l === '' ? l : by + l))
    .join('\n');

const anp = (spec: string, name = 'p'): string =>
  `apiVersion: ${V1}\nkind: AdminNetworkPolicy\nmetadata:\n  name: ${name}\nspec:\n${indent(spec, '  ')}\n`;
const banp = (spec: string, name = 'default'): string =>
  `apiVersion: ${V1}\nkind: BaselineAdminNetworkPolicy\nmetadata:\n  name: ${name}\nspec:\n${indent(spec, '  ')}\n`;
const cnp = (spec: string, name = 'p'): string =>
  `apiVersion: ${V2}\nkind: ClusterNetworkPolicy\nmetadata:\n  name: ${name}\nspec:\n${indent(spec, '  ')}\n`;

const SUBJECT = 'subject:\n  namespaces: {}';
const ANP_HEAD = `priority: 10\n${SUBJECT}`;
const CNP_ADMIN = `tier: Admin\npriority: 10\n${SUBJECT}`;
const CNP_BASELINE = `tier: Baseline\npriority: 10\n${SUBJECT}`;

interface Read {
  readonly policy: AdminPolicy | undefined;
  readonly diagnostics: Diagnostic[];
  readonly at: (d: Diagnostic) => string;
}

function read(text: string): Read {
  const split = splitObjects({ name: 't.yaml', text });
  expect(split.diagnostics).toEqual([]);
  const object = split.objects[0];
  if (object === undefined) throw new Error('no object');
  const diagnostics: Diagnostic[] = [];
  const reader = new ObjectReader(object, diagnostics);
  const policy = readAdminPolicy(reader, reader.string(['metadata', 'name']) ?? '');
  const at = (d: Diagnostic): string => {
    if (d.range === undefined) return '?';
    const { line, column } = split.source.position(d.range[0]);
    return `${line}:${column}`;
  };
  return { policy, diagnostics, at };
}

/** Line:column of the mark, and the text without it. */
function unmark(marked: string): { text: string; where: string } {
  const index = marked.indexOf(MARK);
  if (index < 0) throw new Error('case has no mark');
  const text = marked.slice(0, index) + marked.slice(index + 1);
  const before = text.slice(0, index);
  return { text, where: `${before.split('\n').length}:${index - before.lastIndexOf('\n')}` };
}

const cidrs26 = Array.from({ length: 26 }, (_, i) => `10.0.0.${i}/32`);

describe('readAdminPolicy: diagnostics', () => {
  // Cases are written [name, marked text, code, ...] and run as [name, code, marked text, ...] for readable titles.
  it.each(
    (
      [
        // kinds and versions
        [
          'ANP with the v1alpha2 apiVersion',
          anp(ANP_HEAD).replace(`apiVersion: ${V1}`, `apiVersion: ${MARK}${V2}`),
          'UNSUPPORTED_API_VERSION',
          'error',
          /v1alpha1 \(network-policy-api v0\.1\.7/,
        ],
        [
          'CNP with the v1alpha1 apiVersion',
          cnp(CNP_ADMIN).replace(`apiVersion: ${V2}`, `apiVersion: ${MARK}${V1}`),
          'UNSUPPORTED_API_VERSION',
          'error',
          /v1alpha2/,
        ],
        [
          'a namespace on a cluster-scoped policy',
          anp(ANP_HEAD).replace('  name: p\n', `  name: p\n  namespace: ${MARK}team-a\n`),
          'NAMESPACE_IGNORED',
          'warning',
          /Remove metadata\.namespace/,
        ],
        [
          'BANP not named default',
          banp(SUBJECT, `${MARK}baseline`),
          'INVALID_BASELINE_NAME',
          'error',
          /rename it to default/,
        ],
        // spec
        [
          'no spec',
          `${MARK}apiVersion: ${V1}\nkind: AdminNetworkPolicy\nmetadata:\n  name: p\n`,
          'MISSING_FIELD',
          'error',
          /priority and a subject/,
        ],
        ['no priority', anp(`${MARK}${SUBJECT}`), 'MISSING_FIELD', 'error', /Add spec\.priority/],
        [
          'priority 1001',
          anp(`priority: ${MARK}1001\n${SUBJECT}`),
          'PRIORITY_OUT_OF_RANGE',
          'error',
          /0 .* to 1000/,
        ],
        [
          'priority -1',
          cnp(`tier: Admin\npriority: ${MARK}-1\n${SUBJECT}`),
          'PRIORITY_OUT_OF_RANGE',
          'error',
          /1000/,
        ],
        [
          'priority as a string',
          anp(`priority: ${MARK}"10"\n${SUBJECT}`),
          'INVALID_TYPE',
          'error',
          /an integer/,
        ],
        [
          'misspelt field',
          anp(`${ANP_HEAD}\n${MARK}egres: []`),
          'UNKNOWN_FIELD',
          'warning',
          /Known fields here/,
        ],
        [
          'priority on a BANP',
          banp(`${MARK}priority: 3\n${SUBJECT}`),
          'UNKNOWN_FIELD',
          'warning',
          /subject, ingress/,
        ],
        [
          'lowercase tier',
          cnp(`tier: ${MARK}admin\npriority: 1\n${SUBJECT}`),
          'INVALID_TIER',
          'error',
          /case matters/,
        ],
        ['no tier', cnp(`${MARK}priority: 1\n${SUBJECT}`), 'MISSING_FIELD', 'error', /spec\.tier/],
        // subject
        [
          'subject with both fields',
          anp(
            `priority: 1\nsubject:\n  ${MARK}namespaces: {}\n  pods: {namespaceSelector: {}, podSelector: {}}`,
          ),
          'INVALID_SUBJECT',
          'error',
          /namespaces: <selector>/,
        ],
        ['empty subject', anp(`priority: 1\nsubject: ${MARK}{}`), 'INVALID_SUBJECT', 'error', /pods: \{/],
        [
          'v1alpha1 pods without namespaceSelector (read as {})',
          anp(`priority: 1\nsubject:\n  pods:\n    ${MARK}podSelector: {}`),
          'MISSING_SELECTOR',
          'warning',
          /namespaceSelector: \{\}/,
        ],
        [
          'v1alpha2 pods without podSelector (read as {})',
          cnp(`tier: Admin\npriority: 1\nsubject:\n  pods:\n    ${MARK}namespaceSelector: {}`),
          'MISSING_SELECTOR',
          'warning',
          /podSelector: \{\}/,
        ],
        [
          'invalid selector',
          anp(`priority: 1\nsubject:\n  namespaces:\n    matchLabels:\n      ${MARK}a@b: x`),
          'INVALID_SELECTOR',
          'error',
          /label key/,
        ],
        // rules and actions
        [
          'Accept in an ANP',
          anp(`${ANP_HEAD}\ningress:\n- action: ${MARK}Accept\n  from: [{namespaces: {}}]`),
          'INVALID_ACTION',
          'error',
          /says Allow; Accept is v1alpha2/,
        ],
        [
          'Allow in a CNP',
          cnp(`${CNP_ADMIN}\ningress:\n- action: ${MARK}Allow\n  from: [{namespaces: {}}]`),
          'INVALID_ACTION',
          'error',
          /says Accept/,
        ],
        [
          'Pass in a BANP',
          banp(`${SUBJECT}\negress:\n- action: ${MARK}Pass\n  to: [{namespaces: {}}]`),
          'INVALID_ACTION',
          'error',
          /nothing to pass to/,
        ],
        [
          'lowercase action',
          anp(`${ANP_HEAD}\negress:\n- action: ${MARK}deny\n  to: [{namespaces: {}}]`),
          'INVALID_ACTION',
          'error',
          /Allow, Deny, Pass/,
        ],
        [
          'rule without action',
          anp(`${ANP_HEAD}\negress:\n- ${MARK}to: [{namespaces: {}}]`),
          'MISSING_FIELD',
          'error',
          /action/,
        ],
        [
          'rule name of 101 characters',
          anp(
            `${ANP_HEAD}\negress:\n- name: ${MARK}${'x'.repeat(101)}\n  action: Deny\n  to: [{namespaces: {}}]`,
          ),
          'INVALID_RULE_NAME',
          'error',
          /100 characters/,
        ],
        [
          'rule without peers',
          anp(`${ANP_HEAD}\ningress:\n- ${MARK}action: Deny`),
          'MISSING_FIELD',
          'error',
          /ingress\[0\]\.from/,
        ],
        [
          'empty from',
          anp(`${ANP_HEAD}\ningress:\n- action: Deny\n  ${MARK}from: []`),
          'EMPTY_LIST',
          'error',
          /Add an item/,
        ],
        [
          '26 rules in a CNP',
          cnp(
            `${CNP_ADMIN}\negress:\n${Array.from({ length: 26 }, (_, i) => `- ${i === 25 ? MARK : ''}{action: Deny, to: [{namespaces: {}}]}`).join('\n')}`,
          ),
          'TOO_MANY_ITEMS',
          'error',
          /several policies/,
        ],
        // peers
        [
          'peer with two fields',
          anp(`${ANP_HEAD}\negress:\n- action: Deny\n  to:\n  - ${MARK}namespaces: {}\n    nodes: {}`),
          'INVALID_PEER',
          'error',
          /several peers/,
        ],
        [
          'empty peer',
          anp(`${ANP_HEAD}\negress:\n- action: Deny\n  to: [${MARK}{}]`),
          'INVALID_PEER',
          'error',
          /Fill in the peer/,
        ],
        [
          'networks in an ingress peer',
          anp(`${ANP_HEAD}\ningress:\n- action: Deny\n  from:\n  - ${MARK}networks: [10.0.0.0/8]`),
          'INVALID_PEER',
          'error',
          /Ingress peers are namespaces or pods/,
        ],
        [
          'domainNames in a BANP',
          banp(`${SUBJECT}\negress:\n- action: Allow\n  to:\n  - ${MARK}domainNames: [example.com]`),
          'UNKNOWN_FIELD',
          'warning',
          /namespaces, pods, nodes, networks/,
        ],
        [
          'octet 300',
          anp(`${ANP_HEAD}\negress:\n- action: Deny\n  to:\n  - networks: [${MARK}1.1.1.300/32]`),
          'INVALID_CIDR',
          'error',
          /octets 0-255/,
        ],
        [
          'prefix 33',
          cnp(`${CNP_ADMIN}\negress:\n- action: Deny\n  to:\n  - networks: [${MARK}10.0.0.0/33]`),
          'INVALID_CIDR',
          'error',
          /prefix at most 32/,
        ],
        [
          'a leading zero',
          anp(`${ANP_HEAD}\negress:\n- action: Deny\n  to:\n  - networks: [${MARK}010.0.0.0/8]`),
          'INVALID_CIDR',
          'error',
          /without leading zeros/,
        ],
        [
          'no prefix',
          anp(`${ANP_HEAD}\negress:\n- action: Deny\n  to:\n  - networks: [${MARK}10.0.0.1]`),
          'INVALID_CIDR',
          'error',
          /address\/prefix/,
        ],
        [
          'an IPv4-mapped IPv6 network',
          anp(`${ANP_HEAD}\negress:\n- action: Deny\n  to:\n  - networks: [${MARK}"::ffff:10.0.0.0/104"]`),
          'INVALID_CIDR',
          'error',
          /IPv4 network itself/,
        ],
        [
          'a CIDR longer than 43 characters',
          anp(
            `${ANP_HEAD}\negress:\n- action: Deny\n  to:\n  - networks: [${MARK}"0000:0000:0000:0000:0000:0000:100.200.100.200/128"]`,
          ),
          'INVALID_CIDR',
          'error',
          /address\/prefix/,
        ],
        [
          'a CIDR given twice',
          anp(`${ANP_HEAD}\negress:\n- action: Deny\n  to:\n  - networks: [10.0.0.0/8, ${MARK}10.0.0.0/8]`),
          'DUPLICATE_ITEM',
          'error',
          /remove the duplicate/,
        ],
        [
          '26 CIDRs',
          anp(
            `${ANP_HEAD}\negress:\n- action: Deny\n  to:\n  - networks: [${cidrs26.slice(0, 25).join(', ')}, ${MARK}${cidrs26[25]}]`,
          ),
          'TOO_MANY_ITEMS',
          'error',
          /several rules/,
        ],
        [
          'empty networks',
          anp(`${ANP_HEAD}\negress:\n- action: Deny\n  to:\n  - ${MARK}networks: []`),
          'EMPTY_LIST',
          'error',
          /Add an item/,
        ],
        [
          'a wildcard in the middle of a domain name',
          cnp(`${CNP_ADMIN}\negress:\n- action: Accept\n  to:\n  - domainNames: [${MARK}"a.*.example.com"]`),
          'INVALID_DOMAIN_NAME',
          'error',
          /only as the first label/,
        ],
        [
          'domainNames in a Deny rule',
          anp(`${ANP_HEAD}\negress:\n- action: ${MARK}Deny\n  to:\n  - domainNames: [example.com]`),
          'DOMAIN_NAMES_NOT_ALLOW',
          'warning',
          /lower-precedence rule/,
        ],
        // ports (v1alpha1)
        [
          'empty ports',
          anp(`${ANP_HEAD}\ningress:\n- action: Deny\n  from: [{namespaces: {}}]\n  ${MARK}ports: []`),
          'EMPTY_LIST',
          'error',
          /remove the field/,
        ],
        [
          'a port with two fields',
          anp(
            `${ANP_HEAD}\ningress:\n- action: Deny\n  from: [{namespaces: {}}]\n  ports:\n  - ${MARK}portNumber: {port: 80}\n    namedPort: http`,
          ),
          'INVALID_PORT',
          'error',
          /its own list item/,
        ],
        [
          'an invalid named port',
          anp(
            `${ANP_HEAD}\ningress:\n- action: Deny\n  from: [{namespaces: {}}]\n  ports:\n  - namedPort: ${MARK}HTTP`,
          ),
          'INVALID_PORT',
          'error',
          /IANA_SVC_NAME/,
        ],
        [
          'port 0',
          anp(
            `${ANP_HEAD}\ningress:\n- action: Deny\n  from: [{namespaces: {}}]\n  ports:\n  - portNumber: {protocol: TCP, port: ${MARK}0}`,
          ),
          'PORT_OUT_OF_RANGE',
          'error',
          /between 1 and 65535/,
        ],
        [
          'port 65536 in a range',
          banp(
            `${SUBJECT}\ningress:\n- action: Deny\n  from: [{namespaces: {}}]\n  ports:\n  - portRange: {start: 1, end: ${MARK}65536}`,
          ),
          'PORT_OUT_OF_RANGE',
          'error',
          /between 1 and 65535/,
        ],
        [
          'lowercase protocol',
          anp(
            `${ANP_HEAD}\ningress:\n- action: Deny\n  from: [{namespaces: {}}]\n  ports:\n  - portNumber: {protocol: ${MARK}tcp, port: 80}`,
          ),
          'INVALID_PROTOCOL',
          'error',
          /in capitals/,
        ],
        [
          'a portNumber without port',
          anp(
            `${ANP_HEAD}\ningress:\n- action: Deny\n  from: [{namespaces: {}}]\n  ports:\n  - portNumber: ${MARK}{protocol: UDP}`,
          ),
          'MISSING_FIELD',
          'error',
          /portNumber\.port/,
        ],
        [
          'a reversed v1alpha1 range',
          anp(
            `${ANP_HEAD}\ningress:\n- action: Deny\n  from: [{namespaces: {}}]\n  ports:\n  - portRange: {start: 90, end: ${MARK}80}`,
          ),
          'PORT_RANGE_REVERSED',
          'error',
          /Swap start and end/,
        ],
        [
          'a named port with a networks peer',
          anp(
            `${ANP_HEAD}\negress:\n- action: Deny\n  to:\n  - networks: [10.0.0.0/8]\n  ports:\n  - portNumber: {port: 80}\n  - ${MARK}namedPort: http`,
          ),
          'NAMED_PORT_WITH_NON_POD_PEER',
          'warning',
          /rule of their own/,
        ],
        // protocols (v1alpha2)
        [
          'a protocols entry with two fields',
          cnp(
            `${CNP_ADMIN}\ningress:\n- action: Deny\n  from: [{namespaces: {}}]\n  protocols:\n  - ${MARK}tcp: {destinationPort: {number: 80}}\n    udp: {destinationPort: {number: 53}}`,
          ),
          'INVALID_PORT',
          'error',
          /its own list item/,
        ],
        [
          'tcp without destinationPort',
          cnp(
            `${CNP_ADMIN}\ningress:\n- action: Deny\n  from: [{namespaces: {}}]\n  protocols:\n  - tcp: ${MARK}{}`,
          ),
          'INVALID_PORT',
          'error',
          /leave protocols out/,
        ],
        [
          'destinationPort with number and range',
          cnp(
            `${CNP_ADMIN}\ningress:\n- action: Deny\n  from: [{namespaces: {}}]\n  protocols:\n  - udp: {destinationPort: ${MARK}{number: 5, range: {start: 1, end: 9}}}`,
          ),
          'INVALID_PORT',
          'error',
          /range: \{start, end\}/,
        ],
        [
          'a v1alpha2 range with start == end',
          cnp(
            `${CNP_BASELINE}\ningress:\n- action: Deny\n  from: [{namespaces: {}}]\n  protocols:\n  - sctp: {destinationPort: {range: {start: 9, end: ${MARK}9}}}`,
          ),
          'PORT_RANGE_REVERSED',
          'error',
          /number: 9/,
        ],
        [
          'port 70000 in a CNP',
          cnp(
            `${CNP_ADMIN}\ningress:\n- action: Deny\n  from: [{namespaces: {}}]\n  protocols:\n  - tcp: {destinationPort: {number: ${MARK}70000}}`,
          ),
          'PORT_OUT_OF_RANGE',
          'error',
          /between 1 and 65535/,
        ],
        [
          'a destinationNamedPort with a nodes peer',
          cnp(
            `${CNP_ADMIN}\negress:\n- action: Accept\n  to:\n  - nodes: {}\n  protocols:\n  - ${MARK}destinationNamedPort: dns`,
          ),
          'NAMED_PORT_WITH_NON_POD_PEER',
          'warning',
          /port numbers/,
        ],
        [
          'a numeric destinationNamedPort',
          cnp(
            `${CNP_ADMIN}\negress:\n- action: Accept\n  to: [{namespaces: {}}]\n  protocols:\n  - destinationNamedPort: ${MARK}"80"`,
          ),
          'INVALID_PORT',
          'error',
          /port number field/,
        ],
      ] satisfies [string, string, string, 'error' | 'warning', RegExp][]
    ).map(([name, marked, code, severity, hint]) => [name, code, marked, severity, hint] as const),
  )('%s → %s', (_name, code, marked, severity, hint) => {
    const { text, where } = unmark(marked);
    const { policy, diagnostics, at } = read(text);
    const found = diagnostics.filter((d) => d.code === code);
    expect(found, JSON.stringify(diagnostics, null, 1)).toHaveLength(1);
    const d = found[0]!;
    expect(d.severity).toBe(severity);
    expect(at(d)).toBe(where);
    expect(d.hint).toMatch(hint);
    expect(d.file).toBe('t.yaml');
    expect(d.message).toMatch(/^(AdminNetworkPolicy|BaselineAdminNetworkPolicy|ClusterNetworkPolicy) /);
    // Errors leave the policy out, as the API server would refuse it; warnings keep it.
    if (severity === 'error') expect(policy).toBeUndefined();
    if (diagnostics.every((x) => x.severity !== 'error')) expect(policy).toBeDefined();
  });

  it('reports every problem of a policy at once', () => {
    const { diagnostics } = read(
      anp(
        `priority: 2000\nsubject: {}\negress:\n- action: Accept\n  to:\n  - networks: [1.1.1.300/32]\n  ports:\n  - portNumber: {port: 0}`,
      ),
    );
    expect(diagnostics.map((d) => d.code)).toEqual([
      'PRIORITY_OUT_OF_RANGE',
      'INVALID_SUBJECT',
      'INVALID_ACTION',
      'INVALID_CIDR',
      'PORT_OUT_OF_RANGE',
    ]);
  });
});

describe('readAdminPolicy: IR', () => {
  it('AdminNetworkPolicy: subjects, peers, ports, actions', () => {
    const { policy, diagnostics } = read(
      anp(
        [
          'priority: 7',
          'subject:',
          '  pods:',
          '    namespaceSelector: {matchLabels: {team: a}}',
          '    podSelector: {}',
          'ingress:',
          '- name: from-b',
          '  action: Allow',
          '  from:',
          '  - namespaces: {matchLabels: {team: b}}',
          '  - pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: x}}}',
          '  ports:',
          '  - portNumber: {port: 80}',
          '  - portNumber: {protocol: UDP, port: 53}',
          '  - namedPort: http',
          '  - portRange: {protocol: SCTP, start: 9000, end: 9010}',
          '  - portRange: {start: 8080, end: 8080}',
          'egress:',
          '- action: Pass',
          '  to: [{nodes: {matchLabels: {kubernetes.io/os: linux}}}]',
          '- action: Deny',
          '  to:',
          '  - networks: [10.0.0.0/8, 10.1.0.0/16, "fd00::/8", 192.168.1.7/24]',
          '- action: Allow',
          '  to: [{domainNames: [example.com, "*.example.org"]}]',
        ].join('\n'),
      ),
    );
    expect(diagnostics).toEqual([]);
    expect(policy).toMatchObject({
      apiKind: 'AdminNetworkPolicy',
      tier: 'admin',
      name: 'p',
      priority: 7,
      subject: {
        kind: 'pods',
        namespaceSelector: { requirements: [{ key: 'team', operator: 'In', values: ['a'] }] },
        podSelector: { requirements: [] },
      },
    });
    expect(policy!.source).toMatchObject({ file: 't.yaml' });
    const [rule] = policy!.ingress;
    expect(rule).toMatchObject({
      name: 'from-b',
      action: 'allow',
      peers: [
        { kind: 'namespaces', namespaceSelector: { requirements: [{ key: 'team', values: ['b'] }] } },
        {
          kind: 'pods',
          namespaceSelector: { requirements: [] },
          podSelector: { requirements: [{ key: 'app', values: ['x'] }] },
        },
      ],
      ports: [
        { kind: 'number', protocol: 'TCP', first: 80, last: 80 },
        { kind: 'number', protocol: 'UDP', first: 53, last: 53 },
        { kind: 'named', name: 'http' },
        { kind: 'number', protocol: 'SCTP', first: 9000, last: 9010 },
        { kind: 'number', protocol: 'TCP', first: 8080, last: 8080 },
      ],
    });
    // v1alpha1 namedPort has no protocol: the container port's own protocol applies.
    expect(rule!.ports !== 'any' && rule!.ports[2]).not.toHaveProperty('protocol');
    expect(rule!.source).toMatchObject({ path: 'spec.ingress[0]' });

    const [pass, deny, allow] = policy!.egress;
    expect(pass).toMatchObject({
      name: '',
      action: 'pass',
      ports: 'any',
      peers: [
        { kind: 'nodes', nodeSelector: { requirements: [{ key: 'kubernetes.io/os', values: ['linux'] }] } },
      ],
    });
    const networks = deny!.peers[0];
    expect(deny!.action).toBe('deny');
    if (networks?.kind !== 'networks') throw new Error('expected a networks peer');
    expect(networks.cidrs.map((c) => c.text)).toEqual([
      '10.0.0.0/8',
      '10.1.0.0/16',
      'fd00::/8',
      '192.168.1.7/24',
    ]);
    // Kept as written; host bits are allowed and ignored.
    expect(networks.cidrs[3]).toEqual({
      text: '192.168.1.7/24',
      addresses: parseCidr('192.168.1.0/24')!.set,
    });
    const union = parseCidr('10.0.0.0/8')!
      .set.union(parseCidr('fd00::/8')!.set)
      .union(parseCidr('192.168.1.0/24')!.set);
    expect(networks.addresses.equals(union)).toBe(true);
    expect(allow).toMatchObject({
      action: 'allow',
      peers: [{ kind: 'domains', names: ['example.com', '*.example.org'] }],
    });
  });

  it('AdminNetworkPolicy: a namespaces subject; no rules', () => {
    const { policy, diagnostics } = read(anp('priority: 0\nsubject:\n  namespaces: {}'));
    expect(diagnostics).toEqual([]);
    expect(policy).toMatchObject({
      priority: 0,
      subject: { kind: 'namespaces', namespaceSelector: { requirements: [] } },
      ingress: [],
      egress: [],
    });
  });

  it('BaselineAdminNetworkPolicy: baseline tier, priority 0, Allow and Deny', () => {
    const { policy, diagnostics } = read(
      banp(
        `${SUBJECT}\ningress:\n- action: Allow\n  from: [{namespaces: {}}]\negress:\n- action: Deny\n  to: [{networks: ["::/0"]}]\n  ports: [{portRange: {protocol: UDP, start: 1, end: 1024}}]`,
      ),
    );
    expect(diagnostics).toEqual([]);
    expect(policy).toMatchObject({
      apiKind: 'BaselineAdminNetworkPolicy',
      tier: 'baseline',
      name: 'default',
      priority: 0,
      ingress: [{ action: 'allow', ports: 'any' }],
      egress: [{ action: 'deny', ports: [{ kind: 'number', protocol: 'UDP', first: 1, last: 1024 }] }],
    });
  });

  it('ClusterNetworkPolicy: tiers, Accept, protocols', () => {
    const { policy, diagnostics } = read(
      cnp(
        [
          'tier: Baseline',
          'priority: 1000',
          'subject:',
          '  pods:',
          '    podSelector: {matchLabels: {app: db}}',
          'ingress:',
          '- name: web',
          '  action: Accept',
          '  from: [{pods: {podSelector: {}}}]',
          '  protocols:',
          '  - tcp: {destinationPort: {number: 5432}}',
          '  - udp: {destinationPort: {range: {start: 1000, end: 2000}}}',
          '  - sctp: {destinationPort: {number: 9}}',
          '  - destinationNamedPort: metrics',
          '- action: Pass',
          '  from: [{namespaces: {}}]',
          'egress:',
          '- action: Accept',
          '  to: [{domainNames: [kubernetes.io]}, {networks: [1.2.3.4/32]}]',
          '  protocols: [{tcp: {destinationPort: {number: 443}}}]',
        ].join('\n'),
      ),
    );
    expect(diagnostics).toEqual([]);
    expect(policy).toMatchObject({
      apiKind: 'ClusterNetworkPolicy',
      tier: 'baseline',
      priority: 1000,
      // v1alpha2 namespaceSelector is optional: absent, every namespace.
      subject: {
        kind: 'pods',
        namespaceSelector: { requirements: [] },
        podSelector: { requirements: [{ key: 'app' }] },
      },
      ingress: [
        {
          name: 'web',
          action: 'allow',
          peers: [
            { kind: 'pods', namespaceSelector: { requirements: [] }, podSelector: { requirements: [] } },
          ],
          ports: [
            { kind: 'number', protocol: 'TCP', first: 5432, last: 5432 },
            { kind: 'number', protocol: 'UDP', first: 1000, last: 2000 },
            { kind: 'number', protocol: 'SCTP', first: 9, last: 9 },
            { kind: 'named', name: 'metrics' },
          ],
        },
        { name: '', action: 'pass', ports: 'any' },
      ],
      egress: [
        { action: 'allow', peers: [{ kind: 'domains', names: ['kubernetes.io'] }, { kind: 'networks' }] },
      ],
    });
    const admin = read(cnp(CNP_ADMIN));
    expect(admin.diagnostics).toEqual([]);
    expect(admin.policy).toMatchObject({ tier: 'admin', priority: 10 });
  });
});

describe('loadCluster: admin policies', () => {
  const load = (...texts: string[]) => loadCluster(texts.map((text, i) => ({ name: `f${i}.yaml`, text })));

  it('collects them in input order, cluster-scoped, without NOT_EVALUATED_KIND', () => {
    const result = load(anp(ANP_HEAD, 'a'), banp(SUBJECT), cnp(CNP_ADMIN.replace('10', '11'), 'c'));
    expect(result.diagnostics).toEqual([]);
    expect(result.cluster.adminPolicies.map((p) => `${p.apiKind}/${p.name}`)).toEqual([
      'AdminNetworkPolicy/a',
      'BaselineAdminNetworkPolicy/default',
      'ClusterNetworkPolicy/c',
    ]);
    // No namespace `default` is made up for them.
    expect([...result.cluster.namespaces.keys()]).toEqual([]);
  });

  it('a namespace on an admin policy is ignored, also for uniqueness', () => {
    const withNs = (ns: string) => anp(ANP_HEAD).replace('  name: p\n', `  name: p\n  namespace: ${ns}\n`);
    const result = load(withNs('a'), withNs('Not_Valid'));
    expect(result.diagnostics.map((d) => `${d.file} ${d.code} ${d.severity}`)).toEqual([
      'f0.yaml NAMESPACE_IGNORED warning',
      'f1.yaml DUPLICATE_NAME error',
    ]);
    expect(result.cluster.adminPolicies).toHaveLength(1);
  });

  it('the same name in different kinds is fine; in one kind, an error', () => {
    const ok = load(anp(ANP_HEAD, 'x'), cnp(CNP_ADMIN.replace('10', '12'), 'x'));
    expect(ok.diagnostics).toEqual([]);
    const dup = load(anp(ANP_HEAD, 'x'), anp(ANP_HEAD.replace('10', '13'), 'x'));
    expect(dup.diagnostics.map((d) => d.code)).toEqual(['DUPLICATE_NAME']);
    expect(dup.diagnostics[0]!.message).toContain('f0.yaml');
  });

  it('a second BaselineAdminNetworkPolicy is an error', () => {
    const result = load(banp(SUBJECT), banp(SUBJECT));
    expect(result.diagnostics.map((d) => `${d.file} ${d.code} ${d.severity}`)).toEqual([
      'f1.yaml MULTIPLE_BASELINE_POLICIES error',
    ]);
    expect(result.diagnostics[0]!.message).toContain('f0.yaml');
    expect(result.cluster.adminPolicies).toHaveLength(1);
  });

  it('SAME_PRIORITY within a tier, across ANP and CNP, naming both files', () => {
    const result = load(
      anp(ANP_HEAD, 'a'),
      cnp(CNP_ADMIN, 'b'), // admin tier, 10 again
      cnp(CNP_BASELINE, 'c'), // baseline tier 10: a different tier
      cnp(CNP_BASELINE, 'd'), // baseline 10 again
      banp(SUBJECT),
    );
    const notes = result.diagnostics.map((d) => `${d.file} ${d.code} ${d.severity} ${d.path}`);
    expect(notes).toEqual([
      'f1.yaml SAME_PRIORITY warning spec.priority',
      'f3.yaml SAME_PRIORITY warning spec.priority',
    ]);
    expect(result.diagnostics[0]!.message).toContain('AdminNetworkPolicy a in f0.yaml');
    expect(result.diagnostics[1]!.message).toContain('ClusterNetworkPolicy c in f2.yaml');
    expect(result.diagnostics[0]!.hint).toMatch(/its own priority/);
    expect(result.cluster.adminPolicies).toHaveLength(5);
  });

  it('a policy with errors is left out', () => {
    const result = load(anp('priority: 5000\nsubject:\n  namespaces: {}'));
    expect(result.diagnostics.map((d) => d.code)).toEqual(['PRIORITY_OUT_OF_RANGE']);
    expect(result.cluster.adminPolicies).toEqual([]);
  });

  it('JSON input is read, with locations recovered for diagnostics', () => {
    const json = JSON.stringify({
      apiVersion: V2,
      kind: 'ClusterNetworkPolicy',
      metadata: { name: 'j' },
      spec: { tier: 'Admin', priority: 1001, subject: { namespaces: {} } },
    });
    const result = loadCluster([{ name: 'p.json', text: json }]);
    expect(result.diagnostics.map((d) => d.code)).toEqual(['PRIORITY_OUT_OF_RANGE']);
    expect(result.diagnostics[0]!.range).toBeDefined();
  });
});
