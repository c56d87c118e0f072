// The connectivity model: every ordered pair of workloads and external address ranges, computed once per
// equivalence class of workloads and queried many times.
//
// Workloads that no selector, named port or address block can tell apart behave identically, so the engine
// groups them into classes first. Per class and direction it builds one row: for every node (class or external
// range) the interned id of the connections that direction's policies allow. A pair's connections are the
// intersection of the source's egress row and the destination's ingress row:
// "for a connection from a source pod to a destination pod to be allowed, both the egress policy on the source
// pod and the ingress policy on the destination pod need to allow the connection."

import type { Cluster, Namespace, NetworkPolicy, Workload } from '../model/cluster.js';
import { AddressSet, V6_OFFSET, formatAddress, familyOf } from '../model/address-set.js';
import { selectorKey, type LabelSelector } from '../model/labels.js';
import type { PortSet } from '../model/port-set.js';
import { ConnSet, type Protocol } from '../model/port-set.js';
import {
  compareAdminPrecedence,
  type AdminAction,
  type AdminPolicy,
  type AdminRule,
} from '../policy/admin-policy.js';
import type { NetworkPolicyRule, PortMatch } from '../policy/network-policy.js';
import { resolvePorts } from '../policy/ports.js';
import { ConnTable } from './conn-table.js';
import { INGRESS_CONTROLLER_ID, INGRESS_CONTROLLER_NAMESPACE, ingressExposure } from './ingress-exposure.js';
import { WorkloadIndex } from './workload-index.js';

/**
 * How ipBlocks treat pods. `match`: a pod whose address is known is matched by an ipBlock that contains it, as
 * CNIs do; a pod whose address is unknown is matched by a block that covers the whole pod range of a family.
 * `ignore`: ipBlocks match only addresses outside the cluster (netpol-analyzer's choice).
 */
export type IpBlockPods = 'match' | 'ignore';

/**
 * How hostNetwork pods are treated. Kubernetes leaves it to the network plugin, allowing two behaviours:
 * `node`: "the network plugin cannot distinguish hostNetwork pod traffic ... and will ignore hostNetwork pods
 * when processing podSelector and namespaceSelector" (they are never selected, as subject or peer);
 * `pod`: the plugin "will apply podSelector/namespaceSelector to hostNetwork pods just like it does to
 * pod-network pods" (netpol-analyzer's model).
 */
export type HostNetworkPods = 'node' | 'pod';

export interface ConnectivityOptions {
  readonly ipBlockPods: IpBlockPods;
  /** Default: `node` with `ipBlockPods: 'match'`, `pod` with `'ignore'` (netpol-analyzer's model throughout). */
  readonly hostNetworkPods?: HostNetworkPods;
  /** The cluster's pod address ranges (`--pod-cidr`); absent: unknown pod addresses may be anywhere. */
  readonly podCidrs?: AddressSet;
}

/**
 * An external address range: one piece of the address space as split by the ipBlocks of one direction. Sources
 * are split by the blocks of ingress rules, destinations by those of egress rules (as netpol-analyzer does), each
 * at the first and one-past-last address of every interval of `cidr` minus `except`; adjacent ranges with the
 * same connectivity are not merged.
 */
export interface ExternalRange {
  /** `<first>-<last>[External]`. */
  readonly id: string;
  readonly first: bigint;
  readonly last: bigint;
}

/** Counts over the whole model, without listing pairs. */
export interface ConnectivityStats {
  readonly workloads: number;
  readonly classes: number;
  readonly externalRanges: number;
  readonly ingressIsolated: number;
  readonly egressIsolated: number;
  readonly isolatedBothWays: number;
  /** Ordered workload pairs (self-pairs excluded) with at least one allowed connection. */
  readonly allowedPairs: number;
  /** Ordered workload pairs with at least one port allowed, per protocol. */
  readonly allowedPairsByProtocol: Readonly<Record<Protocol, number>>;
  /** Ordered workload pairs where every port of every protocol is allowed. */
  readonly fullyOpenPairs: number;
  /** External range → workload and workload → external range pairs with at least one allowed connection. */
  readonly externalIngressPairs: number;
  readonly externalEgressPairs: number;
}

export class Connectivity {
  private constructor(
    readonly workloads: readonly Workload[],
    /** External ranges as sources of connections into the cluster. */
    readonly sourceExternals: readonly ExternalRange[],
    /** External ranges as destinations of connections out of the cluster. */
    readonly destinationExternals: readonly ExternalRange[],
    private readonly classOfWorkload: Int32Array,
    private readonly classSizes: Int32Array,
    private readonly ingressRows: ReadonlyArray<Row | undefined>,
    private readonly egressRows: ReadonlyArray<Row | undefined>,
    private readonly table: ConnTable,
    /** TCP ports per workload index that an Ingress or Route exposes (before NetworkPolicy). */
    private readonly ingressExposure: ReadonlyMap<number, PortSet>,
  ) {}

  /** How this model's classes were told apart, for `withWorkloads`; absent when the model has virtual workloads. */
  private membership: Membership | undefined;

  /** Builds the model. Pure: the same cluster and options always give the same model. */
  static build(cluster: Cluster, options: ConnectivityOptions): Connectivity {
    const exposure = ingressExposure(cluster);
    // The ingress controller is evaluated as one more (virtual) pod, after the real workloads.
    const modelled: Cluster =
      exposure.size === 0
        ? cluster
        : {
            ...cluster,
            workloads: [...cluster.workloads, INGRESS_CONTROLLER],
            namespaces: new Map([
              ...cluster.namespaces,
              [
                INGRESS_CONTROLLER_NAMESPACE,
                {
                  name: INGRESS_CONTROLLER_NAMESPACE,
                  labels: { 'kubernetes.io/metadata.name': INGRESS_CONTROLLER_NAMESPACE },
                },
              ],
            ]),
          };
    const virtual = modelled.workloads.length - cluster.workloads.length;
    const builder = new Builder(modelled, options, virtual);
    const model = builder.build((_, ...rest) => new Connectivity(cluster.workloads, ...rest, exposure));
    if (virtual === 0) {
      const classById = new Map<string, MemberClass>();
      cluster.workloads.forEach((w, i) => classById.set(w.id, { workload: w, cls: model.classOf(i) }));
      model.membership = {
        cluster,
        options,
        tiers: builder.tiers,
        ipv6: workloadsHaveIPv6(cluster.workloads),
        classBySignature: builder.classSignatures,
        classById,
      };
    }
    return model;
  }

