// `bulkhead reach --docker` against a real Docker daemon (BULKHEAD_TEST_DOCKER_SOCKET, started by .ci/run): three
// busybox containers on two networks, one NetworkPolicy, and the exact pairs and addresses Bulkhead reports.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, copyFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDockerInput } from '../../src/cli/docker-input.js';
import { formatAddress } from '../../src/core/model/address-set.js';
import { DockerEngineClient } from '../../src/docker/engine-client.js';
import { runCli } from '../run-cli.js';
import { docker, socket } from './docker/fixture.js';

const run = promisify(execFile);

function dockerAvailable(): boolean {
  if (socket !== undefined && socket !== '') return true;
  if (process.env['CI'] === 'true')
    throw new Error('BULKHEAD_TEST_DOCKER_SOCKET is not set: .ci/run starts a Docker daemon for this test');
  console.warn('skipping the Docker e2e test: set BULKHEAD_TEST_DOCKER_SOCKET to a Docker daemon socket');
  return false;
}

const prefix = `bhtest-${process.pid}-`;
const image = `${prefix}busybox:1`;
const net1 = `${prefix}net1`;
const net2 = `${prefix}net2`;
const names = { a: `${prefix}a`, b: `${prefix}b`, c: `${prefix}c` };
const id = (name: string): string => `shop/${name}[Container]`;

describe.skipIf(!dockerAvailable())('reach --docker on a real Docker daemon', () => {
  let work = '';
  let policies = '';
  const ips: Record<string, string> = {};

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), prefix));
    policies = join(work, 'policies');
    // An image from a busybox-static root filesystem: no registry is reachable.
    const root = join(work, 'rootfs');
    mkdirSync(join(root, 'bin'), { recursive: true });
    copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
    for (const tool of ['sh', 'sleep', 'nc']) symlinkSync('busybox', join(root, 'bin', tool));
    await run('tar', ['-C', root, '-cf', join(work, 'rootfs.tar'), '.']);
    await docker('import', join(work, 'rootfs.tar'), image);
    await docker('network', 'create', net1);
    await docker('network', 'create', net2);
    const start = (name: string, app: string, network: string): Promise<string> =>
      docker(
        'run',
        '-d',
        '--name',
        name,
        '--network',
        network,
        '--label',
        `app=${app}`,
        '--label',
        'bulkhead.io/namespace=shop',
        image,
        'sleep',
        '3600',
      );
    await start(names.a, 'a', net1);
    await start(names.b, 'b', net1);
    await start(names.c, 'c', net2);
    for (const name of Object.values(names))
      ips[name] = await docker(
        'inspect',
        '--format',
        '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
        name,
      );

    // Only app=a → app=b on TCP 8080; c's policy would admit a and b by address, but no network joins them.
    mkdirSync(policies);
    writeFileSync(
      join(policies, 'policies.yaml'),
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-from-a, namespace: shop}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{from: [{podSelector: {matchLabels: {app: a}}}], ports: [{port: 8080}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: c-from-a-and-b, namespace: shop}
spec:
  podSelector: {matchLabels: {app: c}}
  ingress: [{from: [{ipBlock: {cidr: ${ips[names.a]}/32}}, {ipBlock: {cidr: ${ips[names.b]}/32}}]}]
`,
    );
  });

  afterAll(async () => {
    const attempts = [
      () => docker('rm', '-f', ...Object.values(names)),
      () => docker('network', 'rm', net1, net2),
      () => docker('image', 'rm', '-f', image),
    ];
    for (const attempt of attempts) await attempt().catch(() => undefined);
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  it('reports exactly the pairs the policy and the networks allow', async () => {
    const result = await runCli(['reach', '--docker', '--docker-socket', socket!, policies]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const ours = result.stdout
      .trimEnd()
      .split('\n')
      .filter((line) => line.includes(prefix) && !line.includes('[External]'));
    expect(ours).toEqual([`${id(names.a)} => ${id(names.b)} : TCP 8080`]);
  });

  it('lists the containers as workloads with their labels (json)', async () => {
    const result = await runCli(['reach', '--docker', '--docker-socket', socket!, policies, '-f', 'json']);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as {
      workloads: {
        id: string;
        kind: string;
        namespace: string;
        name: string;
        labels: Record<string, string>;
      }[];
    };
    const ours = json.workloads.filter((w) => w.name.startsWith(prefix));
    expect(ours.map((w) => w.id)).toEqual([id(names.a), id(names.b), id(names.c)]);
    expect(ours[0]).toMatchObject({
      kind: 'Container',
      namespace: 'shop',
      labels: { app: 'a', 'bulkhead.io/namespace': 'shop', [`bulkhead.io/network.${net1}`]: 'true' },
    });
  });

  it('gives the workloads the real container addresses', async () => {
    const io = { stdout: () => {}, stderr: () => {}, readStdin: async () => '' };
    const input = await loadDockerInput(
      [policies],
      io,
      { verbose: false },
      new DockerEngineClient({ socketPath: socket! }),
    );
    expect(input.ok).toBe(true);
    if (!input.ok) return;
    for (const name of Object.values(names)) {
      const workload = input.loaded.cluster.workloads.find((w) => w.id === id(name));
      expect(workload?.ips.map(formatAddress), name).toEqual([ips[name]]);
    }
  });

  it('finds the daemon through DOCKER_HOST too, and says clearly when there is none', async () => {
    const saved = process.env['DOCKER_HOST'];
    process.env['DOCKER_HOST'] = `unix://${socket}`;
    try {
      const viaEnv = await runCli(['reach', '--docker', policies]);
      expect(viaEnv.code, viaEnv.stderr).toBe(0);
      expect(viaEnv.stdout).toContain(`${id(names.a)} => ${id(names.b)} : TCP 8080`);
    } finally {
      if (saved === undefined) delete process.env['DOCKER_HOST'];
      else process.env['DOCKER_HOST'] = saved;
    }
    const missing = await runCli(['reach', '--docker', '--docker-socket', join(work, 'none.sock'), policies]);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toBe(
      `bulkhead: no Docker socket at ${join(work, 'none.sock')} (DOCKER_SOCKET_MISSING)\n` +
        '  hint: Is the Docker daemon running? Pass --docker-socket PATH or set DOCKER_HOST=unix:///PATH.\n',
    );
  });
});

describe('reach --docker usage', () => {
  it('needs paths without --docker, and --docker for --docker-socket', async () => {
    const none = await runCli(['reach']);
    expect(none).toEqual({
      code: 2,
      stdout: '',
      stderr: "bulkhead: missing required argument 'paths' (or --docker for the containers of this host)\n",
    });
    const socketOnly = await runCli(['reach', '--docker-socket', '/x.sock', 'policies']);
    expect(socketOnly.code).toBe(2);
    expect(socketOnly.stderr).toBe('bulkhead: --docker-socket is only used with --docker\n');
  });
});
