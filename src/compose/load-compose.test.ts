// Unit tests of the Compose loader: interpolation, port and volume syntax, merge, extends, profiles, networks.

import { describe, expect, it } from 'vitest';
import { interpolate } from './interpolate.js';
import { isComposeFile, loadCompose, normalizeProjectName } from './load-compose.js';
import { parseLongPort, parseShortPort, parseShortVolume, parsePortsLabel } from './syntax.js';
import { runCli } from '../../test/run-cli.js';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const file = (name: string, text: string) => ({ name, text });
const service = (result: ReturnType<typeof loadCompose>, name: string) =>
  result.objects.find((o) => o.kind === 'ComposeService' && o.name === name)!;

describe('interpolate', () => {
  const env = { SET: 'v', EMPTY: '' };
  it.each([
    ['$SET and ${SET}', 'v and v'],
    ['${UNSET:-d}', 'd'],
    ['${EMPTY:-d}', 'd'],
    ['${EMPTY-d}', ''],
    ['${UNSET-d}', 'd'],
    ['${SET:+r}', 'r'],
    ['${UNSET:+r}', ''],
    ['$$HOME $${SET}', '$HOME ${SET}'],
    ['${UNSET:-${SET}x}', 'vx'],
    ['price $', 'price $'],
  ])('%s → %s', (text, expected) => {
    expect(interpolate(text, env).value).toBe(expected);
  });
  it('reports unset, required and malformed expressions', () => {
    expect(interpolate('${A}', {}).unset).toEqual(['A']);
    expect(interpolate('${A:?need A}', {}).required).toEqual([{ name: 'A', message: 'need A' }]);
    expect(interpolate('${A', {}).errors).toHaveLength(1);
    expect(interpolate('${1x}', {}).errors).toHaveLength(1);
  });
});

describe('port syntax', () => {
  it.each([
    ['80', { target: 80, protocol: 'tcp', mode: 'ingress' }],
    ['8080:80', { target: 80, published: '8080', protocol: 'tcp', mode: 'ingress' }],
    [
      '127.0.0.1:8080:80/udp',
      { target: 80, published: '8080', host_ip: '127.0.0.1', protocol: 'udp', mode: 'ingress' },
    ],
    ['127.0.0.1::5000', { target: 5000, host_ip: '127.0.0.1', protocol: 'tcp', mode: 'ingress' }],
    ['[::1]:53:53/udp', { target: 53, published: '53', host_ip: '::1', protocol: 'udp', mode: 'ingress' }],
    [
      '5000-5010:5000-5010',
      { target: '5000-5010', published: '5000-5010', protocol: 'tcp', mode: 'ingress' },
    ],
  ])('%s', (text, expected) => {
    expect(parseShortPort(text)).toEqual({ port: expected });
  });
  it.each(['abc', '80/icmp', '70000', '0', '8080:x'])('rejects %s', (text) => {
    expect('error' in parseShortPort(text)).toBe(true);
  });
  it('reads the long syntax, and an address written into published with a warning', () => {
    expect(parseLongPort({ target: 80, published: 8080, host_ip: '10.0.0.1', protocol: 'UDP' })).toEqual({
      port: { target: 80, published: '8080', host_ip: '10.0.0.1', protocol: 'udp', mode: 'ingress' },
    });
    const odd = parseLongPort({ target: 8000, published: '127.0.0.1:8080' });
    expect(odd).toMatchObject({ port: { host_ip: '127.0.0.1', published: '8080' } });
    expect('warning' in odd && odd.warning).toBeTruthy();
    expect('error' in parseLongPort({ published: 80 })).toBe(true);
  });
  it('reads volumes and the named-ports label', () => {
    expect(parseShortVolume('/var/run/docker.sock:/var/run/docker.sock:ro')).toEqual({
      type: 'bind',
      source: '/var/run/docker.sock',
      target: '/var/run/docker.sock',
      read_only: true,
    });
    expect(parseShortVolume('data:/var/lib/db')).toEqual({
      type: 'volume',
      source: 'data',
      target: '/var/lib/db',
    });
    expect(parseShortVolume('/cache')).toEqual({ type: 'volume', target: '/cache' });
    expect(parseShortVolume('C:\\data:/data')).toMatchObject({ type: 'bind', source: 'C:\\data' });
    expect(parsePortsLabel('http=80/tcp, dns=53/udp,bad')).toEqual({
      ports: [
        { name: 'http', port: 80, protocol: 'TCP' },
        { name: 'dns', port: 53, protocol: 'UDP' },
      ],
      invalid: ['bad'],
    });
  });
});

