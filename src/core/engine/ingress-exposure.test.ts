// Ingress/Route → Service → workload port resolution, case by case.

import { describe, expect, it } from 'vitest';
import type { Cluster, IngressRoute, Service, Workload } from '../model/cluster.js';
import { ingressExposure } from './ingress-exposure.js';

const web: Workload = {
  id: 'shop/web[Deployment]',
  kind: 'Deployment',
  namespace: 'shop',
  name: 'web',
  labels: { app: 'web' },
  ports: [
    { name: 'http', port: 8080, protocol: 'TCP' },
    { name: 'dns', port: 53, protocol: 'UDP' },
    { port: 9090, protocol: 'TCP' },
  ],
  ips: [],
  hostNetwork: false,
};
const other: Workload = { ...web, id: 'other/web[Deployment]', namespace: 'other' };

function cluster(services: Service[], ingresses: IngressRoute[]): Cluster {
  return {
    namespaces: new Map(),
    workloads: [web, other],
    services,
    networkPolicies: [],
    adminPolicies: [],
    ingresses,
  };
}

const service = (ports: Service['ports'], selector: Service['selector'] = { app: 'web' }): Service => ({
  namespace: 'shop',
  name: 'web',
  type: 'ClusterIP',
  ...(selector !== undefined ? { selector } : {}),
  ports,
});
const ingress = (port?: number | string, kind: IngressRoute['kind'] = 'Ingress'): IngressRoute => ({
  kind,
  namespace: 'shop',
  name: 'web',
  backends: [{ service: 'web', ...(port !== undefined ? { port } : {}) }],
});

function exposed(c: Cluster): Record<string, string> {
  return Object.fromEntries(
    [...ingressExposure(c)].map(([i, ports]) => [c.workloads[i]!.id, ports.toString()]),
  );
}

describe('ingressExposure', () => {
  it.each([
    [
      'a named target port resolves against TCP container ports',
      [{ port: 80, protocol: 'TCP', targetPort: 'http' }],
      80,
      { 'shop/web[Deployment]': '8080' },
    ],
    [
      'a named target port on a UDP container port does not count',
      [{ port: 53, protocol: 'TCP', targetPort: 'dns' }],
      53,
      {},
    ],
    [
      'a numbered target port must be a container port',
      [{ port: 80, protocol: 'TCP', targetPort: 8081 }],
      80,
      {},
    ],
    [
      'without a target port, the Service port is the target',
      [{ port: 9090, protocol: 'TCP' }],
      9090,
      { 'shop/web[Deployment]': '9090' },
    ],
    [
      'the backend port picks the Service port by name',
      [
        { name: 'metrics', port: 9090, protocol: 'TCP' },
        { name: 'web', port: 80, protocol: 'TCP', targetPort: 8080 },
      ],
      'web',
      { 'shop/web[Deployment]': '8080' },
    ],
    [
      'a backend without a port reaches every Service port',
      [
        { port: 9090, protocol: 'TCP' },
        { port: 80, protocol: 'TCP', targetPort: 'http' },
      ],
      undefined,
      { 'shop/web[Deployment]': '8080,9090' },
    ],
    [
      'a port the Service does not have reaches nothing',
      [{ port: 80, protocol: 'TCP', targetPort: 8080 }],
      443,
      {},
    ],
  ] as const)('%s', (_, ports, wanted, expected) => {
    expect(exposed(cluster([service(ports as unknown as Service['ports'])], [ingress(wanted)]))).toEqual(
      expected,
    );
  });

  it('a Route targets the Service by target port, and only workloads in its namespace', () => {
    const c = cluster([service([{ port: 80, protocol: 'TCP', targetPort: 8080 }])], [ingress(8080, 'Route')]);
    expect(exposed(c)).toEqual({ 'shop/web[Deployment]': '8080' });
  });

  it('a Service without a selector exposes nothing', () => {
    const { selector: _selector, ...withoutSelector } = service([
      { port: 80, protocol: 'TCP', targetPort: 8080 },
    ]);
    const c = cluster([withoutSelector], [ingress(80)]);
    expect(exposed(c)).toEqual({});
  });

  it('an unknown Service exposes nothing', () => {
    const c = cluster(
      [service([{ port: 80, protocol: 'TCP', targetPort: 8080 }])],
      [{ ...ingress(80), backends: [{ service: 'nope', port: 80 }] }],
    );
    expect(exposed(c)).toEqual({});
  });
});
