// End-to-end tests of `bulkhead diff` through run(): paths, git:REF[:PATH] in a temporary repository, formats,
// --fail-on-new exit codes and located diagnostics.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';

const WORKLOADS = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
spec: {containers: [{name: c, image: x}]}
`;

function policy(ports: number[], cidr = '10.0.0.0/8'): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress]
  ingress:
    - from: [{podSelector: {matchLabels: {app: web}}}, {ipBlock: {cidr: ${cidr}}}]
      ports: [${ports.map((p) => `{port: ${p}}`).join(', ')}]
`;
}

let repo = '';
let dir = '';

function git(...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], {
    cwd: repo,
    stdio: 'ignore',
  });
}

function writeVersion(ports: number[], cidr?: string): void {
  writeFileSync(join(dir, 'workloads.yaml'), WORKLOADS);
  writeFileSync(join(dir, 'policy.yaml'), policy(ports, cidr));
}

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'bulkhead-diff-'));
  dir = join(repo, 'policies');
  mkdirSync(dir);
  git('init', '-q');
  writeVersion([8080]); // HEAD~1
  git('add', '.');
  git('commit', '-q', '-m', 'v1');
  writeVersion([8080, 9090], '10.0.0.0/16'); // HEAD
  git('add', '.');
  git('commit', '-q', '-m', 'v2');
  writeVersion([9090], '10.0.0.0/16'); // working tree
});

afterAll(() => {
  if (repo !== '') rmSync(repo, { recursive: true, force: true });
});

describe('bulkhead diff', () => {
  it('compares two revisions of a path, with the np-guard txt grammar', async () => {
    const result = await runCli(['diff', `git:HEAD~1:${dir}`, `git:HEAD:${dir}`]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'Connectivity diff:',
        'diff-type: changed, source: 10.0.0.0-10.0.255.255[External], destination: shop/api[Pod], old: TCP 8080, new: TCP 8080,9090',
        'diff-type: changed, source: shop/web[Pod], destination: shop/api[Pod], old: TCP 8080, new: TCP 8080,9090',
        'diff-type: removed, source: 10.1.0.0-10.255.255.255[External], destination: shop/api[Pod], old: TCP 8080, new: No Connections',
        '',
      ].join('\n'),
    );
  });

  it('reads a bare git:REF at the path of the other argument (the working tree here)', async () => {
    const result = await runCli(['diff', 'git:HEAD', dir, '--format', 'csv']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'diff-type,source,destination,old,new,workloads-diff-info\n' +
        'changed,10.0.0.0-10.0.255.255[External],shop/api[Pod],"TCP 8080,9090",TCP 9090,\n' +
        'changed,shop/web[Pod],shop/api[Pod],"TCP 8080,9090",TCP 9090,\n',
    );
  });

  it('exits 1 with --fail-on-new only when the new version opens a connection', async () => {
    expect((await runCli(['diff', 'git:HEAD~1', 'git:HEAD:' + dir, '--fail-on-new'])).code).toBe(1);
    expect((await runCli(['diff', 'git:HEAD', dir, '--fail-on-new'])).code).toBe(0);
    expect((await runCli(['diff', dir, dir, '--fail-on-new'])).stdout).toBe('');
  });

  it('renders json and md', async () => {
    const json = JSON.parse(
      (await runCli(['diff', `git:HEAD~1:${dir}`, dir, '--format', 'json'])).stdout,
    ) as {
      diff: { type: string; src: string; dst: string; old: string; new: string }[];
      summary: Record<string, number>;
    };
    expect(json.diff).toContainEqual({
      type: 'changed',
      src: 'shop/web[Pod]',
      dst: 'shop/api[Pod]',
      old: 'TCP 8080',
      new: 'TCP 9090',
    });
    expect(json.summary).toEqual({ changed: 2, added: 0, removed: 1 });
    const md = (await runCli(['diff', `git:HEAD~1:${dir}`, dir, '--format', 'md'])).stdout;
    expect(md.split('\n').slice(0, 3)).toEqual([
      '| diff-type | source | destination | old | new | workloads-diff-info |',
      '|-----------|--------|-------------|------|------|---------------------|',
      '| changed | 10.0.0.0-10.0.255.255[External] | shop/api[Pod] | TCP 8080 | TCP 9090 |  |',
    ]);
  });

  it('rejects option-like or malformed revisions as usage errors', async () => {
    for (const spec of ['git:--output=/tmp/x', 'git:-p', 'git:HEAD..main', 'git:HEAD:', 'git:a b']) {
      const result = await runCli(['diff', spec, dir]);
      expect(result.code, spec).toBe(2);
      expect(result.stderr).toMatch(/^bulkhead: /);
    }
  });

  it('reports an unknown revision or path as a diagnostic with exit 2', async () => {
    const unknown = await runCli(['diff', 'git:no-such-branch', dir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`git:no-such-branch:${dir}: error GIT_REF_NOT_FOUND`);
    expect(unknown.stdout).toBe('');
    const missing = await runCli(['diff', `git:HEAD~1:${join(dir, 'nope')}`, dir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('error PATH_NOT_FOUND');
  });

  it('locates errors in either version, naming git files git:REF:path', async () => {
    writeFileSync(join(dir, 'policy.yaml'), policy([9090], '10.0.0.0/33'));
    git('add', '.');
    git('commit', '-q', '-m', 'broken');
    writeVersion([9090], '10.0.0.0/16');
    const result = await runCli(['diff', 'git:HEAD', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^git:HEAD:policies\/policy\.yaml:\d+:\d+: error INVALID_CIDR: /m);
  });
});
