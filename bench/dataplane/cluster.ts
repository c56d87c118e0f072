// The cluster and the three rulesets of `npm run bench:dataplane`: a generated cluster with a probe namespace
// (client and server pods whose addresses carry the measured traffic), Bulkhead's compiled table, a conntrack-only
// table, and the same plan as a linear rule list; plus the element delta of one container start.

import { generateCluster, type Manifest, type ManifestList } from '../generate-cluster.js';
import { loadCluster } from '../../src/k8s/load-cluster.js';
import { Connectivity } from '../../src/core/engine/connectivity.js';
import {
  AddressSet,
  formatAddress,
  V6_OFFSET,
  type AddressInterval,
} from '../../src/core/model/address-set.js';
import type { Cluster, Workload } from '../../src/core/model/cluster.js';
import {
  compilePlan,
  PROTOCOL_NUMBERS,
  type AnyElement,
  type EnforcementPlan,
  type PortElement,
} from '../../src/core/nft/plan.js';
import { PlanLookup } from '../../src/core/nft/plan-lookup.js';
import { stablePlan } from '../../src/core/nft/stable-plan.js';
import {
  planElements,
  renderDelta,
  renderTable,
  SET_NAMES,
  type PlanElements,
} from '../../src/core/nft/ruleset.js';

/** The ports the client may open to the server: allowed by the client's egress and the server's ingress. */
export const PORTS = {
  iperf3: 5201,
  rate: 5001,
  rr: 5002,
  /** Allowed by the server's ingress only: the egress check must drop it. */
  ingressOnly: 5003,
  /** Allowed by the client's egress only: the ingress check must drop it. */
  egressOnly: 5004,
  /** Allowed by neither side. */
  denied: 5005,
  /**
   * The first port of a range allowed by both sides (RANGE_PORTS ports, more than SMALL_PORT_RANGE): new
   * connections to it are found in the interval sets, the slow path; the ports above are single or a few, found in
   * the hash sets.
   */
  rangeRate: 6000,
} as const;

/** How many ports the range starting at PORTS.rangeRate spans. */
export const RANGE_PORTS = 64;

export const PROBE_NAMESPACE = 'bulkhead-bench';
const CLIENT_ID = `${PROBE_NAMESPACE}/bench-client[Pod]`;
const SERVER_ID = `${PROBE_NAMESPACE}/bench-server[Pod]`;

/** Workload addresses are handed out in order from 10.100.0.1, as Docker does on one network. */
const ADDRESS_BASE = (10n << 24n) | (100n << 16n);
const ADDRESS_LIMIT = ADDRESS_BASE + 65_534n;
/** The workloads' network, managed as the agent manages a Docker network's subnet. */
const BENCH_SUBNET = AddressSet.of([{ first: ADDRESS_BASE, last: ADDRESS_BASE + 65_535n }]);

export interface ClusterSize {
  readonly workloads: number;
  readonly namespaces: number;
  readonly policies: number;
  readonly seed: number;
}

export interface BenchCluster {
  readonly cluster: Cluster;
  readonly model: Connectivity;
  readonly plan: EnforcementPlan;
  readonly elements: PlanElements;
  readonly client: bigint;
  readonly server: bigint;
  /** The next free address (where a new container would go). */
  readonly nextAddress: bigint;
  readonly addresses: number;
  /** Seconds spent in each step, for the report. */
  readonly timings: {
    readonly generateAndLoad: number;
    readonly build: number;
    readonly compile: number;
    readonly elements: number;
  };
}

const seconds = (from: number): number => (performance.now() - from) / 1000;

/** The probe namespace: a client and a server, default-deny both ways, and client → server on the bench ports. */
function probeManifests(): Manifest[] {
  const ns = PROBE_NAMESPACE;
  const tcp = (...ports: number[]): Manifest[] => ports.map((port) => ({ protocol: 'TCP', port }));
  const range: Manifest = {
    protocol: 'TCP',
    port: PORTS.rangeRate,
    endPort: PORTS.rangeRate + RANGE_PORTS - 1,
  };
  const pod = (name: string, ports: readonly number[]): Manifest => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      containers: [
        {
          name,
          image: 'bulkhead/bench-probe:1',
          ...(ports.length > 0 ? { ports: ports.map((containerPort) => ({ containerPort })) } : {}),
        },
      ],
    },
  });
  const policy = (name: string, spec: Manifest): Manifest => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: ns },
    spec,
  });
  const client = { matchLabels: { app: 'bench-client' } };
  const server = { matchLabels: { app: 'bench-server' } };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { purpose: 'benchmark' } } },
    pod('bench-client', []),
    pod('bench-server', [
      PORTS.iperf3,
      PORTS.rate,
      PORTS.rr,
      PORTS.ingressOnly,
      PORTS.egressOnly,
      PORTS.denied,
      PORTS.rangeRate,
    ]),
    policy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    policy('client-egress', {
      podSelector: client,
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ podSelector: server }],
          ports: [...tcp(PORTS.iperf3, PORTS.rate, PORTS.rr, PORTS.egressOnly), range],
        },
      ],
    }),
    policy('server-ingress', {
      podSelector: server,
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ podSelector: client }],
          ports: [...tcp(PORTS.iperf3, PORTS.rate, PORTS.rr, PORTS.ingressOnly), range],
        },
      ],
    }),
  ];
}