describe('loadCompose', () => {
  it('recognises Compose files by name and by content', () => {
    expect(isComposeFile(file('a/compose.yaml', ''))).toBe(true);
    expect(isComposeFile(file('a/docker-compose.prod.yml', ''))).toBe(true);
    expect(isComposeFile(file('a/positive1.yaml', 'version: "3"\nservices:\n  a: {}\n'))).toBe(true);
    expect(isComposeFile(file('a/deploy.yaml', 'apiVersion: v1\nkind: Pod\n'))).toBe(false);
    expect(normalizeProjectName('Pihole-Cloudflared DoH.')).toBe('pihole-cloudflareddoh');
  });

  it('merges the override file by the spec rules', () => {
    const result = loadCompose([
      file(
        'shop/compose.yaml',
        [
          'services:',
          '  web:',
          '    image: web:1',
          '    command: ["a", "b"]',
          '    ports: ["8080:80", "9090:90"]',
          '    expose: [1000]',
          '    environment: [A=1, B=2]',
          '    labels: {tier: web}',
          '',
        ].join('\n'),
      ),
      file(
        'shop/compose.override.yaml',
        [
          'services:',
          '  web:',
          '    command: ["c"]',
          '    ports:',
          '      - target: 80',
          '        published: "8080"',
          '        host_ip: 127.0.0.1',
          '      - "9090:90"',
          '    expose: [1000, 2000]',
          '    environment: {B: "3"}',
          '    labels: [extra=yes]',
          '  db:',
          '    image: db:2',
          '',
        ].join('\n'),
      ),
    ]);
    expect(result.diagnostics).toEqual([]);
    const web = service(result, 'web');
    expect(web.namespace).toBe('shop');
    expect(web.value['command']).toEqual(['c']);
    expect(web.value['expose']).toEqual([1000, 2000]);
    expect(web.value['environment']).toEqual({ A: '1', B: '3' });
    expect(web.annotations).toEqual({ tier: 'web', extra: 'yes' });
    // 127.0.0.1|80|8080 is a new unique key; 9090:90 merges with the one already there.
    expect((web.value['ports'] as unknown[]).length).toBe(3);
    expect(service(result, 'db').value['image']).toBe('db:2');
    // The override's value is located in the override file.
    const at = result.locate(web, ['command']);
    expect(at.file).toBe('shop/compose.override.yaml');
  });

  it('resolves extends in the same file and in another file, and detects cycles', () => {
    const result = loadCompose(
      [
        file(
          'p/compose.yaml',
          [
            'name: My_App',
            'services:',
            '  base:',
            '    image: base:1',
            '    cap_add: [NET_ADMIN]',
            '  child:',
            '    extends: base',
            '    cap_add: [SYS_TIME]',
            '  remote:',
            '    extends: {file: common.yml, service: shared}',
            '  loop1: {extends: loop2}',
            '  loop2: {extends: loop1}',
            '',
          ].join('\n'),
        ),
      ],
      {
        readFile: (path) =>
          path === 'p/common.yml' ? 'services:\n  shared:\n    image: shared:${TAG:-7}\n' : undefined,
      },
    );
    expect(service(result, 'child').value).toMatchObject({
      image: 'base:1',
      cap_add: ['NET_ADMIN', 'SYS_TIME'],
    });
    expect(service(result, 'remote').value['image']).toBe('shared:7');
    expect(result.locate(service(result, 'remote'), ['image']).file).toBe('p/common.yml');
    expect(service(result, 'child').namespace).toBe('my_app');
    expect(result.diagnostics.filter((d) => d.code === 'COMPOSE_EXTENDS').length).toBeGreaterThan(0);
    expect(result.diagnostics.some((d) => d.code === 'COMPOSE_INVALID_NAME')).toBe(true);
  });

  it('records profiles and filters only when profiles are given', () => {
    const files = [file('x/compose.yaml', 'services:\n  app: {}\n  debug:\n    profiles: [dev]\n')];
    expect(loadCompose(files).objects.map((o) => o.name)).toEqual(['app', 'debug']);
    expect(service(loadCompose(files), 'debug').value['profiles']).toEqual(['dev']);
    expect(loadCompose(files, { profiles: [] }).objects.map((o) => o.name)).toEqual(['app']);
    expect(loadCompose(files, { profiles: ['dev'] }).objects.map((o) => o.name)).toEqual(['app', 'debug']);
  });

  it('interpolates from the given environment only', () => {
    const files = [
      file('x/compose.yaml', 'services:\n  app:\n    image: "app:${TAG}"\n    ports: ["${PORT:-8080}:80"]\n'),
    ];
    const empty = loadCompose(files);
    expect(service(empty, 'app').value['image']).toBe('app:');
    expect(empty.diagnostics.map((d) => d.code)).toEqual(['COMPOSE_VARIABLE_NOT_SET']);
    const given = loadCompose(files, { environment: { TAG: '2', PORT: '9' } });
    expect(service(given, 'app').value).toMatchObject({
      image: 'app:2',
      ports: [{ published: '9', target: 80 }],
    });
  });

  it('reports malformed input with positions', () => {
    const result = loadCompose([
      file('bad/compose.yaml', 'services:\n  web:\n    ports: ["80/icmp"]\n    networks: [nope]\n'),
      file('broken/compose.yaml', 'services:\n  web: [\n'),
    ]);
    const codes = result.diagnostics.map(
      (d) => `${d.code}@${d.file}:${result.sources.get(d.file)!.position(d.range![0]).line}`,
    );
    expect(codes).toEqual([
      'COMPOSE_INVALID_PORT@bad/compose.yaml:3',
      'YAML_SYNTAX@broken/compose.yaml:3',
      'COMPOSE_UNKNOWN_NETWORK@bad/compose.yaml:4',
    ]);
    expect(result.diagnostics.every((d) => d.severity === 'error')).toBe(true);
  });

  it('models the Docker mapping: labels, ports, namespaces, host network', () => {
    const result = loadCompose([
      file(
        'm/compose.yaml',
        [
          'services:',
          '  api:',
          '    labels: {bulkhead.io/ports: "http=8080/tcp", app: api}',
          '    expose: ["53/udp"]',
          '    ports: ["127.0.0.1:8080:8080"]',
          '  agent:',
          '    network_mode: host',
          '',
        ].join('\n'),
      ),
    ]);
    const api = result.cluster.workloads.find((w) => w.name === 'api')!;
    expect(api.id).toBe('m/api[ComposeService]');
    expect(api.labels).toMatchObject({
      app: 'api',
      'com.docker.compose.project': 'm',
      'com.docker.compose.service': 'api',
      'bulkhead.io/network.m_default': 'true',
    });
    expect(api.ports).toEqual([
      { port: 53, protocol: 'UDP' },
      { name: 'http', port: 8080, protocol: 'TCP' },
    ]);
    expect(result.cluster.workloads.find((w) => w.name === 'agent')!.hostNetwork).toBe(true);
    expect([...result.cluster.namespaces.keys()]).toEqual(['m']);
  });
});

