// Tests for the address-set interval algebra (against a naive Set<bigint> model) and IPv4/IPv6/CIDR parsing and formatting.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AddressSet,
  V6_OFFSET,
  familyOf,
  formatAddress,
  parseAddress,
  parseCidr,
  parseIPv4,
  parseIPv6,
  type AddressInterval,
} from './address-set.js';

/** Addresses of the unified line from an IPv6 text, for expectations. */
const v6 = (value: bigint): bigint => V6_OFFSET + value;

// ---------------------------------------------------------------------------------------------------------------
// Property tests against a naive model: small ranges so that every address can be enumerated.

const UNIVERSE = 64n;
const intervalArb: fc.Arbitrary<AddressInterval> = fc
  .tuple(fc.bigInt({ min: 0n, max: UNIVERSE - 1n }), fc.bigInt({ min: 0n, max: 15n }))
  .map(([first, length]) => ({
    first,
    last: first + length > UNIVERSE - 1n ? UNIVERSE - 1n : first + length,
  }));
const setArb = fc
  .array(intervalArb, { maxLength: 6 })
  .map((intervals) => ({ intervals, set: AddressSet.of(intervals) }));

function naive(intervals: readonly AddressInterval[]): Set<bigint> {
  const out = new Set<bigint>();
  for (const { first, last } of intervals) for (let a = first; a <= last; a++) out.add(a);
  return out;
}

function members(set: AddressSet): Set<bigint> {
  return naive(set.intervals);
}

