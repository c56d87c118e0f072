// The data of `bulkhead audit`: check catalog entries, findings, and what a check sees of the input.

import type { SourceRef } from '../diagnostics.js';
import type { Connectivity, ConnectivityOptions } from '../engine/connectivity.js';
import type { Cluster } from '../model/cluster.js';
import type { Severity } from '../severity.js';

export type { Severity } from '../severity.js';

/** The areas of the catalog; the id prefix follows the area (`BH-NET-`, `BH-SEG-`, `BH-RBAC-`, ...). */
export type CheckArea =
  'exposure' | 'segmentation' | 'rbac' | 'pod-security' | 'images' | 'secrets' | 'compose';

/** The tools of DESIGN.md's audit contract, in its order: the keys of a check's mappings. */
export const MAPPING_TOOLS = [
  'kubescape',
  'polaris',
  'kube-linter',
  'kube-score',
  'checkov',
  'trivy',
  'kics',
  'cis',
] as const;

type MappingTool = (typeof MAPPING_TOOLS)[number];

/** The equivalent checks of other tools, by tool, where one exists (the `mappings` of DESIGN.md's contract). */
export type CheckMappings = { readonly [Tool in MappingTool]?: readonly string[] };

/** One catalog entry. Ids are stable and never reused. */
export interface CheckInfo {
  /** `BH-<AREA>-NNN`. */
  readonly id: string;
  readonly area: CheckArea;
  readonly title: string;
  /** The usual severity; a finding may differ, as the check's rationale says. */
  readonly severity: Severity;
  readonly rationale: string;
  readonly remediation: string;
  /** CIS Kubernetes Benchmark sections, NSA/CISA hardening guide, MITRE ATT&CK for containers techniques. */
  readonly references: readonly string[];
  readonly mappings: CheckMappings;
}

/** The object a finding is about. */
export interface ResourceRef {
  readonly kind: string;
  /** `''` for cluster-scoped objects; the Compose project for Compose services. */
  readonly namespace: string;
  readonly name: string;
}

export interface Finding {
  readonly check: string;
  readonly severity: Severity;
  readonly title: string;
  /** What is wrong with this resource, specifically. */
  readonly message: string;
  readonly resource: ResourceRef;
  /** The offending value (or the object), as precise as the check can make it. */
  readonly location: SourceRef;
}

/** A path inside an object's document. */
export type ValuePath = readonly (string | number)[];

/**
 * Any object of the input as read (Kubernetes manifests of every kind, Compose services), for checks that look at
 * fields the reachability model does not keep. `value` is the object as parsed, read-only.
 */
export interface ObjectRecord {
  readonly kind: string;
  readonly apiVersion: string;
  /** `default` for namespaced objects without one, `''` for cluster-scoped kinds. */
  readonly namespace: string;
  readonly name: string;
  readonly value: Readonly<Record<string, unknown>>;
  /** metadata.annotations (Kubernetes) or labels (Compose): where inline suppressions are written. */
  readonly annotations: Readonly<Record<string, string>>;
  readonly source: SourceRef;
}

/** Where a value of an object is; provided by the adapter that read the object (positions are not core data). */
export type Locate = (object: ObjectRecord, path: ValuePath) => SourceRef;

/** What every check gets. `model()` builds the connectivity model on first use and then shares it. */
export interface AuditContext {
  readonly cluster: Cluster;
  readonly objects: readonly ObjectRecord[];
  readonly locate: Locate;
  readonly model: () => Connectivity;
  readonly options: ConnectivityOptions;
  readonly settings: AuditSettings;
}

/** Settings checks read (from `.bulkhead.yaml`); every field has a default. */
export interface AuditSettings {
  /** Image registries considered trusted (host names, e.g. `registry.example.com`); empty: the check is off. */
  readonly allowedRegistries: readonly string[];
  /** A workload reaching more than this share of the cluster's workloads is a lateral-movement finding. */
  readonly lateralMovementShare: number;
  /** Namespaces whose workloads are sensitive (cross-namespace reachability into them is reported). */
  readonly sensitiveNamespaces: readonly string[];
}

export const DEFAULT_SETTINGS: AuditSettings = {
  allowedRegistries: [],
  lateralMovementShare: 0.5,
  sensitiveNamespaces: ['kube-system'],
};

/** A check: its catalog entry and a pure function from the input to findings. */
export interface Check {
  readonly info: CheckInfo;
  readonly run: (context: AuditContext) => readonly Finding[];
}
