// End-to-end tests of `bulkhead lint` through run(): a temp directory of manifests that trips every check (ids,
// file:line:col, exit codes with --fail-on, formats), the storefront example, and Online Boutique from ../shared.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';
import { PROJECT_ROOT, sharedAvailable, sharedPath } from '../shared.js';

const FILES: Record<string, string> = {
  'namespaces.yaml': `apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { team: shop } }
---
apiVersion: v1
kind: Namespace
metadata: { name: batch }
---
apiVersion: v1
kind: Namespace
metadata: { name: kube-system }
`,
  'workloads.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: web, image: web, ports: [{ name: http, containerPort: 8080 }] }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: api, namespace: shop }
spec:
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      containers: [{ name: api, image: api, ports: [{ name: http, containerPort: 8000 }] }]
---
apiVersion: batch/v1
kind: Job
metadata: { name: report, namespace: batch }
spec:
  template:
    metadata: { labels: { app: report } }
    spec:
      containers: [{ name: report, image: report }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: coredns, namespace: kube-system }
spec:
  selector: { matchLabels: { k8s-app: kube-dns } }
  template:
    metadata: { labels: { k8s-app: kube-dns } }
    spec:
      containers:
        - name: coredns
          image: coredns
          ports: [{ name: dns, containerPort: 53, protocol: UDP }, { name: dns-tcp, containerPort: 53 }]
`,
  'policies.yaml': `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: default-deny, namespace: shop }
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: typo, namespace: shop }
spec:
  podSelector: { matchLabels: { app: wbe } }
  ingress: []
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: api, namespace: shop }
spec:
  podSelector: { matchLabels: { app: api } }
  ingress:
    - from: [{ podSelector: { matchLabels: { app: web } } }]
      ports: [{ port: 8000 }]
    - from: [{ podSelector: { matchLabels: { app: nobody } } }]
    - ports: [{ port: https }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: wide, namespace: shop }
spec:
  podSelector: {}
  ingress:
    - from: [{ podSelector: { matchLabels: { app: web } } }]
      ports: [{ port: 8000, endPort: 8100 }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web, namespace: shop }
spec:
  podSelector: { matchLabels: { app: web } }
  ingress:
    - {}
  egress:
    - to: [{ ipBlock: { cidr: 10.0.0.0/8 } }, { ipBlock: { cidr: 10.1.0.0/16 } }]
    - to: [{ ipBlock: { cidr: 172.16.0.0/12, except: [172.16.0.0/16, 172.16.5.0/24] } }]
    - to: [{ ipBlock: { cidr: 10.244.1.0/24 } }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: dns-udp-only, namespace: batch }
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - to:
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: kube-system } }
          podSelector: { matchLabels: { k8s-app: kube-dns } }
      ports: [{ port: 53, protocol: UDP }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: lost, namespace: shpo }
spec:
  podSelector: {}
  ingress: []
`,
  'admin.yaml': `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: { name: isolate-shop }
spec:
  priority: 10
  subject: { namespaces: { matchLabels: { team: shop } } }
  ingress:
    - name: deny-all
      action: Deny
      from: [{ namespaces: {} }]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: { name: allow-web }
spec:
  priority: 20
  subject: { pods: { namespaceSelector: { matchLabels: { team: shop } }, podSelector: { matchLabels: { app: api } } } }
  ingress:
    - name: from-web
      action: Allow
      from: [{ pods: { namespaceSelector: { matchLabels: { team: shop } }, podSelector: { matchLabels: { app: web } } } }]
      ports: [{ portNumber: { protocol: TCP, port: 8000 } }]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: { name: also-ten }
spec:
  priority: 10
  subject: { namespaces: { matchLabels: { kubernetes.io/metadata.name: kube-system } } }
  egress:
    - name: allow-all
      action: Allow
      to: [{ networks: [0.0.0.0/0] }]
