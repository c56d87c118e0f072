// End-to-end tests of the pod-security, images and secrets checks of `bulkhead audit` through run(): ids and exact
// line:column on temp manifests, --fail-on exit codes, inline suppression, the allowlist setting, and the examples.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';
import { PROJECT_ROOT, sharedAvailable, sharedPath } from '../shared.js';

const WORKLOADS = `apiVersion: apps/v1
kind: Deployment
metadata: { name: agent, namespace: ops }
spec:
  selector: { matchLabels: { app: agent } }
  template:
    metadata: { labels: { app: agent } }
    spec:
      hostPID: true
      containers:
        - name: agent
          image: docker.io/acme/agent
          securityContext:
            privileged: true
          volumeMounts: [{ name: sock, mountPath: /var/run/docker.sock }]
      volumes:
        - name: sock
          hostPath: { path: /var/run/docker.sock }
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shell
  namespace: ops
  annotations:
    bulkhead.io/ignore: "BH-POD-001: break-glass debugging pod, approved in SEC-42"
spec:
  selector: { matchLabels: { app: shell } }
  template:
    metadata: { labels: { app: shell } }
    spec:
      containers:
        - name: shell
          image: registry.example.com/tools/shell:1.0
          securityContext: { privileged: true }
          env:
            - { name: DB_PASSWORD, value: hunter2 }
`;

const CONFIGMAP = `apiVersion: v1
kind: ConfigMap
metadata: { name: app-config, namespace: ops }
data:
  log_level: info
  db_password: abc123
`;