function sorted(values: Iterable<bigint>): bigint[] {
  return [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Sorted, disjoint, non-adjacent, each interval non-empty. */
function expectCanonical(set: AddressSet): void {
  set.intervals.forEach((interval, i) => {
    expect(interval.first <= interval.last).toBe(true);
    const next = set.intervals[i + 1];
    if (next !== undefined) expect(next.first > interval.last + 1n).toBe(true);
  });
}

describe('AddressSet algebra (property tests against Set<bigint>)', () => {
  it('of() builds a canonical set with exactly the given members', () => {
    fc.assert(
      fc.property(setArb, ({ intervals, set }) => {
        expectCanonical(set);
        expect(sorted(members(set))).toEqual(sorted(naive(intervals)));
      }),
    );
  });

  it('has() agrees with membership', () => {
    fc.assert(
      fc.property(setArb, fc.bigInt({ min: 0n, max: UNIVERSE }), ({ intervals, set }, address) => {
        expect(set.has(address)).toBe(naive(intervals).has(address));
      }),
    );
  });

  it('union, intersect and subtract agree with the model and stay canonical', () => {
    fc.assert(
      fc.property(setArb, setArb, (a, b) => {
        const na = naive(a.intervals);
        const nb = naive(b.intervals);
        const union = a.set.union(b.set);
        const intersection = a.set.intersect(b.set);
        const difference = a.set.subtract(b.set);
        for (const result of [union, intersection, difference]) expectCanonical(result);
        expect(sorted(members(union))).toEqual(sorted(new Set([...na, ...nb])));
        expect(sorted(members(intersection))).toEqual(sorted([...na].filter((x) => nb.has(x))));
        expect(sorted(members(difference))).toEqual(sorted([...na].filter((x) => !nb.has(x))));
      }),
    );
  });

  it('covers, overlaps, equals and isEmpty agree with the model', () => {
    fc.assert(
      fc.property(setArb, setArb, (a, b) => {
        const na = naive(a.intervals);
        const nb = naive(b.intervals);
        expect(a.set.covers(b.set)).toBe([...nb].every((x) => na.has(x)));
        expect(a.set.overlaps(b.set)).toBe([...nb].some((x) => na.has(x)));
        expect(a.set.equals(b.set)).toBe(na.size === nb.size && [...na].every((x) => nb.has(x)));
        expect(a.set.equals(b.set)).toBe(a.set.key() === b.set.key());
        expect(a.set.isEmpty()).toBe(na.size === 0);
      }),
    );
  });

  it('satisfies the set identities', () => {
    fc.assert(
      fc.property(setArb, setArb, setArb, (a, b, c) => {
        // (A ∪ B) \ B = A \ B; A = (A \ B) ∪ (A ∩ B); A ∩ (B ∪ C) = (A ∩ B) ∪ (A ∩ C)
        expect(a.set.union(b.set).subtract(b.set).equals(a.set.subtract(b.set))).toBe(true);
        expect(a.set.subtract(b.set).union(a.set.intersect(b.set)).equals(a.set)).toBe(true);
        expect(
          a.set.intersect(b.set.union(c.set)).equals(a.set.intersect(b.set).union(a.set.intersect(c.set))),
        ).toBe(true);
        expect(a.set.union(b.set).covers(a.set)).toBe(true);
        expect(a.set.covers(a.set.intersect(b.set))).toBe(true);
      }),
    );
  });
});

describe('AddressSet edges', () => {
  it.each([
    [
      'adjacent intervals merge',
      [
        { first: 1n, last: 2n },
        { first: 3n, last: 4n },
      ],
      [{ first: 1n, last: 4n }],
    ],
    [
      'contained intervals vanish',
      [
        { first: 1n, last: 10n },
        { first: 3n, last: 4n },
      ],
      [{ first: 1n, last: 10n }],
    ],
    [
      'gaps are kept',
      [
        { first: 5n, last: 6n },
        { first: 1n, last: 2n },
      ],
      [
        { first: 1n, last: 2n },
        { first: 5n, last: 6n },
      ],
    ],
    ['no intervals is EMPTY', [], []],
  ])('of(): %s', (_name, input, expected) => {
    expect(AddressSet.of(input).intervals).toEqual(expected);
  });

  it('an inverted interval holds no address (like PortSet.of)', () => {
    const set = AddressSet.of([{ first: 5n, last: 3n }]);
    expect(set.has(4n)).toBe(false);
    expect(set.isEmpty()).toBe(true);
  });

  it('the whole-family constants meet at the family boundary and together make ALL', () => {
    expect(AddressSet.ALL_V4.union(AddressSet.ALL_V6).equals(AddressSet.ALL)).toBe(true);
    expect(AddressSet.ALL_V4.overlaps(AddressSet.ALL_V6)).toBe(false);
    expect(AddressSet.ALL_V4.has(V6_OFFSET - 1n)).toBe(true);
    expect(AddressSet.ALL_V4.has(V6_OFFSET)).toBe(false);
    expect(AddressSet.ALL.subtract(AddressSet.ALL_V4).equals(AddressSet.ALL_V6)).toBe(true);
    expect(familyOf(V6_OFFSET - 1n)).toBe(4);
    expect(familyOf(V6_OFFSET)).toBe(6);
  });

  it('subtracting the middle of the IPv4 space splits it at the CIDR bounds', () => {
    const ten = parseCidr('10.0.0.0/8')!.set;
    const rest = AddressSet.ALL_V4.subtract(ten);
    expect(rest.intervals.map((i) => `${formatAddress(i.first)}-${formatAddress(i.last)}`)).toEqual([
      '0.0.0.0-9.255.255.255',
      '11.0.0.0-255.255.255.255',
    ]);
  });

  it('has() binary search finds every interval of a large set', () => {
    const intervals = Array.from({ length: 1000 }, (_, i) => ({
      first: BigInt(i * 10),
      last: BigInt(i * 10 + 3),
    }));
    const set = AddressSet.of(intervals);
    for (let i = 0; i < 1000; i++) {
      expect(set.has(BigInt(i * 10 + 2))).toBe(true);
      expect(set.has(BigInt(i * 10 + 5))).toBe(false);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Parsing.

describe('parseIPv4', () => {
  it.each([
    ['0.0.0.0', 0n],
    ['255.255.255.255', 0xffffffffn],
    ['10.1.2.3', 0x0a010203n],
    // Leading zeros are read as decimal, not octal (as Kubernetes' sloppy parser does): 010 is ten.
    ['01.2.3.4', 0x01020304n],
    ['010.0.0.1', 0x0a000001n],
    ['001.002.003.004', 0x01020304n],
  ])('accepts %s', (text, expected) => {
    expect(parseIPv4(text)).toBe(expected);
  });

  it.each([
    '1.1.1.300',
    '256.0.0.0',
    '1.2.3',
    '1.2.3.4.5',
    '127.1',
    '1.2.3.',
    '.1.2.3',
    '1..2.3',
    '0001.2.3.4',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '+1.2.3.4',
    '-1.2.3.4',
    '0x1.2.3.4',
    '1.2.3.4/32',
    '',
    '١.٢.٣.٤', // Arabic-Indic digits are not ASCII digits
  ])('rejects %j', (text) => {
    expect(parseIPv4(text)).toBeUndefined();
  });
});

describe('parseIPv6', () => {
  it.each([
    ['::', 0n],
    ['::1', 1n],
    ['1::', 1n << 112n],
    ['2001:db8::', 0x20010db8n << 96n],
    ['2001:DB8::1', (0x20010db8n << 96n) | 1n],
    ['0:0:0:0:0:0:0:1', 1n],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', (1n << 128n) - 1n],
    ['::ffff:1.2.3.4', 0xffff01020304n],
    ['::1.2.3.4', 0x01020304n],
    ['64:ff9b::192.0.2.33', (0x0064ff9bn << 96n) | 0xc0000221n],
    ['1:2:3:4:5:6:1.2.3.4', 0x0001000200030004000500060102_0304n],
    ['1::2:3:4:5:6:7', 0x0001000000020003000400050006_0007n], // `::` standing for a single zero group
    ['0001:0002::', 0x00010002n << 96n],
  ])('accepts %s', (text, expected) => {
    expect(parseIPv6(text)).toBe(v6(expected));
  });

  it.each([
    'fe80::1%eth0', // zone ids name an interface, not an address
    'fe80::1%1',
    ':::',
    '1::2::3',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    '::1:2:3:4:5:6:7:8',
    '12345::',
    'g::',
    '::ffff:1.2.3.300',
    '::ffff:1.2.3',
    '1.2.3.4::',
    '::1.2.3.4:1',
    '1:2:3:4:5:6:7:1.2.3.4',
    '1.2.3.4',
    '',
    '[::1]',
    ' ::1',
  ])('rejects %j', (text) => {
    expect(parseIPv6(text)).toBeUndefined();
  });

  it('parseAddress dispatches on the colon', () => {
    expect(parseAddress('1.2.3.4')).toBe(0x01020304n);
    expect(parseAddress('::1')).toBe(v6(1n));
    expect(parseAddress('not an address')).toBeUndefined();
  });
});

describe('parseCidr', () => {
  const range = (text: string): string | undefined => {
    const parsed = parseCidr(text);
    if (parsed === undefined) return undefined;
    return parsed.set.intervals.map((i) => `${formatAddress(i.first)}-${formatAddress(i.last)}`).join(',');
  };

  it.each([
    ['10.0.0.0/8', 4, 8, '10.0.0.0-10.255.255.255', false],
    ['0.0.0.0/0', 4, 0, '0.0.0.0-255.255.255.255', false],
    ['1.2.3.4/32', 4, 32, '1.2.3.4-1.2.3.4', false],
    // "192.168.1.1/24" means "192.168.1.0/24": host bits are allowed, ignored, and flagged.
    ['192.168.1.1/24', 4, 24, '192.168.1.0-192.168.1.255', true],
    ['10.0.0.1/0', 4, 0, '0.0.0.0-255.255.255.255', true],
    ['2001:db8::/32', 6, 32, '2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', false],
    ['::/0', 6, 0, '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', false],
    ['::1/128', 6, 128, '::1-::1', false],
    ['2001:db8::1/64', 6, 64, '2001:db8::-2001:db8::ffff:ffff:ffff:ffff', true],
    ['::ffff:1.2.3.4/128', 6, 128, '::ffff:1.2.3.4-::ffff:1.2.3.4', false],
  ] as const)('%s', (text, family, prefixLength, expected, hostBitsSet) => {
    const parsed = parseCidr(text)!;
    expect(parsed).toBeDefined();
    expect(parsed.family).toBe(family);
    expect(parsed.prefixLength).toBe(prefixLength);
    expect(parsed.hostBitsSet).toBe(hostBitsSet);
    expect(range(text)).toBe(expected);
  });

  it('::/0 is exactly the IPv6 family and 0.0.0.0/0 exactly the IPv4 family', () => {
    expect(parseCidr('::/0')!.set.equals(AddressSet.ALL_V6)).toBe(true);
    expect(parseCidr('0.0.0.0/0')!.set.equals(AddressSet.ALL_V4)).toBe(true);
  });

  it.each([
    '1.1.1.300/32',
    '10.0.0.0/33',
    '::/129',
    '10.0.0.0',
    '10.0.0.0/',
    '/8',
    '10.0.0.0/8/8',
    '10.0.0.0/-1',
    '10.0.0.0/+8',
    '10.0.0.0/8 ',
    '10.0.0.0/1000',
    '10.0.0/8',
    'fe80::%eth0/64',
    'A',
    '',
  ])('rejects %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});

describe('formatAddress (dotted quad, RFC 5952 for IPv6)', () => {
  it.each([
    [0n, '0.0.0.0'],
    [0xffffffffn, '255.255.255.255'],
    [0x0a000001n, '10.0.0.1'],
    [v6(0n), '::'],
    [v6(1n), '::1'],
    [v6(1n << 112n), '1::'],
    [v6((0x20010db8n << 96n) | 1n), '2001:db8::1'],
    // 4.2.2: a single 16-bit 0 field is not shortened.
    [parseIPv6('2001:db8:0:1:1:1:1:1')!, '2001:db8:0:1:1:1:1:1'],
    // 4.2.3: the longest run is shortened; on a tie, the first.
    [parseIPv6('2001:0:0:1:0:0:0:1')!, '2001:0:0:1::1'],
    [parseIPv6('2001:db8:0:0:1:0:0:1')!, '2001:db8::1:0:0:1'],
    // 4.3: lowercase; 4.1: leading zeros suppressed.
    [parseIPv6('2001:0DB8:00AB:000C::')!, '2001:db8:ab:c::'],
    [parseIPv6('1:2:3:4:5:6:7:8')!, '1:2:3:4:5:6:7:8'],
    [parseIPv6('0:1:2:3:4:5:6:7')!, '0:1:2:3:4:5:6:7'],
    [parseIPv6('1:0:0:0:0:0:0:0')!, '1::'],
    [v6((1n << 128n) - 1n), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ])('%s → %s', (address, expected) => {
    expect(formatAddress(address)).toBe(expected);
  });

  it('round-trips through parseAddress for any address of either family', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.bigInt({ min: 0n, max: V6_OFFSET - 1n }),
          fc.bigInt({ min: V6_OFFSET, max: V6_OFFSET + (1n << 128n) - 1n }),
        ),
        (address) => {
          expect(parseAddress(formatAddress(address))).toBe(address);
        },
      ),
    );
  });

  it('round-trips IPv6 addresses with many zero groups (where compression matters)', () => {
    const group = fc.oneof(fc.constant(0n), fc.constant(0n), fc.bigInt({ min: 0n, max: 0xffffn }));
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
        const value = groups.reduce((acc, g) => (acc << 16n) | g, 0n);
        const text = formatAddress(v6(value));
        expect(parseIPv6(text)).toBe(v6(value));
        expect(text).toBe(text.toLowerCase());
        expect(text.split('::').length).toBeLessThanOrEqual(2);
        expect(text).not.toMatch(/(^|:)0[0-9a-f]/); // no leading zeros in a group
      }),
    );
  });
});