/**
 * Generates the cluster, adds the probes and gives every workload that is not on the host network one address:
 * the client 10.100.0.1, the generated workloads the next ones in order, the server the one after them. (The
 * generator's own pod addresses are replaced, so that the whole cluster lives on one network.)
 */
export function buildBenchCluster(size: ClusterSize): BenchCluster {
  let started = performance.now();
  const generated = generateCluster(size);
  const list: ManifestList = { ...generated, items: [...generated.items, ...probeManifests()] };
  const loaded = loadCluster([{ name: 'bench-cluster.json', text: JSON.stringify(list) }]);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0)
    throw new Error(`the generated cluster has errors: ${errors.map((d) => d.message).join('; ')}`);
  const generateAndLoad = seconds(started);

  let next = ADDRESS_BASE + 2n;
  const assigned = loaded.cluster.workloads.map((w): Workload => {
    if (w.id === CLIENT_ID) return { ...w, ips: [ADDRESS_BASE + 1n] };
    if (w.id === SERVER_ID || w.hostNetwork) return { ...w, ips: [] };
    return { ...w, ips: [next++] };
  });
  const server = next++;
  if (next > ADDRESS_LIMIT) throw new Error('more workloads than addresses in 10.100.0.0/16');
  const workloads = assigned.map((w) => (w.id === SERVER_ID ? { ...w, ips: [server] } : w));
  if (!workloads.some((w) => w.id === CLIENT_ID) || !workloads.some((w) => w.id === SERVER_ID))
    throw new Error('the probe pods are missing from the loaded cluster');
  const cluster: Cluster = { ...loaded.cluster, workloads };

  started = performance.now();
  const model = Connectivity.build(cluster, { ipBlockPods: 'match' });
  const build = seconds(started);
  started = performance.now();
  const plan = compilePlan(model, { managed: BENCH_SUBNET });
  const compile = seconds(started);
  started = performance.now();
  const elements = planElements(plan);
  const elementsSeconds = seconds(started);
  return {
    cluster,
    model,
    plan,
    elements,
    client: ADDRESS_BASE + 1n,
    server,
    nextAddress: next,
    addresses: Number(next - ADDRESS_BASE - 1n),
    timings: { generateAndLoad, build, compile, elements: elementsSeconds },
  };
}

/** Elements per set, and in all. */
export function elementCounts(elements: PlanElements): {
  readonly total: number;
  readonly bySet: Record<string, number>;
} {
  const bySet: Record<string, number> = {};
  let total = 0;
  for (const name of SET_NAMES) {
    const size = elements.get(name)?.size ?? 0;
    bySet[name] = size;
    total += size;
  }
  return { total, bySet };
}

export interface PlanCheck {
  readonly port: number;
  readonly expected: boolean;
  readonly plan: boolean;
}

/** What the compiled plan says about client → server on each bench port (PlanLookup decides as the kernel does). */
export function checkPlan(bench: BenchCluster): PlanCheck[] {
  const lookup = new PlanLookup(bench.plan);
  const allowed = new Set<number>([PORTS.iperf3, PORTS.rate, PORTS.rr, PORTS.rangeRate]);
  return Object.values(PORTS).map((port) => ({
    port,
    expected: allowed.has(port),
    plan: lookup.allows(bench.client, bench.server, PROTOCOL_NUMBERS.TCP, port),
  }));
}

// ---- rulesets -------------------------------------------------------------------------------------------------

export const BULKHEAD_TABLE = 'bulkhead';
export const CT_ONLY_TABLE = 'bh_ct_only';
export const LINEAR_TABLE = 'bh_linear';

