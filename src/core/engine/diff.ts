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

import { formatAddress, V6_OFFSET } from '../model/address-set.js';
import { ConnSet } from '../model/port-set.js';
import type { Connectivity } from './connectivity.js';
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

/** The connections of a built model, with the address ranges of external ends kept. */
export function snapshotOf(model: Connectivity): ConnectivitySnapshot {
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
  for (let s = 0; s < workloads.length; s++) {
    for (let d = 0; d < workloads.length; d++)
      if (s !== d) push(workloads[s]!, workloads[d]!, model.between(s, d));
    destinations.forEach((range, e) => push(workloads[s]!, range, model.toExternal(s, e)));
  }
  sources.forEach((range, e) => {
    for (let d = 0; d < workloads.length; d++) push(range, workloads[d]!, model.fromExternal(e, d));
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

/** Compares two versions. Pure; the result does not depend on the order of either connection list. */
export function diffConnectivity(
  oldSide: ConnectivitySnapshot,
  newSide: ConnectivitySnapshot,
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

  const compared: { src: string; dst: string; old: ConnSet; new: ConnSet }[] = [...pairs.values()];
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