  /**
   * The model of `cluster` when it differs from this model's cluster only in its workloads, and every workload that
   * is new or changed joins a class this model already has (a container started next to others of its kind, one
   * stopped, a replica scaled): the rows are reused as they are, and only the new workloads are matched against
   * the policies' selectors. Undefined when that does not hold (a policy, a namespace's labels, the address
   * families or a new kind of workload changed): build the model again. Equal to `Connectivity.build(cluster)` in
   * every answer, up to the numbering of classes, which stays this model's.
   */
  withWorkloads(cluster: Cluster): Connectivity | undefined {
    const membership = this.membership;
    if (membership === undefined || !sameRules(membership.cluster, cluster)) return undefined;
    // The options are the same, so the families are the same when the workloads' are (Builder.clusterHasIPv6).
    if (membership.ipv6 !== workloadsHaveIPv6(cluster.workloads)) return undefined;
    const classOfWorkload = new Int32Array(cluster.workloads.length);
    const classById = new Map<string, MemberClass>();
    const changed: number[] = [];
    cluster.workloads.forEach((w, i) => {
      const known = membership.classById.get(w.id);
      // The same object (the Docker mapping keeps unchanged containers' workloads), or one equal to it.
      if (known !== undefined && (known.workload === w || memberKey(known.workload) === memberKey(w))) {
        classOfWorkload[i] = known.cls;
        classById.set(w.id, known);
      } else changed.push(i);
    });
    if (changed.length > 0) {
      // The new workloads alone, matched against the same policies: features are numbered by the policies and
      // their rules, never by the workloads, so their signatures compare with this model's.
      // Their namespaces alone too: a namespace selector is then tried on a few namespaces, not on every one.
      const workloads = changed.map((i) => cluster.workloads[i]!);
      const namespaces = new Map<string, Namespace>();
      for (const w of workloads) {
        const namespace = cluster.namespaces.get(w.namespace);
        if (namespace !== undefined) namespaces.set(w.namespace, namespace);
      }
      const signatures = new Builder(
        { ...cluster, workloads, namespaces },
        membership.options,
        0,
        membership.tiers,
      ).workloadSignatures();
      for (let j = 0; j < changed.length; j++) {
        const cls = membership.classBySignature.get(signatures[j]!);
        if (cls === undefined) return undefined;
        const w = cluster.workloads[changed[j]!]!;
        classOfWorkload[changed[j]!] = cls;
        classById.set(w.id, { workload: w, cls });
      }
    }
    const classSizes = new Int32Array(this.classSizes.length);
    for (const cls of classOfWorkload) classSizes[cls]!++;
    const next = new Connectivity(
      cluster.workloads,
      this.sourceExternals,
      this.destinationExternals,
      classOfWorkload,
      classSizes,
      this.ingressRows,
      this.egressRows,
      this.table,
      this.ingressExposure,
    );
    next.membership = { ...membership, cluster, classById };
    return next;
  }

  get classCount(): number {
    return this.classSizes.length;
  }

  /** The class of the i-th workload. Rows are indexed by class ids, then external ranges of their side. */
  classOf(workloadIndex: number): number {
    return this.classOfWorkload[workloadIndex]!;
  }

  isIngressIsolated(workloadIndex: number): boolean {
    return this.ingressRows[this.classOfWorkload[workloadIndex]!] !== undefined;
  }

  isEgressIsolated(workloadIndex: number): boolean {
    return this.egressRows[this.classOfWorkload[workloadIndex]!] !== undefined;
  }

  /** Interned connections from class `src` to class `dst`: egress of the source ∩ ingress of the destination. */
  private classToClassId(src: number, dst: number): number {
    const egress = this.egressRows[src]?.[dst] ?? ConnTable.ALL_ID;
    const ingress = this.ingressRows[dst]?.[src] ?? ConnTable.ALL_ID;
    return this.table.intersect(egress, ingress);
  }

  /** External sources are not selected by any policy: only the destination's ingress decides. */
  private externalToClassId(external: number, dst: number): number {
    return this.ingressRows[dst]?.[this.classSizes.length + external] ?? ConnTable.ALL_ID;
  }

  /** External destinations are not selected by any policy: only the source's egress decides. */
  private classToExternalId(src: number, external: number): number {
    return this.egressRows[src]?.[this.classSizes.length + external] ?? ConnTable.ALL_ID;
  }

  /**
   * Interned id of the connections from class `src` to class `dst`. Ids are local to this model (see
   * `connectionOfId`); equal ids mean equal connections, so callers can compare whole classes cheaply.
   */
  classPairId(src: number, dst: number): number {
    return this.classToClassId(src, dst);
  }

  /**
   * The rows themselves, for class-level loops in this folder that must run at `stats()` speed (diff): per class,
   * its egress and ingress rows (undefined: everything allowed), and the table's intersection of ids.
   */
  rowsForClassLoops(): {
    readonly egress: ReadonlyArray<Row | undefined>;
    readonly ingress: ReadonlyArray<Row | undefined>;
    readonly intersect: (a: number, b: number) => number;
  } {
    return {
      egress: this.egressRows,
      ingress: this.ingressRows,
      intersect: (a, b) => this.table.intersect(a, b),
    };
  }

  /** Interned id of the connections from class `src` to destination external range `external`. */
  classToExternalPairId(src: number, external: number): number {
    return this.classToExternalId(src, external);
  }

