// The Engine API client against a stand-in HTTP server on a unix socket: paths, parsing, validation, and errors.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngineClient } from './engine-client.js';

const dir = mkdtempSync(join(tmpdir(), 'bh-engine-'));
const socketPath = join(dir, 'docker.sock');
/** Answers by request path: [status, body]. */
let routes: Record<string, [number, string]> = {};
let server: Server;

beforeAll(async () => {
  server = createServer((req, res) => {
    const [status, body] = routes[req.url ?? ''] ?? [404, '{"message":"page not found"}'];
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const client = (): DockerEngineClient => new DockerEngineClient({ socketPath });

const SUMMARY = {
  Id: 'abc',
  Names: ['/shop-a'],
  Image: 'bhtest/busybox:1',
  State: 'running',
  Labels: { app: 'a' },
  Ports: [
    { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
    { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
    { PrivatePort: 53, Type: 'udp' },
  ],
  HostConfig: { NetworkMode: 'net1' },
  NetworkSettings: {
    Networks: {
      net1: { NetworkID: 'n1', IPAddress: '172.18.0.2', GlobalIPv6Address: '' },
      net2: { NetworkID: 'n2', IPAddress: '172.19.0.2', GlobalIPv6Address: 'fd00::2' },
    },
  },
};

describe('DockerEngineClient', () => {
  it('lists running containers from /v1.41/containers/json', async () => {
    routes = { '/v1.41/containers/json': [200, JSON.stringify([SUMMARY])] };
    const result = await client().listContainers();
    expect(result).toEqual({
      ok: true,
      value: [
        {
          id: 'abc',
          name: 'shop-a',
          image: 'bhtest/busybox:1',
          state: 'running',
          labels: { app: 'a' },
          networkMode: 'net1',
          networks: [
            { network: 'net1', networkId: 'n1', ipv4: '172.18.0.2' },
            { network: 'net2', networkId: 'n2', ipv4: '172.19.0.2', ipv6: 'fd00::2' },
          ],
          ports: [
            { privatePort: 53, protocol: 'udp' },
            { privatePort: 80, protocol: 'tcp', publicPort: 8080, hostIp: '0.0.0.0' },
          ],
        },
      ],
    });
  });

  it('inspects a container (its own JSON shape) into the same data', async () => {
    routes = {
      '/v1.41/containers/shop-a/json': [
        200,
        JSON.stringify({
          Id: 'abc',
          Name: '/shop-a',
          Config: { Image: 'img', Labels: null },
          State: { Status: 'running' },
          HostConfig: { NetworkMode: 'host' },
          NetworkSettings: {
            Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }], '53/udp': null },
            Networks: { host: { NetworkID: 'h', IPAddress: '' } },
          },
        }),
      ],
    };
    const result = await client().inspectContainer('shop-a');
    expect(result).toEqual({
      ok: true,
      value: {
        id: 'abc',
        name: 'shop-a',
        image: 'img',
        state: 'running',
        labels: {},
        networkMode: 'host',
        networks: [{ network: 'host', networkId: 'h' }],
        ports: [
          { privatePort: 53, protocol: 'udp' },
          { privatePort: 80, protocol: 'tcp', publicPort: 8080, hostIp: '0.0.0.0' },
        ],
      },
    });
  });

  it('lists networks', async () => {
    routes = {
      '/v1.41/networks': [
        200,
        JSON.stringify([
          {
            Id: 'n1',
            Name: 'back',
            Driver: 'bridge',
            Internal: true,
            Labels: { a: 'b' },
            IPAM: { Config: [{ Subnet: '172.30.0.0/16', Gateway: '172.30.0.1' }, { Subnet: 'fd00::/64' }] },
          },
        ]),
      ],
    };
    expect(await client().listNetworks()).toEqual({
      ok: true,
      value: [
        {
          id: 'n1',
          name: 'back',
          driver: 'bridge',
          internal: true,
          labels: { a: 'b' },
          subnets: ['172.30.0.0/16', 'fd00::/64'],
        },
      ],
    });
  });

  it('rejects answers of the wrong shape, saying where', async () => {
    routes = {
      '/v1.41/containers/json': [200, JSON.stringify([{ ...SUMMARY, Labels: { app: 1 } }])],
      '/v1.41/networks': [200, '{"not":"a list"}'],
    };
    const containers = await client().listContainers();
    expect(containers).toEqual({
      ok: false,
      error: {
        code: 'DOCKER_BAD_RESPONSE',
        message: 'unexpected answer to GET /containers/json: [0].Labels.app is not a string',
      },
    });
    const networks = await client().listNetworks();
    expect(networks.ok ? '' : networks.error.message).toBe(
      'unexpected answer to GET /networks: the body is not a list',
    );
  });

  it('turns daemon errors and non-JSON into errors with a code', async () => {
    routes = {
      '/v1.41/containers/json': [500, '{"message":"boom"}'],
      '/v1.41/networks': [200, 'not json'],
    };
    expect(await client().listContainers()).toEqual({
      ok: false,
      error: {
        code: 'DOCKER_DAEMON_ERROR',
        message: 'the Docker daemon answered 500 to GET /containers/json: boom',
        status: 500,
      },
    });
    const missing = await client().inspectContainer('nope');
    expect(missing.ok ? '' : missing.error.code).toBe('DOCKER_NOT_FOUND');
    const bad = await client().listNetworks();
    expect(bad.ok ? '' : bad.error.code).toBe('DOCKER_BAD_RESPONSE');
  });

  it('says when the socket is missing or nothing listens on it', async () => {
    const missing = await new DockerEngineClient({ socketPath: join(dir, 'none.sock') }).listContainers();
    expect(missing.ok ? '' : missing.error.code).toBe('DOCKER_SOCKET_MISSING');
    const plainFile = join(dir, 'file.sock');
    writeFileSync(plainFile, '');
    const refused = await new DockerEngineClient({ socketPath: plainFile }).listContainers();
    expect(refused.ok ? '' : refused.error.code).toBe('DOCKER_UNREACHABLE');
  });
});
