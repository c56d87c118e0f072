// Kubernetes manifests → the normalized cluster model, with every problem collected as a diagnostic.

import type { Diagnostic } from '../core/diagnostics.js';
import type {
  Cluster,
  IngressRoute,
  Namespace,
  NetworkPolicy,
  Service,
  ServicePort,
  Workload,
} from '../core/model/cluster.js';
import { PROTOCOLS, type Protocol } from '../core/model/port-set.js';
import type { AdminPolicy } from '../core/policy/admin-policy.js';
import { ADMIN_KINDS, readAdminPolicy } from './admin-policy.js';
import type { Locate, ObjectRecord } from '../core/audit/types.js';
import { renderPath, splitObjects, type ManifestObject, type SourceDocument } from './documents.js';
import { readIngress, readRoute } from './ingress.js';
import { readNetworkPolicy } from './network-policy.js';
import { isRecord, ObjectReader } from './object-reader.js';
import type { SourceFile } from './read-sources.js';
import { isDns1123Label, isDns1123Subdomain, readLabels } from './selectors.js';
import { CONTROLLER_TEMPLATES, readPodCandidate, type OwnerRef, type PodCandidate } from './workloads.js';

/** "The name of the namespace ... is stored in the label kubernetes.io/metadata.name" on every namespace. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export interface LoadResult {
  readonly cluster: Cluster;
  readonly diagnostics: Diagnostic[];
  /** The files read, by name, to locate diagnostics when rendering them. */
  readonly sources: ReadonlyMap<string, SourceDocument>;
  /** Every object read (all kinds, valid names, no duplicates), for checks that read fields the model drops. */
  readonly objects: readonly ObjectRecord[];
  /** Where a value of one of `objects` is. */
  readonly locate: Locate;
}

/** Built-in kinds that have no namespace: their objects get namespace `''`, whatever the manifest says. */
const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace',
  'Node',
  'ClusterRole',
  'ClusterRoleBinding',
  'PersistentVolume',
  'StorageClass',
  'CustomResourceDefinition',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'PriorityClass',
  'IngressClass',
  'RuntimeClass',
  'CSIDriver',
  'CSINode',
  'VolumeAttachment',
  'APIService',
  'PodSecurityPolicy',
  'CertificateSigningRequest',
  'ClusterIssuer',
]);

/** Kinds the loader models (workloads, namespaces, policies, Services, Ingress/Route): they must be named. */
const KNOWN_KINDS = new Set([
  'Pod',
  'Deployment',
  'ReplicaSet',
  'ReplicationController',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'Namespace',
  'NetworkPolicy',
  'Service',
  'Ingress',
  'Route',
  'AdminNetworkPolicy',
  'BaselineAdminNetworkPolicy',
  'ClusterNetworkPolicy',
]);

/** Kinds that are Kubernetes objects but play no part in reachability: read, and skipped without a note. */
const IRRELEVANT_KINDS = new Set([
  'ConfigMap',
  'Secret',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'ClusterRole',
  'ClusterRoleBinding',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'StorageClass',
  'Endpoints',
  'EndpointSlice',
  'Event',
  'LimitRange',
  'ResourceQuota',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'PriorityClass',
  'CustomResourceDefinition',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'IngressClass',
  'Node',
  'Lease',
  'APIService',
  'PodSecurityPolicy',
  'VerticalPodAutoscaler',
  'ControllerRevision',
  'CSIDriver',
  'CSINode',
  'VolumeAttachment',
  'RuntimeClass',
  'Certificate',
  'Issuer',
]);