  /** Interned id of the connections from source external range `external` to class `dst`. */
  externalToClassPairId(external: number, dst: number): number {
    return this.externalToClassId(external, dst);
  }

  /** How many connection sets this model has interned so far (ids are below it). */
  get connectionCount(): number {
    return this.table.size;
  }

  /** The id this model gives `set`, if it has it (to translate ids between two models). */
  idOfConnection(set: ConnSet): number | undefined {
    return this.table.lookup(set);
  }

  connectionOfId(id: number): ConnSet {
    return this.table.get(id);
  }

  /** Connections allowed from workload `src` to workload `dst` (indices into `workloads`). */
  between(src: number, dst: number): ConnSet {
    return this.table.get(this.classToClassId(this.classOfWorkload[src]!, this.classOfWorkload[dst]!));
  }

  /** Connections allowed from source external range `external` to workload `dst`. */
  fromExternal(external: number, dst: number): ConnSet {
    return this.table.get(this.externalToClassId(external, this.classOfWorkload[dst]!));
  }

  /** Workloads an Ingress or Route exposes, by index. */
  get ingressExposedWorkloads(): readonly number[] {
    return [...this.ingressExposure.keys()].sort((a, b) => a - b);
  }

  /**
   * Connections from the ingress controller to workload `dst`: the ports an Ingress or Route sends to it, as far
   * as the destination's ingress policies admit the controller pod.
   */
  fromIngressController(dst: number): ConnSet {
    const exposed = this.ingressExposure.get(dst);
    if (exposed === undefined) return ConnSet.NONE;
    const controller = this.workloads.length;
    const allowed = this.table.get(
      this.classToClassId(this.classOfWorkload[controller]!, this.classOfWorkload[dst]!),
    );
    return allowed.intersect(ConnSet.ports('TCP', exposed));
  }

  /** Connections allowed from workload `src` to destination external range `external`. */
  toExternal(src: number, external: number): ConnSet {
    return this.table.get(this.classToExternalId(this.classOfWorkload[src]!, external));
  }

  /**
   * For every workload, how many other workloads it can open at least one connection to. Counted per class pair
   * (members of a class reach the same workloads), in the same tiled loop as `stats()`.
   */
  reachableCounts(): Int32Array {
    const classes = this.classSizes.length;
    const sizes = this.classSizes;
    const NONE = ConnTable.NONE_ID;
    const ALL = ConnTable.ALL_ID;
    const perClass = new Int32Array(classes);
    const TILE = 256;
    for (let s0 = 0; s0 < classes; s0 += TILE) {
      const s1 = Math.min(classes, s0 + TILE);
      for (let d0 = 0; d0 < classes; d0 += TILE) {
        const d1 = Math.min(classes, d0 + TILE);
        for (let s = s0; s < s1; s++) {
          const egress = this.egressRows[s];
          let reached = 0;
          for (let d = d0; d < d1; d++) {
            const a = egress === undefined ? ALL : egress[d]!;
            if (a === NONE) continue;
            const ingress = this.ingressRows[d];
            const b = ingress === undefined ? ALL : ingress[s]!;
            if (b === NONE) continue;
            if (a !== ALL && b !== ALL && a !== b && this.table.intersect(a, b) === NONE) continue;
            reached += s === d ? sizes[d]! - 1 : sizes[d]!;
          }
          perClass[s] = perClass[s]! + reached;
        }
      }
    }
    return Int32Array.from(this.workloads, (_, i) => perClass[this.classOfWorkload[i]!]!);
  }

  stats(): ConnectivityStats {
    const classes = this.classSizes.length;
    const sizes = this.classSizes;
    const table = this.table;
    const NONE = ConnTable.NONE_ID;
    const ALL = ConnTable.ALL_ID;
    // Weight (number of ordered workload pairs) per connection id; the hot loop touches only typed arrays. It runs
    // in tiles so that the ingress rows read at column `s` stay in cache across the tile.
    let weights = new Float64Array(Math.max(64, table.size * 2));
    const TILE = 256;
    for (let s0 = 0; s0 < classes; s0 += TILE) {
      const s1 = Math.min(classes, s0 + TILE);
      for (let d0 = 0; d0 < classes; d0 += TILE) {
        const d1 = Math.min(classes, d0 + TILE);
        for (let s = s0; s < s1; s++) {
          const sizeS = sizes[s]!;
          const egress = this.egressRows[s];
          for (let d = d0; d < d1; d++) {
            const a = egress === undefined ? ALL : egress[d]!;
            if (a === NONE) continue;
            const ingress = this.ingressRows[d];
            const b = ingress === undefined ? ALL : ingress[s]!;
            if (b === NONE) continue;
            const id = a === ALL ? b : b === ALL || a === b ? a : table.intersect(a, b);
            if (id === NONE) continue;
            if (id >= weights.length) {
              const grown = new Float64Array(Math.max(id + 1, weights.length * 2));
              grown.set(weights);
              weights = grown;
            }
            weights[id] = weights[id]! + (s === d ? sizeS * (sizeS - 1) : sizeS * sizes[d]!);
          }
        }
      }
    }
    const byProtocol = { TCP: 0, UDP: 0, SCTP: 0 };
    let allowedPairs = 0;
    let fullyOpenPairs = 0;
    weights.forEach((weight, id) => {
      if (weight === 0) return;
      const set = table.get(id);
      allowedPairs += weight;
      if (!set.tcp.isEmpty()) byProtocol.TCP += weight;
      if (!set.udp.isEmpty()) byProtocol.UDP += weight;
      if (!set.sctp.isEmpty()) byProtocol.SCTP += weight;
      if (set.isAll()) fullyOpenPairs += weight;
    });
    let externalIngressPairs = 0;
    let externalEgressPairs = 0;
    for (let c = 0; c < classes; c++) {
      for (let e = 0; e < this.sourceExternals.length; e++) {
        if (this.externalToClassId(e, c) !== NONE) externalIngressPairs += sizes[c]!;
      }
      for (let e = 0; e < this.destinationExternals.length; e++) {
        if (this.classToExternalId(c, e) !== NONE) externalEgressPairs += sizes[c]!;
      }
    }
    let ingressIsolated = 0;
    let egressIsolated = 0;
    let isolatedBothWays = 0;
    for (let c = 0; c < classes; c++) {
      const inIso = this.ingressRows[c] !== undefined;
      const egIso = this.egressRows[c] !== undefined;
      if (inIso) ingressIsolated += sizes[c]!;
      if (egIso) egressIsolated += sizes[c]!;
      if (inIso && egIso) isolatedBothWays += sizes[c]!;
    }
    return {
      workloads: this.workloads.length,
      classes,
      externalRanges: this.sourceExternals.length + this.destinationExternals.length,
      ingressIsolated,
      egressIsolated,
      isolatedBothWays,
      allowedPairs,
      allowedPairsByProtocol: byProtocol,
      fullyOpenPairs,
      externalIngressPairs,
      externalEgressPairs,
    };
  }
}

