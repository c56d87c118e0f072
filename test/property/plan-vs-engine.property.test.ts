// Property test: the compiled enforcement plan lets through exactly what the engine allows, on random clusters.
//
// The plan is what the nftables sets hold; PlanLookup decides a packet the way the ruleset's two checks do. For
// every ordered pair of addresses owned by workloads, every probe address of every external range at both ends,
// every protocol and probe port, the plan's answer must equal the engine's. This is the compiler's oracle; the
// end-to-end test checks the kernel against `bulkhead reach` with real traffic.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAddress } from '../../src/core/model/address-set.js';
import type { Cluster } from '../../src/core/model/cluster.js';
import { PROTOCOLS, type ConnSet } from '../../src/core/model/port-set.js';
import { Connectivity } from '../../src/core/engine/connectivity.js';
import { compilePlan, PROTOCOL_NUMBERS, type PortElement } from '../../src/core/nft/plan.js';
import { PlanLookup } from '../../src/core/nft/plan-lookup.js';
import { planElements, renderTable, SMALL_PORT_RANGE } from '../../src/core/nft/ruleset.js';
import { clusterArb, probePorts } from './arbitraries.js';

const NUM_RUNS = 400;

function check(cluster: Cluster): void {
  const model = Connectivity.build(cluster, { ipBlockPods: 'match' });
  const plan = compilePlan(model);
  const lookup = new PlanLookup(plan);
  const ports = probePorts(cluster);
  // The plan enforces one workload per address: the first that has it (the others get a SHARED_ADDRESS warning).
  const owner = new Map<bigint, number>();
  const anyWorkloadAddress = new Set<bigint>();
  cluster.workloads.forEach((w, i) => {
    for (const ip of w.ips) {
      anyWorkloadAddress.add(ip);
      if (!w.hostNetwork && !owner.has(ip)) owner.set(ip, i);
    }
  });
  const compare = (src: bigint, dst: bigint, conns: ConnSet, what: string): void => {
    if (src < 1n << 32n !== dst < 1n << 32n) return; // no packet crosses families
    for (const protocol of PROTOCOLS)
      for (const port of ports) {
        const expected = conns.allows(protocol, port);
        const actual = lookup.allows(src, dst, PROTOCOL_NUMBERS[protocol], port);
        if (actual !== expected)
          throw new Error(
            `${what} ${formatAddress(src)} => ${formatAddress(dst)} ${protocol}/${port}: engine ${expected ? 'allows' : 'denies'}, plan ${actual ? 'allows' : 'denies'}`,
          );
      }
  };
  for (const [srcIp, s] of owner)
    for (const [dstIp, d] of owner)
      if (s !== d)
        compare(
          srcIp,
          dstIp,
          model.between(s, d),
          `${cluster.workloads[s]!.id} => ${cluster.workloads[d]!.id}`,
        );
  // Probe addresses of an external range: its ends and middle, where no workload has them.
  const probes = (first: bigint, last: bigint): bigint[] =>
    [first, (first + last) / 2n, last].filter((a) => !anyWorkloadAddress.has(a));
  model.sourceExternals.forEach((range, e) => {
    for (const [dstIp, d] of owner)
      for (const a of probes(range.first, range.last))
        compare(a, dstIp, model.fromExternal(e, d), `${range.id} => ${cluster.workloads[d]!.id}`);
  });
  model.destinationExternals.forEach((range, e) => {
    for (const [srcIp, s] of owner)
      for (const a of probes(range.first, range.last))
        compare(srcIp, a, model.toExternal(s, e), `${cluster.workloads[s]!.id} => ${range.id}`);
  });
  // Elements never overlap within a set (the kernel refuses one that another contains): each renders once.
  const elements = planElements(plan);
  const total = [...elements.values()].reduce((sum, set) => sum + set.size, 0);
  // (A few ports between two single addresses are written one element per port, open addresses one by one.)
  const written = (e: PortElement): number =>
    e.src.first === e.src.last && e.dst.first === e.dst.last && e.last - e.first < SMALL_PORT_RANGE
      ? e.last - e.first + 1
      : 1;
  const addresses = (intervals: readonly { first: bigint; last: bigint }[]): number =>
    intervals.reduce((sum, i) => sum + Number(i.last - i.first + 1n), 0);
  expect(total).toBe(
    addresses(plan.egress.open) +
      addresses(plan.ingress.open) +
      plan.egress.any.length +
      plan.egress.ports.reduce((sum, e) => sum + written(e), 0) +
      plan.ingress.any.length +
      plan.ingress.ports.reduce((sum, e) => sum + written(e), 0) +
      plan.managed.intervals.length,
  );
  expect(renderTable('t', elements)).toContain('table inet t {');
}

describe('compiled enforcement plan vs engine', () => {
  it(`lets through exactly what the engine allows (${NUM_RUNS} random clusters)`, () => {
    fc.assert(
      fc.property(clusterArb, (cluster) => check(cluster)),
      { numRuns: NUM_RUNS },
    );
  });
});
