// Property test: explain's per-pair evaluator agrees with the connectivity engine on random clusters (with
// NetworkPolicies and admin-tier policies), and its segments tile the port space of every direction.

import fc from 'fast-check';
import { describe, it } from 'vitest';
import { Connectivity, type ConnectivityOptions } from '../../src/core/engine/connectivity.js';
import { Explainer, type DirectionExplanation, type Endpoint } from '../../src/core/engine/explain.js';
import type { Cluster } from '../../src/core/model/cluster.js';
import { ConnSet, PROTOCOLS, PortSet } from '../../src/core/model/port-set.js';
import { clusterArb, optionsArb } from './arbitraries.js';

const NUM_RUNS = 400;

/** The segments of a direction cover the scope exactly once, and the allowed ones make up `allowed`. */
function checkTiling(d: DirectionExplanation, scope: ConnSet, where: string): void {
  for (const protocol of PROTOCOLS) {
    let covered = PortSet.EMPTY;
    let allowed = PortSet.EMPTY;
    for (const s of d.segments) {
      if (s.protocol !== protocol) continue;
      if (!covered.intersect(s.ports).isEmpty()) throw new Error(`${where}: ${protocol} segments overlap`);
      covered = covered.union(s.ports);
      if (s.decision.verdict === 'allowed') allowed = allowed.union(s.ports);
    }
    if (!covered.equals(scope.get(protocol))) throw new Error(`${where}: ${protocol} segments do not tile`);
    if (!allowed.equals(d.allowed.get(protocol))) throw new Error(`${where}: ${protocol} allowed differs`);
  }
}

function check(cluster: Cluster, options: ConnectivityOptions): void {
  const model = Connectivity.build(cluster, options);
  const explainer = new Explainer(cluster, options);
  const n = cluster.workloads.length;
  const compare = (src: Endpoint, dst: Endpoint, expected: ConnSet, where: string): void => {
    const pair = explainer.pair(src, dst);
    if (!pair.allowed.equals(expected))
      throw new Error(
        `${where} (${options.ipBlockPods}/${options.hostNetworkPods ?? '-'}): explain ${pair.allowed.toString()}, engine ${expected.toString()}`,
      );
    if (pair.egress !== undefined) checkTiling(pair.egress, ConnSet.ALL, `${where} egress`);
    if (pair.ingress !== undefined) checkTiling(pair.ingress, ConnSet.ALL, `${where} ingress`);
  };
  for (let s = 0; s < n; s++)
    for (let d = 0; d < n; d++) {
      if (s === d) continue;
      compare(
        { kind: 'workload', index: s },
        { kind: 'workload', index: d },
        model.between(s, d),
        `${cluster.workloads[s]!.id} => ${cluster.workloads[d]!.id}`,
      );
    }
  model.sourceExternals.forEach((range, e) => {
    for (let d = 0; d < n; d++)
      for (const at of [range.first, range.last])
        compare(
          { kind: 'external', first: at, last: at },
          { kind: 'workload', index: d },
          model.fromExternal(e, d),
          `${range.id} => ${cluster.workloads[d]!.id}`,
        );
  });
  model.destinationExternals.forEach((range, e) => {
    for (let s = 0; s < n; s++)
      for (const at of [range.first, range.last])
        compare(
          { kind: 'workload', index: s },
          { kind: 'external', first: at, last: at },
          model.toExternal(s, e),
          `${cluster.workloads[s]!.id} => ${range.id}`,
        );
  });
}

describe('explain vs connectivity engine', () => {
  it(`agrees on every pair and external range end, with admin tiers (${NUM_RUNS} random clusters)`, () => {
    fc.assert(
      fc.property(clusterArb, optionsArb, (cluster, options) => check(cluster, options)),
      { numRuns: NUM_RUNS },
    );
  });
});