`,
};

/** `file:line:col` of the first occurrence of `needle` after `after` in one of the files (see below for apiVersion). */
function at(dir: string, file: string, needle: string, after = ''): string {
  const text = FILES[file]!;
  // `apiVersion` (the start of a document) is looked up backwards from `after`: the document holding it.
  const offset =
    needle === 'apiVersion' && after !== ''
      ? text.lastIndexOf(needle, text.indexOf(after))
      : text.indexOf(needle, after === '' ? 0 : text.indexOf(after));
  if (offset < 0) throw new Error(`${needle} not in ${file}`);
  const before = text.slice(0, offset).split('\n');
  return `${join(dir, file)}:${before.length}:${before[before.length - 1]!.length + 1}`;
}

interface LintJson {
  findings: {
    check: string;
    severity: string;
    title: string;
    message: string;
    resource: { kind: string; namespace: string; name: string };
    location: { file: string; line?: number; column?: number; path?: string };
    rule?: { direction: string; index: number; name: string };
    fix: string;
  }[];
  checks: { id: string; title: string; severity: string }[];
  skipped: { id: string; reason: string }[];
  diagnostics: unknown[];
}

describe('lint on manifests that trip every check', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulkhead-lint-'));
    for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, name), text);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports each check at its file:line:col', async () => {
    const result = await runCli(['lint', dir, '--pod-cidr', '10.244.0.0/16']);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    const line = (id: string, where: string): string | undefined =>
      lines.find((l) => l.startsWith(`${where} `) && l.includes(` ${id} `));
    const p = 'policies.yaml';
    const expected: [string, string][] = [
      ['BH-LINT-001', at(dir, p, 'apiVersion', 'name: typo')],
      ['BH-LINT-002', at(dir, p, 'from: [{ podSelector: { matchLabels: { app: nobody')],
      ['BH-LINT-003', at(dir, p, 'from: [{ podSelector: { matchLabels: { app: web', 'name: api,')],
      ['BH-LINT-004', at(dir, 'admin.yaml', 'name: from-web')],
      ['BH-LINT-005', at(dir, p, '{}\n  egress')],
      ['BH-LINT-006', at(dir, p, 'apiVersion')],
      ['BH-LINT-007', at(dir, p, 'apiVersion', 'name: dns-udp-only')],
      ['BH-LINT-008', at(dir, p, 'to: [{ ipBlock: { cidr: 10.244')],
      ['BH-LINT-009', at(dir, p, 'to: [{ ipBlock: { cidr: 10.0.0.0/8')],
      ['BH-LINT-010', at(dir, p, 'to: [{ ipBlock: { cidr: 172.16')],
      ['BH-LINT-011', at(dir, p, 'ports: [{ port: https')],
      ['BH-LINT-012', at(dir, 'admin.yaml', 'apiVersion')],
      ['BH-LINT-012', at(dir, 'admin.yaml', 'apiVersion', 'name: also-ten')],
      ['BH-LINT-013', at(dir, p, 'apiVersion', 'name: lost')],
    ];
    for (const [id, where] of expected)
      expect(line(id, where), `${id} at ${where}\n${result.stdout}`).toBeDefined();
    // web is isolated too, but its egress to 10.0.0.0/8 covers the whole --pod-cidr, so it matches the DNS pod.
    expect(line('BH-LINT-006', at(dir, p, 'apiVersion'))).toContain(
      'medium BH-LINT-006 Egress isolation blocks DNS — 1 workload(s) in namespace shop (shop/api[Deployment])',
    );
    expect(
      line('BH-LINT-003', at(dir, p, 'from: [{ podSelector: { matchLabels: { app: web', 'name: api,')),
    ).toContain('ingress rule 1 of NetworkPolicy shop/wide');
    expect(result.stdout).toMatch(/\n\d+ finding\(s\): \d+ medium, \d+ low \(13 checks\)\n$/);
  });

  it('exits 1 with --fail-on at or below the worst severity, 0 above it', async () => {
    expect((await runCli(['lint', dir, '--fail-on', 'low'])).code).toBe(1);
    expect((await runCli(['lint', dir, '--fail-on', 'medium'])).code).toBe(1);
    expect((await runCli(['lint', dir, '--fail-on', 'high'])).code).toBe(0);
    expect((await runCli(['lint', dir, '--fail-on', 'critical'])).code).toBe(0);
  });

  it('renders json (the audit contract shape), csv and md', async () => {
    const json = JSON.parse((await runCli(['lint', dir, '--format', 'json'])).stdout) as LintJson;
    expect(json.checks.map((c) => c.id)).toHaveLength(13);
    expect(json.skipped).toEqual([]);
    const shadowed = json.findings.find((f) => f.check === 'BH-LINT-004')!;
    expect(shadowed).toMatchObject({
      severity: 'medium',
      title: 'Admin rule shadowed by earlier rules',
      resource: { kind: 'AdminNetworkPolicy', namespace: '', name: 'allow-web' },
      location: { file: join(dir, 'admin.yaml'), path: 'spec.ingress[0]' },
      rule: { direction: 'ingress', index: 0, name: 'from-web' },
    });
    expect(shadowed.message).toContain('"deny-all" (deny) of AdminNetworkPolicy isolate-shop (priority 10)');
    expect(`${shadowed.location.file}:${shadowed.location.line}:${shadowed.location.column}`).toBe(
      at(dir, 'admin.yaml', 'name: from-web'),
    );
    const csv = (await runCli(['lint', dir, '--format', 'csv'])).stdout.trimEnd().split('\n');
    expect(csv[0]).toBe(
      'check,severity,title,message,kind,namespace,name,file,line,column,direction,rule,fix',
    );
    expect(csv).toHaveLength(json.findings.length + 1);
    const md = (await runCli(['lint', dir, '--format', 'md'])).stdout.split('\n');
    expect(md[0]).toMatch(/^\*\*bulkhead lint\*\*: \d+ finding\(s\)/);
    expect(md[2]).toBe('| severity | check | resource | location | finding | fix |');
    expect(
      md.filter((l) => l.startsWith('| medium | BH-LINT-') || l.startsWith('| low | BH-LINT-')),
    ).toHaveLength(json.findings.length);
  });

  it('prints the file alone for JSON input, which has no positions', async () => {
    const file = join(dir, 'input.json');
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'open', namespace: 'default' },
        spec: { podSelector: {}, ingress: [{}] },
      }),
    );
    try {
      const result = await runCli(['lint', file]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`${file} medium BH-LINT-005 Rule allows everything`);
      expect(result.stdout).toContain('skipped BH-LINT-001: the input has no workloads');
    } finally {
      rmSync(file);
    }
  });

  it('exits 2 on input errors (after linting the rest) and on usage errors', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: bad, namespace: shop }\nspec:\n  podSelector: {}\n  ingress: [{ from: [{ ipBlock: { cidr: 10.0.0.0/33 } }] }]\n',
    );
    try {
      const result = await runCli(['lint', dir, '--fail-on', 'low']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('error INVALID_CIDR');
      expect(result.stdout).toContain('BH-LINT-001');
      expect((await runCli(['lint', dir, '--strict'])).stdout).toBe('');
    } finally {
      rmSync(bad);
    }
    expect((await runCli(['lint', dir, '--fail-on', 'severe'])).code).toBe(2);
    expect((await runCli(['lint', dir, '--pod-cidr', '10.0.0.0/99'])).code).toBe(2);
    expect((await runCli(['lint'])).code).toBe(2);
  });

  it('lists the catalog', async () => {
    const result = await runCli(['lint', '--list-checks', '--format', 'json']);
    expect(result.code).toBe(0);
    const catalog = JSON.parse(result.stdout) as { checks: { id: string; rationale: string }[] };
    expect(catalog.checks.map((c) => c.id)).toEqual(
      Array.from({ length: 13 }, (_, i) => `BH-LINT-${String(i + 1).padStart(3, '0')}`),
    );
  });
});

describe('lint on the storefront example', () => {
  it('finds nothing', async () => {
    const result = await runCli(['lint', join(PROJECT_ROOT, 'examples', 'storefront'), '--fail-on', 'low']);
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toBe('no findings (13 checks)\n');
  });
});

const available = sharedAvailable();

describe.skipIf(!available)('lint on Online Boutique', () => {
  const manifests = sharedPath('real-world', 'online-boutique', 'kubernetes-manifests');
  const policies = sharedPath('real-world', 'online-boutique', 'network-policies');

  it('finds only the allow-all rules: frontend ingress `{}` and every egress `{}` (so DNS is not blocked)', async () => {
    const result = await runCli(['lint', manifests, policies, '--format', 'json']);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as LintJson;
    const summary = json.findings.map(
      (f) => `${f.check} ${f.severity} ${f.resource.name} ${f.rule?.direction}`,
    );
    const egress = [
      'adservice',
      'cartservice',
      'checkoutservice',
      'currencyservice',
      'emailservice',
      'frontend',
      'loadgenerator',
      'paymentservice',
      'productcatalogservice',
      'recommendationservice',
      'redis-cart',
      'shippingservice',
    ].map((name) => `BH-LINT-005 low ${name} egress`);
    expect([...summary].sort()).toEqual([...egress, 'BH-LINT-005 medium frontend ingress'].sort());
    // deny-all isolates every pod for egress, but each service's own policy allows all egress: no DNS finding.
    expect(json.findings.some((f) => f.check === 'BH-LINT-006')).toBe(false);
    expect(result.stderr).toBe('');
  });

  it('flags deny-all alone as blocking DNS for every service', async () => {
    const result = await runCli([
      'lint',
      manifests,
      join(policies, 'network-policy-deny-all.yaml'),
      '--fail-on',
      'medium',
      '--format',
      'json',
    ]);
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout) as LintJson;
    const dns = json.findings.filter((f) => f.check === 'BH-LINT-006');
    expect(dns).toHaveLength(1);
    expect(dns[0]!.resource).toEqual({ kind: 'NetworkPolicy', namespace: 'default', name: 'deny-all' });
    expect(dns[0]!.message).toContain('12 workload(s) in namespace default');
    expect(dns[0]!.message).toContain('no kube-dns workload is in the input');
  });
});
