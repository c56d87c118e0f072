// Finds the workloads a selector pair matches without scanning the cluster: an inverted index from
// `key=value` and `key` to workloads, and the namespaces a namespace selector matches, memoized.

import type { Cluster, Workload } from '../model/cluster.js';
import { compileSelector, selectorKey, type LabelSelector } from '../model/labels.js';

export class WorkloadIndex {
  private readonly byLabel = new Map<string, number[]>();
  private readonly byKey = new Map<string, number[]>();
  private readonly byNamespace = new Map<string, number[]>();
  private readonly namespaceMatches = new Map<string, ReadonlySet<string>>();
  private readonly predicates = new Map<string, (labels: Readonly<Record<string, string>>) => boolean>();

  /** `hostNetworkApart`: hostNetwork workloads are never matched by a selector. */
  constructor(
    private readonly cluster: Cluster,
    private readonly hostNetworkApart: boolean,
  ) {
    cluster.workloads.forEach((w, i) => {
      push(this.byNamespace, w.namespace, i);
      for (const [k, v] of Object.entries(w.labels)) {
        push(this.byLabel, `${k}=${v}`, i);
        push(this.byKey, k, i);
      }
    });
  }

  get workloads(): readonly Workload[] {
    return this.cluster.workloads;
  }

  /** The compiled predicate of a selector, compiled once per distinct selector. */
  predicate(selector: LabelSelector): (labels: Readonly<Record<string, string>>) => boolean {
    const key = selectorKey(selector);
    let predicate = this.predicates.get(key);
    if (predicate === undefined) {
      predicate = compileSelector(selector);
      this.predicates.set(key, predicate);
    }
    return predicate;
  }

  /** Names of the namespaces whose labels a namespace selector matches. */
  namespacesMatching(selector: LabelSelector): ReadonlySet<string> {
    const key = selectorKey(selector);
    let names = this.namespaceMatches.get(key);
    if (names === undefined) {
      const predicate = this.predicate(selector);
      names = new Set(
        [...this.cluster.namespaces.values()].filter((ns) => predicate(ns.labels)).map((ns) => ns.name),
      );
      this.namespaceMatches.set(key, names);
    }
    return names;
  }

  /**
   * Indices of the workloads in `namespaces` (all namespaces when undefined) whose labels match `podSelector`
   * (every pod when undefined), in increasing order.
   */
  podsMatching(
    namespaces: ReadonlySet<string> | undefined,
    podSelector: LabelSelector | undefined,
  ): number[] {
    const workloads = this.cluster.workloads;
    const candidates = this.candidates(namespaces, podSelector);
    const predicate = podSelector === undefined ? undefined : this.predicate(podSelector);
    const out: number[] = [];
    for (const i of candidates) {
      const w = workloads[i]!;
      if (w.hostNetwork && this.hostNetworkApart) continue;
      if (namespaces !== undefined && !namespaces.has(w.namespace)) continue;
      if (predicate !== undefined && !predicate(w.labels)) continue;
      out.push(i);
    }
    // Candidates gathered from several index lists come unordered; callers rely on increasing order.
    return out.sort((a, b) => a - b);
  }

  /**
   * The smallest index list that surely holds every match: the pods of the selected namespaces, or of one `In` or
   * `Exists` requirement of the pod selector. Sizes are compared before any list is built.
   */
  private candidates(
    namespaces: ReadonlySet<string> | undefined,
    podSelector: LabelSelector | undefined,
  ): Iterable<number> {
    let bestSize = Number.POSITIVE_INFINITY;
    let best: (() => Iterable<number>) | undefined;
    const consider = (size: number, build: () => Iterable<number>): void => {
      if (size < bestSize) {
        bestSize = size;
        best = build;
      }
    };
    if (namespaces !== undefined) {
      let size = 0;
      for (const ns of namespaces) size += this.byNamespace.get(ns)?.length ?? 0;
      consider(size, () => {
        const out: number[] = [];
        for (const ns of namespaces) for (const i of this.byNamespace.get(ns) ?? []) out.push(i);
        return out;
      });
    }
    for (const r of podSelector?.requirements ?? []) {
      if (r.operator === 'In') {
        const lists = r.values.map((v) => this.byLabel.get(`${r.key}=${v}`) ?? []);
        consider(
          lists.reduce((sum, list) => sum + list.length, 0),
          () => (lists.length === 1 ? lists[0]! : new Set(lists.flat())),
        );
      } else if (r.operator === 'Exists') {
        const list = this.byKey.get(r.key) ?? [];
        consider(list.length, () => list);
      }
    }
    return best === undefined ? this.cluster.workloads.keys() : best();
  }
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