/** Loads every object of every file into one cluster. Never throws on bad input. */
export function loadCluster(files: readonly SourceFile[]): LoadResult {
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, SourceDocument>();
  const objects: ManifestObject[] = [];
  for (const file of files) {
    const split = splitObjects(file);
    diagnostics.push(...split.diagnostics);
    objects.push(...split.objects);
    sources.set(file.name, split.source);
  }
  const builder = new ClusterBuilder(diagnostics);
  for (const object of objects) builder.add(object);
  const manifests = new Map<ObjectRecord, ManifestObject>();
  const locate: Locate = (record, path) => {
    const object = manifests.get(record);
    if (object === undefined) return record.source;
    const full = [...object.base, ...path];
    const range = object.source.rangeOf(object.doc, full);
    return { file: object.source.file.name, ...(range ? { range } : {}), path: renderPath(full) };
  };
  const cluster = builder.finish();
  for (const [record, object] of builder.records) manifests.set(record, object);
  return { cluster, diagnostics, sources, objects: [...manifests.keys()], locate };
}

interface NamedObject {
  readonly reader: ObjectReader;
  readonly namespace: string;
  readonly name: string;
}

class ClusterBuilder {
  private readonly namespaces = new Map<string, Namespace>();
  private readonly policies = new Map<string, NetworkPolicy>();
  /** Admin-tier policies in input order, with their readers for cross-object diagnostics. */
  private readonly adminPolicies: { policy: AdminPolicy; reader: ObjectReader }[] = [];
  private readonly services = new Map<string, Service>();
  private readonly ingresses: IngressRoute[] = [];
  private readonly candidates: PodCandidate[] = [];
  /** Controllers seen, with their own controlling owner, to roll pods up: Pod → ReplicaSet → Deployment. */
  private readonly controllers = new Map<string, OwnerRef | null>();
  private readonly seen = new Map<string, ManifestObject>();
  private readonly skippedKinds = new Map<string, { count: number; first: NamedObject }>();

  constructor(private readonly diagnostics: Diagnostic[]) {}

  /** The first nameless object of each kind that is not Kubernetes' own (noted, then skipped). */
  private readonly unnamed = new Map<string, ObjectReader>();

  /** Every object accepted, with where it came from. */
  readonly records: [ObjectRecord, ManifestObject][] = [];

  add(object: ManifestObject): void {
    const reader = new ObjectReader(object, this.diagnostics);
    const named = this.readIdentity(reader);
    if (named === undefined) return;
    const kind = reader.kind;
    if (!this.checkUnique(named, object)) return;
    this.records.push([this.record(reader, named), object]);
    switch (kind) {
      case 'Namespace':
        this.addNamespace(named);
        return;
      case 'NetworkPolicy': {
        const policy = readNetworkPolicy(reader, named.namespace, named.name);
        if (policy !== undefined) this.policies.set(`${named.namespace}/${named.name}`, policy);
        return;
      }
      case 'Service':
        this.addService(named);
        return;
      case 'Pod':
        this.candidates.push(readPodCandidate(reader, named.namespace, named.name));
        return;
      case 'Ingress':
        this.ingresses.push(readIngress(reader, named.namespace, named.name));
        return;
      case 'Route':
        this.ingresses.push(readRoute(reader, named.namespace, named.name));
        return;
      case 'AdminNetworkPolicy':
      case 'BaselineAdminNetworkPolicy':
      case 'ClusterNetworkPolicy': {
        const policy = readAdminPolicy(reader, named.name);
        if (policy !== undefined) this.adminPolicies.push({ policy, reader });
        return;
      }
    }
    if (Object.hasOwn(CONTROLLER_TEMPLATES, kind)) {
      const candidate = readPodCandidate(reader, named.namespace, named.name);
      this.controllers.set(`${kind}/${named.namespace}/${named.name}`, candidate.owner ?? null);
      this.candidates.push(candidate);
      return;
    }
    const entry = this.skippedKinds.get(kind);
    if (entry === undefined) this.skippedKinds.set(kind, { count: 1, first: named });
    else entry.count++;
  }

  /** The object as audit checks see it. */
  private record(reader: ObjectReader, named: NamedObject): ObjectRecord {
    const annotations = reader.get(['metadata', 'annotations']);
    const strings: Record<string, string> = {};
    if (isRecord(annotations))
      for (const [key, value] of Object.entries(annotations))
        if (typeof value === 'string') strings[key] = value;
    const apiVersion = reader.get(['apiVersion']);
    return {
      kind: reader.kind,
      apiVersion: typeof apiVersion === 'string' ? apiVersion : '',
      namespace: named.namespace,
      name: named.name,
      value: reader.object.value,
      annotations: strings,
      source: reader.sourceRef(),
    };
  }

