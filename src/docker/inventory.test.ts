// The Docker mapping with an in-memory inventory: namespaces, labels, addresses, named ports, network segmentation,
// host networking, and Docker failures as data.

import { describe, expect, it } from 'vitest';
import { loadDockerInput } from '../cli/docker-input.js';
import { Connectivity } from '../core/engine/connectivity.js';
import { listConnections } from '../core/engine/connection-list.js';
import { formatAddress, parseAddress } from '../core/model/address-set.js';
import { renderConnections } from '../report/connections.js';
import { resolveDockerSocket, type DockerContainer, type DockerNetwork } from './engine-client.js';
import { FakeDockerSource } from './fake-source.js';
import { DockerInventoryMapping, mapDockerInventory } from './inventory.js';

/** A running container attached to `networks` (name → IPv4 address, or [IPv4, IPv6]). */
function container(
  name: string,
  options: {
    labels?: Record<string, string>;
    networks?: Record<string, string | [string, string]>;
    mode?: string;
    ports?: DockerContainer['ports'];
    state?: string;
  } = {},
): DockerContainer {
  const networks = Object.entries(options.networks ?? {}).map(([network, address]) => {
    const [ipv4, ipv6] = typeof address === 'string' ? [address, undefined] : address;
    return { network, networkId: `id-${network}`, ipv4, ...(ipv6 !== undefined ? { ipv6 } : {}) };
  });
  return {
    id: `${name}-0123456789abcdef`,
    name,
    image: 'bhtest/busybox:1',
    state: options.state ?? 'running',
    labels: options.labels ?? {},
    networkMode: options.mode ?? networks[0]?.network ?? 'default',
    networks,
    ports: options.ports ?? [],
  };
}

function network(name: string, internal = false): DockerNetwork {
  return { id: `id-${name}`, name, driver: 'bridge', internal, labels: {}, subnets: [] };
}

/** `reach --docker` on the fake inventory with `policies` (YAML) as the only path; txt lines and diagnostics. */
async function reachLines(
  containers: DockerContainer[],
  policies = '',
  networks: DockerNetwork[] = [],
): Promise<{ lines: string[]; diagnostics: string[] }> {
  const io = { stdout: () => {}, stderr: () => {}, readStdin: async () => policies };
  const result = await loadDockerInput(
    policies === '' ? [] : ['-'],
    io,
    { verbose: true },
    new FakeDockerSource(containers, networks),
  );
  if (!result.ok) throw new Error(result.error.message);
  const model = Connectivity.build(result.loaded.cluster, { ipBlockPods: 'match' });
  const text = renderConnections(
    {
      workloads: result.loaded.cluster.workloads,
      rows: listConnections(model),
      diagnostics: result.input.diagnostics,
      sources: result.input.sources,
    },
    'txt',
  );
  return {
    lines: text
      .trimEnd()
      .split('\n')
      .filter((l) => l !== ''),
    diagnostics: result.input.diagnostics.map((d) => `${d.file}: ${d.severity} ${d.code}`),
  };
}

