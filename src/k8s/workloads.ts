// Pods and pod controllers → workload candidates: labels, container ports, addresses and owners, validated.

import type { ContainerPort } from '../core/model/cluster.js';
import { parseAddress } from '../core/model/address-set.js';
import { MAX_PORT, MIN_PORT, PROTOCOLS, type Protocol } from '../core/model/port-set.js';
import type { SourceRef } from '../core/diagnostics.js';
import { isRecord, type ObjectReader, type Path } from './object-reader.js';
import { isPortName, readLabels } from './selectors.js';

/** Kinds that run pods, and where their pod template is. */
export const CONTROLLER_TEMPLATES: Readonly<Record<string, Path>> = {
  Deployment: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

export interface OwnerRef {
  readonly kind: string;
  readonly name: string;
}

/** One pod, or the pod template of one controller, before pods are grouped into workloads. */
export interface PodCandidate {
  readonly objectKind: string;
  readonly namespace: string;
  readonly name: string;
  /** The controlling owner (`controller: true`), if any. */
  readonly owner?: OwnerRef;
  readonly labels: Readonly<Record<string, string>>;
  readonly ports: readonly ContainerPort[];
  readonly ips: readonly bigint[];
  readonly hostNetwork: boolean;
  readonly source: SourceRef;
}

/**
 * The controlling owner of an object: the first ownerReference with `controller: true`. A Node owner (static
 * pods) is not a workload, and is ignored.
 */
export function readControllerOwner(reader: ObjectReader): OwnerRef | undefined {
  const refs = reader.array(['metadata', 'ownerReferences']) ?? [];
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i];
    if (!isRecord(ref) || ref['controller'] !== true) continue;
    const name = reader.string(['metadata', 'ownerReferences', i, 'name']);
    const kind = reader.string(['metadata', 'ownerReferences', i, 'kind']);
    if (name === undefined || kind === 'Node') return undefined;
    // An owner reference without a kind still names the workload; netpol-analyzer reports it as a Pod.
    return { kind: kind ?? 'Pod', name };
  }
  return undefined;
}

/** Reads a Pod, or a controller's pod template, into a candidate. */
export function readPodCandidate(reader: ObjectReader, namespace: string, name: string): PodCandidate {
  const kind = reader.kind;
  const template: Path = kind === 'Pod' ? [] : CONTROLLER_TEMPLATES[kind]!;
  const labels = readLabels(reader, [...template, 'metadata', 'labels']);
  const spec: Path = [...template, 'spec'];
  const ports = readContainerPorts(reader, spec);
  const hostNetwork = reader.boolean([...spec, 'hostNetwork']) ?? false;
  const ips = kind === 'Pod' ? readPodIps(reader) : [];
  const owner = readControllerOwner(reader);
  return {
    objectKind: kind,
    namespace,
    name,
    ...(owner !== undefined ? { owner } : {}),
    labels,
    ports,
    ips,
    hostNetwork,
    source: reader.sourceRef(),
  };
}

function readContainerPorts(reader: ObjectReader, spec: Path): ContainerPort[] {
  const out: ContainerPort[] = [];
  const containers = reader.array([...spec, 'containers']) ?? [];
  containers.forEach((_, c) => {
    const containerPath = [...spec, 'containers', c];
    if (reader.record(containerPath) === undefined) return;
    (reader.array([...containerPath, 'ports']) ?? []).forEach((__, p) => {
      const at = [...containerPath, 'ports', p];
      if (reader.record(at) === undefined) return;
      const port = reader.integer([...at, 'containerPort'], true);
      const name = reader.string([...at, 'name']);
      const protocolValue = reader.string([...at, 'protocol']) ?? 'TCP';
      if (!(PROTOCOLS as readonly string[]).includes(protocolValue)) {
        reader.report('INVALID_PROTOCOL', 'error', [...at, 'protocol'], `protocol "${protocolValue}" is not TCP, UDP or SCTP`, 'Use TCP, UDP or SCTP in capitals; leave it out for TCP.');
        return;
      }
      if (port === undefined) return;
      if (port < MIN_PORT || port > MAX_PORT) {
        reader.report('PORT_OUT_OF_RANGE', 'error', [...at, 'containerPort'], `containerPort ${port} is outside 1-65535`, 'Use a port between 1 and 65535.');
        return;
      }
      if (name !== undefined && !isPortName(name)) {
        reader.report('INVALID_PORT', 'error', [...at, 'name'], `"${name}" is not a valid port name`, 'A port name (IANA_SVC_NAME) has at most 15 characters: lowercase letters, digits and "-", at least one letter.');
        return;
      }
      out.push({ port, protocol: protocolValue as Protocol, ...(name !== undefined ? { name } : {}) });
    });
  });
  return out;
}

/** status.podIPs[].ip and status.podIP; invalid addresses are reported and left out. */
function readPodIps(reader: ObjectReader): bigint[] {
  const texts: { text: string; path: Path }[] = [];
  const single = reader.string(['status', 'podIP']);
  if (single !== undefined && single !== '') texts.push({ text: single, path: ['status', 'podIP'] });
  (reader.array(['status', 'podIPs']) ?? []).forEach((_, i) => {
    const text = reader.string(['status', 'podIPs', i, 'ip']);
    if (text !== undefined && text !== '') texts.push({ text, path: ['status', 'podIPs', i, 'ip'] });
  });
  const ips = new Set<bigint>();
  for (const { text, path } of texts) {
    const ip = parseAddress(text);
    if (ip === undefined) {
      reader.report('INVALID_IP', 'warning', path, `"${text}" is not a valid IP address; ignored`, 'Write an IPv4 (dotted quad) or IPv6 address.');
    } else ips.add(ip);
  }
  return [...ips];
}