  /**
   * metadata.name and metadata.namespace (default: `default`), validated. Cluster-scoped kinds (Namespace and the
   * admin-tier policies) have the namespace '': a namespace written on an admin policy is reported by its reader.
   */
  private readIdentity(reader: ObjectReader): NamedObject | undefined {
    reader.checkKnownFields(
      ['metadata'],
      [
        'name',
        'generateName',
        'namespace',
        'labels',
        'annotations',
        'ownerReferences',
        'uid',
        'resourceVersion',
        'generation',
        'creationTimestamp',
        'deletionTimestamp',
        'deletionGracePeriodSeconds',
        'finalizers',
        'managedFields',
        'selfLink',
      ],
    );
    // Kinds that are not Kubernetes' own (a scanner's or an operator's objects) may come without a name: they are
    // skipped with the UNKNOWN_KIND note, not reported as broken.
    const required =
      KNOWN_KINDS.has(reader.kind) ||
      IRRELEVANT_KINDS.has(reader.kind) ||
      CLUSTER_SCOPED_KINDS.has(reader.kind);
    const name = reader.string(['metadata', 'name'], required);
    const namespaceValue = reader.string(['metadata', 'namespace']);
    if (name === undefined) {
      if (!required && !this.unnamed.has(reader.kind)) this.unnamed.set(reader.kind, reader);
      return undefined;
    }
    // An invalid name does not change what an object means, so it is analysed; the API server would refuse it.
    if (!isDns1123Subdomain(name) && reader.kind !== 'Namespace') {
      reader.report(
        'INVALID_NAME',
        'warning',
        ['metadata', 'name'],
        `"${name}" is not a valid object name; the API server would reject it`,
        'Names are lowercase letters, digits, "-" and ".", starting and ending alphanumeric, at most 253 characters.',
      );
    }
    if (reader.kind === 'Namespace' && !isDns1123Label(name)) {
      reader.report(
        'INVALID_NAME',
        'error',
        ['metadata', 'name'],
        `"${name}" is not a valid namespace name`,
        'Namespace names are at most 63 lowercase letters, digits and "-", starting and ending alphanumeric.',
      );
      return undefined;
    }
    const clusterScoped = CLUSTER_SCOPED_KINDS.has(reader.kind) || ADMIN_KINDS.has(reader.kind);
    if (
      !clusterScoped &&
      namespaceValue !== undefined &&
      namespaceValue !== '' &&
      !isDns1123Label(namespaceValue)
    ) {
      reader.report(
        'INVALID_NAME',
        'error',
        ['metadata', 'namespace'],
        `"${namespaceValue}" is not a valid namespace name`,
        'Namespace names are at most 63 lowercase letters, digits and "-", starting and ending alphanumeric.',
      );
      return undefined;
    }
    // Objects without a namespace are in `default`, as kubectl applies them.
    const namespace = clusterScoped ? '' : namespaceValue || 'default';
    return { reader, namespace, name };
  }

  private checkUnique(named: NamedObject, object: ManifestObject): boolean {
    const key = `${named.reader.kind}/${named.namespace}/${named.name}`;
    const previous = this.seen.get(key);
    if (previous === undefined) {
      this.seen.set(key, object);
      return true;
    }
    const where = previous.source.file.name;
    if (named.reader.kind === 'BaselineAdminNetworkPolicy') {
      // "Only one baseline admin network policy with metadata.name="default" can be created in the cluster"
      named.reader.report(
        'MULTIPLE_BASELINE_POLICIES',
        'error',
        ['metadata', 'name'],
        `a second BaselineAdminNetworkPolicy; the one in ${where} is used and this one is ignored`,
        'A cluster has one BaselineAdminNetworkPolicy at most (named "default"): merge their rules into one.',
      );
      return false;
    }
    // The unique key of a cluster-scoped kind is kind/name (its namespace is '').
    const isPolicy = named.reader.kind === 'NetworkPolicy' || ADMIN_KINDS.has(named.reader.kind);
    named.reader.report(
      'DUPLICATE_NAME',
      isPolicy ? 'error' : 'warning',
      ['metadata', 'name'],
      `a ${named.reader.kind} with this name is already defined in ${where}; this one is ignored`,
      named.namespace === ''
        ? `${named.reader.kind} is cluster-scoped: give each one a unique name, or remove the copy.`
        : 'Give each object a unique name in its namespace, or remove the copy.',
    );
    return false;
  }