const DENY_ALL_INGRESS = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}}
`;

describe('namespace', () => {
  it('is bulkhead.io/namespace, else the Compose project, else default', () => {
    const { cluster } = mapDockerInventory(
      [
        container('a', { labels: { 'bulkhead.io/namespace': 'shop', 'com.docker.compose.project': 'proj' } }),
        container('b', { labels: { 'com.docker.compose.project': 'proj' } }),
        container('c'),
        container('d', { labels: { 'bulkhead.io/namespace': '' } }),
      ],
      [],
    );
    expect(cluster.workloads.map((w) => w.id)).toEqual([
      'default/c[Container]',
      'default/d[Container]',
      'proj/b[Container]',
      'shop/a[Container]',
    ]);
    expect([...cluster.namespaces.values()].map((n) => [n.name, n.labels])).toEqual([
      ['shop', { 'kubernetes.io/metadata.name': 'shop' }],
      ['proj', { 'kubernetes.io/metadata.name': 'proj' }],
      ['default', { 'kubernetes.io/metadata.name': 'default' }],
    ]);
  });

  it('takes its labels from a Namespace object in the policy paths', async () => {
    const policies = `
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {tier: front}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-front, namespace: shop}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {tier: front}}}]}]
`;
    const { lines } = await reachLines(
      [
        container('a', {
          labels: { app: 'a', 'bulkhead.io/namespace': 'shop' },
          networks: { n: '10.0.0.2' },
        }),
        container('b', {
          labels: { app: 'b', 'bulkhead.io/namespace': 'shop' },
          networks: { n: '10.0.0.3' },
        }),
        container('x', { labels: { app: 'x' }, networks: { n: '10.0.0.4' } }),
      ],
      policies,
    );
    expect(lines.filter((l) => l.includes('=> shop/b'))).toEqual([
      'shop/a[Container] => shop/b[Container] : All Connections',
    ]);
  });
});

describe('DockerInventoryMapping', () => {
  it('maps read after read as a fresh mapping does, keeping the objects of what did not change', () => {
    const mapping = new DockerInventoryMapping();
    const shop = { 'bulkhead.io/namespace': 'shop' };
    const web = container('web', { labels: shop, networks: { front: '10.1.0.2' } });
    const db = container('db', { labels: shop, networks: { back: '10.2.0.2' } });
    const sidecar = container('sidecar', { labels: shop, mode: 'container:web' });
    const networks = [network('front'), network('back')];
    const read = (cs: DockerContainer[], ns: DockerNetwork[]): ReturnType<typeof mapDockerInventory> => {
      const remembered = mapping.map(cs, ns);
      expect(remembered.cluster).toEqual(mapDockerInventory(cs, ns).cluster);
      return remembered;
    };
    const first = read([web, db, sidecar], networks);
    const byName = (r: typeof first, name: string): unknown =>
      r.cluster.workloads.find((w) => w.name === name);
    // Nothing changed: the same workload and policy objects.
    const same = read([web, db, sidecar], networks);
    for (const name of ['web', 'db', 'sidecar']) expect(byName(same, name)).toBe(byName(first, name));
    expect(same.cluster.adminPolicies[0]).toBe(first.cluster.adminPolicies[0]);
    // web restarts with another address (a new object): web and the sidecar on its stack are mapped again.
    const web2 = container('web', { labels: shop, networks: { front: '10.1.0.9' } });
    const restarted = read([web2, db, sidecar], networks);
    expect(byName(restarted, 'db')).toBe(byName(first, 'db'));
    expect(byName(restarted, 'web')).not.toBe(byName(first, 'web'));
    expect(restarted.cluster.workloads.find((w) => w.name === 'sidecar')!.ips.map(formatAddress)).toEqual([
      '10.1.0.9',
    ]);
    // back becomes internal: db's segment (and so its policy) changes.
    const internal = read([web2, db, sidecar], [network('front'), network('back', true)]);
    expect(byName(internal, 'db')).not.toBe(byName(restarted, 'db'));
  });
});

describe('workloads', () => {
  it('keep the container labels as they are, plus the network and container labels Bulkhead adds', () => {
    const { cluster } = mapDockerInventory(
      [container('web-1', { labels: { app: 'web', 'com.example/x': '' }, networks: { front: '10.1.0.2' } })],
      [],
    );
    const [w] = cluster.workloads;
    expect(w).toMatchObject({ id: 'default/web-1[Container]', kind: 'Container', name: 'web-1' });
    expect(w!.labels).toEqual({
      app: 'web',
      'com.example/x': '',
      'bulkhead.io/network.front': 'true',
      'bulkhead.io/container': 'web-1',
      'bulkhead.io/docker-segment': expect.stringMatching(/^s[0-9a-f]{24}$/) as unknown,
    });
  });

  it('have the addresses of every network, IPv4 and IPv6', () => {
    const { cluster } = mapDockerInventory(
      [container('a', { networks: { n1: '172.18.0.2', n2: ['172.19.0.5', 'fd00:1::5'] } })],
      [],
    );
    expect(cluster.workloads[0]!.ips.map(formatAddress)).toEqual(['172.18.0.2', '172.19.0.5', 'fd00:1::5']);
  });

  it('are only the running containers; one per replica of a Compose service', () => {
    const compose = { 'com.docker.compose.project': 'p', 'com.docker.compose.service': 'web' };
    const { cluster } = mapDockerInventory(
      [
        container('p-web-1', { labels: compose, networks: { p_default: '10.0.0.2' } }),
        container('p-web-2', { labels: compose, networks: { p_default: '10.0.0.3' } }),
        container('old', { state: 'exited' }),
      ],
      [],
    );
    expect(cluster.workloads.map((w) => w.id)).toEqual(['p/p-web-1[Container]', 'p/p-web-2[Container]']);
  });

  it('name ports from bulkhead.io/ports and warn about the entries they cannot read', () => {
    const result = mapDockerInventory(
      [
        container('a', {
          labels: {
            'bulkhead.io/ports': 'serve-80-tcp=80/tcp, dns=53/udp,bad,x=70000,-y=1,z=5/icmp,metrics=9090',
          },
          ports: [{ privatePort: 8080, protocol: 'tcp' }],
        }),
      ],
      [],
    );
    expect(result.cluster.workloads[0]!.ports).toEqual([
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'serve-80-tcp', port: 80, protocol: 'TCP' },
      { port: 8080, protocol: 'TCP' },
      { name: 'metrics', port: 9090, protocol: 'TCP' },
    ]);
    expect(result.diagnostics).toEqual([
      expect.objectContaining({
        code: 'INVALID_PORTS_LABEL',
        severity: 'warning',
        file: 'docker:a',
        message: 'bulkhead.io/ports: cannot read "bad", "x=70000", "-y=1", "z=5/icmp"',
      }),
    ]);
  });

  it('resolve named ports of a NetworkPolicy against the ports label', async () => {
    const policies = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: default}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{ports: [{port: http}, {port: dns, protocol: UDP}]}]
`;
    const { lines } = await reachLines(
      [
        container('a', { labels: { app: 'a' }, networks: { n: '10.0.0.2' } }),
        container('b', {
          labels: { app: 'b', 'bulkhead.io/ports': 'http=8080/tcp,dns=53/udp' },
          networks: { n: '10.0.0.3' },
        }),
      ],
      policies,
    );
    expect(lines).toContain('default/a[Container] => default/b[Container] : TCP 8080,UDP 53');
  });
});

