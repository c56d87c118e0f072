// Exposure (BH-NET) and segmentation (BH-SEG) audit checks end to end: findings follow what policies allow, not
// whether a policy exists, and are located on the offending line.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'bulkhead-audit-net-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface AuditJson {
  findings: {
    check: string;
    severity: string;
    message: string;
    resource: { kind: string; namespace: string; name: string };
    location: { file: string; line?: number; column?: number };
  }[];
  checks: { id: string }[];
}

let counter = 0;
async function audit(yaml: string): Promise<AuditJson & { file: string }> {
  const file = join(dir, `case-${counter++}.yaml`);
  writeFileSync(file, yaml);
  const result = await runCli(['audit', file, '--format', 'json']);
  expect(result.stderr).toBe('');
  return { ...(JSON.parse(result.stdout) as AuditJson), file };
}

const ns = (name: string, labels = ''): string =>
  `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n${labels}---\n`;
const deployment = (name: string, namespace: string, ports: string, extra = ''): string =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nspec:\n  selector: {matchLabels: {app: ${name}}}\n  template:\n    metadata:\n      labels: {app: ${name}}\n    spec:\n      containers:\n      - name: c\n        image: registry.example.com/${name}:1.0\n        ports:\n${ports}${extra}---\n`;
const lbService = (
  name: string,
  namespace: string,
  port: number,
  target: number,
  type = 'LoadBalancer',
): string =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nspec:\n  type: ${type}\n  selector: {app: ${name}}\n  ports:\n  - port: ${port}\n    targetPort: ${target}\n---\n`;
const denyAll = (namespace: string, types = '[Ingress, Egress]'): string =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny\n  namespace: ${namespace}\nspec:\n  podSelector: {}\n  policyTypes: ${types}\n---\n`;

const byCheck = (report: AuditJson, check: string): AuditJson['findings'] =>
  report.findings.filter((f) => f.check === check);
const lineOf = (text: string, needle: string, nth = 0): number => {
  let index = -1;
  for (let i = 0; i <= nth; i++) index = text.indexOf(needle, index + 1);
  return text.slice(0, index).split('\n').length;
};

describe('BH-NET-001 exposure through LoadBalancer, NodePort and hostPort', () => {
  it('is not reported when a default deny blocks the outside (unlike "a policy exists" checks)', async () => {
    const yaml =
      ns('shop') +
      deployment('web', 'shop', '        - containerPort: 8080\n') +
      lbService('web', 'shop', 80, 8080) +
      denyAll('shop');
    expect(byCheck(await audit(yaml), 'BH-NET-001')).toEqual([]);
  });

  it('is reported, at the Service port, when policies let external addresses in', async () => {
    const allow =
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: public\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - from: [{ipBlock: {cidr: 0.0.0.0/0}}]\n    ports: [{port: 8080}]\n---\n';
    const yaml =
      ns('shop') +
      deployment('web', 'shop', '        - containerPort: 8080\n') +
      lbService('web', 'shop', 80, 8080) +
      denyAll('shop') +
      allow;
    const report = await audit(yaml);
    const found = byCheck(report, 'BH-NET-001');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain(
      'LoadBalancer Service shop/web port 80/TCP publishes shop/web[Deployment]',
    );
    expect(found[0]!.location.line).toBe(lineOf(yaml, '  - port: 80'));
    // Port 80 on the Service: HTTP in clear text (BH-NET-004).
    expect(byCheck(report, 'BH-NET-004')).toHaveLength(1);
  });

  it('reports a NodePort Service without policies, and a hostPort at its line', async () => {
    const yaml =
      ns('shop') +
      deployment('api', 'shop', '        - containerPort: 9000\n') +
      lbService('api', 'shop', 9000, 9000, 'NodePort') +
      deployment('agent', 'shop', '        - containerPort: 7000\n          hostPort: 7000\n');
    const report = await audit(yaml);
    const found = byCheck(report, 'BH-NET-001');
    expect(found.map((f) => f.resource.name).sort()).toEqual(['agent', 'api']);
    expect(found.find((f) => f.resource.name === 'agent')!.location.line).toBe(
      lineOf(yaml, 'hostPort: 7000'),
    );
  });
});

describe('BH-NET-002 sensitive ports', () => {
  const db = deployment('db', 'data', '        - containerPort: 5432\n');
  it('is critical when reachable from outside, high when only from other namespaces, absent when blocked', async () => {
    const open = await audit(
      ns('data') + ns('shop') + db + deployment('app', 'shop', '        - containerPort: 80\n'),
    );
    expect(byCheck(open, 'BH-NET-002').map((f) => f.severity)).toEqual(['critical']);

    const onlyPods =
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: pods\n  namespace: data\nspec:\n  podSelector: {}\n  ingress:\n  - from: [{namespaceSelector: {}}]\n---\n';
    const internal = await audit(
      ns('data') + ns('shop') + db + deployment('app', 'shop', '        - containerPort: 80\n') + onlyPods,
    );
    const found = byCheck(internal, 'BH-NET-002');
    expect(found.map((f) => f.severity)).toEqual(['high']);
    expect(found[0]!.message).toContain('shop/app[Deployment]');

    const closed = await audit(
      ns('data') +
        ns('shop') +
        db +
        deployment('app', 'shop', '        - containerPort: 80\n') +
        denyAll('data', '[Ingress]'),
    );
    expect(byCheck(closed, 'BH-NET-002')).toEqual([]);
  });
});

describe('BH-NET-003 and BH-NET-005', () => {
  it('reports egress to every external address despite egress isolation', async () => {
    const egress =
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: out\n  namespace: shop\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]\n---\n';
    const narrow = egress.replace('0.0.0.0/0', '10.0.0.0/8');
    expect(
      byCheck(
        await audit(ns('shop') + deployment('a', 'shop', '        - containerPort: 1\n') + egress),
        'BH-NET-003',
      ),
    ).toHaveLength(1);
    expect(
      byCheck(
        await audit(ns('shop') + deployment('a', 'shop', '        - containerPort: 1\n') + narrow),
        'BH-NET-003',
      ),
    ).toEqual([]);
  });

  it('reports an Ingress without TLS, and not one with it', async () => {
    const ingress = (tls: string): string =>
      `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: shop\nspec:\n${tls}  rules:\n  - host: shop.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend: {service: {name: web, port: {number: 80}}}\n`;
    expect(byCheck(await audit(ingress('')), 'BH-NET-005')).toHaveLength(1);
    expect(
      byCheck(
        await audit(ingress('  tls:\n  - hosts: [shop.example.com]\n    secretName: cert\n')),
        'BH-NET-005',
      ),
    ).toEqual([]);
    const partial = byCheck(
      await audit(ingress('  tls:\n  - hosts: [other.example.com]\n    secretName: cert\n')),
      'BH-NET-005',
    );
    expect(partial[0]!.message).toContain('no TLS for shop.example.com');
  });
});

describe('segmentation', () => {
  it('BH-SEG-001/002: namespaces without default deny, at the Namespace object', async () => {
    const yaml =
      ns('a') +
      ns('b') +
      deployment('x', 'a', '        - containerPort: 1\n') +
      deployment('yy', 'b', '        - containerPort: 1\n') +
      denyAll('a');
    const report = await audit(yaml);
    expect(byCheck(report, 'BH-SEG-001').map((f) => f.resource.name)).toEqual(['b']);
    expect(byCheck(report, 'BH-SEG-002').map((f) => f.resource.name)).toEqual(['b']);
    expect(byCheck(report, 'BH-SEG-001')[0]!.location.line).toBe(lineOf(yaml, 'apiVersion: v1', 1));
  });

  it('BH-SEG-003: workloads no policy restricts', async () => {
    const report = await audit(ns('a') + deployment('x', 'a', '        - containerPort: 1\n'));
    expect(byCheck(report, 'BH-SEG-003').map((f) => f.resource.name)).toEqual(['x']);
  });

  it('BH-SEG-004: a workload isolated yet reaching most of the cluster', async () => {
    const workloads = ['p', 'q', 'r', 's']
      .map((n) => deployment(n, 'a', '        - containerPort: 1\n'))
      .join('');
    const egressAll =
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p-out\n  namespace: a\nspec:\n  podSelector: {matchLabels: {app: p}}\n  policyTypes: [Egress]\n  egress:\n  - to: [{podSelector: {}}]\n---\n';
    const report = await audit(ns('a') + workloads + egressAll);
    expect(byCheck(report, 'BH-SEG-004').map((f) => f.resource.name)).toEqual(['p']);
  });

  it('BH-SEG-005: a sensitive namespace reachable from others, DNS alone not counted', async () => {
    const dns =
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: coredns\n  namespace: kube-system\nspec:\n  selector: {matchLabels: {k8s-app: kube-dns}}\n  template:\n    metadata:\n      labels: {k8s-app: kube-dns}\n    spec:\n      containers:\n      - name: c\n        image: coredns:1.11\n        ports: [{containerPort: 53, protocol: UDP}]\n---\n';
    const onlyDns =
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: dns\n  namespace: kube-system\nspec:\n  podSelector: {}\n  ingress:\n  - ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]\n---\n';
    const app = ns('a') + deployment('x', 'a', '        - containerPort: 1\n');
    expect(byCheck(await audit(app + dns + onlyDns), 'BH-SEG-005')).toEqual([]);
    const open = byCheck(await audit(app + dns), 'BH-SEG-005');
    expect(open.map((f) => f.resource.name)).toEqual(['coredns']);
  });
});
