// Connectivity diff between two versions of one cluster: connections added, removed and changed.
//
// Semantics (those of np-guard netpol-analyzer's pkg/netpol/diff, checked against its 47 goldens):
// - Each version is its connection list (workload pairs, external range <-> workload, ingress controller ->
//   workload). Pairs are keyed by `src;dst`; connection sets are compared as sets (ConnSet.equals).
// - added: no connection in old, some in new; removed: the reverse; changed: both non-empty and different.
//   Unchanged pairs are not reported. A workload that exists in only one version (by id, among the cluster's
//   workloads; external ranges and the ingress controller never count) is named in `info`:
//   `workload <src> [and <dst>] added|removed`.
// - External ranges are split differently in each version (at the CIDRs its policies use). As np-guard does, both
//   versions' ranges are refined to their common disjoint pieces, each piece is compared on its own, and then
//   touching pieces with the same (workload, old, new) are merged back into maximal ranges (never across the
//   IPv4/IPv6 boundary). Where np-guard maps a piece only to the first overlapping range of a version, we compare
//   every address against every range holding it: the result is the pointwise diff, merged.
// - Order (as np-guard prints): changed, added, removed for pairs whose source is not the ingress controller,
//   then changed, added, removed for ingress-controller pairs; each group sorted by source, then destination.
// - Speed (`diffModels`): workloads in both versions are grouped by (old class, new class); two such joint classes
//   are compared once, and only the workload pairs of differing joint classes are listed, so a diff of two large
//   clusters costs about as much as one `reach --stats`, plus the size of its output.

import { formatAddress, V6_OFFSET } from '../model/address-set.js';
import { ConnSet } from '../model/port-set.js';
import type { Connectivity, ExternalRange, Row } from './connectivity.js';
import { ConnTable } from './conn-table.js';
import { compareStrings } from './connection-list.js';
import { INGRESS_CONTROLLER_ID } from './ingress-exposure.js';

/** One end of a connection: a workload id (or `{ingress-controller}`), or an external address range. */
export interface DiffEndpoint {
  readonly id: string;
  /** Present for an external range: its first and last address on the unified line (see address-set). */
  readonly range?: { readonly first: bigint; readonly last: bigint };
}

export interface SnapshotConnection {
  readonly src: DiffEndpoint;
  readonly dst: DiffEndpoint;
  readonly conn: ConnSet;
}

/** What the diff needs of one version: its workloads and its non-empty connections. */
export interface ConnectivitySnapshot {
  readonly workloadIds: readonly string[];
  readonly connections: readonly SnapshotConnection[];
}

export const DIFF_TYPES = ['changed', 'added', 'removed'] as const;
export type DiffType = (typeof DIFF_TYPES)[number];

export interface DiffEntry {
  readonly type: DiffType;
  readonly src: string;
  readonly dst: string;
  /** Connections in the old version (`ConnSet.NONE` when added). */
  readonly old: ConnSet;
  /** Connections in the new version (`ConnSet.NONE` when removed). */
  readonly new: ConnSet;
  /** `workload <id> [and <id>] added|removed` when an end exists in only one version. */
  readonly info?: string;
}

export interface ConnectivityDiff {
  /** In np-guard's order (see the file comment). */
  readonly entries: readonly DiffEntry[];
  /** Workload ids only in the new version, sorted. */
  readonly addedWorkloads: readonly string[];
  /** Workload ids only in the old version, sorted. */
  readonly removedWorkloads: readonly string[];
}

/** Which connections a snapshot holds (see `diffModels`); by default all of them. */
export interface SnapshotScope {
  /** Workload-to-workload pairs. */
  readonly workloadPairs: boolean;
  /** Whose connections with external ranges; all workloads when absent. */
  readonly externalsOf?: (workloadIndex: number) => boolean;
}

