// The normalized cluster: namespaces, workloads, services and policies, as every engine sees them.

import type { SourceRef } from '../diagnostics.js';
import type { AdminPolicy } from '../policy/admin-policy.js';
import type { NetworkPolicyRule } from '../policy/network-policy.js';
import type { LabelSelector, Labels } from './labels.js';
import type { Protocol } from './port-set.js';

export interface Namespace {
  readonly name: string;
  /** Always includes `kubernetes.io/metadata.name`. */
  readonly labels: Labels;
  /** Absent when the namespace is only implied by an object in it. */
  readonly source?: SourceRef;
}

export interface ContainerPort {
  readonly name?: string;
  readonly port: number;
  readonly protocol: Protocol;
}

/** A workload: one pod, or every replica of a controller (replicas behave the same under policy). */
export interface Workload {
  /** `<namespace>/<name>[<Kind>]`, the id printed by reach. */
  readonly id: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  readonly ports: readonly ContainerPort[];
  /** Known addresses (status.podIPs, or the container addresses on Docker) on the unified address line. */
  readonly ips: readonly bigint[];
  /** hostNetwork pods share the node's identity: policies neither select nor tell them apart. */
  readonly hostNetwork: boolean;
  readonly source?: SourceRef;
}

export interface ServicePort {
  readonly name?: string;
  readonly port: number;
  readonly protocol: Protocol;
  /** A number, a container port name, or absent (then equal to `port`). */
  readonly targetPort?: number | string;
  readonly nodePort?: number;
}

export interface Service {
  readonly namespace: string;
  readonly name: string;
  readonly type: string;
  /** Absent: the Service has no selector (endpoints are managed elsewhere). */
  readonly selector?: Labels;
  readonly ports: readonly ServicePort[];
  readonly source?: SourceRef;
}

/**
 * Bulkhead's flood limits for the pods a NetworkPolicy selects (annotations `bulkhead.io/rate-limit`,
 * `bulkhead.io/rate-limit-burst`, `bulkhead.io/connection-limit`), per source address, on new connections in.
 */
export interface ConnectionLimits {
  readonly rate?: {
    readonly count: number;
    readonly per: 'second' | 'minute' | 'hour';
    readonly burst: number;
  };
  /** Concurrent connections per source. */
  readonly concurrent?: number;
}

/** A NetworkPolicy v1 after validation: subject, and per direction either no isolation or a rule list. */
export interface NetworkPolicy {
  readonly namespace: string;
  readonly name: string;
  readonly podSelector: LabelSelector;
  /** Absent: the policy does not isolate ingress. Empty: it isolates and allows nothing. */
  readonly ingress?: readonly NetworkPolicyRule[];
  readonly egress?: readonly NetworkPolicyRule[];
  readonly limits?: ConnectionLimits;
  readonly source?: SourceRef;
}

/** A backend of an Ingress or Route: a Service in the object's namespace, and the Service port it uses. */
export interface IngressBackend {
  readonly service: string;
  /** A Service port name or number (Ingress), or a target port (Route); absent: every port of the Service. */
  readonly port?: number | string;
}

/** An Ingress (networking.k8s.io) or OpenShift Route: how traffic from outside reaches Services. */
export interface IngressRoute {
  readonly kind: 'Ingress' | 'Route';
  readonly namespace: string;
  readonly name: string;
  readonly backends: readonly IngressBackend[];
  readonly source?: SourceRef;
}

export interface Cluster {
  readonly namespaces: ReadonlyMap<string, Namespace>;
  readonly workloads: readonly Workload[];
  readonly services: readonly Service[];
  readonly networkPolicies: readonly NetworkPolicy[];
  /** AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy objects, in input order. */
  readonly adminPolicies: readonly AdminPolicy[];
  readonly ingresses: readonly IngressRoute[];
}
