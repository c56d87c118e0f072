// Ingress (networking.k8s.io/v1, and the older extensions/v1beta1 backend fields) and OpenShift Route objects
// → the Services they send outside traffic to, and on which Service port.

import type { IngressBackend, IngressRoute } from '../core/model/cluster.js';
import type { ObjectReader, Path } from './object-reader.js';

/** "defaultBackend is the backend that should handle requests that don't match any rule", plus every path backend. */
export function readIngress(reader: ObjectReader, namespace: string, name: string): IngressRoute {
  const backends: IngressBackend[] = [];
  const add = (path: Path): void => {
    const backend = readIngressBackend(reader, path);
    if (backend !== undefined) backends.push(backend);
  };
  if (reader.record(['spec', 'defaultBackend']) !== undefined) add(['spec', 'defaultBackend']);
  if (reader.record(['spec', 'backend']) !== undefined) add(['spec', 'backend']);
  (reader.array(['spec', 'rules']) ?? []).forEach((_, r) => {
    (reader.array(['spec', 'rules', r, 'http', 'paths']) ?? []).forEach((__, p) =>
      add(['spec', 'rules', r, 'http', 'paths', p, 'backend']),
    );
  });
  return { kind: 'Ingress', namespace, name, backends, source: reader.sourceRef() };
}

function readIngressBackend(reader: ObjectReader, path: Path): IngressBackend | undefined {
  const service = reader.string([...path, 'service', 'name']) ?? reader.string([...path, 'serviceName']);
  if (service === undefined) return undefined; // a resource backend, not a Service
  const port =
    reader.string([...path, 'service', 'port', 'name']) ??
    reader.integer([...path, 'service', 'port', 'number']) ??
    intOrString(reader.get([...path, 'servicePort']));
  return { service, ...(port !== undefined ? { port } : {}) };
}

/** A Route's `to` and `alternateBackends` that are Services; `spec.port.targetPort` picks the port. */
export function readRoute(reader: ObjectReader, namespace: string, name: string): IngressRoute {
  const port = intOrString(reader.get(['spec', 'port', 'targetPort']));
  const backends: IngressBackend[] = [];
  const add = (path: Path): void => {
    const kind = reader.string([...path, 'kind']);
    const service = reader.string([...path, 'name']);
    if (service !== undefined && (kind === undefined || kind === '' || kind === 'Service')) {
      backends.push({ service, ...(port !== undefined ? { port } : {}) });
    }
  };
  if (reader.record(['spec', 'to']) !== undefined) add(['spec', 'to']);
  (reader.array(['spec', 'alternateBackends']) ?? []).forEach((_, i) =>
    add(['spec', 'alternateBackends', i]),
  );
  return { kind: 'Route', namespace, name, backends, source: reader.sourceRef() };
}

function intOrString(value: unknown): number | string | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && value !== '') return /^[0-9]+$/.test(value) ? Number(value) : value;
  return undefined;
}
