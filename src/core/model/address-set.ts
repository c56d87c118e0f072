// Address sets over IPv4 and IPv6 as sorted disjoint bigint intervals in one number line.
//
// IPv4 addresses occupy [0, 2^32) and IPv6 addresses [2^32, 2^32 + 2^128), so one interval algebra
// serves both families and a set can hold both at once.

/** Offset of the IPv6 space in the unified number line. */
export const V6_OFFSET = 1n << 32n;
const V4_LAST = V6_OFFSET - 1n;
const V6_LAST = V6_OFFSET + (1n << 128n) - 1n;

export type AddressFamily = 4 | 6;

/** An inclusive interval [first, last] of the unified address line. */
export interface AddressInterval {
  readonly first: bigint;
  readonly last: bigint;
}

/** An immutable set of addresses; intervals are sorted, disjoint and never adjacent (canonical). */
export class AddressSet {
  static readonly EMPTY = new AddressSet([]);
  static readonly ALL_V4 = new AddressSet([{ first: 0n, last: V4_LAST }]);
  static readonly ALL_V6 = new AddressSet([{ first: V6_OFFSET, last: V6_LAST }]);
  static readonly ALL = new AddressSet([{ first: 0n, last: V6_LAST }]);

  private constructor(readonly intervals: readonly AddressInterval[]) {}

  /** Builds a canonical set from intervals in any order, overlapping or not. */
  static of(intervals: readonly AddressInterval[]): AddressSet {
    const sorted = intervals
      .filter((i) => i.first <= i.last)
      .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
    const merged: AddressInterval[] = [];
    for (const next of sorted) {
      const last = merged[merged.length - 1];
      if (last !== undefined && next.first <= last.last + 1n) {
        if (next.last > last.last) merged[merged.length - 1] = { first: last.first, last: next.last };
      } else {
        merged.push(next);
      }
    }
    return merged.length === 0 ? AddressSet.EMPTY : new AddressSet(merged);
  }

  static single(address: bigint): AddressSet {
    return new AddressSet([{ first: address, last: address }]);
  }

  isEmpty(): boolean {
    return this.intervals.length === 0;
  }

  has(address: bigint): boolean {
    // Binary search: sets from policies can hold thousands of intervals.
    let lo = 0;
    let hi = this.intervals.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const interval = this.intervals[mid]!;
      if (address < interval.first) hi = mid - 1;
      else if (address > interval.last) lo = mid + 1;
      else return true;
    }
    return false;
  }

  union(other: AddressSet): AddressSet {
    if (other.isEmpty()) return this;
    if (this.isEmpty()) return other;
    return AddressSet.of([...this.intervals, ...other.intervals]);
  }

  intersect(other: AddressSet): AddressSet {
    const out: AddressInterval[] = [];
    let i = 0;
    let j = 0;
    while (i < this.intervals.length && j < other.intervals.length) {
      const a = this.intervals[i]!;
      const b = other.intervals[j]!;
      const first = a.first > b.first ? a.first : b.first;
      const last = a.last < b.last ? a.last : b.last;
      if (first <= last) out.push({ first, last });
      if (a.last < b.last) i++;
      else j++;
    }
    return new AddressSet(out);
  }

  subtract(other: AddressSet): AddressSet {
    if (other.isEmpty() || this.isEmpty()) return this;
    const out: AddressInterval[] = [];
    let j = 0;
    for (const a of this.intervals) {
      let first = a.first;
      while (j < other.intervals.length && other.intervals[j]!.last < first) j++;
      let k = j;
      while (k < other.intervals.length && other.intervals[k]!.first <= a.last) {
        const b = other.intervals[k]!;
        if (b.first > first) out.push({ first, last: b.first - 1n });
        first = b.last + 1n;
        if (first > a.last) break;
        k++;
      }
      if (first <= a.last) out.push({ first, last: a.last });
    }
    return new AddressSet(out);
  }

  /** True when every address of `other` is in this set. */
  covers(other: AddressSet): boolean {
    return other.subtract(this).isEmpty();
  }

  overlaps(other: AddressSet): boolean {
    return !this.intersect(other).isEmpty();
  }

  equals(other: AddressSet): boolean {
    if (this.intervals.length !== other.intervals.length) return false;
    return this.intervals.every(
      (a, i) => a.first === other.intervals[i]!.first && a.last === other.intervals[i]!.last,
    );
  }

  /** A stable text key, for interning and hashing. */
  key(): string {
    return this.intervals.map((i) => `${i.first.toString(36)}-${i.last.toString(36)}`).join(',');
  }
}

