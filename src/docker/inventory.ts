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
/** Bulkhead's own label naming the container, so that a selector can name one container (the generated isolation
 * policies select segments: SEGMENT_LABEL). */
export const CONTAINER_LABEL = 'bulkhead.io/container';

/**
 * Bulkhead's label naming a container's *segment*: the containers of one namespace attached to the same networks
 * with the same published ports. Docker's isolation is the same for all of them, so one generated policy selects
 * them together: replicas of a service stay one class of the model, and a container that starts next to others of
 * its kind changes no policy (the agent's reconcile cost then follows the services, not the containers).
 */
export const SEGMENT_LABEL = 'bulkhead.io/docker-segment';

/** A segment: its policy's name, the label that selects its containers, and what its policy is made of. */
interface SegmentKey {
  /** What makes the segment: the namespace, the networks (and whether they are internal), the published ports. */
  readonly signature: string;
  /** Readable: the networks (and published ports) the policy is about. */
  readonly name: string;
  /** A valid label value naming the segment (a digest of the signature). */
  readonly label: string;
}

function segmentKey(
  namespace: string,
  networking: ServiceNetworking,
  published: readonly { protocol: Protocol; first: number; last: number }[],
): SegmentKey {
  const networks = networking.networks.map((n) => `${n.fullName}${n.internal ? ' internal' : ''}`).sort();
  const ports = [...new Set(published.map((p) => `${p.protocol.toLowerCase()}${p.first}`))].sort();
  const signature = JSON.stringify([namespace, networks, ports]);
  const names = networking.networks.map((n) => n.fullName).sort();
  const name = `${names.length > 0 ? names.join('+') : 'no-network'}${ports.length > 0 ? `.published-${ports.join('-')}` : ''}`;
  const label = `s${createHash('sha256').update(signature).digest('hex').slice(0, 24)}`;
  return { signature, name, label };
}

/** One running container, mapped: what the inventory's cluster takes from it. */
interface MappedContainer {
  readonly workload: Workload;
  readonly object: ObjectRecord;
  readonly diagnostics: readonly Diagnostic[];
  /** Absent for host networking: Docker's networks do not isolate it. */
  readonly segment?: SegmentKey & {
    readonly networking: ServiceNetworking;
    readonly published: readonly { protocol: Protocol; first: number; last: number }[];
  };
}

/**
 * Maps the live inventory read after read, remembering what it made: a container Docker reports as the same object
 * (src/docker/inventory-cache.ts keeps unchanged containers), with the same network stack and the same networks,
 * maps to the same workload object, and a segment to the same policy objects. So the agent's model update
 * (Connectivity.withWorkloads) recognises what did not change without comparing it, and a host with thousands of
 * containers is not mapped again at every container event.
 */
export class DockerInventoryMapping {
  private readonly containers = new WeakMap<
    DockerContainer,
    { owner: DockerContainer | undefined; internal: string; mapped: MappedContainer }
  >();
  private segmentPolicies = new Map<string, AdminPolicy[]>();

  map(containers: readonly DockerContainer[], networks: readonly DockerNetwork[]): LoadResult {
    const networkByName = new Map(networks.map((n) => [n.name, n]));
    const running = containers.filter(isRunningContainer);
    const mapped = running.map((container) => {
      const owner = networkOwner(container, running);
      // What the mapping reads besides the container itself: the stack it uses (the same object: unchanged) and
      // whether its networks are internal.
      const internal = (owner?.networks ?? [])
        .map((e) => (networkByName.get(e.network)?.internal === true ? 1 : 0))
        .join('');
      const known = this.containers.get(container);
      if (known !== undefined && known.owner === owner && known.internal === internal) return known.mapped;
      const fresh = mapContainer(container, owner, networkByName);
      this.containers.set(container, { owner, internal, mapped: fresh });
      return fresh;
    });
    const policies = new Map<string, AdminPolicy[]>();
    for (const { segment, workload } of mapped) {
      if (segment === undefined || policies.has(segment.signature)) continue;
      policies.set(
        segment.signature,
        this.segmentPolicies.get(segment.signature) ??
          dockerNetworkPolicies(
            workload,
            // The policy stands for every container of the segment: its rules point at the segment, not at one.
            { ...segment.networking, source: { file: `docker:${workload.namespace}/${segment.name}` } },
            segment.published,
            {
              name: segment.name,
              pods: { requirements: [{ key: SEGMENT_LABEL, operator: 'In', values: [segment.label] }] },
            },
          ),
      );
    }
    this.segmentPolicies = policies;

    const namespaces = new Map<string, Namespace>();
    for (const { workload } of mapped)
      if (!namespaces.has(workload.namespace))
        namespaces.set(workload.namespace, {
          name: workload.namespace,
          labels: { [NAMESPACE_NAME_LABEL]: workload.namespace },
        });
    const byName = (a: { name: string }, b: { name: string }): number =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    const cluster: Cluster = {
      namespaces,
      workloads: mapped.map((m) => m.workload).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
      services: [],
      networkPolicies: [],
      // One policy per segment, in the order of their names (the order of Docker's listing is not stable).
      adminPolicies: [...policies.values()].flat().sort(byName),
      ingresses: [],
    };
    const locate: Locate = (record) => record.source;
    return {
      cluster,
      diagnostics: mapped.flatMap((m) => m.diagnostics),
      sources: new Map(),
      objects: mapped.map((m) => m.object),
      locate,
    };
  }
}

/** Whether a listed container is mapped: running (an empty state: a listing that does not say). */
export function isRunningContainer(container: DockerContainer): boolean {
  return container.state === '' || container.state === 'running';
}

/**
 * Reads the running containers and the networks from `source` and maps them (with `mapping`'s memory, when
 * given); a Docker failure is the result.
 */
export async function loadDockerInventory(
  source: DockerInventorySource,
  mapping: DockerInventoryMapping = new DockerInventoryMapping(),
): Promise<DockerResult<LoadResult>> {
  const containers = await source.listContainers();
  if (!containers.ok) return containers;
  const networks = await source.listNetworks();
  if (!networks.ok) return networks;
  return { ok: true, value: mapping.map(containers.value, networks.value) };
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
  return new DockerInventoryMapping().map(containers, networks);
}

/** One running container as a workload; `owner` is the container whose network stack it uses (itself, mostly). */
function mapContainer(
  container: DockerContainer,
  netOwner: DockerContainer | undefined,
  networkByName: ReadonlyMap<string, DockerNetwork>,
): MappedContainer {
  const diagnostics: Diagnostic[] = [];
  const source: SourceRef = { file: `docker:${container.name}` };
  const warn = (code: string, message: string, hint: string): void => {
    diagnostics.push({ code, severity: 'warning', message, file: source.file, hint });
  };
  const namespace = namespaceOf(container);
  // `container:<id>` shares another container's network stack: its networks, addresses and host mode.
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
  const segment = hostNetwork
    ? undefined
    : { ...segmentKey(namespace, networking, published), networking, published };

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
  const object: ObjectRecord = {
    kind: CONTAINER_KIND,
    apiVersion: 'docker.com/v1.41',
    namespace,
    name: container.name,
    value: { ...container },
    annotations: container.labels,
    source,
  };
  return { workload, object, diagnostics, ...(segment !== undefined ? { segment } : {}) };
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