/** Only the established/related accept that heads Bulkhead's chain: what conntrack alone costs. */
export function ctOnlyRuleset(): string {
  return [
    `table inet ${CT_ONLY_TABLE}`,
    `delete table inet ${CT_ONLY_TABLE}`,
    `table inet ${CT_ONLY_TABLE} {`,
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    '    ct state established,related accept',
    '  }',
    '}',
    '',
  ].join('\n');
}

export function bulkheadRuleset(elements: PlanElements): string {
  return renderTable(BULKHEAD_TABLE, elements);
}

export interface LinearRuleset {
  readonly text: string;
  /** Rules in the two lists (the forward chain's two jumps not counted). */
  readonly rules: number;
  readonly egressRules: number;
  readonly ingressRules: number;
}

const interval = (i: AddressInterval): string =>
  i.first === i.last ? formatAddress(i.first) : `${formatAddress(i.first)}-${formatAddress(i.last)}`;
const contains = (i: AddressInterval, address: bigint): boolean => address >= i.first && address <= i.last;

/**
 * The plan as an iptables-style list: one rule per plan element in two user chains (egress, ingress), each ending
 * with a drop per managed address range, and no established/related accept in front. Replies need conntrack in a
 * stateful list too, so `ct state established,related return` sits after the element rules, before the drops:
 * every packet, replies included, walks the whole list. The rules that let the probe's traffic through are put
 * last in their list, so the measured flow is the worst case of the list (the cost every reply and every denied
 * packet pays anyway).
 */
export function linearRuleset(bench: BenchCluster): LinearRuleset {
  const { plan, client, server } = bench;
  const family = (i: AddressInterval): 'ip' | 'ip6' => (i.first >= V6_OFFSET ? 'ip6' : 'ip');
  const anyRule = (e: AnyElement): string =>
    `${family(e.src)} saddr ${interval(e.src)} ${family(e.dst)} daddr ${interval(e.dst)} return`;
  const portRule = (e: PortElement): string => {
    const ports = e.first === e.last ? `${e.first}` : `${e.first}-${e.last}`;
    return `${family(e.src)} saddr ${interval(e.src)} ${family(e.dst)} daddr ${interval(e.dst)} meta l4proto ${e.protocol} th dport ${ports} return`;
  };
  const probe = (e: AnyElement): boolean => contains(e.src, client) && contains(e.dst, server);
  const list = (d: EnforcementPlan['egress'], side: 'saddr' | 'daddr'): string[] => {
    // An open address allows everything on its side: as the element from or to everything it stands for.
    const everything = (i: AddressInterval): AddressInterval =>
      i.first >= V6_OFFSET ? AddressSet.ALL_V6.intervals[0]! : AddressSet.ALL_V4.intervals[0]!;
    const rules = [
      ...d.open.map((i) => {
        const e = side === 'saddr' ? { src: i, dst: everything(i) } : { src: everything(i), dst: i };
        return { e, text: anyRule(e) };
      }),
      ...d.any.map((e) => ({ e, text: anyRule(e) })),
      ...d.ports.map((e) => ({ e, text: portRule(e) })),
    ];
    const ordered = [...rules.filter((r) => !probe(r.e)), ...rules.filter((r) => probe(r.e))].map(
      (r) => r.text,
    );
    ordered.push('ct state established,related return');
    for (const m of plan.managed.intervals) ordered.push(`${family(m)} ${side} ${interval(m)} drop`);
    return ordered;
  };
  const egress = list(plan.egress, 'saddr');
  const ingress = list(plan.ingress, 'daddr');
  const t = LINEAR_TABLE;
  const text = [
    `table inet ${t}`,
    `delete table inet ${t}`,
    `table inet ${t} {`,
    '  chain egress {',
    ...egress.map((r) => `    ${r}`),
    '  }',
    '  chain ingress {',
    ...ingress.map((r) => `    ${r}`),
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    '    jump egress',
    '    jump ingress',
    '  }',
    '}',
    '',
  ].join('\n');
  return {
    text,
    rules: egress.length + ingress.length,
    egressRules: egress.length,
    ingressRules: ingress.length,
  };
}

// ---- one container start --------------------------------------------------------------------------------------

export interface ContainerChange {
  /** The workload whose class the new container joins. */
  readonly joins: string;
  readonly address: string;
  readonly sameClass: boolean;
  /** Elements added by the start (the stop deletes them) and existing elements the start replaces. */
  readonly added: number;
  readonly removed: number;
  /** Engine build + plan + elements + delta for the changed cluster, from scratch (the compiler is not incremental). */
  readonly recomputeSeconds: number;
  /**
   * `renderDelta` transactions as the agent makes them: the start (without → with the container), the stop (its
   * address dropped as dead, the ranges kept), and then the same container starting and stopping again.
   */
  readonly start: string;
  readonly stop: string;
  readonly restart: string;
  readonly stopAgain: string;
}

