// The live Docker inventory as a cluster: running containers become "pods" by DESIGN.md's Docker mapping, and
// Docker's network segmentation becomes generated policies of the segmentation tier (the Compose loader's generator).

import { createHash } from 'node:crypto';
import type { Locate, ObjectRecord } from '../core/audit/types.js';
import type { Diagnostic, SourceRef } from '../core/diagnostics.js';
import type { Cluster, ContainerPort, Namespace, Workload } from '../core/model/cluster.js';
import { parseAddress } from '../core/model/address-set.js';
import type { Protocol } from '../core/model/port-set.js';
import type { AdminPolicy } from '../core/policy/admin-policy.js';
import { dockerNetworkPolicies, networkLabel, type ServiceNetworking } from '../compose/networks.js';
import { parsePortsLabel } from '../compose/syntax.js';
import { NAMESPACE_NAME_LABEL, type LoadResult } from '../k8s/load-cluster.js';
import type {
  DockerContainer,
  DockerEndpoint,
  DockerInventorySource,
  DockerNetwork,
  DockerResult,
} from './engine-client.js';

/** The kind of a workload made from a container: ids read `<namespace>/<container name>[Container]`. */
export const CONTAINER_KIND = 'Container';
export const NAMESPACE_LABEL = 'bulkhead.io/namespace';
export const PORTS_LABEL = 'bulkhead.io/ports';
export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
/** Bulkhead's own label naming the container, so that the generated segmentation policy selects it alone. */
export const CONTAINER_LABEL = 'bulkhead.io/container';

/**
 * Bulkhead's label naming a container's *segment*: the containers of one namespace attached to the same networks
 * with the same published ports. Docker's isolation is the same for all of them, so one generated policy selects
 * them together: replicas of a service stay one class of the model, and a container that starts next to others of
 * its kind changes no policy (the agent's reconcile cost then follows the services, not the containers).
 */
export const SEGMENT_LABEL = 'bulkhead.io/docker-segment';

interface Segment {
  /** Readable: the networks (and published ports) the policy is about. */
  readonly name: string;
  /** A valid label value naming the segment (a digest of what makes it). */
  readonly label: string;
  readonly networking: ServiceNetworking;
  readonly published: readonly { protocol: Protocol; first: number; last: number }[];
  readonly workloads: Workload[];
}

function segmentOf(
  segments: Map<string, Segment>,
  namespace: string,
  networking: ServiceNetworking,
  published: readonly { protocol: Protocol; first: number; last: number }[],
): Segment {
  const networks = networking.networks.map((n) => `${n.fullName}${n.internal ? ' internal' : ''}`).sort();
  const ports = [...new Set(published.map((p) => `${p.protocol.toLowerCase()}${p.first}`))].sort();
  const signature = JSON.stringify([namespace, networks, ports]);
  let segment = segments.get(signature);
  if (segment === undefined) {
    const names = networking.networks.map((n) => n.fullName).sort();
    const name = `${names.length > 0 ? names.join('+') : 'no-network'}${ports.length > 0 ? `.published-${ports.join('-')}` : ''}`;
    const label = `s${createHash('sha256').update(signature).digest('hex').slice(0, 24)}`;
    // The policy stands for every container of the segment, so its rules point at the segment, not at one of them.
    const source = { file: `docker:${namespace}/${name}` };
    segments.set(
      signature,
      (segment = { name, label, networking: { ...networking, source }, published, workloads: [] }),
    );
  }
  return segment;
}

/** Whether a listed container is mapped: running (an empty state: a listing that does not say). */
export function isRunningContainer(container: DockerContainer): boolean {
  return container.state === '' || container.state === 'running';
}

/** Reads the running containers and the networks from `source` and maps them; a Docker failure is the result. */
export async function loadDockerInventory(source: DockerInventorySource): Promise<DockerResult<LoadResult>> {
  const containers = await source.listContainers();
  if (!containers.ok) return containers;
  const networks = await source.listNetworks();
  if (!networks.ok) return networks;
  return { ok: true, value: mapDockerInventory(containers.value, networks.value) };
}

/**
 * Containers → workloads, namespaces and the segmentation policies. Only running containers are mapped (a stopped
 * one has no addresses and takes no traffic). The containers of one Compose service with several replicas are
 * separate containers with their own names and addresses, so each is a workload of its own (unlike the Compose
 * file loader, where a service is one workload).
 */