/** The connections of a built model, with the address ranges of external ends kept. */
export function snapshotOf(
  model: Connectivity,
  scope: SnapshotScope = { workloadPairs: true },
): ConnectivitySnapshot {
  const connections: SnapshotConnection[] = [];
  const workloads = model.workloads.map((w) => ({ id: w.id }));
  const sources = model.sourceExternals.map((r) => ({ id: r.id, range: { first: r.first, last: r.last } }));
  const destinations = model.destinationExternals.map((r) => ({
    id: r.id,
    range: { first: r.first, last: r.last },
  }));
  const push = (src: DiffEndpoint, dst: DiffEndpoint, conn: ConnSet): void => {
    if (!conn.isEmpty()) connections.push({ src, dst, conn });
  };
  const externals = scope.externalsOf ?? (() => true);
  for (let s = 0; s < workloads.length; s++) {
    if (scope.workloadPairs)
      for (let d = 0; d < workloads.length; d++)
        if (s !== d) push(workloads[s]!, workloads[d]!, model.between(s, d));
    if (externals(s)) destinations.forEach((range, e) => push(workloads[s]!, range, model.toExternal(s, e)));
  }
  sources.forEach((range, e) => {
    for (let d = 0; d < workloads.length; d++)
      if (externals(d)) push(range, workloads[d]!, model.fromExternal(e, d));
  });
  const controller = { id: INGRESS_CONTROLLER_ID };
  for (const d of model.ingressExposedWorkloads)
    push(controller, workloads[d]!, model.fromIngressController(d));
  return { workloadIds: workloads.map((w) => w.id), connections };
}

interface Piece {
  readonly first: bigint;
  readonly last: bigint;
  readonly conn: ConnSet;
}

interface ExternalGroup {
  /** True when the external range is the source and `peer` the destination. */
  readonly externalIsSource: boolean;
  readonly peer: string;
  readonly old: Piece[];
  readonly new: Piece[];
}

/**
 * Compares two built models: workload pairs by joint classes; connections with external ranges by joint classes
 * too when both versions split the address space alike (else, and for workloads in one version only, through
 * snapshots and refined pieces); the ingress controller through snapshots.
 */
export function diffModels(oldModel: Connectivity, newModel: Connectivity): ConnectivityDiff {
  const joint = jointClasses(oldModel, newModel);
  const changes = workloadPairChanges(oldModel, newModel, joint);
  const alike =
    sameRanges(oldModel.sourceExternals, newModel.sourceExternals) &&
    sameRanges(oldModel.destinationExternals, newModel.destinationExternals);
  if (alike) changes.push(...externalChanges(oldModel, newModel, joint));
  const scope = (model: Connectivity, other: Connectivity): SnapshotScope => {
    const otherIds = new Set(other.workloads.map((w) => w.id));
    return { workloadPairs: false, externalsOf: (i) => !alike || !otherIds.has(model.workloads[i]!.id) };
  };
  return diffConnectivity(
    snapshotOf(oldModel, scope(oldModel, newModel)),
    snapshotOf(newModel, scope(newModel, oldModel)),
    changes,
  );
}

function sameRanges(a: readonly ExternalRange[], b: readonly ExternalRange[]): boolean {
  return a.length === b.length && a.every((r, i) => r.first === b[i]!.first && r.last === b[i]!.last);
}

/** Workloads in both versions, grouped by (old class, new class). */
interface JointClasses {
  /** Member workload indices in the old model (their new indices in `newMembers`, same order). */
  readonly oldMembers: readonly number[][];
  readonly newMembers: readonly number[][];
  readonly oldClass: readonly number[];
  readonly newClass: readonly number[];
  /** Whether old connection id and new connection id stand for equal sets (memoised). */
  readonly same: (oldId: number, newId: number) => boolean;
  /** For every old id so far, the new model's id of the same set, or -1. */
  readonly translateAll: () => Int32Array;
}