/** 1-based line and column of the first occurrence of `needle` (after `after`, when given). */
function at(text: string, needle: string, after = ''): { line: number; column: number } {
  const offset = text.indexOf(needle, after === '' ? 0 : text.indexOf(after));
  if (offset < 0) throw new Error(`${needle} not in the fixture`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

interface JsonFinding {
  check: string;
  severity: string;
  message: string;
  resource: { kind: string; namespace: string; name: string };
  location: { file: string; line: number; column: number };
}

function findingsOf(stdout: string): JsonFinding[] {
  return (JSON.parse(stdout) as { findings: JsonFinding[] }).findings;
}

function ours(findings: readonly JsonFinding[]): JsonFinding[] {
  return findings.filter((f) => /^BH-(POD|IMG|SEC)-/.test(f.check));
}

function counts(findings: readonly JsonFinding[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of ours(findings)) out[f.check] = (out[f.check] ?? 0) + 1;
  return out;
}

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bulkhead-audit-pod-'));
  writeFileSync(join(dir, 'workloads.yaml'), WORKLOADS);
  writeFileSync(join(dir, 'configmap.yaml'), CONFIGMAP);
  writeFileSync(join(dir, 'allow.yaml'), 'settings: { allowedRegistries: [registry.example.com] }\n');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('bulkhead audit: pod security, images, secrets', () => {
  it('reports the checks at the offending values', async () => {
    const result = await runCli([
      'audit',
      join(dir, 'workloads.yaml'),
      join(dir, 'configmap.yaml'),
      '--format',
      'json',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const findings = findingsOf(result.stdout);
    const where = (check: string, name: string) =>
      findings
        .filter((f) => f.check === check && f.resource.name === name)
        .map((f) => ({ line: f.location.line, column: f.location.column, severity: f.severity }));
    expect(where('BH-POD-001', 'agent')).toEqual([
      { ...at(WORKLOADS, 'true', 'privileged:'), severity: 'critical' },
    ]);
    expect(where('BH-POD-005', 'agent')).toEqual([{ ...at(WORKLOADS, 'true', 'hostPID'), severity: 'high' }]);
    expect(where('BH-POD-008', 'agent')).toEqual([
      { ...at(WORKLOADS, '/var/run/docker.sock', 'hostPath:'), severity: 'critical' },
    ]);
    expect(where('BH-IMG-001', 'agent')).toEqual([
      { ...at(WORKLOADS, 'docker.io/acme/agent'), severity: 'medium' },
    ]);
    expect(where('BH-SEC-001', 'shell')).toEqual([{ ...at(WORKLOADS, 'hunter2'), severity: 'high' }]);
    const cm = findings.filter((f) => f.check === 'BH-SEC-003');
    expect(
      cm.map((f) => [f.location.file.endsWith('configmap.yaml'), f.location.line, f.location.column]),
    ).toEqual([[true, at(CONFIGMAP, 'abc123').line, at(CONFIGMAP, 'abc123').column]]);
    expect(findings.find((f) => f.check === 'BH-POD-008')?.message).toBe(
      'volume "sock" mounts the container runtime socket /var/run/docker.sock from the host (mounted writable by "agent")',
    );
    expect(findings.some((f) => f.message.includes('hunter2') || f.message.includes('abc123'))).toBe(false);
    // BH-IMG-003 is off without an allowlist.
    expect(findings.some((f) => f.check === 'BH-IMG-003')).toBe(false);
  });

  it('honours the inline suppression of one check on one object', async () => {
    const result = await runCli(['audit', join(dir, 'workloads.yaml'), '--format', 'json']);
    const parsed = JSON.parse(result.stdout) as {
      findings: JsonFinding[];
      suppressed: { check: string; resource: JsonFinding['resource']; by: string; reason: string }[];
    };
    expect(parsed.findings.filter((f) => f.check === 'BH-POD-001').map((f) => f.resource.name)).toEqual([
      'agent',
    ]);
    expect(parsed.suppressed.map((s) => [s.check, s.resource.name, s.by, s.reason])).toContainEqual([
      'BH-POD-001',
      'shell',
      'annotation',
      'break-glass debugging pod, approved in SEC-42',
    ]);
    // Only BH-POD-001 is suppressed: the privileged container still allows escalation.
    expect(parsed.findings.some((f) => f.check === 'BH-POD-002' && f.resource.name === 'shell')).toBe(true);
  });

  it('exits 1 with --fail-on at or below the worst severity, 0 above it', async () => {
    const sample = join(dir, 'configmap.yaml');
    expect((await runCli(['audit', sample, '--format', 'json', '--fail-on', 'high'])).code).toBe(1);
    expect((await runCli(['audit', sample, '--format', 'json', '--fail-on', 'critical'])).code).toBe(0);
    const workloads = join(dir, 'workloads.yaml');
    expect((await runCli(['audit', workloads, '--format', 'json', '--fail-on', 'critical'])).code).toBe(1);
  });

  it('reports registries outside the configured allowlist, docker.io implied for bare names', async () => {
    const result = await runCli([
      'audit',
      join(dir, 'workloads.yaml'),
      '--format',
      'json',
      '--config',
      join(dir, 'allow.yaml'),
    ]);
    expect(result.stderr).toBe('');
    const registry = findingsOf(result.stdout).filter((f) => f.check === 'BH-IMG-003');
    expect(registry.map((f) => [f.resource.name, f.location.line])).toEqual([
      ['agent', at(WORKLOADS, 'docker.io/acme/agent').line],
    ]);
  });

  it('lists the checks with their mappings', async () => {
    const result = await runCli(['audit', '--list-checks', '--format', 'json']);
    const text = result.stdout;
    for (const id of ['BH-POD-001', 'BH-POD-014', 'BH-IMG-004', 'BH-SEC-003']) expect(text).toContain(id);
    expect(text).toContain('privilegeEscalationAllowed');
    expect(text).toContain('CKV_K8S_16');
  });

  it('gives the storefront example only hardening findings (no securityContext, version tags, no secrets)', async () => {
    const result = await runCli(['audit', join(PROJECT_ROOT, 'examples', 'storefront'), '--format', 'json']);
    expect(counts(findingsOf(result.stdout))).toEqual({
      'BH-POD-002': 8,
      'BH-POD-004': 8,
      'BH-POD-010': 8,
      'BH-POD-011': 8,
      'BH-POD-012': 8,
      'BH-POD-013': 8,
      'BH-IMG-002': 8,
      'BH-IMG-004': 8,
    });
  });

  it('gives Online Boutique the findings of its untagged images, missing seccomp and mounted tokens', async () => {
    if (!sharedAvailable()) return;
    const result = await runCli([
      'audit',
      sharedPath('real-world', 'online-boutique', 'kubernetes-manifests'),
      '--format',
      'json',
    ]);
    expect(counts(findingsOf(result.stdout))).toEqual({
      'BH-IMG-001': 11,
      'BH-IMG-002': 12,
      'BH-IMG-004': 1,
      'BH-POD-012': 13,
      'BH-POD-013': 1,
      'BH-POD-014': 11,
    });
  });
});