/** The family of an address in the unified line. */
export function familyOf(address: bigint): AddressFamily {
  return address < V6_OFFSET ? 4 : 6;
}

/**
 * Parses a dotted-quad IPv4 address strictly: exactly four decimal parts, each 0..255.
 * nft and some libraries accept forms like `127.1` or resolve `1.1.1.300` as a host name; we never do.
 */
export function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^[0-9]{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

/**
 * Parses an IPv6 address (RFC 4291 text forms, including `::` and a trailing dotted quad) to the unified line.
 * Zone ids (`%eth0`) are rejected: they name an interface, not an address.
 */
export function parseIPv6(text: string): bigint | undefined {
  if (text.length === 0 || text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let head = text;
  let tailGroups: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    const quad = parseIPv4(text.slice(lastColon + 1));
    if (quad === undefined) return undefined;
    tailGroups = [Number(quad >> 16n), Number(quad & 0xffffn)];
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const doubleColon = head.indexOf('::');
  if (doubleColon !== head.lastIndexOf('::')) return undefined;
  const parseGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const groups: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      groups.push(parseInt(g, 16));
    }
    return groups;
  };
  let groups: number[];
  if (doubleColon >= 0) {
    const left = parseGroups(head.slice(0, doubleColon));
    const right = parseGroups(head.slice(doubleColon + 2));
    if (left === undefined || right === undefined) return undefined;
    const missing = 8 - left.length - right.length - tailGroups.length;
    if (missing < 1) return undefined;
    groups = [...left, ...new Array<number>(missing).fill(0), ...right, ...tailGroups];
  } else {
    const all = parseGroups(head);
    if (all === undefined) return undefined;
    groups = [...all, ...tailGroups];
    if (groups.length !== 8) return undefined;
  }
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return V6_OFFSET + value;
}

/** Parses an IPv4 or IPv6 address to the unified line. */
export function parseAddress(text: string): bigint | undefined {
  return text.includes(':') ? parseIPv6(text) : parseIPv4(text);
}

export interface ParsedCidr {
  readonly family: AddressFamily;
  readonly prefixLength: number;
  readonly set: AddressSet;
  /** True when bits beyond the prefix are set (allowed by the API, and ignored). */
  readonly hostBitsSet: boolean;
}

/**
 * Parses `address/prefix`. Host bits are allowed and ignored, as the NetworkPolicy API says of ipBlock.cidr
 * ("192.168.1.1/24" means "192.168.1.0/24").
 */
export function parseCidr(text: string): ParsedCidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) return undefined;
  const addressText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(prefixText)) return undefined;
  const prefixLength = Number(prefixText);
  const family: AddressFamily = addressText.includes(':') ? 6 : 4;
  const address = family === 4 ? parseIPv4(addressText) : parseIPv6(addressText);
  if (address === undefined) return undefined;
  const bits = family === 4 ? 32 : 128;
  if (prefixLength > bits) return undefined;
  const base = family === 4 ? 0n : V6_OFFSET;
  const offset = address - base;
  const hostBits = BigInt(bits - prefixLength);
  const first = (offset >> hostBits) << hostBits;
  const last = first + (1n << hostBits) - 1n;
  return {
    family,
    prefixLength,
    set: AddressSet.of([{ first: base + first, last: base + last }]),
    hostBitsSet: first !== offset,
  };
}

/** Formats an address of the unified line: dotted quad, or RFC 5952 canonical IPv6. */
export function formatAddress(address: bigint): string {
  if (address < V6_OFFSET) {
    return [24n, 16n, 8n, 0n].map((shift) => ((address >> shift) & 0xffn).toString()).join('.');
  }
  const value = address - V6_OFFSET;
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  // RFC 5952: compress the longest run (the first if tied) of two or more zero groups.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  // RFC 5952 section 5: IPv4-mapped addresses keep the dotted quad (`::ffff:192.0.2.1`).
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${formatAddress(value & 0xffffffffn)}`;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