function jointClasses(oldModel: Connectivity, newModel: Connectivity): JointClasses {
  const newIndex = new Map(newModel.workloads.map((w, i) => [w.id, i]));
  const jointOf = new Map<string, number>();
  const oldMembers: number[][] = [];
  const newMembers: number[][] = [];
  const oldClass: number[] = [];
  const newClass: number[] = [];
  oldModel.workloads.forEach((w, o) => {
    const n = newIndex.get(w.id);
    if (n === undefined) return;
    const key = `${oldModel.classOf(o)} ${newModel.classOf(n)}`;
    let j = jointOf.get(key);
    if (j === undefined) {
      j = oldMembers.length;
      jointOf.set(key, j);
      oldMembers.push([]);
      newMembers.push([]);
      oldClass.push(oldModel.classOf(o));
      newClass.push(newModel.classOf(n));
    }
    oldMembers[j]!.push(o);
    newMembers[j]!.push(n);
  });
  // Old ids translated to the new model's id of the same set (-1: the new model has no such set; -2: not looked
  // up yet), so that comparing connections across the two models is one integer comparison.
  let translation = new Int32Array(64).fill(-2);
  const same = (oldId: number, newId: number): boolean => {
    if (oldId >= translation.length) {
      const grown = new Int32Array(Math.max(oldId + 1, translation.length * 2)).fill(-2);
      grown.set(translation);
      translation = grown;
    }
    let translated = translation[oldId]!;
    if (translated === -2) {
      translated = newModel.idOfConnection(oldModel.connectionOfId(oldId)) ?? -1;
      translation[oldId] = translated;
    }
    return translated === newId;
  };
  const translateAll = (): Int32Array => {
    for (let id = 0; id < oldModel.connectionCount; id++) same(id, -1);
    return translation;
  };
  return { oldMembers, newMembers, oldClass, newClass, same, translateAll };
}

/**
 * With the same external ranges in both versions, the connections of a joint class with each range are compared
 * by id; runs of touching ranges with the same (old, new) connections are merged, as `comparePieces` does, and
 * never across the IPv4/IPv6 boundary.
 */
function externalChanges(
  oldModel: Connectivity,
  newModel: Connectivity,
  joint: JointClasses,
): ComparedPair[] {
  const changes: ComparedPair[] = [];
  const sides = [
    { ranges: oldModel.destinationExternals, externalIsSource: false },
    { ranges: oldModel.sourceExternals, externalIsSource: true },
  ] as const;
  for (let j = 0; j < joint.oldMembers.length; j++) {
    const oc = joint.oldClass[j]!;
    const nc = joint.newClass[j]!;
    for (const { ranges, externalIsSource } of sides) {
      let run: { first: bigint; last: bigint; oldId: number; newId: number } | undefined;
      const flush = (): void => {
        if (run === undefined) return;
        const range = `${formatAddress(run.first)}-${formatAddress(run.last)}[External]`;
        const old = oldModel.connectionOfId(run.oldId);
        const next = newModel.connectionOfId(run.newId);
        for (const w of joint.oldMembers[j]!) {
          const id = oldModel.workloads[w]!.id;
          changes.push(
            externalIsSource
              ? { src: range, dst: id, old, new: next }
              : { src: id, dst: range, old, new: next },
          );
        }
        run = undefined;
      };
      ranges.forEach((range, e) => {
        const oldId = externalIsSource
          ? oldModel.externalToClassPairId(e, oc)
          : oldModel.classToExternalPairId(oc, e);
        const newId = externalIsSource
          ? newModel.externalToClassPairId(e, nc)
          : newModel.classToExternalPairId(nc, e);
        if (joint.same(oldId, newId)) {
          flush();
          return;
        }
        if (
          run !== undefined &&
          run.last + 1n === range.first &&
          range.first !== V6_OFFSET &&
          // Interned: within one model, equal ids are equal sets.
          run.oldId === oldId &&
          run.newId === newId
        ) {
          run.last = range.last;
          return;
        }
        flush();
        run = { first: range.first, last: range.last, oldId, newId };
      });
      flush();
    }
  }
  return changes;
}

