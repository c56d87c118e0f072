// The audit report's reachability graph: exposure from outside, from exposure findings, and the size limits.

import { describe, expect, it } from 'vitest';
import { loadStorefront } from '../../../test/browser/storefront.js';
import { Connectivity } from '../engine/connectivity.js';
import { EXTERNAL_NODE_ID, buildReachGraph } from './graph.js';
import type { CheckInfo, Finding } from './types.js';

async function storefrontModel(): Promise<Connectivity> {
  const { cluster } = await loadStorefront();
  return Connectivity.build(cluster, { ipBlockPods: 'match' });
}

describe('buildReachGraph', () => {
  it('groups workloads by namespace, adds the outside node, and marks what outside reaches', async () => {
    const graph = buildReachGraph(await storefrontModel(), [], []);
    expect(graph.namespaces.map((n) => n.name)).toEqual([
      'kube-system',
      'monitoring',
      'payments',
      'storefront',
    ]);
    const exposed = graph.nodes.filter((n) => n.exposedBy.length > 0).map((n) => n.id);
    expect(exposed).toEqual([
      'kube-system/coredns[Deployment]',
      'monitoring/prometheus[Deployment]',
      'storefront/web[Deployment]',
    ]);
    expect(graph.nodes.at(-1)!.id).toBe(EXTERNAL_NODE_ID);
    expect(graph.edges).toContainEqual({
      src: EXTERNAL_NODE_ID,
      dst: 'storefront/web[Deployment]',
      conn: 'TCP 8080',
    });
    expect(graph.edges).toContainEqual({
      src: 'storefront/web[Deployment]',
      dst: 'storefront/api[Deployment]',
      conn: 'TCP 8000',
    });
    expect(graph.edges.length).toBe(graph.totalEdges);
    expect(graph.totalWorkloads).toBe(8);
  });

  it('marks workloads named by exposure findings', async () => {
    const check: CheckInfo = {
      id: 'BH-NET-009',
      area: 'exposure',
      title: 't',
      severity: 'high',
      rationale: 'r',
      remediation: 'm',
      references: [],
      mappings: {},
    };
    const finding: Finding = {
      check: check.id,
      severity: 'high',
      title: 't',
      message: 'm',
      resource: { kind: 'StatefulSet', namespace: 'payments', name: 'ledger-db' },
      location: { file: 'x.yaml' },
    };
    const graph = buildReachGraph(await storefrontModel(), [finding], [check]);
    expect(graph.nodes.find((n) => n.id === 'payments/ledger-db[StatefulSet]')!.exposedBy).toEqual([
      'BH-NET-009',
    ]);
  });

  it('keeps exposed workloads and edges from outside first when cut', async () => {
    const graph = buildReachGraph(await storefrontModel(), [], [], { maxNodes: 3, maxEdges: 4 });
    expect(graph.nodes.filter((n) => n.namespace !== '').every((n) => n.exposedBy.length > 0)).toBe(true);
    expect(graph.edges).toHaveLength(4);
    expect(graph.totalEdges).toBeGreaterThan(4);
    expect(graph.edges.filter((e) => e.src === EXTERNAL_NODE_ID)).toHaveLength(3);
  });
});
