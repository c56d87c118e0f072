// End-to-end tests of the RBAC checks through run(): ids, file:line:column, a bulkhead.io/ignore on a binding, and
// kubescape's RBAC rule fixtures from ../shared as real-world inputs.

import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';
import { sharedAvailable, sharedPath } from '../shared.js';

const RBAC_YAML = `apiVersion: apps/v1
kind: Deployment
metadata: { name: api, namespace: shop }
spec:
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      serviceAccountName: api
      containers: [{ name: api, image: api }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: api-admin, namespace: shop }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit }
subjects:
  - kind: ServiceAccount
    name: api
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: everything }
rules:
  - apiGroups: ["*"]
    resources: ["*"]
    verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ops
  annotations:
    bulkhead.io/ignore: "BH-RBAC-001: break-glass account, reviewed quarterly"
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: everything }
subjects:
  - kind: User
    name: oncall
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: anyone }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view }
subjects:
  - { kind: Group, name: system:authenticated }
`;

interface JsonFinding {
  check: string;
  severity: string;
  message: string;
  resource: { kind: string; namespace: string; name: string };
  location: { file: string; line: number; column: number };
}

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bulkhead-audit-rbac-'));
  writeFileSync(join(dir, 'rbac.yaml'), RBAC_YAML);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function audit(
  path: string,
): Promise<{ code: number; findings: JsonFinding[]; checks: { id: string }[] }> {
  const result = await runCli(['audit', path, '--format', 'json']);
  const parsed = JSON.parse(result.stdout) as { findings: JsonFinding[]; checks: { id: string }[] };
  return { code: result.code, ...parsed };
}

describe('bulkhead audit: RBAC', () => {
  it('reports who can do what, at the binding subject or the role rule', async () => {
    const { findings, checks } = await audit(dir);
    expect(checks.map((c) => c.id)).toEqual(expect.arrayContaining(['BH-RBAC-001', 'BH-RBAC-011']));
    const rbac = findings
      .filter((f) => f.check.startsWith('BH-RBAC-'))
      .map(
        (f) =>
          `${f.check} ${f.severity} ${f.resource.kind}/${f.resource.name} ${f.location.line}:${f.location.column}`,
      )
      .sort();
    expect(rbac).toEqual([
      'BH-RBAC-002 high ClusterRole/everything 26:13',
      'BH-RBAC-003 high RoleBinding/api-admin 17:5',
      'BH-RBAC-004 high RoleBinding/api-admin 17:5',
      'BH-RBAC-005 high RoleBinding/api-admin 17:5',
      'BH-RBAC-006 high RoleBinding/api-admin 17:5',
      'BH-RBAC-007 medium RoleBinding/api-admin 17:5',
      'BH-RBAC-010 high Deployment/api 9:27',
      'BH-RBAC-011 high ClusterRoleBinding/anyone 44:5',
    ]);
    const firewall = findings.find((f) => f.check === 'BH-RBAC-004');
    expect(firewall?.message).toBe(
      'ServiceAccount shop/api (used by Deployment shop/api) can create, update, patch, delete, deletecollection networkpolicies in namespace shop via RoleBinding shop/api-admin → ClusterRole edit: it can switch the firewall off',
    );
    expect(firewall?.location.file).toBe(join(dir, 'rbac.yaml'));
  });

  it('honours bulkhead.io/ignore on a binding (the cluster-admin equivalent of ops is suppressed)', async () => {
    const { findings } = await audit(dir);
    expect(findings.filter((f) => f.check === 'BH-RBAC-001')).toEqual([]);
    // The role definition itself is still reported, with the binding named.
    expect(findings.find((f) => f.check === 'BH-RBAC-002')?.message).toContain('bound to User oncall');
  });
});

const KUBESCAPE_RULES = sharedPath('conformance', 'audit', 'kubescape', 'rules');
const RBAC_KINDS =
  /^kind:\s*(Role|ClusterRole|RoleBinding|ClusterRoleBinding)\s*$|"kind":\s*"(Role|ClusterRole|RoleBinding|ClusterRoleBinding)"/m;

/** kubescape rule test cases (…/test/<case>/input) whose inputs hold RBAC objects. */
function kubescapeRbacInputs(): string[] {
  const out: string[] = [];
  for (const rule of readdirSync(KUBESCAPE_RULES)) {
    const tests = join(KUBESCAPE_RULES, rule, 'test');
    if (!statSync(join(KUBESCAPE_RULES, rule)).isDirectory()) continue;
    let cases: string[];
    try {
      cases = readdirSync(tests);
    } catch {
      continue;
    }
    for (const c of cases) {
      const input = join(tests, c, 'input');
      let files: string[];
      try {
        files = readdirSync(input);
      } catch {
        continue;
      }
      if (files.some((f) => RBAC_KINDS.test(readFileText(join(input, f))))) out.push(input);
    }
  }
  return out.sort();
}

function readFileText(path: string): string {
  return statSync(path).isFile() ? readFileSync(path, 'utf8') : '';
}

describe.skipIf(!sharedAvailable())('bulkhead audit: RBAC on kubescape fixtures', () => {
  it('audits every RBAC fixture without crashing, with findings on the failing cases', async () => {
    const inputs = kubescapeRbacInputs();
    expect(inputs.length).toBeGreaterThan(50);
    const counts: Record<string, number> = {};
    const perCase: string[] = [];
    for (const input of inputs) {
      const result = await runCli(['audit', input, '--format', 'json']);
      expect(result.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
      expect(result.code).not.toBe(3);
      const { findings } = JSON.parse(result.stdout) as { findings: JsonFinding[] };
      const rbac = findings.filter((f) => f.check.startsWith('BH-RBAC-'));
      for (const f of rbac) counts[f.check] = (counts[f.check] ?? 0) + 1;
      perCase.push(
        `${input.slice(KUBESCAPE_RULES.length + 1)}: ${rbac.map((f) => f.check).join(' ') || '-'}`,
      );
    }
    console.log(
      `kubescape RBAC fixtures: ${inputs.length} cases\n${perCase.join('\n')}\n${JSON.stringify(counts)}`,
    );
    for (const id of ['BH-RBAC-001', 'BH-RBAC-003', 'BH-RBAC-005', 'BH-RBAC-006', 'BH-RBAC-007'])
      expect(counts[id] ?? 0).toBeGreaterThan(0);
  }, 120_000);
});
