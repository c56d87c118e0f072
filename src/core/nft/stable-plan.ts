// Container starts and stops without deletes from the interval sets. Pure.
//
// A plan merges neighbouring addresses into ranges, so a container that starts next to others of its kind widens
// ranges, and one that stops narrows them: the kernel has to delete the old range and add the new one. For a
// concatenated interval (pipapo) set, a delete costs 20–60 ms per element on kernel 6.18 (BENCHMARKS.md (g)), so a
// container touching a hundred ranges took a whole-table replacement. `stablePlan` instead computes what the kernel
// should hold next from what it holds now:
//
// - an element that is no longer in the desired plan stays when the desired plan still allows all it allows, apart
//   from traffic of *dead* addresses (those of containers that stopped, still inside Docker's subnets), which the
//   ruleset drops before any set is consulted;
// - a desired element that is new goes in minus the parts the kept elements already hold, so that no two elements
//   of one set overlap (the kernel refuses overlapping interval elements).
//
// The result allows exactly what the desired plan allows for every packet between addresses that are not dead, and
// the desired plan denies every packet from or to a dead address too (a managed address without a workload has no
// elements). So the kernel decides as the desired plan would, with adds only when a container starts or stops next
// to others. Elements kept this way are bounded: past `maxKept` (or when the change is too large to compare), the
// desired plan is returned as it is, and the agent replaces or updates the table the ordinary way.

import { AddressSet, type AddressInterval } from '../model/address-set.js';
import type { AnyElement, DirectionPlan, EnforcementPlan, PortElement } from './plan.js';

export interface StableOptions {
  /** At most this many elements the desired plan does not have (kept ones and the pieces around them). */
  readonly maxKept?: number;
  /** Comparisons allowed between removed and added elements before giving up on keeping (a large change). */
  readonly maxWork?: number;
}

const DEFAULT_MAX_KEPT = 2000;
const DEFAULT_MAX_WORK = 2_000_000;

/** An element as a box: source × destination, and one protocol's ports (a port element) or everything (any). */
type Box = AnyElement | PortElement;

const hasPorts = (b: Box): b is PortElement => 'protocol' in b;

const EVERY_ADDRESS: AddressInterval = AddressSet.ALL.intervals[0]!;

/** What the kernel should hold next: see the file comment. `current` is what it holds now. */
export function stablePlan(
  current: EnforcementPlan,
  desired: EnforcementPlan,
  options: StableOptions = {},
): EnforcementPlan {
  const maxKept = options.maxKept ?? DEFAULT_MAX_KEPT;
  const work = { left: options.maxWork ?? DEFAULT_MAX_WORK };
  // Dead: addresses that had a workload (now or in an earlier step) and have none now, inside what is managed now.
  // Outside the managed ranges the ruleset does not decide traffic, so an address there cannot be dropped.
  const dead = (current.dead ?? AddressSet.EMPTY)
    .union(current.owned)
    .subtract(desired.owned)
    .intersect(desired.managed);
  const slabs: Box[] = dead.intervals.flatMap((i) => [
    { src: i, dst: EVERY_ADDRESS },
    { src: EVERY_ADDRESS, dst: i },
  ]);
  const egress = stableDirection(current.egress, desired.egress, slabs, work);
  const ingress = stableDirection(current.ingress, desired.ingress, slabs, work);
  if (egress === undefined || ingress === undefined || egress.kept + ingress.kept > maxKept) return desired;
  // Only the dead addresses a kept element still holds need dropping; the others have no element left.
  const held = [...egress.keptBoxes, ...ingress.keptBoxes];
  const stillNeeded = AddressSet.of(
    dead.intervals
      .flatMap((i) => pointsOf(i))
      .filter((address) => held.some((b) => holds(b, address)))
      .map((address) => ({ first: address, last: address })),
  );
  return {
    ...desired,
    egress: egress.plan,
    ingress: ingress.plan,
    ...(stillNeeded.isEmpty() ? {} : { dead: stillNeeded }),
  };
}

interface StableDirection {
  readonly plan: DirectionPlan;
  /** Elements the desired plan does not have as they are. */
  readonly kept: number;
  readonly keptBoxes: readonly Box[];
}