interface ComparedPair {
  readonly src: string;
  readonly dst: string;
  readonly old: ConnSet;
  readonly new: ConnSet;
}

/**
 * Workload-to-workload pairs whose connections differ. Workloads in both versions fall into joint classes
 * (same class in the old model, same class in the new one): every pair of members of two joint classes has the
 * same old and the same new connections, so each pair of joint classes is compared once. Workloads in one version
 * only are compared pair by pair with everything in that version.
 */
function workloadPairChanges(
  oldModel: Connectivity,
  newModel: Connectivity,
  joint: JointClasses,
): ComparedPair[] {
  const changes: ComparedPair[] = [];
  const members = joint.oldMembers;
  const jointOld = joint.oldClass;
  const jointNew = joint.newClass;
  const same = joint.same;
  const newIndex = new Map(newModel.workloads.map((w, i) => [w.id, i]));
  const oldIndex = new Map(oldModel.workloads.map((w, i) => [w.id, i]));
  // The same short-circuits as Connectivity.stats, on the raw rows.
  const NONE = ConnTable.NONE_ID;
  const ALL = ConnTable.ALL_ID;
  const oldRows = oldModel.rowsForClassLoops();
  const newRows = newModel.rowsForClassLoops();
  const pairId = (
    rows: ReturnType<Connectivity['rowsForClassLoops']>,
    egress: Row | undefined,
    src: number,
    dst: number,
  ): number => {
    const e = egress === undefined ? ALL : egress[dst]!;
    if (e === NONE) return NONE;
    const ingress = rows.ingress[dst];
    const i = ingress === undefined ? ALL : ingress[src]!;
    return e === ALL ? i : i === ALL || e === i ? e : i === NONE ? NONE : rows.intersect(e, i);
  };
  // A pair of joint classes can only differ if the source's egress row or the destination's ingress row changed
  // (read in joint-class order): equal rows on both sides give equal intersections. Checking a row is a
  // sequential scan; only pairs touching a changed row are compared.
  const count = members.length;
  const jointOldIndex = Int32Array.from(jointOld);
  const jointNewIndex = Int32Array.from(jointNew);
  // Every id in a row is below the table size when the rows were built: translate them all once, so the scans
  // below are plain typed-array loops.
  const translated = joint.translateAll();
  /** True when row `oldRow` (old model) and `newRow` (new model) differ anywhere, read in joint-class order. */
  const rowChanged = (oldRow: Row | undefined, newRow: Row | undefined): boolean => {
    if (oldRow === undefined && newRow === undefined) return false;
    for (let b = 0; b < count; b++) {
      const o = oldRow === undefined ? ALL : oldRow[jointOldIndex[b]!]!;
      const n = newRow === undefined ? ALL : newRow[jointNewIndex[b]!]!;
      if (translated[o] !== n) return true;
    }
    return false;
  };
  const egressChanged = new Uint8Array(count);
  const ingressChanged = new Uint8Array(count);
  for (let a = 0; a < count; a++) {
    egressChanged[a] = rowChanged(oldRows.egress[jointOld[a]!], newRows.egress[jointNew[a]!]) ? 1 : 0;
    ingressChanged[a] = rowChanged(oldRows.ingress[jointOld[a]!], newRows.ingress[jointNew[a]!]) ? 1 : 0;
  }
  const changedDestinations: number[] = [];
  for (let b = 0; b < count; b++) if (ingressChanged[b] === 1) changedDestinations.push(b);
  const allDestinations = Array.from({ length: count }, (_, b) => b);
  for (let a = 0; a < count; a++) {
    const oa = jointOld[a]!;
    const na = jointNew[a]!;
    const oldEgress = oldRows.egress[oa];
    const newEgress = newRows.egress[na];
    for (const b of egressChanged[a] === 1 ? allDestinations : changedDestinations) {
      const oldId = pairId(oldRows, oldEgress, oa, jointOld[b]!);
      const newId = pairId(newRows, newEgress, na, jointNew[b]!);
      if (same(oldId, newId)) continue;
      const oldConn = oldModel.connectionOfId(oldId);
      const newConn = newModel.connectionOfId(newId);
      for (const s of members[a]!)
        for (const d of members[b]!)
          if (s !== d)
            changes.push({
              src: oldModel.workloads[s]!.id,
              dst: oldModel.workloads[d]!.id,
              old: oldConn,
              new: newConn,
            });
    }
  }
  // Workloads in one version only: every connection they have there is added or removed.
  const onlyIn = (model: Connectivity, other: ReadonlyMap<string, number>, side: 'old' | 'new'): void => {
    model.workloads.forEach((w, i) => {
      if (other.has(w.id)) return;
      model.workloads.forEach((v, j) => {
        if (i === j) return;
        for (const [s, d] of [
          [i, j],
          [j, i],
        ] as const) {
          // A pair of two such workloads is met twice; take it once, when `s` is the one-version workload.
          if (s !== i && !other.has(v.id)) continue;
          const conn = model.between(s, d);
          if (conn.isEmpty()) continue;
          const src = model.workloads[s]!.id;
          const dst = model.workloads[d]!.id;
          changes.push(
            side === 'old'
              ? { src, dst, old: conn, new: ConnSet.NONE }
              : { src, dst, old: ConnSet.NONE, new: conn },
          );
        }
      });
    });
  };
  onlyIn(oldModel, newIndex, 'old');
  onlyIn(newModel, oldIndex, 'new');
  return changes;
}

