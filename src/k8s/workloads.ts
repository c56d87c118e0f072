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
  const template: Path =
    kind === 'Pod' || !Object.hasOwn(CONTROLLER_TEMPLATES, kind) ? [] : CONTROLLER_TEMPLATES[kind]!;
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
      const port = readContainerPort(reader, [...containerPath, 'ports', p]);
      if (port !== undefined) out.push(port);
    });
  });
  return out;
}

/**
 * One container port. Problems here are warnings: the pod still runs, and only rules naming this port are
 * affected, so the port is left out and the workload is analysed.
 */
function readContainerPort(reader: ObjectReader, at: Path): ContainerPort | undefined {
  if (reader.record(at) === undefined) return undefined;
  reader.checkKnownFields(at, ['name', 'containerPort', 'protocol', 'hostPort', 'hostIP']);
  const raw = reader.get(at) as Record<string, unknown>;
  const port = raw['containerPort'];
  const name = raw['name'];
  const protocol = raw['protocol'] ?? 'TCP';
  const skip = (path: Path, message: string, hint: string): undefined => {
    reader.report('INVALID_CONTAINER_PORT', 'warning', path, `${message}; this port is ignored`, hint);
    return undefined;
  };
  if (port === undefined || port === null)
    return skip(at, 'containerPort is missing', 'Add containerPort (1-65535).');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < MIN_PORT || port > MAX_PORT) {
    return skip(
      [...at, 'containerPort'],
      `containerPort ${JSON.stringify(port)} is not a port number 1-65535`,
      'Use a port between 1 and 65535.',
    );
  }
  if (typeof protocol !== 'string' || !(PROTOCOLS as readonly string[]).includes(protocol)) {
    return skip(
      [...at, 'protocol'],
      `protocol ${JSON.stringify(protocol)} is not TCP, UDP or SCTP`,
      'Use TCP, UDP or SCTP in capitals; leave it out for TCP.',
    );
  }
  if (name !== undefined && name !== null && (typeof name !== 'string' || !isPortName(name))) {
    return skip(
      [...at, 'name'],
      `${JSON.stringify(name)} is not a valid port name`,
      'A port name (IANA_SVC_NAME) has at most 15 characters: lowercase letters, digits and "-", at least one letter.',
    );
  }
  return { port, protocol: protocol as Protocol, ...(typeof name === 'string' ? { name } : {}) };
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
      reader.report(
        'INVALID_IP',
        'warning',
        path,
        `"${text}" is not a valid IP address; ignored`,
        'Write an IPv4 (dotted quad) or IPv6 address.',
      );
    } else ips.add(ip);
  }
  return [...ips];
}