  private addNamespace({ reader, name }: NamedObject): void {
    const labels = readLabels(reader, ['metadata', 'labels']);
    this.namespaces.set(name, {
      name,
      labels: { ...labels, [NAMESPACE_NAME_LABEL]: name },
      source: reader.sourceRef(),
    });
  }

  private addService({ reader, namespace, name }: NamedObject): void {
    const selector =
      reader.get(['spec', 'selector']) === undefined ? undefined : reader.stringMap(['spec', 'selector']);
    const ports: ServicePort[] = [];
    (reader.array(['spec', 'ports']) ?? []).forEach((_, i) => {
      const at = ['spec', 'ports', i];
      const port = reader.integer([...at, 'port']);
      if (port === undefined) return;
      const protocolText = reader.string([...at, 'protocol']) ?? 'TCP';
      const protocol: Protocol = (PROTOCOLS as readonly string[]).includes(protocolText)
        ? (protocolText as Protocol)
        : 'TCP';
      const targetPort = reader.get([...at, 'targetPort']);
      const portName = reader.string([...at, 'name']);
      const nodePort = reader.integer([...at, 'nodePort']);
      ports.push({
        port,
        protocol,
        ...(portName !== undefined ? { name: portName } : {}),
        ...(typeof targetPort === 'number' || typeof targetPort === 'string' ? { targetPort } : {}),
        ...(nodePort !== undefined ? { nodePort } : {}),
      });
    });
    this.services.set(`${namespace}/${name}`, {
      namespace,
      name,
      type: reader.string(['spec', 'type']) ?? 'ClusterIP',
      ...(selector !== undefined ? { selector } : {}),
      ports,
      source: reader.sourceRef(),
    });
  }

  finish(): Cluster {
    for (const [kind, reader] of this.unnamed) {
      if (this.skippedKinds.has(kind)) continue;
      reader.report(
        'UNKNOWN_KIND',
        'info',
        ['kind'],
        `objects of kind ${kind} found (without metadata.name); they play no part in the analysis and are skipped`,
        'Nothing to do if this kind does not run pods.',
      );
    }
    for (const [kind, { count, first }] of this.skippedKinds) {
      if (IRRELEVANT_KINDS.has(kind)) continue;
      first.reader.report(
        'UNKNOWN_KIND',
        'info',
        ['kind'],
        `${count} object(s) of kind ${kind} found; they play no part in the analysis and are skipped`,
        'Nothing to do if this kind does not run pods.',
      );
    }
    this.checkAdminPolicies();
    const workloads = this.groupWorkloads();
    const namespaces = new Map(this.namespaces);
    const referenced = [
      ...workloads.map((w) => w.namespace),
      ...[...this.policies.values()].map((p) => p.namespace),
      ...[...this.services.values()].map((s) => s.namespace),
    ];
    for (const name of referenced) {
      if (!namespaces.has(name)) namespaces.set(name, { name, labels: { [NAMESPACE_NAME_LABEL]: name } });
    }
    return {
      namespaces,
      workloads,
      services: [...this.services.values()],
      networkPolicies: [...this.policies.values()],
      adminPolicies: this.adminPolicies.map((entry) => entry.policy),
      ingresses: this.ingresses,
    };
  }