describe('Docker networks still segment', () => {
  const shop = (app: string): Record<string, string> => ({ app, 'bulkhead.io/namespace': 'shop' });

  it('no common network: no traffic, whatever the policy', async () => {
    const allowAll = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: all, namespace: shop}
spec: {podSelector: {}, ingress: [{}], egress: [{}]}
`;
    const { lines } = await reachLines(
      [
        container('a', { labels: shop('a'), networks: { net1: '172.18.0.2' } }),
        container('b', { labels: shop('b'), networks: { net1: '172.18.0.3', net2: '172.19.0.3' } }),
        container('c', { labels: shop('c'), networks: { net2: '172.19.0.4' } }),
      ],
      allowAll,
    );
    const pairs = lines.filter((l) => !l.includes('[External]'));
    expect(pairs).toEqual([
      'shop/a[Container] => shop/b[Container] : All Connections',
      'shop/b[Container] => shop/a[Container] : All Connections',
      'shop/b[Container] => shop/c[Container] : All Connections',
      'shop/c[Container] => shop/b[Container] : All Connections',
    ]);
  });

  it('one generated policy per namespace, networks and published ports: replicas share it and stay one class', () => {
    const web = (name: string, address: string, ports: DockerContainer['ports'] = []): DockerContainer =>
      container(name, {
        labels: shop('web'),
        networks: { front: address, back: `172.19.0.${address.slice(-1)}` },
        ports,
      });
    const published: DockerContainer['ports'] = [{ privatePort: 80, publicPort: 8080, protocol: 'tcp' }];
    const { cluster } = mapDockerInventory(
      [
        web('web-1', '172.18.0.2'),
        web('web-2', '172.18.0.3'),
        web('web-3', '172.18.0.4', published),
        container('db', { labels: shop('db'), networks: { back: '172.19.0.9' } }),
        container('other', { labels: { app: 'web' }, networks: { front: '172.18.0.5', back: '172.19.0.5' } }),
      ],
      [network('front'), network('back')],
    );
    expect(cluster.adminPolicies.map((p) => p.name)).toEqual([
      'docker-networks.default.back+front',
      'docker-networks.shop.back',
      'docker-networks.shop.back+front',
      'docker-networks.shop.back+front.published-tcp80',
    ]);
    const segment = (name: string): string | undefined =>
      cluster.workloads.find((w) => w.name === name)!.labels['bulkhead.io/docker-segment'];
    expect(segment('web-1')).toBe(segment('web-2'));
    expect(new Set(['web-1', 'web-3', 'db', 'other'].map(segment)).size).toBe(4);
    const model = Connectivity.build(cluster, { ipBlockPods: 'match' });
    const index = (name: string): number => cluster.workloads.findIndex((w) => w.name === name);
    expect(model.classOf(index('web-1'))).toBe(model.classOf(index('web-2')));
    expect(model.classOf(index('web-1'))).not.toBe(model.classOf(index('web-3')));
  });

  it('policies apply within a network; ipBlocks match the container addresses', async () => {
    const policies = `${DENY_ALL_INGRESS}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-from-a, namespace: shop}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{from: [{ipBlock: {cidr: 172.18.0.2/32}}], ports: [{port: 8080}]}]
`;
    const { lines } = await reachLines(
      [
        container('a', { labels: shop('a'), networks: { net1: '172.18.0.2' } }),
        container('b', { labels: shop('b'), networks: { net1: '172.18.0.3' } }),
        container('c', { labels: shop('c'), networks: { net1: '172.18.0.4' } }),
      ],
      policies,
    );
    expect(lines.filter((l) => !l.includes('[External]'))).toEqual([
      'shop/a[Container] => shop/b[Container] : TCP 8080',
    ]);
  });

  it('only published ports are reachable from outside; internal networks have no way out', async () => {
    const { lines } = await reachLines(
      [
        container('web', {
          networks: { front: '10.0.0.2' },
          ports: [
            { privatePort: 80, protocol: 'tcp', publicPort: 8080 },
            { privatePort: 9090, protocol: 'tcp' },
          ],
        }),
        container('db', { networks: { back: '10.1.0.2' } }),
      ],
      '',
      [network('front'), network('back', true)],
    );
    expect(lines).toEqual([
      '0.0.0.0-255.255.255.255[External] => default/web[Container] : TCP 80',
      'default/web[Container] => 0.0.0.0-255.255.255.255[External] : All Connections',
    ]);
  });

  it('host network containers are not isolated by Docker networks nor selected by policies', async () => {
    const { cluster } = mapDockerInventory(
      [
        container('h', { mode: 'host', networks: { host: '' } }),
        container('a', { networks: { n: '10.0.0.2' } }),
      ],
      [],
    );
    const h = cluster.workloads.find((w) => w.name === 'h')!;
    expect(h).toMatchObject({ hostNetwork: true, ips: [] });
    expect(Object.keys(h.labels)).toEqual(['bulkhead.io/container']);
    expect(cluster.adminPolicies.map((p) => p.name)).toEqual(['docker-networks.default.n']);
    const { lines } = await reachLines(
      [
        container('h', { mode: 'host', networks: { host: '' } }),
        container('a', { networks: { n: '10.0.0.2' } }),
      ],
      DENY_ALL_INGRESS.replace('namespace: shop', 'namespace: default'),
    );
    // The host's own addresses are reachable from containers (no network between them), and policies do not
    // select `h`; a's deny-all ingress keeps h out.
    expect(lines.filter((l) => !l.includes('[External]'))).toEqual([
      'default/a[Container] => default/h[Container] : All Connections',
    ]);
    expect(lines).toContain('default/h[Container] => 0.0.0.0-255.255.255.255[External] : All Connections');
  });

  it('network mode container:NAME shares the other container’s networks and addresses', () => {
    const { cluster, diagnostics } = mapDockerInventory(
      [
        container('app', { networks: { n: '10.0.0.2' } }),
        container('sidecar', { mode: 'container:app' }),
        container('lost', { mode: 'container:nothing' }),
      ],
      [],
    );
    const sidecar = cluster.workloads.find((w) => w.name === 'sidecar')!;
    expect(sidecar.ips).toEqual([parseAddress('10.0.0.2')]);
    expect(sidecar.labels['bulkhead.io/network.n']).toBe('true');
    expect(diagnostics.map((d) => `${d.file} ${d.code}`)).toEqual([
      'docker:lost DOCKER_UNKNOWN_NETWORK_CONTAINER',
    ]);
  });
});

describe('input', () => {
  it('notes and leaves out workload objects of the policy paths', async () => {
    const policies = `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {containers: [{name: c, image: x}]}
`;
    const { lines, diagnostics } = await reachLines(
      [container('a', { networks: { n: '10.0.0.2' } })],
      policies,
    );
    expect(lines.some((l) => l.includes('default/p[Pod]'))).toBe(false);
    expect(diagnostics).toEqual(['-: info DOCKER_WORKLOADS_IGNORED']);
  });

  it('reports a Docker failure as data', async () => {
    const io = { stdout: () => {}, stderr: () => {}, readStdin: async () => '' };
    const result = await loadDockerInput(
      [],
      io,
      { verbose: false },
      new FakeDockerSource([], [], { code: 'DOCKER_PERMISSION_DENIED', message: 'denied' }),
    );
    expect(result).toEqual({ ok: false, error: { code: 'DOCKER_PERMISSION_DENIED', message: 'denied' } });
  });

  it('finds the socket: option, DOCKER_HOST=unix://, default; other schemes are errors', () => {
    expect(resolveDockerSocket('/s', { DOCKER_HOST: 'unix:///x' })).toEqual({ ok: true, value: '/s' });
    expect(resolveDockerSocket(undefined, { DOCKER_HOST: 'unix:///x.sock' })).toEqual({
      ok: true,
      value: '/x.sock',
    });
    expect(resolveDockerSocket(undefined, {})).toEqual({ ok: true, value: '/var/run/docker.sock' });
    const tcp = resolveDockerSocket(undefined, { DOCKER_HOST: 'tcp://h:2375' });
    expect(tcp.ok ? undefined : tcp.error.code).toBe('DOCKER_UNSUPPORTED_HOST');
  });
});
