// Which workload ports an Ingress or Route sends outside traffic to: Ingress/Route → Service (by selector, in
// the same namespace) → the Service's target port on the selected workloads. NetworkPolicy is applied later, to
// traffic from an ingress controller pod (netpol-analyzer's `{ingress-controller}` source).

import type { Cluster, Service, Workload } from '../model/cluster.js';
import { PortSet } from '../model/port-set.js';

/** How the ingress controller appears in the connection list. */
export const INGRESS_CONTROLLER_ID = '{ingress-controller}';
/**
 * The controller is modelled as a pod with no labels in a namespace of its own, so only rules that admit every
 * namespace (`namespaceSelector: {}`) or every source let its traffic in.
 */
export const INGRESS_CONTROLLER_NAMESPACE = 'ingress-controller-ns';

/** TCP ports per workload index that some Ingress or Route exposes. */
export function ingressExposure(cluster: Cluster): Map<number, PortSet> {
  const exposure = new Map<number, PortSet>();
  if (cluster.ingresses.length === 0) return exposure;
  const services = new Map(cluster.services.map((s) => [`${s.namespace}/${s.name}`, s]));
  for (const ingress of cluster.ingresses) {
    for (const backend of ingress.backends) {
      const service = services.get(`${ingress.namespace}/${backend.service}`);
      if (service?.selector === undefined) continue;
      cluster.workloads.forEach((workload, index) => {
        if (!selectsWorkload(service, workload)) return;
        const ports = targetPorts(service, backend.port, workload);
        if (ports.isEmpty()) return;
        exposure.set(index, (exposure.get(index) ?? PortSet.EMPTY).union(ports));
      });
    }
  }
  return exposure;
}

/** "Route service traffic to pods with label keys and values matching this selector", in the Service's namespace. */
export function selectsWorkload(service: Service, workload: Workload): boolean {
  if (workload.namespace !== service.namespace) return false;
  return Object.entries(service.selector!).every(([key, value]) => workload.labels[key] === value);
}

/**
 * The workload ports a backend reaches. Without a port, every Service port; else the first Service port whose
 * name, number or target port is the one asked for. A named target port resolves against the workload's TCP
 * container ports; a numbered one counts only if the workload has a container port with that number.
 */
export function targetPorts(
  service: Service,
  wanted: number | string | undefined,
  workload: Workload,
): PortSet {
  const chosen =
    wanted === undefined
      ? service.ports
      : service.ports
          .filter(
            (p) =>
              (p.name !== undefined && p.name !== '' && p.name === wanted) ||
              p.port === wanted ||
              p.targetPort === wanted,
          )
          .slice(0, 1);
  let ports = PortSet.EMPTY;
  for (const servicePort of chosen) {
    const target = servicePort.targetPort ?? servicePort.port;
    const number =
      typeof target === 'number'
        ? workload.ports.some((cp) => cp.port === target)
          ? target
          : undefined
        : workload.ports.find((cp) => cp.name === target && cp.protocol === 'TCP')?.port;
    if (number !== undefined) ports = ports.union(PortSet.range(number, number));
  }
  return ports;
}