/** The ingress controller pod: no labels, in a namespace of its own. */
const INGRESS_CONTROLLER: Workload = {
  id: INGRESS_CONTROLLER_ID,
  kind: 'IngressController',
  namespace: INGRESS_CONTROLLER_NAMESPACE,
  name: 'ingress-controller',
  labels: {},
  ports: [],
  ips: [],
  hostNetwork: false,
};

type Factory = (
  workloads: readonly Workload[],
  sourceExternals: readonly ExternalRange[],
  destinationExternals: readonly ExternalRange[],
  classOfWorkload: Int32Array,
  classSizes: Int32Array,
  ingressRows: ReadonlyArray<Row | undefined>,
  egressRows: ReadonlyArray<Row | undefined>,
  table: ConnTable,
) => Connectivity;

type Direction = 'ingress' | 'egress';

/** The matcher key of a normalized peer, computed once per peer (an update matches new workloads many times). */
const peerKeys = new WeakMap<EnginePeer, string>();

/** A row of connection-set ids, one per class and external range of its side. */
export type Row = Uint16Array | Int32Array;

/**
 * A peer as the engine sees it, whatever tier it comes from: pods by namespace and pod selector, addresses, or
 * nothing the manifests can name (admin `nodes` and `domainNames` peers).
 */
type EnginePeer =
  | {
      readonly kind: 'pods';
      /** A namespace name (NetworkPolicy peers without namespaceSelector), or a selector. */
      readonly namespaces: string | LabelSelector;
      readonly pods: LabelSelector | undefined;
    }
  | { readonly kind: 'addresses'; readonly addresses: AddressSet }
  | { readonly kind: 'none' };

/** A rule of any tier: NetworkPolicy rules always allow; admin and baseline rules allow, deny or pass. */
interface EngineRule {
  readonly action: AdminAction;
  readonly peers: readonly EnginePeer[] | 'any';
  readonly ports: readonly PortMatch[] | 'any';
}

/** A policy of any tier, normalized: who it applies to and its rules per direction (absent: not isolating). */
interface EnginePolicy {
  readonly subjectKey: string;
  readonly findSubject: (index: WorkloadIndex) => number[];
  readonly ingress: readonly EngineRule[] | undefined;
  readonly egress: readonly EngineRule[] | undefined;
}

/** The tiers, in evaluation order. */
interface Tiers {
  /** Docker's network isolation, before every written policy (see AdminTier). */
  readonly segmentation: readonly EnginePolicy[];
  readonly admin: readonly EnginePolicy[];
  readonly networkPolicy: readonly EnginePolicy[];
  readonly baseline: readonly EnginePolicy[];
}

/** One build of the model; holds the intermediate state so the steps stay small. */
class Builder {
  private readonly index: WorkloadIndex;
  private readonly table = new ConnTable();
  private readonly workloads: readonly Workload[];
  readonly tiers: Tiers;
  /** Workload indices matched by each distinct subject or peer, keyed by a canonical text. */
  private readonly matchers = new Map<
    string,
    { readonly feature: number; readonly workloads: readonly number[] }
  >();
  private readonly features: number[][];
  private readonly externals: Record<Direction, ExternalRange[]> = { ingress: [], egress: [] };
  /** For each workload and tier, the indices of the tier's policies that select it. */
  private readonly selectedBy: Record<keyof Tiers, number[][]>;
  private classOfWorkload = new Int32Array(0);
  private representatives: number[] = [];
  private readonly peerNodes = new Map<string, Int32Array>();
  private readonly referencedPortNames = new Set<string>();
  /** True when hostNetwork pods are neither selected nor told apart by selectors (`hostNetworkPods: 'node'`). */
  private readonly hostNetworkApart: boolean;

  /** The last `virtualWorkloads` workloads are modelled (the ingress controller), not counted as workloads. */
  constructor(
    private readonly cluster: Cluster,
    private readonly options: ConnectivityOptions,
    private readonly virtualWorkloads = 0,
    /** The policies of `cluster` already normalized (by a build with the same policies), or undefined. */
    tiers?: Tiers,
  ) {
    const hostNetworkPods = options.hostNetworkPods ?? (options.ipBlockPods === 'match' ? 'node' : 'pod');
    this.hostNetworkApart = hostNetworkPods === 'node';
    this.index = new WorkloadIndex(cluster, this.hostNetworkApart);
    this.workloads = cluster.workloads;
    this.features = this.workloads.map(() => []);
    this.selectedBy = {
      segmentation: this.workloads.map(() => []),
      admin: this.workloads.map(() => []),
      networkPolicy: this.workloads.map(() => []),
      baseline: this.workloads.map(() => []),
    };
    this.tiers = tiers ?? this.normalizeTiers();
  }

