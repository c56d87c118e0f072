// The reachability graph of an audit report: workloads by namespace, allowed connections, exposed workloads.

import type { Connectivity } from '../engine/connectivity.js';
import type { ConnSet } from '../model/port-set.js';
import type { CheckInfo, Finding } from './types.js';

/** Id of the node that stands for every address outside the cluster. */
export const EXTERNAL_NODE_ID = 'external';
/** Id of the node that stands for the ingress controller (Ingress and Route objects). */
export const INGRESS_NODE_ID = 'ingress-controller';

export interface GraphNode {
  readonly id: string;
  /** `''` for the external and ingress-controller nodes. */
  readonly namespace: string;
  readonly name: string;
  readonly kind: string;
  /** Why the node counts as exposed (empty: not exposed); exposed workloads are drawn in red. */
  readonly exposedBy: readonly string[];
}

export interface GraphEdge {
  readonly src: string;
  readonly dst: string;
  /** The connlist grammar: `All Connections`, `TCP 80,UDP 53`. */
  readonly conn: string;
}

export interface ReachGraph {
  /** Namespaces in name order, each with its workload ids in name order. */
  readonly namespaces: readonly { readonly name: string; readonly nodes: readonly string[] }[];
  /** Workloads, then the external and ingress-controller nodes where some edge uses them. */
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  /** Workloads and edges in the model, before the limits below cut them. */
  readonly totalWorkloads: number;
  readonly totalEdges: number;
}

export interface GraphLimits {
  /** At most this many workloads (exposed ones first, then by namespace and name). */
  readonly maxNodes: number;
  /** At most this many edges (from outside first, then across namespaces, then within). */
  readonly maxEdges: number;
}

export const DEFAULT_GRAPH_LIMITS: GraphLimits = { maxNodes: 250, maxEdges: 600 };

/**
 * Builds the graph from the connectivity model. A workload is exposed when some external range or the ingress
 * controller reaches it, or when an exposure-area finding names it. Pure and deterministic.
 */
export function buildReachGraph(
  model: Connectivity,
  findings: readonly Finding[],
  checks: readonly CheckInfo[],
  limits: GraphLimits = DEFAULT_GRAPH_LIMITS,
): ReachGraph {
  const exposureChecks = new Set(checks.filter((c) => c.area === 'exposure').map((c) => c.id));
  const flagged = new Map<string, string[]>();
  for (const f of findings) {
    if (!exposureChecks.has(f.check) && !f.check.startsWith('BH-NET-')) continue;
    const key = `${f.resource.kind}\u0000${f.resource.namespace}\u0000${f.resource.name}`;
    const list = flagged.get(key) ?? [];
    if (!list.includes(f.check)) list.push(f.check);
    flagged.set(key, list);
  }

  const workloads = model.workloads;
  const ingressExposed = new Set(model.ingressExposedWorkloads);
  const exposure = workloads.map((w, i) => {
    const reasons: string[] = [];
    if (model.sourceExternals.some((_, e) => !model.fromExternal(e, i).isEmpty()))
      reasons.push('reachable from outside the cluster');
    if (ingressExposed.has(i) && !model.fromIngressController(i).isEmpty())
      reasons.push('exposed by an Ingress or Route');
    reasons.push(...(flagged.get(`${w.kind}\u0000${w.namespace}\u0000${w.name}`) ?? []));
    return reasons;
  });

  const order = workloads
    .map((_, i) => i)
    .sort(
      (a, b) =>
        Number(exposure[b]!.length > 0) - Number(exposure[a]!.length > 0) ||
        compare(workloads[a]!.namespace, workloads[b]!.namespace) ||
        compare(workloads[a]!.name, workloads[b]!.name) ||
        compare(workloads[a]!.kind, workloads[b]!.kind),
    );
  const kept = order.slice(0, limits.maxNodes).sort((a, b) => compare(workloads[a]!.id, workloads[b]!.id));

  const edges: (GraphEdge & { rank: number })[] = [];
  let totalEdges = 0;
  const add = (src: string, dst: string, conn: ConnSet, rank: number): void => {
    if (conn.isEmpty()) return;
    totalEdges++;
    edges.push({ src, dst, conn: conn.toString(), rank });
  };
  for (const s of kept) {
    for (const d of kept) {
      if (s === d) continue;
      const rank = workloads[s]!.namespace === workloads[d]!.namespace ? 2 : 1;
      add(workloads[s]!.id, workloads[d]!.id, model.between(s, d), rank);
    }
  }
  for (const d of kept) {
    let fromOutside: ConnSet | undefined;
    for (let e = 0; e < model.sourceExternals.length; e++) {
      const conn = model.fromExternal(e, d);
      fromOutside = fromOutside === undefined ? conn : fromOutside.union(conn);
    }
    if (fromOutside !== undefined) add(EXTERNAL_NODE_ID, workloads[d]!.id, fromOutside, 0);
    if (ingressExposed.has(d)) add(INGRESS_NODE_ID, workloads[d]!.id, model.fromIngressController(d), 0);
  }
  for (const s of kept) {
    let toOutside: ConnSet | undefined;
    for (let e = 0; e < model.destinationExternals.length; e++) {
      const conn = model.toExternal(s, e);
      toOutside = toOutside === undefined ? conn : toOutside.union(conn);
    }
    if (toOutside !== undefined) add(workloads[s]!.id, EXTERNAL_NODE_ID, toOutside, 3);
  }
  const shown = edges
    .sort((a, b) => a.rank - b.rank || compare(a.src, b.src) || compare(a.dst, b.dst))
    .slice(0, limits.maxEdges)
    .map(({ src, dst, conn }) => ({ src, dst, conn }))
    .sort((a, b) => compare(a.src, b.src) || compare(a.dst, b.dst));

  const nodes: GraphNode[] = kept.map((i) => ({
    id: workloads[i]!.id,
    namespace: workloads[i]!.namespace,
    name: workloads[i]!.name,
    kind: workloads[i]!.kind,
    exposedBy: exposure[i]!,
  }));
  const used = new Set(shown.flatMap((e) => [e.src, e.dst]));
  if (used.has(EXTERNAL_NODE_ID))
    nodes.push({
      id: EXTERNAL_NODE_ID,
      namespace: '',
      name: 'external addresses',
      kind: 'External',
      exposedBy: [],
    });
  if (used.has(INGRESS_NODE_ID))
    nodes.push({
      id: INGRESS_NODE_ID,
      namespace: '',
      name: 'ingress controller',
      kind: 'Ingress',
      exposedBy: [],
    });

  const byNamespace = new Map<string, string[]>();
  for (const i of kept) {
    const w = workloads[i]!;
    byNamespace.set(w.namespace, [...(byNamespace.get(w.namespace) ?? []), w.id]);
  }
  const namespaces = [...byNamespace.keys()]
    .sort(compare)
    .map((name) => ({ name, nodes: byNamespace.get(name)! }));
  return { namespaces, nodes, edges: shown, totalWorkloads: workloads.length, totalEdges };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
