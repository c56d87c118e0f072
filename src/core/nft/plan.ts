// The enforcement plan: what the data plane must allow, per direction, as address × address × protocol × port
// elements, compiled from the engine's per-class rows. Pure; src/core/nft/ruleset.ts renders it for nftables.
//
// "For a connection from a source pod to a destination pod to be allowed, both the egress policy on the source pod
// and the ingress policy on the destination pod need to allow the connection." The data plane makes both checks in
// one pass, one lookup per direction, so nothing here intersects the two sides: an egress element says what a
// source may open, an ingress element what a destination accepts. The set sizes follow the rows (peers × ports after
// merging adjacent addresses), never the number of class pairs.

import type { Diagnostic } from '../diagnostics.js';
import { ConnTable } from '../engine/conn-table.js';
import type { Connectivity, ExternalRange, Row } from '../engine/connectivity.js';
import { AddressSet, V6_OFFSET, formatAddress, type AddressInterval } from '../model/address-set.js';
import type { ConnectionLimits, NetworkPolicy } from '../model/cluster.js';
import { compileSelector } from '../model/labels.js';
import { PROTOCOLS, type Protocol } from '../model/port-set.js';

/** A peer interval with one protocol and port range (or every protocol: ANY), and the subjects allowed it. */
interface Piece {
  readonly peer: AddressInterval;
  readonly protocol: number;
  readonly first: number;
  readonly last: number;
  readonly subjects: AddressInterval[];
}

/** The protocol of a piece that allows every protocol and port. */
const ANY = -1;

/** IANA protocol numbers, as `meta l4proto` reads them. */
export const PROTOCOL_NUMBERS: Readonly<Record<Protocol, number>> = { TCP: 6, UDP: 17, SCTP: 132 };

export type Direction = 'egress' | 'ingress';

/** Traffic from `src` to `dst` with any protocol and port. */
export interface AnyElement {
  readonly src: AddressInterval;
  readonly dst: AddressInterval;
}

/** Traffic from `src` to `dst` with one protocol, to destination ports `first`..`last`. */
export interface PortElement extends AnyElement {
  readonly protocol: number;
  readonly first: number;
  readonly last: number;
}

export interface DirectionPlan {
  /**
   * The workload addresses this direction does not isolate (no policy selects them for it): every protocol and port
   * to (egress) or from (ingress) everything. Kept apart from `any`, so that the ruleset finds them in a hash set.
   */
  readonly open: readonly AddressInterval[];
  /** Address pairs between which every protocol and port is allowed. */
  readonly any: readonly AnyElement[];
  readonly ports: readonly PortElement[];
}

/** Flood limits for new connections into `subjects`, per source address; one per distinct limit. */
export interface LimitPlan {
  /** An nft identifier naming the limit's sets and rules (`l0`, `l1`, ...). */
  readonly key: string;
  readonly limits: ConnectionLimits;
  readonly subjects: readonly AddressInterval[];
}

export interface EnforcementPlan {
  /**
   * The addresses whose traffic the ruleset decides: every workload address, and the ranges given as `managed`
   * (Docker's network subnets), so that a container that started a moment ago is denied until its own elements
   * arrive instead of being open. Traffic between unmanaged addresses is never touched.
   */
  readonly managed: AddressSet;
  /** The workload addresses (the rest of `managed` is subnet space no container has now). */
  readonly owned: AddressSet;
  /**
   * Addresses of containers that are gone whose elements the kernel still holds (src/core/nft/stable-plan.ts):
   * every new connection from or to them is dropped before any set is consulted. Absent: none.
   */
  readonly dead?: AddressSet;
  readonly egress: DirectionPlan;
  readonly ingress: DirectionPlan;
  /** Absent or empty: no limits. */
  readonly limits?: readonly LimitPlan[];
  readonly diagnostics: readonly Diagnostic[];
}

export interface PlanOptions {
  /** Ranges to treat as workload addresses even where no workload has them yet (Docker network subnets). */
  readonly managed?: AddressSet;
  /** The policies, for their flood limits (annotations); the rows already hold their rules. */
  readonly policies?: readonly NetworkPolicy[];
}

/**
 * Compiles the model's rows into a plan. A class with no row in a direction (not isolated) is open in it: its
 * addresses are managed, and a managed address without elements would be denied.
 */