  /**
   * Checks across admin-tier policies (a second BaselineAdminNetworkPolicy is caught by checkUnique, since every
   * one must be named "default"). Priority: "If two (or more) policies with the same
   * priority could both match a connection, then the implementation can apply any of the matching policies to the
   * connection, and there is no way for the user to reliably determine which one it will choose."
   */
  private checkAdminPolicies(): void {
    // Same tier, same priority: ANPs and Admin-tier CNPs share the admin tier; Baseline-tier CNPs their own.
    // (The single BANP has no priority.)
    const byPriority = new Map<string, { policy: AdminPolicy; reader: ObjectReader }>();
    for (const entry of this.adminPolicies) {
      const { policy } = entry;
      if (policy.apiKind === 'BaselineAdminNetworkPolicy') continue;
      const key = `${policy.tier}/${policy.priority}`;
      const first = byPriority.get(key);
      if (first === undefined) {
        byPriority.set(key, entry);
        continue;
      }
      entry.reader.report(
        'SAME_PRIORITY',
        'warning',
        ['spec', 'priority'],
        `priority ${policy.priority} is also the priority of ${first.policy.apiKind} ${first.policy.name} in ` +
          `${first.policy.source?.file ?? '?'} (${policy.tier} tier); which of the two applies first is undefined`,
        'Give every policy of a tier its own priority where their rules could match the same connections.',
      );
    }
  }

  /**
   * Groups pods and controllers into workloads. A pod is reported under its controlling owner, followed up the
   * chain while the owner's own manifest is in the input (Pod → ReplicaSet → Deployment, Job → CronJob).
   * Replicas collapse into one workload.
   */
  private groupWorkloads(): Workload[] {
    const byId = new Map<string, { workload: Workload; first: PodCandidate }>();
    for (const candidate of this.candidates) {
      const { kind, name } = this.resolveOwner(candidate);
      const id = `${candidate.namespace}/${name}[${kind}]`;
      const existing = byId.get(id);
      if (existing === undefined) {
        byId.set(id, {
          first: candidate,
          workload: {
            id,
            kind,
            namespace: candidate.namespace,
            name,
            labels: candidate.labels,
            ports: candidate.ports,
            ips: candidate.ips,
            hostNetwork: candidate.hostNetwork,
            source: candidate.source,
          },
        });
        continue;
      }
      // Pods win over templates (they are what runs); replicas add addresses.
      const workload = existing.workload;
      const preferCandidate = existing.first.objectKind !== 'Pod' && candidate.objectKind === 'Pod';
      if (
        !preferCandidate &&
        candidate.objectKind === 'Pod' &&
        labelsDiffer(existing.first.labels, candidate.labels)
      ) {
        this.diagnostics.push({
          code: 'WORKLOAD_LABELS_DIFFER',
          severity: 'warning',
          message: `pods of ${id} have different labels (${existing.first.name} and ${candidate.name}); the first pod's labels are used`,
          file: candidate.source.file,
          ...(candidate.source.range ? { range: candidate.source.range } : {}),
          hint: 'Pods of one controller normally share labels; policies that select on the differing labels may treat them apart.',
        });
      }
      const base = preferCandidate
        ? {
            ...workload,
            labels: candidate.labels,
            ports: candidate.ports,
            hostNetwork: candidate.hostNetwork,
            source: candidate.source,
          }
        : workload;
      byId.set(id, {
        first: preferCandidate ? candidate : existing.first,
        workload: { ...base, ips: [...new Set([...workload.ips, ...candidate.ips])] },
      });
    }
    return [...byId.values()].map((e) => e.workload).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private resolveOwner(candidate: PodCandidate): OwnerRef {
    let current: OwnerRef = { kind: candidate.objectKind, name: candidate.name };
    let owner = candidate.owner;
    const visited = new Set<string>();
    while (owner !== undefined) {
      current = owner;
      const key = `${owner.kind}/${candidate.namespace}/${owner.name}`;
      if (visited.has(key)) break;
      visited.add(key);
      owner = this.controllers.get(key) ?? undefined;
    }
    return current;
  }
}

function labelsDiffer(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if (a[key] !== b[key]) return true;
  return false;
}
