// Property test: the connectivity engine agrees with the naive reference evaluator on random clusters with
// NetworkPolicies and admin-tier (admin and baseline) policies.
//
// On every ordered workload pair, every external range (at both ends), every protocol and every probe port, in
// every option mode. Engine bugs make this fail: a failure prints the seed and a shrunk counterexample.

import fc from 'fast-check';
import { describe, it } from 'vitest';
import { AddressSet, V6_OFFSET, formatAddress, parseCidr } from '../../src/core/model/address-set.js';
import type { Cluster } from '../../src/core/model/cluster.js';
import { PROTOCOLS, type Protocol } from '../../src/core/model/port-set.js';
import { Connectivity, type ConnectivityOptions } from '../../src/core/engine/connectivity.js';
import {
  allowed,
  external,
  workload,
  type Endpoint,
  type ReferenceOptions,
} from '../reference/naive-evaluator.js';
import { clusterArb, optionsArb, probePorts } from './arbitraries.js';

const NUM_RUNS = 800;

// ---- the comparison ----

function describeEndpoint(cluster: Cluster, e: Endpoint): string {
  return e.kind === 'workload'
    ? `${cluster.workloads[e.index]!.id} (#${e.index})`
    : `${formatAddress(e.address)}[External]`;
}

function fail(cluster: Cluster, options: ConnectivityOptions, what: string): never {
  const opts = `{ipBlockPods: ${options.ipBlockPods}${options.hostNetworkPods === undefined ? '' : `, hostNetworkPods: ${options.hostNetworkPods}`}${options.podCidrs === undefined ? '' : `, podCidrs: ${options.podCidrs.intervals.map((i) => `${formatAddress(i.first)}-${formatAddress(i.last)}`).join(' ')}`}}`;
  throw new Error(
    `${what} with options ${opts} in a cluster of ${cluster.workloads.length} workloads, ${cluster.networkPolicies.length} NetworkPolicies and ${cluster.adminPolicies.length} admin-tier policies`,
  );
}

/** Throws on the first disagreement between the engine and the reference. */
function checkAgreement(cluster: Cluster, options: ConnectivityOptions): void {
  const model = Connectivity.build(cluster, options);
  // The same options, spelled out field by field so the reference never depends on the engine's types.
  const reference: ReferenceOptions = {
    ipBlockPods: options.ipBlockPods,
    ...(options.hostNetworkPods !== undefined ? { hostNetworkPods: options.hostNetworkPods } : {}),
    ...(options.podCidrs !== undefined ? { podCidrs: options.podCidrs } : {}),
  };
  const ports = probePorts(cluster);
  const n = cluster.workloads.length;
  const compare = (
    engineAllows: (protocol: Protocol, port: number) => boolean,
    ends: readonly (readonly [Endpoint, Endpoint])[],
  ): void => {
    for (const protocol of PROTOCOLS) {
      for (const port of ports) {
        const expected = engineAllows(protocol, port);
        for (const [src, dst] of ends) {
          const actual = allowed(cluster, src, dst, protocol, port, reference);
          if (actual !== expected) {
            fail(
              cluster,
              options,
              `${describeEndpoint(cluster, src)} => ${describeEndpoint(cluster, dst)} ${protocol}/${port}: engine says ${expected ? 'allowed' : 'denied'}, reference ${actual ? 'allowed' : 'denied'}`,
            );
          }
        }
      }
    }
  };
  for (let s = 0; s < n; s++) {
    for (let d = 0; d < n; d++) {
      if (s === d) continue;
      const conns = model.between(s, d);
      compare((protocol, port) => conns.allows(protocol, port), [[workload(s), workload(d)]]);
    }
  }
  // External ranges: each must lie wholly inside or outside every block, so both ends give the engine's answer.
  model.sourceExternals.forEach((range, e) => {
    for (let d = 0; d < n; d++) {
      const conns = model.fromExternal(e, d);
      compare(
        (protocol, port) => conns.allows(protocol, port),
        [
          [external(range.first), workload(d)],
          [external(range.last), workload(d)],
        ],
      );
    }
  });
  model.destinationExternals.forEach((range, e) => {
    for (let s = 0; s < n; s++) {
      const conns = model.toExternal(s, e);
      compare(
        (protocol, port) => conns.allows(protocol, port),
        [
          [workload(s), external(range.first)],
          [workload(s), external(range.last)],
        ],
      );
    }
  });
}

/** The external ranges of a side tile the address space from 0 without gaps or overlaps. */
function checkRangesTile(cluster: Cluster, options: ConnectivityOptions): void {
  const model = Connectivity.build(cluster, options);
  for (const [side, ranges] of [
    ['source', model.sourceExternals],
    ['destination', model.destinationExternals],
  ] as const) {
    let next = 0n;
    for (const r of ranges) {
      if (r.first !== next || r.last < r.first)
        fail(cluster, options, `${side} external ranges do not tile the address space at ${r.id}`);
      next = r.last + 1n;
    }
    if (next !== V6_OFFSET && next !== AddressSet.ALL.intervals[0]!.last + 1n)
      fail(cluster, options, `${side} external ranges end at ${formatAddress(next - 1n)}`);
  }
}

describe('connectivity engine vs naive reference', () => {
  it(`agrees on every pair, external range end, protocol and probe port (${NUM_RUNS} random clusters)`, () => {
    fc.assert(
      fc.property(clusterArb, optionsArb, (cluster, options) => {
        checkRangesTile(cluster, options);
        checkAgreement(cluster, options);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('agrees in every option mode on the same clusters', () => {
    const podCidrs = parseCidr('10.0.0.0/8')!.set.union(parseCidr('fd00::/64')!.set);
    const modes: ConnectivityOptions[] = [
      { ipBlockPods: 'match' },
      { ipBlockPods: 'ignore' },
      { ipBlockPods: 'match', podCidrs },
      { ipBlockPods: 'ignore', podCidrs: parseCidr('10.0.0.0/16')!.set },
      { ipBlockPods: 'match', hostNetworkPods: 'pod' },
      { ipBlockPods: 'ignore', hostNetworkPods: 'node', podCidrs },
    ];
    fc.assert(
      fc.property(clusterArb, (cluster) => {
        for (const options of modes) checkAgreement(cluster, options);
      }),
      { numRuns: 150 },
    );
  });
});