/**
 * A new container at the next free address that joins the class of an existing workload (the first generated one
 * isolated in both directions, else in either): the cluster with it, compiled again, against the plan without it.
 */
export function containerStart(bench: BenchCluster): ContainerChange {
  const { cluster, model } = bench;
  const candidates = cluster.workloads
    .map((w, index) => ({ w, index }))
    .filter(({ w }) => w.ips.length > 0 && w.namespace !== PROBE_NAMESPACE);
  const pick =
    candidates.find(({ index }) => model.isEgressIsolated(index) && model.isIngressIsolated(index)) ??
    candidates.find(({ index }) => model.isEgressIsolated(index) || model.isIngressIsolated(index)) ??
    candidates[0];
  if (pick === undefined) throw new Error('no workload with an address to copy for the container change');
  const started = performance.now();
  const joined: Workload = {
    ...pick.w,
    id: `${pick.w.namespace}/bench-new-container[Pod]`,
    kind: 'Pod',
    name: 'bench-new-container',
    ips: [bench.nextAddress],
  };
  const changed: Cluster = { ...cluster, workloads: [...cluster.workloads, joined] };
  const changedModel = Connectivity.build(changed, { ipBlockPods: 'match' });
  // As the agent does it: what the kernel holds next comes from what it holds now (src/core/nft/stable-plan.ts).
  const startedPlan = stablePlan(bench.plan, compilePlan(changedModel, { managed: BENCH_SUBNET }));
  const after = planElements(startedPlan);
  const start = renderDelta(BULKHEAD_TABLE, bench.elements, after);
  const recomputeSeconds = seconds(started);
  const stoppedPlan = stablePlan(startedPlan, bench.plan);
  const stopped = planElements(stoppedPlan);
  const stop = renderDelta(BULKHEAD_TABLE, after, stopped);
  // Started again (same address) and stopped again: the kernel must come back to the stopped state, so that the
  // pairs can repeat.
  const again = planElements(stablePlan(stoppedPlan, startedPlan));
  const restart = renderDelta(BULKHEAD_TABLE, stopped, again);
  const stopAgain = renderDelta(BULKHEAD_TABLE, again, stopped);
  if (start === undefined || stop === undefined || restart === undefined || stopAgain === undefined)
    throw new Error('the container start changed no element');
  let added = 0;
  let removed = 0;
  for (const name of SET_NAMES) {
    const old = bench.elements.get(name) ?? new Set<string>();
    const now = after.get(name) ?? new Set<string>();
    for (const e of now) if (!old.has(e)) added++;
    for (const e of old) if (!now.has(e)) removed++;
  }
  return {
    joins: pick.w.id,
    address: formatAddress(bench.nextAddress),
    sameClass: changedModel.classOf(changed.workloads.length - 1) === changedModel.classOf(pick.index),
    added,
    removed,
    recomputeSeconds,
    start,
    stop,
    restart,
    stopAgain,
  };
}

export interface SingleElement {
  readonly set: string;
  readonly setSize: number;
  readonly add: string;
  readonly remove: string;
}

/**
 * One element added to and deleted from the largest port set, between two free addresses (nothing overlaps it): the
 * unit cost behind a container change, which adds and deletes such elements by the dozen.
 */
export function singleElement(bench: BenchCluster): SingleElement {
  const candidates = ['eg_port4', 'in_port4'] as const;
  const set = candidates.reduce((a, b) =>
    (bench.elements.get(a)?.size ?? 0) >= (bench.elements.get(b)?.size ?? 0) ? a : b,
  );
  const element = `${formatAddress(bench.nextAddress + 10n)} . ${formatAddress(bench.nextAddress + 11n)} . 6 . 9`;
  return {
    set,
    setSize: bench.elements.get(set)?.size ?? 0,
    add: `add element inet ${BULKHEAD_TABLE} ${set} { ${element} }\n`,
    remove: `delete element inet ${BULKHEAD_TABLE} ${set} { ${element} }\n`,
  };
}

/** Rules in a ruleset text: the lines inside `chain … { }` blocks other than their `type … hook …` line. */
export function countRules(text: string): number {
  let inChain = false;
  let rules = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (/^chain \S+ \{$/.test(line)) inChain = true;
    else if (line === '}') inChain = false;
    else if (inChain && line !== '' && !line.startsWith('type ')) rules++;
  }
  return rules;
}
