// Property test: what the agent keeps in the kernel across container starts and stops (stablePlan) decides every
// packet as the freshly compiled plan does, and never holds two overlapping elements in one set.
//
// Random clusters get their workloads' addresses from a small block, so that neighbours merge into ranges; then a
// random sequence of steps runs a random subset of the workloads (containers stopping, starting again with the same
// address, others taking their place) under a random subset of the policies (edits that add and remove allowances). At every step the kept plan must equal the desired plan on every pair of
// block addresses (running, stopped or never used), every external probe, protocol and port.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressSet, formatAddress, parseAddress, parseCidr } from '../../src/core/model/address-set.js';
import type { Cluster } from '../../src/core/model/cluster.js';
import { PROTOCOLS } from '../../src/core/model/port-set.js';
import { Connectivity } from '../../src/core/engine/connectivity.js';
import { compilePlan, PROTOCOL_NUMBERS, type EnforcementPlan } from '../../src/core/nft/plan.js';
import { PlanLookup } from '../../src/core/nft/plan-lookup.js';
import { stablePlan } from '../../src/core/nft/stable-plan.js';
import { clusterArb, probePorts } from './arbitraries.js';

const NUM_RUNS = 250;
const V4_BLOCK = parseAddress('10.0.0.1')!;
const V6_BLOCK = parseAddress('fd00::1')!;
const MANAGED = parseCidr('10.0.0.0/24')!.set.union(parseCidr('fd00::/120')!.set);

/** The cluster with every workload's addresses moved into the block: workload i gets 10.0.0.(1+i), maybe fd00::(1+i). */
function packed(cluster: Cluster): Cluster {
  return {
    ...cluster,
    workloads: cluster.workloads.map((w, i) => ({
      ...w,
      ips:
        w.ips.length === 0
          ? []
          : w.ips.length === 1
            ? [V4_BLOCK + BigInt(i)]
            : [V4_BLOCK + BigInt(i), V6_BLOCK + BigInt(i)],
    })),
  };
}

function desiredPlan(cluster: Cluster): EnforcementPlan {
  const model = Connectivity.build(cluster, { ipBlockPods: 'match' });
  return compilePlan(model, { managed: MANAGED, policies: cluster.networkPolicies });
}

function overlapping(
  a: { src: { first: bigint; last: bigint }; dst: { first: bigint; last: bigint } },
  b: typeof a,
): boolean {
  return (
    a.src.first <= b.src.last &&
    b.src.first <= a.src.last &&
    a.dst.first <= b.dst.last &&
    b.dst.first <= a.dst.last
  );
}

function checkStep(
  kept: EnforcementPlan,
  desired: EnforcementPlan,
  probes: readonly bigint[],
  ports: readonly number[],
): void {
  const keptLookup = new PlanLookup(kept);
  const desiredLookup = new PlanLookup(desired);
  for (const src of probes)
    for (const dst of probes) {
      if (src === dst || src < 1n << 32n !== dst < 1n << 32n) continue;
      for (const protocol of PROTOCOLS)
        for (const port of ports) {
          const expected = desiredLookup.allows(src, dst, PROTOCOL_NUMBERS[protocol], port);
          const actual = keptLookup.allows(src, dst, PROTOCOL_NUMBERS[protocol], port);
          if (actual !== expected)
            throw new Error(
              `${formatAddress(src)} => ${formatAddress(dst)} ${protocol}/${port}: desired ${expected ? 'allows' : 'denies'}, kept ${actual ? 'allows' : 'denies'}`,
            );
        }
      // Protocols without ports match the any-elements only.
      if (keptLookup.allows(src, dst, 1) !== desiredLookup.allows(src, dst, 1))
        throw new Error(`${formatAddress(src)} => ${formatAddress(dst)} ICMP differs`);
    }
  // The kernel refuses an element that overlaps another of its set.
  for (const direction of [kept.egress, kept.ingress]) {
    direction.any.forEach((a, i) => {
      for (const b of direction.any.slice(i + 1)) expect(overlapping(a, b)).toBe(false);
    });
    direction.ports.forEach((a, i) => {
      for (const b of direction.ports.slice(i + 1))
        if (a.protocol === b.protocol && a.first <= b.last && b.first <= a.last)
          expect(overlapping(a, b)).toBe(false);
    });
  }
  // Dead addresses are managed and have no workload: the desired plan denies them too.
  const dead = kept.dead ?? AddressSet.EMPTY;
  expect(dead.subtract(desired.managed).isEmpty()).toBe(true);
  expect(dead.intersect(desired.owned).isEmpty()).toBe(true);
}

describe('stablePlan across container starts and stops', () => {
  it(`decides as the desired plan at every step, with no overlapping elements (${NUM_RUNS} random clusters)`, () => {
    fc.assert(
      fc.property(
        clusterArb,
        fc.array(fc.integer({ min: 0, max: 0x7fffffff }), { minLength: 1, maxLength: 5 }),
        (raw, masks) => {
          const full = packed(raw);
          const ports = probePorts(full);
          const block = full.workloads.flatMap((w) => w.ips);
          // Every block address in use at some step, their neighbours, and addresses outside the block.
          const probes = [
            ...new Set([
              ...block,
              ...block.map((a) => a + 1n),
              V4_BLOCK - 1n,
              parseAddress('10.0.1.1')!,
              parseAddress('192.168.1.10')!,
              parseAddress('8.8.8.8')!,
              parseAddress('fd00::1:0:0:5')!,
            ]),
          ];
          let kernel = desiredPlan(full);
          for (const mask of [...masks, 0x7fffffff]) {
            // Low bits: which workloads run; high bits: which policies apply (a policy edit between events).
            const running = {
              ...full,
              workloads: full.workloads.filter((_, i) => ((mask >> (i % 16)) & 1) === 1),
              networkPolicies: full.networkPolicies.filter((_, i) => ((mask >> (16 + (i % 15))) & 1) === 1),
            };
            const desired = desiredPlan(running);
            kernel = stablePlan(kernel, desired);
            checkStep(kernel, desired, probes, ports);
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('keeps the range a stopped container was part of, and drops its address instead', () => {
    const a = (last: number): bigint => parseAddress(`10.0.0.${last}`)!;
    const plan = (addresses: bigint[]): EnforcementPlan => ({
      managed: MANAGED,
      owned: AddressSet.of(addresses.map((x) => ({ first: x, last: x }))),
      egress: { open: [], any: [], ports: [] },
      ingress: {
        open: [],
        any: [],
        ports: AddressSet.of(addresses.map((x) => ({ first: x, last: x }))).intervals.map((dst) => ({
          src: { first: a(100), last: a(100) },
          dst,
          protocol: 6,
          first: 80,
          last: 80,
        })),
      },
      diagnostics: [],
    });
    const three = plan([a(1), a(2), a(3)]);
    const stopped = stablePlan(three, plan([a(1), a(2)]));
    expect(stopped.ingress.ports).toEqual(three.ingress.ports);
    expect(stopped.dead?.intervals).toEqual([{ first: a(3), last: a(3) }]);
    // Started again next to them: the range is still the kernel's; nothing new to add.
    const again = stablePlan(stopped, plan([a(1), a(2), a(3)]));
    expect(again.ingress.ports).toEqual(three.ingress.ports);
    expect(again.dead).toBeUndefined();
    // A fourth one: only its own element is added.
    const four = stablePlan(again, plan([a(1), a(2), a(3), a(4)]));
    expect(four.ingress.ports.map((e) => [e.dst.first, e.dst.last])).toEqual([
      [a(1), a(3)],
      [a(4), a(4)],
    ]);
  });
});
