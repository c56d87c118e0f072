// `bulkhead agent` on a real Docker Engine with real traffic (BULKHEAD_TEST_DOCKER_SOCKET, started by .ci/run).
//
// The matrix is modelled on the Kubernetes e2e NetworkPolicy suite: namespaces x, y and z (z is a Compose project)
// with pods a, b and c serving TCP and UDP on ports 80 and 81, plus w/a on a second Docker network that only z/c
// joins. For every scenario the agent applies the policies (`--once`), every pod tries every other pod on every
// port and protocol, and each cell must equal what `bulkhead reach --docker` predicts for the same input.
//
// Namespace names are quoted in the YAML: YAML 1.1, as kubectl reads it, turns a bare y into true.
//
// Everything here is made for this run: names carry the prefix, the nft table is `bhtest_<pid>`, and all of it is
// removed at the end. The whole file runs in sequence: an nft table filters the whole host's forwarding, so two
// enforcement tests at once would judge each other's containers.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';
import {
  buildImage,
  disagreements,
  docker,
  enforcementAvailable,
  probeMatrix,
  reachMatrix,
  socket,
  startPod,
  type Pod,
  type Probe,
} from './docker/fixture.js';

const prefix = `bhtest-${process.pid}-`;
const table = `bhtest_${process.pid}`;
const image = `${prefix}probe:1`;
const net1 = `${prefix}net1`;
const net2 = `${prefix}net2`;
const PROBES: readonly Probe[] = ['tcp/80', 'tcp/81', 'udp/80', 'udp/81'];
const NAMED_PORTS = 'serve-80-tcp=80/tcp,serve-81-tcp=81/tcp,serve-80-udp=80/udp,serve-81-udp=81/udp';

const NAMESPACES = ['x', 'y', 'z', 'w']
  .map(
    (ns) => `apiVersion: v1
kind: Namespace
metadata: {name: "${ns}", labels: {ns: "${ns}"}}
`,
  )
  .join('---\n');

let work = '';
let policies = '';
let stateDir = '';
const pods: Pod[] = [];
const pod = (namespace: string, name: string): Pod =>
  pods.find((p) => p.namespace === namespace && p.name === `${prefix}${namespace}-${name}`)!;

/** Writes the scenario's policies (with the Namespace objects) as the only content of the policy directory. */
function writePolicies(yaml: string): void {
  rmSync(policies, { recursive: true, force: true });
  mkdirSync(policies);
  writeFileSync(join(policies, 'namespaces.yaml'), NAMESPACES);
  if (yaml !== '') writeFileSync(join(policies, 'policies.yaml'), yaml);
}

async function agentOnce(): Promise<string> {
  const result = await runCli([
    'agent',
    '--once',
    '--policies',
    policies,
    '--table',
    table,
    '--state-dir',
    stateDir,
    '--docker-socket',
    socket!,
  ]);
  expect(result.code, result.stderr).toBe(0);
  return result.stderr;
}

/** Applies, probes every cell, and compares with reach; returns the prediction for scenario-specific checks. */
async function expectTrafficEqualsReach(): Promise<Map<string, boolean>> {
  await agentOnce();
  const [actual, expected] = await Promise.all([
    probeMatrix(pods, PROBES),
    reachMatrix(policies, pods, PROBES),
  ]);
  expect(expected.size).toBe(pods.length * (pods.length - 1) * PROBES.length);
  expect(disagreements(actual, expected)).toEqual([]);
  return expected;
}

const cell = (m: Map<string, boolean>, src: Pod, dst: Pod, probe: Probe): boolean | undefined =>
  m.get(`${src.id} => ${dst.id} ${probe}`);

const available = enforcementAvailable();