export function compilePlan(model: Connectivity, options: PlanOptions = {}): EnforcementPlan {
  const diagnostics: Diagnostic[] = [];
  const owners = addressOwners(model, diagnostics);
  const subjects = subjectsByClass(model, owners);
  const owned = AddressSet.of([...owners.keys()].map(point));
  const rows = model.rowsForClassLoops();
  const plan = (direction: Direction): DirectionPlan => {
    const externals = direction === 'egress' ? model.destinationExternals : model.sourceExternals;
    const atoms = peerAtoms(owners, owned, externals, model.classCount, model.classCount + externals.length);
    const directionRows = direction === 'egress' ? rows.egress : rows.ingress;
    // Subjects are gathered per peer interval and port piece before any element is made, so that neighbouring
    // subjects allowed the same thing (the members of a namespace open to the same monitoring pod on 8080, say)
    // merge into one element: a rectangle of addresses, not a line of points.
    const pieces = new Map<string, Piece>();
    const pieceOf = (peer: PeerRun, protocol: number, first: number, last: number): Piece => {
      const key = `${peer.key}/${protocol}/${first}-${last}`;
      let piece = pieces.get(key);
      if (piece === undefined) pieces.set(key, (piece = { peer, protocol, first, last, subjects: [] }));
      return piece;
    };
    const open: AddressInterval[] = [];
    for (let cls = 0; cls < model.classCount; cls++) {
      const subject = subjects[cls]!;
      if (subject.length === 0) continue;
      const row = directionRows[cls];
      if (row === undefined) {
        open.push(...subject);
        continue;
      }
      const runs = peerRuns(row, atoms);
      for (const [id, peers] of runs) {
        const conn = model.connectionOfId(id);
        for (const peer of peers) {
          if (conn.isAll()) {
            pieceOf(peer, ANY, 0, 0).subjects.push(...subject);
            continue;
          }
          for (const protocol of PROTOCOLS)
            for (const ports of conn.get(protocol).intervals)
              pieceOf(peer, PROTOCOL_NUMBERS[protocol], ports.first, ports.last).subjects.push(...subject);
        }
      }
    }
    const out = {
      open: splitFamilies(AddressSet.of(open)),
      any: [] as AnyElement[],
      ports: [] as PortElement[],
    };
    for (const piece of pieces.values()) {
      const peerV6 = piece.peer.first >= V6_OFFSET;
      for (const own of splitFamilies(AddressSet.of(piece.subjects))) {
        if (own.first >= V6_OFFSET !== peerV6) continue;
        const src = direction === 'egress' ? own : piece.peer;
        const dst = direction === 'egress' ? piece.peer : own;
        if (piece.protocol === ANY) out.any.push({ src, dst });
        else out.ports.push({ src, dst, protocol: piece.protocol, first: piece.first, last: piece.last });
      }
    }
    return out;
  };
  const managed = (options.managed ?? AddressSet.EMPTY).union(owned);
  const limits = compileLimits(model, options.policies ?? []);
  return {
    managed,
    owned,
    egress: plan('egress'),
    ingress: plan('ingress'),
    ...(limits.length > 0 ? { limits } : {}),
    diagnostics,
  };
}

/**
 * One LimitPlan per distinct limit, with the addresses of every pod a policy carrying it selects ("the pods it
 * selects": the policy's namespace and pod selector, hostNetwork pods never). A pod two policies limit differently
 * is under both limits.
 */
function compileLimits(model: Connectivity, policies: readonly NetworkPolicy[]): LimitPlan[] {
  const byLimit = new Map<string, { limits: ConnectionLimits; addresses: AddressInterval[] }>();
  for (const policy of policies) {
    if (policy.limits === undefined) continue;
    const selects = compileSelector(policy.podSelector);
    const id = JSON.stringify(policy.limits);
    let entry = byLimit.get(id);
    if (entry === undefined) byLimit.set(id, (entry = { limits: policy.limits, addresses: [] }));
    for (const w of model.workloads)
      if (!w.hostNetwork && w.namespace === policy.namespace && selects(w.labels))
        entry.addresses.push(...w.ips.map(point));
  }
  return [...byLimit.values()]
    .map((entry, i) => ({
      key: `l${i}`,
      limits: entry.limits,
      subjects: splitFamilies(AddressSet.of(entry.addresses)),
    }))
    .filter((limit) => limit.subjects.length > 0);
}

/** Every workload address and the class that owns it; an address several classes report goes to the first. */
function addressOwners(model: Connectivity, diagnostics: Diagnostic[]): Map<bigint, number> {
  const owners = new Map<bigint, number>();
  const ownerWorkload = new Map<bigint, number>();
  model.workloads.forEach((workload, index) => {
    if (workload.hostNetwork) return;
    for (const address of workload.ips) {
      const first = ownerWorkload.get(address);
      if (first === undefined) {
        owners.set(address, model.classOf(index));
        ownerWorkload.set(address, index);
      } else if (model.classOf(first) !== model.classOf(index)) {
        // Containers that share one network stack (`--network container:X`) share its addresses: the kernel
        // cannot tell their packets apart, so one policy must stand for both.
        diagnostics.push({
          code: 'SHARED_ADDRESS',
          severity: 'warning',
          message: `${model.workloads[index]!.id} has address ${formatAddress(address)} of ${model.workloads[first]!.id}; the policies of ${model.workloads[first]!.id} are enforced for it`,
          file: workload.source?.file ?? '-',
          hint: 'Give containers that share a network stack the same labels, so that the same policies select them.',
        });
      }
    }
  });
  return owners;
}

/** Per class, the canonical intervals of its members' addresses. */
function subjectsByClass(model: Connectivity, owners: ReadonlyMap<bigint, number>): AddressInterval[][] {
  const byClass: bigint[][] = Array.from({ length: model.classCount }, () => []);
  for (const [address, cls] of owners) byClass[cls]!.push(address);
  return byClass.map((addresses) => splitFamilies(AddressSet.of(addresses.map(point))));
}