/**
 * Compares two versions. Pure; the result does not depend on the order of either connection list. `extraPairs`
 * are pairs already compared elsewhere (workload pairs of `diffModels`), taken as they are.
 */
export function diffConnectivity(
  oldSide: ConnectivitySnapshot,
  newSide: ConnectivitySnapshot,
  extraPairs: readonly ComparedPair[] = [],
): ConnectivityDiff {
  const pairs = new Map<string, { src: string; dst: string; old: ConnSet; new: ConnSet }>();
  const groups = new Map<string, ExternalGroup>();
  const add = (side: 'old' | 'new', c: SnapshotConnection): void => {
    const external = c.src.range ?? c.dst.range;
    if (external === undefined) {
      const key = `${c.src.id}\u0000${c.dst.id}`;
      let pair = pairs.get(key);
      if (pair === undefined) {
        pair = { src: c.src.id, dst: c.dst.id, old: ConnSet.NONE, new: ConnSet.NONE };
        pairs.set(key, pair);
      }
      pair[side] = pair[side].union(c.conn);
      return;
    }
    const externalIsSource = c.src.range !== undefined;
    const peer = externalIsSource ? c.dst.id : c.src.id;
    const key = `${externalIsSource ? '<' : '>'}${peer}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { externalIsSource, peer, old: [], new: [] };
      groups.set(key, group);
    }
    group[side].push({ first: external.first, last: external.last, conn: c.conn });
  };
  for (const c of oldSide.connections) add('old', c);
  for (const c of newSide.connections) add('new', c);

  const compared: ComparedPair[] = [...pairs.values(), ...extraPairs];
  for (const group of groups.values()) {
    for (const piece of comparePieces(group.old, group.new)) {
      const id = `${formatAddress(piece.first)}-${formatAddress(piece.last)}[External]`;
      compared.push({
        src: group.externalIsSource ? id : group.peer,
        dst: group.externalIsSource ? group.peer : id,
        old: piece.old,
        new: piece.new,
      });
    }
  }

  const oldIds = new Set(oldSide.workloadIds);
  const newIds = new Set(newSide.workloadIds);
  const entries: (DiffEntry & { readonly rank: number })[] = [];
  for (const c of compared) {
    let type: DiffType;
    if (c.old.isEmpty() && c.new.isEmpty()) continue;
    else if (c.old.isEmpty()) type = 'added';
    else if (c.new.isEmpty()) type = 'removed';
    else if (!c.old.equals(c.new)) type = 'changed';
    else continue;
    const info =
      type === 'changed'
        ? undefined
        : describeWorkloads(c.src, c.dst, type, type === 'added' ? oldIds : newIds);
    const rank = DIFF_TYPES.indexOf(type) + (c.src === INGRESS_CONTROLLER_ID ? DIFF_TYPES.length : 0);
    entries.push({
      type,
      src: c.src,
      dst: c.dst,
      old: c.old,
      new: c.new,
      rank,
      ...(info !== undefined ? { info } : {}),
    });
  }
  entries.sort((a, b) => a.rank - b.rank || compareStrings(a.src, b.src) || compareStrings(a.dst, b.dst));
  return {
    entries: entries.map(({ rank: _rank, ...entry }) => entry),
    addedWorkloads: [...newIds].filter((id) => !oldIds.has(id)).sort(compareStrings),
    removedWorkloads: [...oldIds].filter((id) => !newIds.has(id)).sort(compareStrings),
  };
}

/** True when the new version allows some connection the old one did not: an added entry, or a changed one that grew. */
export function opensConnections(diff: ConnectivityDiff): boolean {
  return diff.entries.some(
    (e) => e.type === 'added' || (e.type === 'changed' && !e.new.subtract(e.old).isEmpty()),
  );
}

/** np-guard's workloads-diff-info: the ends that are workloads missing from the other version. */
function describeWorkloads(
  src: string,
  dst: string,
  type: DiffType,
  other: ReadonlySet<string>,
): string | undefined {
  const isNewOrLost = (id: string): boolean =>
    id !== INGRESS_CONTROLLER_ID && !id.endsWith('[External]') && !other.has(id);
  const named = [src, dst].filter(isNewOrLost);
  return named.length === 0 ? undefined : `workload ${named.join(' and ')} ${type}`;
}

interface ComparedPiece {
  readonly first: bigint;
  readonly last: bigint;
  readonly old: ConnSet;
  readonly new: ConnSet;
}

/**
 * Refines the ranges of both versions to their common pieces, pairs each piece's old and new connections (none
 * where a version has no range holding it), drops pieces with no connection in either, and merges touching pieces
 * of one address family with equal (old, new) into maximal ranges.
 */
function comparePieces(oldPieces: readonly Piece[], newPieces: readonly Piece[]): ComparedPiece[] {
  const bounds = new Set<bigint>([V6_OFFSET]);
  for (const p of [...oldPieces, ...newPieces]) {
    bounds.add(p.first);
    bounds.add(p.last + 1n);
  }
  const sorted = [...bounds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const oldSweep = sweep(oldPieces);
  const newSweep = sweep(newPieces);
  const result: ComparedPiece[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const first = sorted[i]!;
    const last = sorted[i + 1]! - 1n;
    // Every bound of every piece is in `sorted`, so a piece holding `first` holds all of [first, last].
    const old = oldSweep(first);
    const next = newSweep(first);
    if (old.isEmpty() && next.isEmpty()) continue;
    const previous = result[result.length - 1];
    if (
      previous !== undefined &&
      previous.last + 1n === first &&
      first !== V6_OFFSET &&
      previous.old.equals(old) &&
      previous.new.equals(next)
    ) {
      result[result.length - 1] = { ...previous, last };
    } else {
      result.push({ first, last, old, new: next });
    }
  }
  return result;
}

/**
 * A cursor over `pieces` for increasing addresses: returns the union of the connections of the pieces holding the
 * address (one piece in a connection list, whose ranges of one side are disjoint; several are tolerated).
 */
function sweep(pieces: readonly Piece[]): (address: bigint) => ConnSet {
  const sorted = [...pieces].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  let next = 0;
  let active: Piece[] = [];
  return (address) => {
    while (next < sorted.length && sorted[next]!.first <= address) active.push(sorted[next++]!);
    active = active.filter((p) => p.last >= address);
    return active.reduce((conn, p) => conn.union(p.conn), ConnSet.NONE);
  };
}