describe('Docker network segmentation through reach', () => {
  it('lets services talk only over a shared network, and outside only to published ports', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bh-compose-'));
    try {
      mkdirSync(join(dir, 'shop'));
      writeFileSync(
        join(dir, 'shop', 'compose.yaml'),
        [
          'services:',
          '  web:',
          '    ports: ["8080:80"]',
          '    networks: [front]',
          '  api:',
          '    networks: [front, back]',
          '  db:',
          '    networks: [back]',
          '  batch:',
          '    networks: [internal]',
          'networks:',
          '  front:',
          '  back:',
          '  internal: {internal: true}',
          '',
        ].join('\n'),
      );
      const result = await runCli(['reach', dir]);
      expect(result.code, result.stderr).toBe(0);
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines).toContain('shop/web[ComposeService] => shop/api[ComposeService] : All Connections');
      expect(lines).toContain('shop/api[ComposeService] => shop/db[ComposeService] : All Connections');
      expect(lines).toContain('0.0.0.0-255.255.255.255[External] => shop/web[ComposeService] : TCP 80');
      expect(lines.filter((l) => l.includes('=> shop/db') && !l.startsWith('shop/api'))).toEqual([]);
      expect(lines.filter((l) => l.includes('shop/batch'))).toEqual([]);
      expect(lines.some((l) => l.startsWith('shop/web[ComposeService] => shop/db'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