function point(address: bigint): AddressInterval {
  return { first: address, last: address };
}

/** The intervals of a set, cut where IPv4 ends: an nft element holds addresses of one family. */
export function splitFamilies(set: AddressSet): AddressInterval[] {
  const out: AddressInterval[] = [];
  for (const interval of set.intervals) {
    if (interval.first < V6_OFFSET && interval.last >= V6_OFFSET) {
      out.push({ first: interval.first, last: V6_OFFSET - 1n }, { first: V6_OFFSET, last: interval.last });
    } else out.push(interval);
  }
  return out;
}

/**
 * The peer side of a row as sorted, disjoint atoms: one per workload address (column: its class) and one per piece
 * of an external range outside every workload address (column: classCount + range index). A workload's address
 * belongs to the workload, not to the external range around it. `adjacent[i]`: atom i starts right after atom
 * i − 1 ends, in the same family, so that equal neighbours merge into one interval.
 */
interface Atoms {
  readonly intervals: readonly AddressInterval[];
  readonly columns: Int32Array;
  readonly adjacent: Uint8Array;
  /** The atoms of each column, in ascending order: a row visits only the atoms of the columns it allows. */
  readonly byColumn: readonly Int32Array[];
}

function peerAtoms(
  owners: ReadonlyMap<bigint, number>,
  owned: AddressSet,
  externals: readonly ExternalRange[],
  classCount: number,
  columnCount: number,
): Atoms {
  const items: { interval: AddressInterval; column: number }[] = [];
  for (const [address, cls] of owners) items.push({ interval: point(address), column: cls });
  externals.forEach((range, index) => {
    const outside = AddressSet.of([{ first: range.first, last: range.last }]).subtract(owned);
    for (const interval of splitFamilies(outside)) items.push({ interval, column: classCount + index });
  });
  items.sort((a, b) =>
    a.interval.first < b.interval.first ? -1 : a.interval.first > b.interval.first ? 1 : 0,
  );
  const columns = new Int32Array(items.length);
  const adjacent = new Uint8Array(items.length);
  items.forEach((item, i) => {
    columns[i] = item.column;
    const previous = items[i - 1]?.interval;
    adjacent[i] =
      previous !== undefined &&
      previous.last + 1n === item.interval.first &&
      item.interval.first !== V6_OFFSET
        ? 1
        : 0;
  });
  const counts = new Int32Array(columnCount);
  for (const column of columns) counts[column]!++;
  const byColumn = Array.from(counts, (count) => new Int32Array(count));
  const filled = new Int32Array(columnCount);
  columns.forEach((column, atom) => (byColumn[column]![filled[column]!++] = atom));
  return { intervals: items.map((item) => item.interval), columns, adjacent, byColumn };
}

/** A peer interval, with a key naming it cheaply (atom indices, not formatted addresses). */
interface PeerRun extends AddressInterval {
  readonly key: string;
}

/** The peers of a row grouped by connection id: maximal runs of adjacent atoms with the same id. */
function peerRuns(row: Row, atoms: Atoms): Map<number, PeerRun[]> {
  // The atoms a row allows anything to, in address order: only those of the columns whose id is not NONE (a row
  // of a project-local policy names a few of thousands of columns). Atoms outside them are NONE and end runs.
  const gathered: number[] = [];
  for (const column of allowedColumns(row)) for (const atom of atoms.byColumn[column]!) gathered.push(atom);
  const allowed = Int32Array.from(gathered).sort();
  const runs = new Map<number, PeerRun[]>();
  let start = 0;
  while (start < allowed.length) {
    const first = allowed[start]!;
    const id = row[atoms.columns[first]!]!;
    let end = start;
    while (
      end + 1 < allowed.length &&
      allowed[end + 1] === allowed[end]! + 1 &&
      atoms.adjacent[allowed[end + 1]!] === 1 &&
      row[atoms.columns[allowed[end + 1]!]!] === id
    )
      end++;
    const last = allowed[end]!;
    let list = runs.get(id);
    if (list === undefined) runs.set(id, (list = []));
    list.push({
      first: atoms.intervals[first]!.first,
      last: atoms.intervals[last]!.last,
      key: `${first}:${last}`,
    });
    start = end + 1;
  }
  return runs;
}

/**
 * The columns of a row whose id is not NONE, remembered per row: a model updated for new containers
 * (Connectivity.withWorkloads) keeps its rows, so the agent scans each row once, not at every container event.
 */
const allowedColumnsOfRow = new WeakMap<Row, Int32Array>();
function allowedColumns(row: Row): Int32Array {
  let columns = allowedColumnsOfRow.get(row);
  if (columns === undefined) {
    const list: number[] = [];
    for (let column = 0; column < row.length; column++)
      if (row[column] !== ConnTable.NONE_ID) list.push(column);
    allowedColumnsOfRow.set(row, (columns = Int32Array.from(list)));
  }
  return columns;
}
