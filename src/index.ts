// Bulkhead's public API: load manifests, build the connectivity model, explain, diff and lint it, render. Everything else is internal.

export { run, type CliIo } from './cli/run.js';
export { loadCluster, type LoadResult } from './k8s/load-cluster.js';
export { readSources, type SourceFile } from './k8s/read-sources.js';
export {
  Connectivity,
  type ConnectivityOptions,
  type ConnectivityStats,
  type ExternalRange,
  type IpBlockPods,
} from './core/engine/connectivity.js';
export { listConnections, type ConnectionRow } from './core/engine/connection-list.js';
export { renderConnections, CONNECTION_FORMATS, type ConnectionFormat } from './report/connections.js';
export { renderDiagnostics } from './report/diagnostics.js';
export type { Diagnostic, DiagnosticSeverity, SourceRange, SourceRef } from './core/diagnostics.js';
export type {
  Cluster,
  Namespace,
  Workload,
  Service,
  NetworkPolicy,
  ContainerPort,
} from './core/model/cluster.js';
export { AddressSet, parseCidr, parseAddress, formatAddress } from './core/model/address-set.js';
export { ConnSet, PortSet, PROTOCOLS, type Protocol } from './core/model/port-set.js';
export {
  Explainer,
  explainPair,
  explainAllDenied,
  type PairExplanation,
  type ExplainOptions,
  type Endpoint,
} from './core/engine/explain.js';
export {
  diffModels,
  diffConnectivity,
  snapshotOf,
  opensConnections,
  type ConnectivityDiff,
  type DiffEntry,
} from './core/engine/diff.js';
export { lintCluster, LINT_CHECKS } from './core/lint/index.js';
export type {
  AdminPolicy,
  AdminRule,
  AdminPeer,
  AdminSubject,
  AdminTier,
  AdminAction,
} from './core/policy/admin-policy.js';