  build(factory: Factory): Connectivity {
    this.externals.ingress = this.splitExternalSpace('ingress');
    this.externals.egress = this.splitExternalSpace('egress');
    this.collectFeatures();
    const classSizes = this.formClasses();
    const classes = classSizes.length;
    const ingressRows: (Row | undefined)[] = new Array<Row | undefined>(classes);
    const egressRows: (Row | undefined)[] = new Array<Row | undefined>(classes);
    const ingressCache = new Map<string, Row>();
    const egressCache = new Map<string, Row>();
    for (let c = 0; c < classes; c++) {
      const w = this.representatives[c]!;
      ingressRows[c] = this.directionRow('ingress', w, ingressCache);
      egressRows[c] = this.directionRow('egress', w, egressCache);
    }
    return factory(
      this.workloads,
      this.externals.ingress,
      this.externals.egress,
      this.classOfWorkload,
      classSizes,
      ingressRows,
      egressRows,
      this.table,
    );
  }

  /**
   * Puts the policies of all tiers into one form, admin and baseline policies in evaluation order.
   */
  private normalizeTiers(): Tiers {
    const networkPolicy = this.cluster.networkPolicies.map((policy): EnginePolicy => ({
      subjectKey: `subject ${policy.namespace} ${selectorKey(policy.podSelector)}`,
      findSubject: (index) => index.podsMatching(new Set([policy.namespace]), policy.podSelector),
      ingress: policy.ingress?.map((rule) => this.normalizeNetworkPolicyRule(rule, policy)),
      egress: policy.egress?.map((rule) => this.normalizeNetworkPolicyRule(rule, policy)),
    }));
    const byPrecedence = (tier: AdminPolicy['tier']): AdminPolicy[] =>
      this.cluster.adminPolicies.filter((p) => p.tier === tier).sort(compareAdminPrecedence);
    const admin = byPrecedence('admin');
    const baseline = byPrecedence('baseline');
    return {
      segmentation: byPrecedence('segmentation').map((p) => this.normalizeAdminPolicy(p)),
      admin: admin.map((p) => this.normalizeAdminPolicy(p)),
      networkPolicy,
      baseline: baseline.map((p) => this.normalizeAdminPolicy(p)),
    };
  }

  /**
   * "If namespaceSelector is also set, then the NetworkPolicyPeer as a whole selects the Pods matching
   * PodSelector in the Namespaces selected by NamespaceSelector. Otherwise it selects the Pods matching
   * PodSelector in the policy's own Namespace."
   */
  private normalizeNetworkPolicyRule(rule: NetworkPolicyRule, policy: NetworkPolicy): EngineRule {
    return {
      action: 'allow',
      ports: rule.ports,
      peers:
        rule.peers === 'any'
          ? 'any'
          : rule.peers.map((peer): EnginePeer =>
              peer.kind === 'addresses'
                ? { kind: 'addresses', addresses: peer.addresses }
                : {
                    kind: 'pods',
                    namespaces: peer.namespaceSelector ?? policy.namespace,
                    pods: peer.podSelector,
                  },
            ),
    };
  }

  /** Admin subjects and peers select pods by namespace selector and (optionally) pod selector. */
  private normalizeAdminPolicy(policy: AdminPolicy): EnginePolicy {
    const subject = policy.subject;
    const podSelector = subject.kind === 'pods' ? subject.podSelector : undefined;
    const rules = (list: readonly AdminRule[]): EngineRule[] =>
      list.map((rule) => ({
        action: rule.action,
        ports: rule.ports,
        peers: rule.peers.map((peer): EnginePeer => {
          switch (peer.kind) {
            case 'namespaces':
              return { kind: 'pods', namespaces: peer.namespaceSelector, pods: undefined };
            case 'pods':
              return { kind: 'pods', namespaces: peer.namespaceSelector, pods: peer.podSelector };
            case 'networks':
              return { kind: 'addresses', addresses: peer.addresses };
            case 'nodes':
            case 'domains':
              // Nodes and domain names are not in the manifests: such a peer matches nothing we model.
              return { kind: 'none' };
          }
        }),
      }));
    return {
      subjectKey: `admin-subject ${selectorKey(subject.namespaceSelector)} ${podSelector === undefined ? 'any' : selectorKey(podSelector)}`,
      findSubject: (index) =>
        index.podsMatching(index.namespacesMatching(subject.namespaceSelector), podSelector),
      // An admin policy never isolates by itself: with no rules in a direction it simply matches nothing there.
      ingress: policy.ingress.length > 0 ? rules(policy.ingress) : undefined,
      egress: policy.egress.length > 0 ? rules(policy.egress) : undefined,
    };
  }

  private *allRules(): Generator<{ readonly rule: EngineRule; readonly direction: Direction }> {
    for (const tier of [
      this.tiers.segmentation,
      this.tiers.admin,
      this.tiers.networkPolicy,
      this.tiers.baseline,
    ]) {
      for (const policy of tier) {
        for (const rule of policy.ingress ?? []) yield { rule, direction: 'ingress' };
        for (const rule of policy.egress ?? []) yield { rule, direction: 'egress' };
      }
    }
  }

  /**
   * Splits the address space at the first and one-past-last address of every interval of every address peer
   * (ipBlock `cidr` minus `except`, admin `networks`) in rules of `direction`. Which families exist is a property
   * of the cluster, not of its policies: IPv4 always (`0.0.0.0-255.255.255.255` when no rule names addresses),
   * IPv6 when the cluster is IPv6 or dual-stack — a pod has an IPv6 address or a pod CIDR is IPv6. Rules naming
   * only the other family's addresses then match no external range.
   */
  private splitExternalSpace(direction: Direction): ExternalRange[] {
    const starts = new Set<bigint>([0n]);
    const v6 = this.clusterHasIPv6();
    for (const { rule, direction: ruleDirection } of this.allRules()) {
      if (ruleDirection !== direction || rule.peers === 'any') continue;
      for (const peer of rule.peers) {
        if (peer.kind !== 'addresses') continue;
        for (const interval of peer.addresses.intervals) {
          starts.add(interval.first);
          starts.add(interval.last + 1n);
        }
      }
    }
    const end = v6 ? AddressSet.ALL.intervals[0]!.last + 1n : V6_OFFSET;
    if (v6) starts.add(V6_OFFSET);
    const sorted = [...starts].filter((s) => s < end).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return sorted.map((first, i) => {
      const last = (sorted[i + 1] ?? end) - 1n;
      return { id: `${formatAddress(first)}-${formatAddress(last)}[External]`, first, last };
    });
  }

