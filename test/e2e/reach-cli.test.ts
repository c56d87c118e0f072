// End-to-end tests of `bulkhead reach` through run() and through the built executable: the shipped example,
// every output format, stdin, --stats, and usage errors.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';
import { PROJECT_ROOT } from '../shared.js';

const example = join(PROJECT_ROOT, 'examples', 'storefront');

describe('reach on the storefront example', () => {
  it('prints the connections the policies allow', async () => {
    const result = await runCli(['reach', example]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toContain('storefront/web[Deployment] => storefront/api[Deployment] : TCP 8000');
    expect(lines).toContain('storefront/api[Deployment] => payments/gateway[Deployment] : TCP 8443');
    expect(lines).toContain('payments/gateway[Deployment] => 203.0.113.0-203.0.113.255[External] : TCP 443');
    expect(lines).toContain('monitoring/prometheus[Deployment] => storefront/api[Deployment] : TCP 9090');
    expect(lines).toContain('11.0.0.0-255.255.255.255[External] => storefront/web[Deployment] : TCP 8080');
    // The private range is excepted from the public ingress.
    expect(lines.some((l) => l.startsWith('10.0.0.0-10.255.255.255[External] => storefront/web'))).toBe(
      false,
    );
    // Databases are reachable only from their callers.
    expect(lines.filter((l) => l.includes('=> storefront/cart-db'))).toEqual([
      'storefront/api[Deployment] => storefront/cart-db[StatefulSet] : TCP 5432',
    ]);
    expect(lines.filter((l) => l.includes('=> payments/ledger-db'))).toEqual([
      'payments/gateway[Deployment] => payments/ledger-db[StatefulSet] : TCP 5432',
    ]);
    expect([...lines].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(lines);
  });

  it('renders json, csv, md and dot from the same rows', async () => {
    const txt = (await runCli(['reach', example])).stdout.trimEnd().split('\n');
    const json = JSON.parse((await runCli(['reach', example, '--format', 'json'])).stdout) as {
      workloads: { id: string }[];
      connections: { src: string; dst: string; conn: string }[];
      diagnostics: unknown[];
    };
    expect(json.connections.map((c) => `${c.src} => ${c.dst} : ${c.conn}`)).toEqual(txt);
    expect(json.workloads.map((w) => w.id)).toContain('storefront/cart-db[StatefulSet]');
    expect(json.diagnostics).toEqual([]);
    const csv = (await runCli(['reach', example, '--format', 'csv'])).stdout.trimEnd().split('\n');
    expect(csv[0]).toBe('src,dst,conn');
    expect(csv).toContain('payments/gateway[Deployment],kube-system/coredns[Deployment],"TCP 53,UDP 53"');
    const md = (await runCli(['reach', example, '--format', 'md'])).stdout.split('\n');
    expect(md.slice(0, 2)).toEqual(['| src | dst | conn |', '|-----|-----|------|']);
    expect(md).toHaveLength(txt.length + 3);
    const dot = (await runCli(['reach', example, '--format', 'dot'])).stdout;
    expect(dot.startsWith('digraph {')).toBe(true);
    expect(dot).toContain('subgraph "cluster_kube_system[namespace]"');
    expect(dot).toContain('"storefront/web[Deployment]" -> "storefront/api[Deployment]" [label="TCP 8000"');
  });

  it('reads stdin and gives the same answer', async () => {
    const text = ['namespaces.yaml', 'workloads.yaml', 'policies.yaml']
      .map((f) => readFileSync(join(example, f), 'utf8'))
      .join('\n---\n');
    const fromStdin = await runCli(['reach', '-'], text);
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toBe((await runCli(['reach', example])).stdout);
  });

  it('prints stats without listing pairs', async () => {
    const result = await runCli(['reach', example, '--stats', '--format', 'json']);
    expect(result.code).toBe(0);
    const stats = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(stats).toMatchObject({ workloads: 8, ingressIsolated: 6, egressIsolated: 6, isolatedBothWays: 6 });
    const txt = await runCli(['reach', example, '--stats']);
    expect(txt.stdout).toMatch(/^workloads: +8$/m);
    expect(txt.stdout).toMatch(/^equivalence classes: +\d+$/m);
  });
});

describe('diagnostics in json', () => {
  it('carry the stable code, line, column, path and hint', async () => {
    const text =
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 1.1.1.300/32}\n';
    const result = await runCli(['reach', '-', '--format', 'json'], text);
    expect(result.code).toBe(2);
    const report = JSON.parse(result.stdout) as { diagnostics: Record<string, unknown>[] };
    expect(report.diagnostics).toEqual([
      expect.objectContaining({
        code: 'INVALID_CIDR',
        severity: 'error',
        file: '-',
        line: 8,
        column: 23,
        path: 'spec.ingress[0].from[0].ipBlock.cidr',
        hint: expect.stringContaining('address/prefix') as unknown,
      }),
    ]);
  });
});

describe('usage errors', () => {
  it('rejects an unknown format with exit 2 and no stack trace', async () => {
    const result = await runCli(['reach', example, '--format', 'yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/format/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects an invalid --pod-cidr', async () => {
    const result = await runCli(['reach', example, '--pod-cidr', '10.0.0.0/33']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--pod-cidr "10.0.0.0/33" is not a valid CIDR');
  });

  it('reports a missing path', async () => {
    const result = await runCli(['reach', join(example, 'nope.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('PATH_NOT_FOUND');
  });

  it('needs a path and a command', async () => {
    expect((await runCli(['reach'])).code).toBe(2);
    expect((await runCli(['frobnicate'])).code).toBe(2);
    expect((await runCli(['--help'])).code).toBe(0);
  });
});

describe('the built executable', () => {
  const bin = join(PROJECT_ROOT, 'bin', 'bulkhead.js');
  beforeAll(() => {
    // `npm install` builds through `prepare`; build here too so the test never runs a stale dist.
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: PROJECT_ROOT, stdio: 'pipe' });
  }, 120_000);

  it('runs reach on the example and exits 0', () => {
    expect(existsSync(bin)).toBe(true);
    const result = spawnSync(process.execPath, [bin, 'reach', example], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('storefront/web[Deployment] => storefront/api[Deployment] : TCP 8000');
  });

  it('exits 2 with a located message on bad input', () => {
    const result = spawnSync(process.execPath, [bin, 'reach', '-'], {
      encoding: 'utf8',
      input:
        'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 1.1.1.300/32}\n',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('-:8:23: error INVALID_CIDR');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