function stableDirection(
  current: DirectionPlan,
  desired: DirectionPlan,
  slabs: readonly Box[],
  work: { left: number },
): StableDirection | undefined {
  const any = compare(current.any, desired.any);
  const ports = compare(current.ports, desired.ports);
  const removed = any.removed.length + ports.removed.length;
  const added = any.added.length + ports.added.length;
  work.left -= removed * (added + slabs.length) + added * removed;
  if (work.left < 0) return undefined;

  // A removed element stays when what it allows is still allowed (by the new elements: it is disjoint from the
  // unchanged ones of its own set) or belongs to dead addresses. Port elements may also be covered by new any-elements.
  const keptAny = any.removed.filter((box) => subtractAll(box, [...slabs, ...any.added]).length === 0);
  const keptPorts = ports.removed.filter(
    (box) => subtractAll(box, [...slabs, ...any.added, ...ports.added]).length === 0,
  );
  // New elements go in minus what the kept ones of their own set hold: elements of one set never overlap.
  let fragments = 0;
  const cut = <T extends Box>(boxes: readonly T[], kept: readonly T[]): T[] =>
    boxes.flatMap((box) => {
      const pieces = subtractAll(box, kept) as T[];
      if (pieces.length !== 1 || pieces[0] !== box) fragments += pieces.length;
      return pieces;
    });
  const newAny = cut(any.added, keptAny);
  const newPorts = cut(ports.added, keptPorts);
  return {
    plan: {
      // Open addresses are single-address hash elements: written as the desired plan has them (deletes are cheap).
      open: desired.open,
      any: [...any.unchanged, ...keptAny, ...newAny],
      ports: [...ports.unchanged, ...keptPorts, ...newPorts],
    },
    kept: keptAny.length + keptPorts.length + fragments,
    keptBoxes: [...keptAny, ...keptPorts],
  };
}

/**
 * The elements only `current` has, only `desired` has, and both have (the same box, by value). The unchanged ones are
 * taken from `current`, whose nft text is already written (elementText remembers it per object), so only the
 * elements that change are ever formatted.
 */
function compare<T extends Box>(
  current: readonly T[],
  desired: readonly T[],
): { removed: T[]; added: T[]; unchanged: T[] } {
  const wanted = new Map<string, T>();
  for (const e of desired) wanted.set(boxKey(e), e);
  const removed: T[] = [];
  const unchanged: T[] = [];
  for (const e of current) {
    if (wanted.delete(boxKey(e))) unchanged.push(e);
    else removed.push(e);
  }
  return { removed, added: [...wanted.values()], unchanged };
}

/** A box by value, cheaper to make than its nft text (no address formatting); remembered per box. */
const boxKeys = new WeakMap<Box, string>();
function boxKey(b: Box): string {
  let key = boxKeys.get(b);
  if (key === undefined) {
    key = `${b.src.first},${b.src.last},${b.dst.first},${b.dst.last}`;
    if (hasPorts(b)) key += `,${b.protocol},${b.first},${b.last}`;
    boxKeys.set(b, key);
  }
  return key;
}

/** What is left of `box` after taking away every box of `cutters`, as disjoint boxes. */
function subtractAll<T extends Box>(box: T, cutters: readonly Box[]): T[] {
  let pieces: T[] = [box];
  for (const cutter of cutters) {
    pieces = pieces.flatMap((piece) => subtract(piece, cutter));
    if (pieces.length === 0) break;
  }
  return pieces;
}

/**
 * `a` minus `c`: the parts of `a` outside `c` in one dimension after another (source, destination, ports), each
 * narrowed to the overlap in the dimensions before it, so the pieces are disjoint. A cutter without ports covers
 * every protocol and port; one with ports cuts only boxes of its protocol.
 */
function subtract<T extends Box>(a: T, c: Box): T[] {
  if (!overlaps(a.src, c.src) || !overlaps(a.dst, c.dst)) return [a];
  if (hasPorts(c)) {
    // A box without ports holds protocols (ICMP, ...) no port cutter can cover: it stays whole.
    if (!hasPorts(a) || a.protocol !== c.protocol) return [a];
    if (a.last < c.first || a.first > c.last) return [a];
  }
  const pieces: T[] = [];
  let rest: T = a;
  for (const dim of ['src', 'dst'] as const) {
    const own = rest[dim];
    const cut = c[dim];
    if (own.first < cut.first) pieces.push({ ...rest, [dim]: { first: own.first, last: cut.first - 1n } });
    if (own.last > cut.last) pieces.push({ ...rest, [dim]: { first: cut.last + 1n, last: own.last } });
    rest = { ...rest, [dim]: { first: max(own.first, cut.first), last: min(own.last, cut.last) } };
  }
  if (hasPorts(c) && hasPorts(rest)) {
    if (rest.first < c.first) pieces.push({ ...rest, last: c.first - 1 });
    if (rest.last > c.last) pieces.push({ ...rest, first: c.last + 1 });
  }
  return pieces;
}

function overlaps(a: AddressInterval, b: AddressInterval): boolean {
  return a.first <= b.last && b.first <= a.last;
}

function holds(b: Box, address: bigint): boolean {
  return (
    (address >= b.src.first && address <= b.src.last) || (address >= b.dst.first && address <= b.dst.last)
  );
}

function pointsOf(i: AddressInterval): bigint[] {
  const out: bigint[] = [];
  for (let a = i.first; a <= i.last && out.length < 65_536; a++) out.push(a);
  return out;
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