describe.skipIf(!available)('bulkhead agent enforces on a real Docker host: traffic equals reach', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), prefix));
    policies = join(work, 'policies');
    stateDir = join(work, 'state');
    await buildImage(work, image);
    await docker('network', 'create', net1);
    await docker('network', 'create', net2);
    for (const namespace of ['x', 'y', 'z'])
      for (const name of ['a', 'b', 'c'])
        pods.push(
          await startPod({
            name: `${prefix}${namespace}-${name}`,
            namespace,
            image,
            networks: namespace === 'z' && name === 'c' ? [net1, net2] : [net1],
            labels: { pod: name, 'bulkhead.io/ports': NAMED_PORTS },
            compose: namespace === 'z',
          }),
        );
    pods.push(
      await startPod({
        name: `${prefix}w-a`,
        namespace: 'w',
        image,
        networks: [net2],
        labels: { pod: 'a', 'bulkhead.io/ports': NAMED_PORTS },
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await runCli(['agent', '--uninstall', '--table', table, '--state-dir', stateDir]);
    const attempts = [
      () => docker('rm', '-f', ...pods.map((p) => p.name)),
      () => docker('network', 'rm', net1, net2),
      () => docker('image', 'rm', '-f', image),
    ];
    for (const attempt of attempts) await attempt().catch(() => undefined);
    if (work !== '') rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('no policy: every pod reaches every pod it shares a network with; Docker still separates networks', async () => {
    writePolicies('');
    const m = await expectTrafficEqualsReach();
    expect(cell(m, pod('x', 'a'), pod('y', 'b'), 'udp/81')).toBe(true);
    expect(cell(m, pod('w', 'a'), pod('z', 'c'), 'tcp/80')).toBe(true);
    expect(cell(m, pod('w', 'a'), pod('x', 'a'), 'tcp/80')).toBe(false);
  }, 60_000);

  it('default deny ingress in one namespace', async () => {
    writePolicies(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: x}
spec: {podSelector: {}, policyTypes: [Ingress]}
`);
    const m = await expectTrafficEqualsReach();
    expect(cell(m, pod('y', 'a'), pod('x', 'a'), 'tcp/80')).toBe(false);
    expect(cell(m, pod('x', 'a'), pod('y', 'a'), 'tcp/80')).toBe(true);
  }, 60_000);

  it('pod selector in the policy namespace, one TCP port', async () => {
    writePolicies(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-from-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}], ports: [{port: 80}]}]
`);
    const m = await expectTrafficEqualsReach();
    expect(cell(m, pod('x', 'b'), pod('x', 'a'), 'tcp/80')).toBe(true);
    expect(cell(m, pod('x', 'b'), pod('x', 'a'), 'tcp/81')).toBe(false);
    expect(cell(m, pod('y', 'b'), pod('x', 'a'), 'tcp/80')).toBe(false);
  }, 60_000);

  it('namespace selector, and pod AND namespace selector (a Compose project as the namespace)', async () => {
    writePolicies(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-from-y, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {ns: "y"}}}]
  - from: [{namespaceSelector: {matchLabels: {ns: "z"}}, podSelector: {matchLabels: {pod: c}}}]
    ports: [{port: 81, protocol: UDP}]
`);
    const m = await expectTrafficEqualsReach();
    expect(cell(m, pod('y', 'c'), pod('x', 'a'), 'tcp/80')).toBe(true);
    expect(cell(m, pod('z', 'c'), pod('x', 'a'), 'udp/81')).toBe(true);
    expect(cell(m, pod('z', 'b'), pod('x', 'a'), 'udp/81')).toBe(false);
  }, 60_000);

  it('match expressions over pods in every namespace', async () => {
    writePolicies(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: not-from-b, namespace: x}
spec:
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: ns, operator: In, values: ["x", "y"]}]}
      podSelector: {matchExpressions: [{key: pod, operator: NotIn, values: [b]}]}
`);
    const m = await expectTrafficEqualsReach();
    expect(cell(m, pod('y', 'c'), pod('x', 'b'), 'udp/80')).toBe(true);
    expect(cell(m, pod('y', 'b'), pod('x', 'c'), 'udp/80')).toBe(false);
  }, 60_000);

  it('named port, resolved per destination container', async () => {
    writePolicies(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: named, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{ports: [{port: serve-81-udp, protocol: UDP}]}]
`);
    const m = await expectTrafficEqualsReach();
    expect(cell(m, pod('z', 'a'), pod('x', 'a'), 'udp/81')).toBe(true);
    expect(cell(m, pod('z', 'a'), pod('x', 'a'), 'tcp/81')).toBe(false);
  }, 60_000);

  it('egress deny with one egress allowance', async () => {
    writePolicies(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress, namespace: "y"}
spec: {podSelector: {}, policyTypes: [Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-to-x, namespace: "y"}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress: [{to: [{namespaceSelector: {matchLabels: {ns: "x"}}}], ports: [{port: 81}]}]
`);
    const m = await expectTrafficEqualsReach();
    expect(cell(m, pod('y', 'a'), pod('x', 'b'), 'tcp/81')).toBe(true);
    expect(cell(m, pod('y', 'a'), pod('x', 'b'), 'tcp/80')).toBe(false);
    expect(cell(m, pod('y', 'b'), pod('x', 'b'), 'tcp/81')).toBe(false);
    expect(cell(m, pod('x', 'b'), pod('y', 'b'), 'tcp/81')).toBe(true);
  }, 60_000);

  it('ipBlock with except, on real container addresses', async () => {
    const subnet = await docker('network', 'inspect', '--format', '{{(index .IPAM.Config 0).Subnet}}', net1);
    writePolicies(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: block, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{ipBlock: {cidr: ${subnet}, except: [${pod('y', 'b').ips[net1]}/32]}}]}]
`);
    const m = await expectTrafficEqualsReach();
    expect(cell(m, pod('y', 'a'), pod('x', 'a'), 'tcp/80')).toBe(true);
    expect(cell(m, pod('y', 'b'), pod('x', 'a'), 'tcp/80')).toBe(false);
  }, 60_000);

  it('port ranges (endPort) and UDP', async () => {
    writePolicies(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: range, namespace: z}
spec:
  podSelector: {matchLabels: {pod: c}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {ns: "x"}}}]
    ports: [{port: 80, endPort: 81}, {port: 81, protocol: UDP}]
`);
    const m = await expectTrafficEqualsReach();
    expect(cell(m, pod('x', 'a'), pod('z', 'c'), 'tcp/81')).toBe(true);
    expect(cell(m, pod('x', 'a'), pod('z', 'c'), 'udp/80')).toBe(false);
    expect(cell(m, pod('w', 'a'), pod('z', 'c'), 'tcp/80')).toBe(false);
  }, 60_000);

  it('admin tiers: AdminNetworkPolicy deny beats a NetworkPolicy allow; the baseline applies after it', async () => {
    writePolicies(`apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: no-y-into-x}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {ns: "x"}}}
  ingress: [{name: deny-y, action: Deny, from: [{namespaces: {matchLabels: {ns: "y"}}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all, namespace: x}
spec:
  podSelector: {}
  ingress: [{}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress: [{name: deny-z, action: Deny, from: [{namespaces: {matchLabels: {ns: "z"}}}]}]
`);
    const m = await expectTrafficEqualsReach();
    expect(cell(m, pod('y', 'a'), pod('x', 'a'), 'tcp/80')).toBe(false);
    expect(cell(m, pod('z', 'a'), pod('x', 'a'), 'tcp/80')).toBe(true);
    expect(cell(m, pod('z', 'a'), pod('y', 'a'), 'tcp/80')).toBe(false);
  }, 60_000);
});