  private clusterHasIPv6(): boolean {
    return workloadsHaveIPv6(this.workloads) || (this.options.podCidrs?.overlaps(AddressSet.ALL_V6) ?? false);
  }

  /** Records, for every workload, which subjects and peers match it: the raw material of its class. */
  private collectFeatures(): void {
    for (const tier of ['segmentation', 'admin', 'networkPolicy', 'baseline'] as const) {
      this.tiers[tier].forEach((policy, p) => {
        for (const w of this.matcher(policy.subjectKey, () => policy.findSubject(this.index)))
          this.selectedBy[tier][w]!.push(p);
      });
    }
    for (const { rule } of this.allRules()) {
      if (rule.ports !== 'any') {
        for (const port of rule.ports) if (port.kind === 'named') this.referencedPortNames.add(port.name);
      }
      if (rule.peers === 'any') continue;
      for (const peer of rule.peers) {
        if (peer.kind === 'pods') {
          this.matcher(this.podPeerKey(peer), () => this.podPeerWorkloads(peer));
        } else if (peer.kind === 'addresses' && this.options.ipBlockPods === 'match') {
          this.matcher(this.addressesKey(peer), () => this.addressPeerWorkloads(peer.addresses));
        }
      }
    }
  }

  private matcher(key: string, find: () => number[]): readonly number[] {
    let entry = this.matchers.get(key);
    if (entry === undefined) {
      const feature = this.matchers.size;
      const workloads = find();
      for (const w of workloads) this.features[w]!.push(feature);
      entry = { feature, workloads };
      this.matchers.set(key, entry);
    }
    return entry.workloads;
  }

  private podPeerKey(peer: EnginePeer & { kind: 'pods' }): string {
    let key = peerKeys.get(peer);
    if (key === undefined) {
      const namespaces =
        typeof peer.namespaces === 'string'
          ? `own ${peer.namespaces}`
          : `sel ${selectorKey(peer.namespaces)}`;
      const pods = peer.pods === undefined ? 'any' : selectorKey(peer.pods);
      peerKeys.set(peer, (key = `pods ${namespaces} ${pods}`));
    }
    return key;
  }

  private addressesKey(peer: EnginePeer & { kind: 'addresses' }): string {
    let key = peerKeys.get(peer);
    if (key === undefined) peerKeys.set(peer, (key = `addresses ${peer.addresses.key()}`));
    return key;
  }

  private podPeerWorkloads(peer: EnginePeer & { kind: 'pods' }): number[] {
    const namespaces =
      typeof peer.namespaces === 'string'
        ? new Set([peer.namespaces])
        : this.index.namespacesMatching(peer.namespaces);
    return this.index.podsMatching(namespaces, peer.pods);
  }

  /** Workloads an ipBlock matches under `--ipblock-pods match`. */
  private addressPeerWorkloads(addresses: AddressSet): number[] {
    const matchesUnknown = this.coversPodRange(addresses);
    const out: number[] = [];
    this.workloads.forEach((w, i) => {
      if (w.ips.length > 0 ? w.ips.some((ip) => addresses.has(ip)) : matchesUnknown) out.push(i);
    });
    return out;
  }

  /**
   * Whether a block surely holds a pod whose address is unknown: it may be anywhere in its family's pod range, so
   * only a block covering all of it matches ("a Deny to 0.0.0.0/0 also denies pod-to-pod traffic").
   */
  private coversPodRange(addresses: AddressSet): boolean {
    for (const family of [AddressSet.ALL_V4, AddressSet.ALL_V6]) {
      const range = this.options.podCidrs === undefined ? family : this.options.podCidrs.intersect(family);
      if (!range.isEmpty() && addresses.covers(range)) return true;
    }
    return false;
  }

  /** The class of each signature, as formClasses made them (for Connectivity.withWorkloads). */
  readonly classSignatures = new Map<string, number>();

  /** Every workload's signature: what formClasses groups by (the features of a build with the same policies). */
  workloadSignatures(): string[] {
    this.collectFeatures();
    return this.workloads.map((w, i) => this.signature(w, i));
  }

  private signature(w: Workload, i: number): string {
    const firstVirtual = this.workloads.length - this.virtualWorkloads;
    // A virtual workload gets a class of its own, of size 0, so that it never counts as a workload.
    const kind = i >= firstVirtual ? `V${i}` : w.hostNetwork && this.hostNetworkApart ? 'H' : 'P';
    return `${kind}|${this.features[i]!.join(',')}|${this.namedPortsKey(w)}`;
  }

  /** Groups workloads with identical features, named ports and host networking into classes. */
  private formClasses(): Int32Array {
    const classBySignature = this.classSignatures;
    const sizes: number[] = [];
    this.classOfWorkload = new Int32Array(this.workloads.length);
    const firstVirtual = this.workloads.length - this.virtualWorkloads;
    this.workloads.forEach((w, i) => {
      const signature = this.signature(w, i);
      let c = classBySignature.get(signature);
      if (c === undefined) {
        c = sizes.length;
        classBySignature.set(signature, c);
        sizes.push(0);
        this.representatives.push(i);
      }
      if (i < firstVirtual) sizes[c]!++;
      this.classOfWorkload[i] = c;
    });
    return Int32Array.from(sizes);
  }