export function mapDockerInventory(
  containers: readonly DockerContainer[],
  networks: readonly DockerNetwork[],
): LoadResult {
  const diagnostics: Diagnostic[] = [];
  const namespaces = new Map<string, Namespace>();
  const workloads: Workload[] = [];
  const adminPolicies: AdminPolicy[] = [];
  const objects: ObjectRecord[] = [];
  const networkByName = new Map(networks.map((n) => [n.name, n]));
  const running = containers.filter(isRunningContainer);
  const segments = new Map<string, Segment>();

  for (const container of running) {
    const source: SourceRef = { file: `docker:${container.name}` };
    const warn = (code: string, message: string, hint: string): void => {
      diagnostics.push({ code, severity: 'warning', message, file: source.file, hint });
    };
    const namespace = namespaceOf(container);
    // `container:<id>` shares another container's network stack: its networks, addresses and host mode.
    const netOwner = networkOwner(container, running);
    if (netOwner === undefined)
      warn(
        'DOCKER_UNKNOWN_NETWORK_CONTAINER',
        `network mode "${container.networkMode}" names no running container; modelled with no network`,
        'Start the container whose network this one shares.',
      );
    const hostNetwork = (netOwner ?? container).networkMode === 'host';
    const endpoints: readonly DockerEndpoint[] = hostNetwork ? [] : (netOwner?.networks ?? []);

    const ips: bigint[] = [];
    for (const endpoint of endpoints)
      for (const text of [endpoint.ipv4, endpoint.ipv6]) {
        if (text === undefined) continue;
        const address = parseAddress(text);
        if (address === undefined)
          warn(
            'DOCKER_INVALID_ADDRESS',
            `address "${text}" on network "${endpoint.network}" is not an IP address; left out`,
            'This is what the daemon reported; check `docker inspect`.',
          );
        else if (!ips.includes(address)) ips.push(address);
      }

    const networking: ServiceNetworking = {
      mode: container.networkMode,
      networks: endpoints.map((e) => ({
        fullName: e.network,
        internal: networkByName.get(e.network)?.internal ?? false,
      })),
      hostNetwork,
      source,
    };
    const published = container.ports
      .filter((p) => p.publicPort !== undefined)
      .map((p) => ({
        protocol: p.protocol.toUpperCase() as Protocol,
        first: p.privatePort,
        last: p.privatePort,
      }));
    const segment = hostNetwork ? undefined : segmentOf(segments, namespace, networking, published);

    const labels: Record<string, string> = { ...container.labels };
    for (const endpoint of endpoints) labels[networkLabel(endpoint.network)] = 'true';
    labels[CONTAINER_LABEL] = container.name;
    if (segment !== undefined) labels[SEGMENT_LABEL] = segment.label;

    const ports = containerPorts(container);
    const portsLabel = container.labels[PORTS_LABEL];
    if (portsLabel !== undefined) {
      const parsed = parsePortsLabel(portsLabel);
      for (const p of parsed.ports) ports.set(`${p.port}/${p.protocol}`, p);
      if (parsed.invalid.length > 0)
        warn(
          'INVALID_PORTS_LABEL',
          `${PORTS_LABEL}: cannot read ${parsed.invalid.map((i) => `"${i}"`).join(', ')}`,
          'Write NAME=PORT[/PROTOCOL] items separated by commas, e.g. http=80/tcp,dns=53/udp.',
        );
    }

    const workload: Workload = {
      id: `${namespace}/${container.name}[${CONTAINER_KIND}]`,
      kind: CONTAINER_KIND,
      namespace,
      name: container.name,
      labels,
      ports: [...ports.values()].sort((a, b) => a.port - b.port || (a.protocol < b.protocol ? -1 : 1)),
      ips: ips.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      hostNetwork,
      source,
    };
    workloads.push(workload);
    if (!namespaces.has(namespace))
      namespaces.set(namespace, { name: namespace, labels: { [NAMESPACE_NAME_LABEL]: namespace } });

    segment?.workloads.push(workload);
    objects.push({
      kind: CONTAINER_KIND,
      apiVersion: 'docker.com/v1.41',
      namespace,
      name: container.name,
      value: { ...container },
      annotations: container.labels,
      source,
    });
  }

  // One policy per segment, in the order of their names (the containers' order in Docker's listing is not stable).
  for (const segment of segments.values())
    adminPolicies.push(
      ...dockerNetworkPolicies(segment.workloads[0]!, segment.networking, segment.published, {
        name: segment.name,
        pods: { requirements: [{ key: SEGMENT_LABEL, operator: 'In', values: [segment.label] }] },
      }),
    );
  adminPolicies.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const cluster: Cluster = {
    namespaces,
    workloads: workloads.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    services: [],
    networkPolicies: [],
    adminPolicies,
    ingresses: [],
  };
  const locate: Locate = (record) => record.source;
  return { cluster, diagnostics, sources: new Map(), objects, locate };
}

/** DESIGN.md: label `bulkhead.io/namespace` if set, else the Compose project, else `default`. */
function namespaceOf(container: DockerContainer): string {
  const explicit = container.labels[NAMESPACE_LABEL];
  if (explicit !== undefined && explicit !== '') return explicit;
  const project = container.labels[COMPOSE_PROJECT_LABEL];
  if (project !== undefined && project !== '') return project;
  return 'default';
}

/** The container whose network stack `container` uses: itself, or the target of `container:<id or name>`. */
function networkOwner(
  container: DockerContainer,
  running: readonly DockerContainer[],
  seen: ReadonlySet<DockerContainer> = new Set(),
): DockerContainer | undefined {
  if (!container.networkMode.startsWith('container:')) return container;
  if (seen.has(container)) return undefined;
  const target = container.networkMode.slice('container:'.length);
  const owner = running.find(
    (c) =>
      c.id === target ||
      c.name === target.replace(/^\//, '') ||
      (target.length >= 12 && c.id.startsWith(target)),
  );
  // A chain of container: modes ends at the first container that has its own stack.
  if (owner === undefined) return undefined;
  return networkOwner(owner, running, new Set([...seen, container]));
}

/** The ports the container exposes or publishes, unnamed (the ports label adds names). */
function containerPorts(container: DockerContainer): Map<string, ContainerPort> {
  const out = new Map<string, ContainerPort>();
  for (const p of container.ports) {
    if (p.privatePort < 1) continue;
    const protocol = p.protocol.toUpperCase() as Protocol;
    out.set(`${p.privatePort}/${protocol}`, { port: p.privatePort, protocol });
  }
  return out;
}
