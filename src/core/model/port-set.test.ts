// Tests for PortSet/ConnSet: interval algebra against a naive model, and the netpol-analyzer connlist grammar.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConnSet,
  MAX_PORT,
  MIN_PORT,
  PROTOCOLS,
  PortSet,
  type PortInterval,
  type Protocol,
} from './port-set.js';

const all = PortSet.ALL;
const range = PortSet.range;

describe('ConnSet.toString: the connlist grammar', () => {
  it.each([
    ['everything', ConnSet.ALL, 'All Connections'],
    ['nothing', ConnSet.NONE, 'No Connections'],
    ['one TCP port', ConnSet.ports('TCP', range(9090, 9090)), 'TCP 9090'],
    ['TCP range and UDP port', ConnSet.of({ TCP: range(80, 81), UDP: range(53, 53) }), 'TCP 80-81,UDP 53'],
    [
      'all but TCP 80',
      ConnSet.ALL.subtract(ConnSet.ports('TCP', range(80, 80))),
      'SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535',
    ],
    [
      'protocols sorted by name',
      ConnSet.of({ UDP: range(1, 1), TCP: range(2, 2), SCTP: range(3, 3) }),
      'SCTP 3,TCP 2,UDP 1',
    ],
    ['all TCP only', ConnSet.ports('TCP', all), 'TCP 1-65535'],
    ['TCP and UDP all, no SCTP', ConnSet.of({ TCP: all, UDP: all }), 'TCP 1-65535,UDP 1-65535'],
    [
      'several ranges in order',
      ConnSet.ports(
        'TCP',
        PortSet.of([
          { first: 443, last: 443 },
          { first: 80, last: 81 },
          { first: 8080, last: 8090 },
        ]),
      ),
      'TCP 80-81,443,8080-8090',
    ],
    [
      'adjacent ports merge',
      ConnSet.ports(
        'UDP',
        PortSet.of([
          { first: 53, last: 53 },
          { first: 54, last: 54 },
        ]),
      ),
      'UDP 53-54',
    ],
  ])('%s → %s', (_name, conns, expected) => {
    expect(conns.toString()).toBe(expected);
  });

  it('equal sets built differently print the same and compare equal', () => {
    const a = ConnSet.ports('TCP', range(1, 100)).union(ConnSet.ports('TCP', range(101, MAX_PORT)));
    expect(a.equals(ConnSet.ports('TCP', all))).toBe(true);
    expect(ConnSet.of({ TCP: all, UDP: all, SCTP: all }).isAll()).toBe(true);
    expect(ConnSet.of({ TCP: all, UDP: all, SCTP: all }).toString()).toBe('All Connections');
  });

  it('allows / get / isEmpty', () => {
    const c = ConnSet.of({ TCP: range(80, 81), UDP: range(53, 53) });
    expect(c.allows('TCP', 80)).toBe(true);
    expect(c.allows('TCP', 82)).toBe(false);
    expect(c.allows('UDP', 53)).toBe(true);
    expect(c.allows('SCTP', 53)).toBe(false);
    expect(c.get('SCTP').isEmpty()).toBe(true);
    expect(ConnSet.NONE.isEmpty()).toBe(true);
    expect(ConnSet.ports('SCTP', PortSet.EMPTY).isEmpty()).toBe(true);
  });
});

describe('PortSet edges', () => {
  it.each([
    ['single', [{ first: 80, last: 80 }], '80'],
    ['inverted intervals are dropped', [{ first: 81, last: 80 }], ''],
    [
      'overlaps merge',
      [
        { first: 1, last: 10 },
        { first: 5, last: 20 },
      ],
      '1-20',
    ],
    [
      'adjacent merge',
      [
        { first: 1, last: 10 },
        { first: 11, last: 20 },
      ],
      '1-20',
    ],
    [
      'gaps stay',
      [
        { first: 30, last: 40 },
        { first: 1, last: 10 },
      ],
      '1-10,30-40',
    ],
    ['full range', [{ first: MIN_PORT, last: MAX_PORT }], '1-65535'],
  ])('of(): %s', (_name, intervals, expected) => {
    expect(PortSet.of(intervals).toString()).toBe(expected);
  });

  it('isAll only for exactly 1-65535', () => {
    expect(all.isAll()).toBe(true);
    expect(range(1, 65534).isAll()).toBe(false);
    expect(range(2, 65535).isAll()).toBe(false);
    expect(PortSet.EMPTY.isAll()).toBe(false);
    expect(range(1, 100).union(range(101, 65535)).isAll()).toBe(true);
  });

  it('subtracting a middle port splits the range', () => {
    expect(all.subtract(range(80, 80)).toString()).toBe('1-79,81-65535');
    expect(all.subtract(range(1, 1)).toString()).toBe('2-65535');
    expect(all.subtract(range(65535, 65535)).toString()).toBe('1-65534');
    expect(all.subtract(all).isEmpty()).toBe(true);
  });
});

