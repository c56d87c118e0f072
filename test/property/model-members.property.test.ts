// Property test: a model updated for new workloads (Connectivity.withWorkloads: a container started or stopped on a
// host whose policies did not change) answers exactly as the model built from scratch, or declines.
//
// Random clusters and options; the next cluster keeps a random subset of the workloads and adds copies of random
// ones under new names, some with other addresses (which an ipBlock may match differently) or other labels (a new
// kind of workload: the update must decline or still be exact). Every connection list must be equal.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Cluster, Workload } from '../../src/core/model/cluster.js';
import { Connectivity } from '../../src/core/engine/connectivity.js';
import { listConnections } from '../../src/core/engine/connection-list.js';
import { clusterArb, optionsArb, POD_IPS } from './arbitraries.js';
import { parseAddress } from '../../src/core/model/address-set.js';

const NUM_RUNS = 300;

interface Copy {
  readonly of: number;
  readonly ip: number | undefined;
  readonly relabel: boolean;
}

const copyArb: fc.Arbitrary<Copy> = fc.record({
  of: fc.nat(),
  ip: fc.option(fc.nat({ max: POD_IPS.length - 1 }), { nil: undefined }),
  relabel: fc.boolean(),
});

function next(cluster: Cluster, keep: number, copies: readonly Copy[]): Cluster {
  const kept = cluster.workloads.filter((_, i) => ((keep >> (i % 30)) & 1) === 1);
  const added = copies.map((copy, n): Workload => {
    const w = cluster.workloads[copy.of % cluster.workloads.length]!;
    const ip = copy.ip === undefined ? undefined : parseAddress(POD_IPS[copy.ip]!);
    return {
      ...w,
      id: `${w.namespace}/copy${n}[Pod]`,
      name: `copy${n}`,
      ...(ip !== undefined && w.ips.length > 0 ? { ips: [ip] } : {}),
      ...(copy.relabel ? { labels: { ...w.labels, app: w.labels['app'] === 'a' ? 'b' : 'a' } } : {}),
    };
  });
  return { ...cluster, workloads: [...kept, ...added] };
}

describe('Connectivity.withWorkloads', () => {
  it(`equals a build from scratch whenever it answers (${NUM_RUNS} random clusters, three steps each)`, () => {
    let answered = 0;
    fc.assert(
      fc.property(
        clusterArb,
        optionsArb,
        fc.array(fc.tuple(fc.nat(), fc.array(copyArb, { maxLength: 4 })), { minLength: 1, maxLength: 3 }),
        (cluster, options, steps) => {
          let model = Connectivity.build(cluster, options);
          let current = cluster;
          for (const [keep, copies] of steps) {
            current = next(cluster, keep, copies);
            const fresh = Connectivity.build(current, options);
            const updated = model.withWorkloads(current);
            if (updated === undefined) {
              model = fresh;
              continue;
            }
            answered++;
            expect(listConnections(updated)).toEqual(listConnections(fresh));
            current.workloads.forEach((_, i) => {
              expect(updated.isIngressIsolated(i)).toBe(fresh.isIngressIsolated(i));
              expect(updated.isEgressIsolated(i)).toBe(fresh.isEgressIsolated(i));
            });
            model = updated;
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
    // The update must answer often enough for the comparison to mean something.
    expect(answered).toBeGreaterThan(NUM_RUNS / 2);
  });

  it('declines when a policy changed, and when a workload of a new kind appears', () => {
    const base: Cluster = {
      namespaces: new Map([
        ['default', { name: 'default', labels: { 'kubernetes.io/metadata.name': 'default' } }],
      ]),
      workloads: [pod('a', { app: 'a' }, '10.0.0.1'), pod('b', { app: 'b' }, '10.0.0.2')],
      services: [],
      ingresses: [],
      adminPolicies: [],
      networkPolicies: [
        {
          namespace: 'default',
          name: 'p',
          podSelector: { requirements: [{ key: 'app', operator: 'In', values: ['a'] }] },
          ingress: [],
        },
      ],
    };
    const model = Connectivity.build(base, { ipBlockPods: 'match' });
    const replica = { ...base, workloads: [...base.workloads, pod('a2', { app: 'a' }, '10.0.0.3')] };
    const updated = model.withWorkloads(replica);
    expect(updated).toBeDefined();
    expect(updated!.classOf(2)).toBe(updated!.classOf(0));
    expect(model.withWorkloads({ ...replica, networkPolicies: [] })).toBeUndefined();
    expect(
      model.withWorkloads({
        ...base,
        workloads: [...base.workloads, pod('c', { app: 'c', tier: 'x' }, '10.0.0.4')],
      }),
    ).toBeDefined();
    const selectingC = {
      ...base.networkPolicies[0]!,
      name: 'q',
      podSelector: { requirements: [{ key: 'app', operator: 'In' as const, values: ['c'] }] },
    };
    const withQ = Connectivity.build(
      { ...base, networkPolicies: [...base.networkPolicies, selectingC] },
      { ipBlockPods: 'match' },
    );
    expect(
      withQ.withWorkloads({
        ...base,
        networkPolicies: [...base.networkPolicies, selectingC],
        workloads: [...base.workloads, pod('c', { app: 'c' }, '10.0.0.4')],
      }),
    ).toBeUndefined();
  });
});

function pod(name: string, labels: Record<string, string>, ip: string): Workload {
  return {
    id: `default/${name}[Pod]`,
    kind: 'Pod',
    namespace: 'default',
    name,
    labels,
    ports: [],
    ips: [parseAddress(ip)!],
    hostNetwork: false,
  };
}