  /** The container ports whose names some rule references: the only ports that can tell workloads apart. */
  private namedPortsKey(w: Workload): string {
    if (this.referencedPortNames.size === 0) return '';
    return w.ports
      .filter((p) => p.name !== undefined && this.referencedPortNames.has(p.name))
      .map((p) => `${p.name}/${p.protocol}/${p.port}`)
      .sort()
      .join(',');
  }

  /** Row positions (classes, then external ranges of the peer's side) a peer of a `direction` rule matches. */
  private nodesOf(peer: EnginePeer, direction: Direction): Int32Array {
    if (peer.kind === 'none') return NO_NODES;
    const key = peer.kind === 'pods' ? this.podPeerKey(peer) : `${direction} ${this.addressesKey(peer)}`;
    let nodes = this.peerNodes.get(key);
    if (nodes !== undefined) return nodes;
    const out = new Set<number>();
    const classes = this.representatives.length;
    if (peer.kind === 'pods') {
      for (const w of this.matchers.get(key)!.workloads) out.add(this.classOfWorkload[w]!);
    } else {
      if (this.options.ipBlockPods === 'match') {
        for (const w of this.matchers.get(this.addressesKey(peer))!.workloads)
          out.add(this.classOfWorkload[w]!);
      }
      // External ranges are split at every block boundary, so each lies wholly inside or outside the block.
      this.externals[direction].forEach((range, i) => {
        if (peer.addresses.has(range.first)) out.add(classes + i);
      });
    }
    nodes = Int32Array.from(out);
    this.peerNodes.set(key, nodes);
    return nodes;
  }

  /**
   * The row of one direction for the class of workload `w`: undefined when no policy of any tier applies to it
   * in that direction (everything allowed).
   */
  private directionRow(direction: Direction, w: number, cache: Map<string, Row>): Row | undefined {
    const workload = this.workloads[w]!;
    if (workload.hostNetwork && this.hostNetworkApart) return undefined;
    const applying = (tier: keyof Tiers): number[] =>
      this.selectedBy[tier][w]!.filter((p) => this.tiers[tier][p]![direction] !== undefined);
    const segmentation = applying('segmentation');
    const admin = applying('admin');
    const networkPolicy = applying('networkPolicy');
    const baseline = applying('baseline');
    if (
      segmentation.length === 0 &&
      admin.length === 0 &&
      networkPolicy.length === 0 &&
      baseline.length === 0
    )
      return undefined;
    const key = `${segmentation.join(',')}|${admin.join(',')}|${networkPolicy.join(',')}|${baseline.join(',')}|${direction === 'ingress' ? this.namedPortsKey(workload) : ''}`;
    let row = cache.get(key);
    if (row !== undefined) return row;
    const nodes = this.representatives.length + this.externals[direction].length;
    const selected = {
      segmentation: segmentation.map((p) => this.tiers.segmentation[p]!),
      admin: admin.map((p) => this.tiers.admin[p]!),
      networkPolicy: networkPolicy.map((p) => this.tiers.networkPolicy[p]!),
      baseline: baseline.map((p) => this.tiers.baseline[p]!),
    };
    // Rows hold connection-set ids; there are rarely more than a few hundred distinct sets, so 16 bits halve the
    // memory of the model. Ids are below the table size, so a row filled while the table stays within 16 bits is
    // exact; otherwise it is filled again in 32 bits.
    row = new Uint16Array(nodes); // all NONE
    this.fillRow(direction, workload, selected, row);
    if (this.table.size > 0x10000) {
      row = new Int32Array(nodes);
      this.fillRow(direction, workload, selected, row);
    }
    cache.set(key, row);
    return row;
  }

  /**
   * Fills a row tier by tier, per DESIGN.md: Docker's network segmentation (a Deny is final, a Pass only ends that
   * policy's evaluation); the admin tier by priority, where the first matching rule decides ("Pass" hands the
   * connection to the next tiers); then NetworkPolicy, whose verdict is final for a pod it isolates; then the
   * baseline tier, first matching rule; then "default allow".
   */
  private fillRow(
    direction: Direction,
    workload: Workload,
    selected: Record<keyof Tiers, readonly EnginePolicy[]>,
    row: Row,
  ): void {
    const t = this.table;
    const NONE = ConnTable.NONE_ID;
    const ALL = ConnTable.ALL_ID;
    const nodes = row.length;
    const isolated = selected.networkPolicy.length > 0;
    if (selected.segmentation.length === 0 && selected.admin.length === 0 && selected.baseline.length === 0) {
      // NetworkPolicy alone: "the union of all selecting policies' rules" (every rule allows).
      for (const policy of selected.networkPolicy)
        for (const rule of policy[direction]!)
          this.visitRule(rule, direction, workload, nodes, (n, ports) => {
            row[n] = t.union(row[n]!, ports);
          });
      return;
    }
    // Admin tier: per node, the ports already decided (allowed or denied) and those passed on.
    const decided = new Int32Array(nodes);
    const allowed = new Int32Array(nodes);
    const passed = new Int32Array(nodes);
    // Segmentation: what a policy denies is decided for every later tier; what it passes is shielded only from
    // that policy's own later rules (a pass set of its own), and the written admin policies still see it.
    for (const policy of selected.segmentation)
      this.firstMatch([policy], direction, workload, nodes, {
        decided,
        allowed,
        passed: new Int32Array(nodes),
      });
    this.firstMatch(selected.admin, direction, workload, nodes, { decided, allowed, passed });
    // What the admin tier did not decide goes to NetworkPolicy, or, for a pod no NetworkPolicy isolates, to the
    // baseline tier: first matching rule, and what no rule matches is allowed.
    const later = new Int32Array(nodes);
    if (isolated) {
      for (const policy of selected.networkPolicy)
        for (const rule of policy[direction]!)
          this.visitRule(rule, direction, workload, nodes, (n, ports) => {
            later[n] = t.union(later[n]!, ports);
          });
    } else {
      const baselineDecided = new Int32Array(nodes);
      const baselineAllowed = new Int32Array(nodes);
      for (const policy of selected.baseline) {
        for (const rule of policy[direction]!) {
          this.visitRule(rule, direction, workload, nodes, (n, ports) => {
            const fresh = t.subtract(ports, baselineDecided[n]!);
            if (fresh === NONE) return;
            baselineDecided[n] = t.union(baselineDecided[n]!, fresh);
            if (rule.action === 'allow') baselineAllowed[n] = t.union(baselineAllowed[n]!, fresh);
          });
        }
      }
      for (let n = 0; n < nodes; n++)
        later[n] = t.union(baselineAllowed[n]!, t.subtract(ALL, baselineDecided[n]!));
    }
    for (let n = 0; n < nodes; n++) {
      row[n] = t.union(allowed[n]!, t.intersect(t.subtract(ALL, decided[n]!), later[n]!));
    }
  }