// Property tests on a small port range against Set<number>.
const MAX_SMALL = 60;
const intervalArb: fc.Arbitrary<PortInterval> = fc
  .tuple(fc.integer({ min: 1, max: MAX_SMALL }), fc.integer({ min: -2, max: 12 }))
  .map(([first, length]) => ({ first, last: Math.min(first + length, MAX_SMALL) }));
const portSetArb = fc
  .array(intervalArb, { maxLength: 5 })
  .map((intervals) => ({ intervals, set: PortSet.of(intervals) }));

function naive(intervals: readonly PortInterval[]): Set<number> {
  const out = new Set<number>();
  for (const { first, last } of intervals) for (let p = first; p <= last; p++) out.add(p);
  return out;
}
const list = (s: Iterable<number>): number[] => [...s].sort((a, b) => a - b);

function expectCanonical(set: PortSet): void {
  set.intervals.forEach((interval, i) => {
    expect(interval.first).toBeLessThanOrEqual(interval.last);
    const next = set.intervals[i + 1];
    if (next !== undefined) expect(next.first).toBeGreaterThan(interval.last + 1);
  });
}

describe('PortSet algebra (property tests against Set<number>)', () => {
  it('of, has, union, intersect, subtract, equals agree with the model', () => {
    fc.assert(
      fc.property(portSetArb, portSetArb, fc.integer({ min: 0, max: MAX_SMALL + 1 }), (a, b, port) => {
        const na = naive(a.intervals);
        const nb = naive(b.intervals);
        expect(list(naive(a.set.intervals))).toEqual(list(na));
        expect(a.set.has(port)).toBe(na.has(port));
        const union = a.set.union(b.set);
        const intersection = a.set.intersect(b.set);
        const difference = a.set.subtract(b.set);
        for (const s of [a.set, union, intersection, difference]) expectCanonical(s);
        expect(list(naive(union.intervals))).toEqual(list(new Set([...na, ...nb])));
        expect(list(naive(intersection.intervals))).toEqual(list([...na].filter((p) => nb.has(p))));
        expect(list(naive(difference.intervals))).toEqual(list([...na].filter((p) => !nb.has(p))));
        expect(a.set.equals(b.set)).toBe(list(na).join() === list(nb).join());
        expect(a.set.isEmpty()).toBe(na.size === 0);
      }),
    );
  });

  it('toString is canonical: parsing it back gives the same set', () => {
    fc.assert(
      fc.property(portSetArb, ({ set }) => {
        const text = set.toString();
        const parsed =
          text === ''
            ? []
            : text.split(',').map((item) => {
                const [first, last] = item.split('-').map(Number);
                return { first: first!, last: last ?? first! };
              });
        expect(PortSet.of(parsed).equals(set)).toBe(true);
        expect(PortSet.of(parsed).intervals).toEqual(set.intervals);
      }),
    );
  });
});

describe('ConnSet algebra (property tests)', () => {
  const protocolArb = fc.constantFrom<Protocol>(...PROTOCOLS);
  const connArb = fc
    .record({ TCP: portSetArb, UDP: portSetArb, SCTP: portSetArb })
    .map((r) => ConnSet.of({ TCP: r.TCP.set, UDP: r.UDP.set, SCTP: r.SCTP.set }));

  it('per-protocol operations equal the PortSet operations', () => {
    fc.assert(
      fc.property(connArb, connArb, protocolArb, (a, b, protocol) => {
        expect(
          a
            .union(b)
            .get(protocol)
            .equals(a.get(protocol).union(b.get(protocol))),
        ).toBe(true);
        expect(
          a
            .intersect(b)
            .get(protocol)
            .equals(a.get(protocol).intersect(b.get(protocol))),
        ).toBe(true);
        expect(
          a
            .subtract(b)
            .get(protocol)
            .equals(a.get(protocol).subtract(b.get(protocol))),
        ).toBe(true);
        expect(a.union(b).subtract(b).equals(a.subtract(b))).toBe(true);
        expect(a.equals(b)).toBe(a.toString() === b.toString());
      }),
    );
  });

  it('the grammar lists each non-empty protocol once, in SCTP, TCP, UDP order', () => {
    fc.assert(
      fc.property(connArb, (c) => {
        const text = c.toString();
        if (c.isEmpty()) expect(text).toBe('No Connections');
        else {
          const names = [...text.matchAll(/(?:^|,)(SCTP|TCP|UDP) /g)].map((m) => m[1]);
          expect(names).toEqual(['SCTP', 'TCP', 'UDP'].filter((p) => !c.get(p as Protocol).isEmpty()));
          expect(text).toMatch(
            /^(?:(?:SCTP|TCP|UDP) \d+(?:-\d+)?(?:,\d+(?:-\d+)?)*)(?:,(?:SCTP|TCP|UDP) \d+(?:-\d+)?(?:,\d+(?:-\d+)?)*)*$/,
          );
        }
      }),
    );
  });
});
