// Property test: the class-level diff (diffModels) lists exactly what the pairwise diff of the two versions' full
// connection lists (diffConnectivity over snapshots) lists, on random pairs of versions of one cluster.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Connectivity } from '../../src/core/engine/connectivity.js';
import { diffConnectivity, diffModels, snapshotOf } from '../../src/core/engine/diff.js';
import type { Cluster } from '../../src/core/model/cluster.js';
import { clusterArb, optionsArb } from './arbitraries.js';

/**
 * A second version of `cluster`: some workloads dropped, policies dropped or taken from another random cluster,
 * so that versions share workloads (by id), differ in classes, and split external ranges differently or alike.
 */
const versionsArb = fc
  .record({
    old: clusterArb,
    donor: clusterArb,
    keepWorkload: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
    keepPolicy: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
    borrow: fc.boolean(),
  })
  .map(({ old, donor, keepWorkload, keepPolicy, borrow }) => {
    const next: Cluster = {
      ...old,
      workloads: old.workloads.filter((_, i) => keepWorkload[i] !== false),
      networkPolicies: [
        ...old.networkPolicies.filter((_, i) => keepPolicy[i] !== false),
        ...(borrow
          ? donor.networkPolicies
              .filter((p) => old.namespaces.has(p.namespace))
              .map((p, i) => ({ ...p, name: `donor${i}` }))
          : []),
      ],
      adminPolicies: borrow
        ? donor.adminPolicies.map((p, i) => ({ ...p, name: `donor${i}` }))
        : old.adminPolicies,
    };
    return { old, next };
  });

describe('diffModels', () => {
  it('agrees with the pairwise diff of the full connection lists', () => {
    fc.assert(
      fc.property(versionsArb, optionsArb, ({ old, next }, options) => {
        const oldModel = Connectivity.build(old, options);
        const newModel = Connectivity.build(next, options);
        const fast = diffModels(oldModel, newModel);
        const slow = diffConnectivity(snapshotOf(oldModel), snapshotOf(newModel));
        const text = (d: typeof fast): string[] =>
          d.entries.map(
            (e) => `${e.type} ${e.src} ${e.dst} ${e.old.toString()} ${e.new.toString()} ${e.info ?? ''}`,
          );
        expect(text(fast)).toEqual(text(slow));
        expect(fast.addedWorkloads).toEqual(slow.addedWorkloads);
        expect(fast.removedWorkloads).toEqual(slow.removedWorkloads);
      }),
      { numRuns: 300 },
    );
  });
});