  /**
   * First-match evaluation of `policies` in order: per node, the ports a rule matches that no earlier rule decided
   * or passed get its verdict — Allow and Deny into `decided` (Allow also into `allowed`), Pass into `passed`,
   * which shields them from every later rule that shares that set.
   */
  private firstMatch(
    policies: readonly EnginePolicy[],
    direction: Direction,
    workload: Workload,
    nodes: number,
    into: { readonly decided: Int32Array; readonly allowed: Int32Array; readonly passed: Int32Array },
  ): void {
    const t = this.table;
    const { decided, allowed, passed } = into;
    for (const policy of policies) {
      for (const rule of policy[direction]!) {
        this.visitRule(rule, direction, workload, nodes, (n, ports) => {
          const fresh = t.subtract(t.subtract(ports, decided[n]!), passed[n]!);
          if (fresh === ConnTable.NONE_ID) return;
          if (rule.action === 'pass') passed[n] = t.union(passed[n]!, fresh);
          else {
            decided[n] = t.union(decided[n]!, fresh);
            if (rule.action === 'allow') allowed[n] = t.union(allowed[n]!, fresh);
          }
        });
      }
    }
  }

  /**
   * Calls `visit(node, ports)` for every node a rule's peers match, with the rule's ports as an interned set.
   * Named ports resolve against the destination: the row's own workload for ingress, each peer for egress.
   */
  private visitRule(
    rule: EngineRule,
    direction: Direction,
    workload: Workload,
    nodes: number,
    visit: (node: number, ports: number) => void,
  ): void {
    const hasNamed = rule.ports !== 'any' && rule.ports.some((p) => p.kind === 'named');
    const forEachNode = (each: (node: number) => void): void => {
      if (rule.peers === 'any') {
        for (let n = 0; n < nodes; n++) each(n);
        return;
      }
      for (const peer of rule.peers) for (const n of this.nodesOf(peer, direction)) each(n);
    };
    if (direction === 'ingress' || !hasNamed) {
      const ports = this.resolvePorts(rule.ports, direction === 'ingress' ? workload : undefined);
      if (ports !== ConnTable.NONE_ID) forEachNode((n) => visit(n, ports));
      return;
    }
    // "A named port ... resolves against the destination pod's container ports" - per destination.
    const resolved = new Map<number, number>();
    forEachNode((n) => {
      let ports = resolved.get(n);
      if (ports === undefined) {
        const destination =
          n < this.representatives.length ? this.workloads[this.representatives[n]!] : undefined;
        ports = this.resolvePorts(rule.ports, destination);
        resolved.set(n, ports);
      }
      if (ports !== ConnTable.NONE_ID) visit(n, ports);
    });
  }

  /** A rule's ports for `destination` (see `resolvePorts`), interned. */
  private resolvePorts(ports: readonly PortMatch[] | 'any', destination: Workload | undefined): number {
    return ports === 'any' ? ConnTable.ALL_ID : this.table.intern(resolvePorts(ports, destination));
  }
}

const NO_NODES = new Int32Array(0);

interface MemberClass {
  /** The workload the class was found for: one with another memberKey under the same id is matched again. */
  readonly workload: Workload;
  readonly cls: number;
}

interface Membership {
  readonly cluster: Cluster;
  readonly options: ConnectivityOptions;
  /** The policies as the build normalized them: the same for every update, which keeps the policies. */
  readonly tiers: Tiers;
  /** Whether the cluster's workloads have IPv6 addresses (workloadsHaveIPv6). */
  readonly ipv6: boolean;
  readonly classBySignature: ReadonlyMap<string, number>;
  readonly classById: ReadonlyMap<string, MemberClass>;
}

/** Everything of a workload that selectors, named ports, ipBlocks and host networking can see. */
function memberKey(w: Workload): string {
  return `${JSON.stringify([w.kind, w.namespace, w.labels, w.ports, w.hostNetwork])}${w.ips.join(',')}`;
}

/** The same policies of every tier, ingresses, services and namespace labels (namespaces may come and go). */
function sameRules(a: Cluster, b: Cluster): boolean {
  if (!sameValue(a.networkPolicies, b.networkPolicies) || !sameValue(a.adminPolicies, b.adminPolicies))
    return false;
  if (!sameValue(a.ingresses, b.ingresses) || !sameValue(a.services, b.services)) return false;
  for (const [name, namespace] of a.namespaces) {
    const other = b.namespaces.get(name);
    if (other !== undefined && !sameValue(other.labels, namespace.labels)) return false;
  }
  return true;
}

/**
 * Deep equality of parsed input: plain objects, arrays, address sets (compared field by field) and primitives. The
 * Docker inventory's generated policies are new objects at every read, equal in value when nothing changed.
 */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (Array.isArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  // Maps and sets keep their content out of their keys: equal only when they are the same object.
  if (a instanceof Map || a instanceof Set) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) =>
    sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}

/** Whether a workload has an IPv6 address: with the options, what decides the model's address families. */
function workloadsHaveIPv6(workloads: readonly Workload[]): boolean {
  return workloads.some((w) => w.ips.some((ip) => familyOf(ip) === 6));
}
