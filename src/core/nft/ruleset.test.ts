// The nftables text: the table's fixed shape, elements per set and family, deltas, and the table name check.

import { describe, expect, it } from 'vitest';
import { AddressSet, parseAddress, parseCidr } from '../model/address-set.js';
import type { EnforcementPlan } from './plan.js';
import {
  checkTableName,
  planElements,
  renderDelta,
  renderTable,
  renderUninstall,
  SMALL_PORT_RANGE,
  diffElements,
} from './ruleset.js';

const ip = (text: string) => {
  const a = parseAddress(text)!;
  return { first: a, last: a };
};

const PLAN: EnforcementPlan = {
  managed: parseCidr('10.1.0.0/24')!.set.union(parseCidr('fd00::/64')!.set),
  owned: AddressSet.of([ip('10.1.0.2'), ip('10.1.0.3'), ip('fd00::2'), ip('fd00::3')]),
  egress: {
    open: [],
    any: [{ src: ip('10.1.0.2'), dst: parseCidr('0.0.0.0/0')!.set.intervals[0]! }],
    ports: [],
  },
  ingress: {
    open: [],
    any: [],
    ports: [
      { src: ip('10.1.0.2'), dst: ip('10.1.0.3'), protocol: 6, first: 80, last: 80 },
      { src: ip('fd00::2'), dst: ip('fd00::3'), protocol: 17, first: 5000, last: 5100 },
    ],
  },
  diagnostics: [],
};

describe('renderTable', () => {
  it('replaces the table in one transaction with a fixed chain and the elements per set', () => {
    const text = renderTable('bulkhead', planElements(PLAN));
    expect(text.split('\n').slice(0, 3)).toEqual([
      'table inet bulkhead',
      'delete table inet bulkhead',
      'table inet bulkhead {',
    ]);
    expect(text).toContain('    ct state established,related accept\n');
    expect(text).toContain('    ip saddr @managed4 jump egress4\n');
    expect(text).toContain('    ip6 daddr @managed6 jump ingress6\n');
    expect(text).toContain(
      '  chain egress4 {\n' +
        '    ip saddr @eg_open4 return\n' +
        '    ip saddr . ip daddr . meta l4proto . th dport @eg_point4 return\n' +
        '    ip saddr . ip daddr . meta l4proto . th dport @eg_port4 return\n' +
        '    ip saddr . ip daddr @eg_any4 return\n' +
        '    counter drop comment "egress not allowed"\n' +
        '  }\n',
    );
    expect(text).toContain('    ip6 daddr @in_open6 return\n');
    expect(text).toContain('    counter drop comment "ingress not allowed"\n');
    // The checks are declared before the chain that jumps to them.
    expect(text.indexOf('chain ingress6 {')).toBeLessThan(text.indexOf('chain forward {'));
    expect(text).toContain('    ip saddr @dead4 counter drop comment "stopped container"\n');
    expect(text).toContain('    ip6 daddr @dead6 counter drop comment "stopped container"\n');
    expect(text.match(/counter drop/g)).toHaveLength(8);
    expect(text).toContain('add element inet bulkhead managed4 { 10.1.0.0-10.1.0.255 }\n');
    expect(text).toContain('add element inet bulkhead managed6 { fd00::-fd00::ffff:ffff:ffff:ffff }\n');
    expect(text).toContain('add element inet bulkhead eg_any4 { 10.1.0.2 . 0.0.0.0-255.255.255.255 }\n');
    // A single address, address and port is a point: the hash set, where deletes are cheap.
    expect(text).toContain('add element inet bulkhead in_point4 { 10.1.0.2 . 10.1.0.3 . 6 . 80 }\n');
    expect(text).toMatch(
      /set in_point4 \{\n {4}type ipv4_addr \. ipv4_addr \. inet_proto \. inet_service\n {2}\}/,
    );
    expect(text).toMatch(/set in_port4 \{\n {4}type [^\n]*\n {4}flags interval\n/);
    expect(text).toContain('add element inet bulkhead in_port6 { fd00::2 . fd00::3 . 17 . 5000-5100 }\n');
    expect(text).not.toContain('add element inet bulkhead eg_port4');
  });

  it('writes a few ports between two single addresses as hash elements, one per port', () => {
    const elements = planElements({
      ...PLAN,
      egress: {
        open: [],
        any: [],
        ports: [
          { src: ip('10.1.0.2'), dst: ip('10.1.0.3'), protocol: 6, first: 8080, last: 8082 },
          {
            src: ip('10.1.0.2'),
            dst: ip('10.1.0.3'),
            protocol: 6,
            first: 9000,
            last: 9000 + SMALL_PORT_RANGE,
          },
          {
            src: ip('10.1.0.2'),
            dst: { first: ip('10.1.0.3').first, last: ip('10.1.0.4').last },
            protocol: 6,
            first: 80,
            last: 81,
          },
        ],
      },
    });
    expect([...elements.get('eg_point4')!]).toEqual([
      '10.1.0.2 . 10.1.0.3 . 6 . 8080',
      '10.1.0.2 . 10.1.0.3 . 6 . 8081',
      '10.1.0.2 . 10.1.0.3 . 6 . 8082',
    ]);
    expect([...elements.get('eg_port4')!]).toEqual([
      `10.1.0.2 . 10.1.0.3 . 6 . 9000-${9000 + SMALL_PORT_RANGE}`,
      '10.1.0.2 . 10.1.0.3-10.1.0.4 . 6 . 80-81',
    ]);
  });

  it('lists the open addresses of each direction one by one in hash sets', () => {
    const elements = planElements({
      ...PLAN,
      egress: { ...PLAN.egress, open: [{ first: ip('10.1.0.5').first, last: ip('10.1.0.6').last }] },
      ingress: { ...PLAN.ingress, open: [ip('fd00::7')] },
    });
    expect([...elements.get('eg_open4')!]).toEqual(['10.1.0.5', '10.1.0.6']);
    expect([...elements.get('in_open6')!]).toEqual(['fd00::7']);
    expect(elements.get('in_open4')!.size).toBe(0);
  });

  it('lists the dead addresses one by one in hash sets', () => {
    const text = renderTable(
      'bulkhead',
      planElements({ ...PLAN, dead: AddressSet.of([ip('10.1.0.7'), ip('10.1.0.8'), ip('fd00::9')]) }),
    );
    expect(text).toMatch(/set dead4 \{\n {4}type ipv4_addr\n {2}\}/);
    expect(text).toContain('add element inet bulkhead dead4 { 10.1.0.7, 10.1.0.8 }\n');
    expect(text).toContain('add element inet bulkhead dead6 { fd00::9 }\n');
  });

  it('splits a managed range that spans both families', () => {
    const elements = planElements({ ...PLAN, managed: AddressSet.ALL });
    expect([...elements.get('managed4')!]).toEqual(['0.0.0.0-255.255.255.255']);
    expect([...elements.get('managed6')!]).toEqual(['::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff']);
  });
});

describe('renderDelta', () => {
  it('deletes before it adds, and is undefined when nothing changed', () => {
    const before = planElements(PLAN);
    const after = planElements({
      ...PLAN,
      ingress: {
        open: [],
        any: [],
        ports: [{ src: ip('10.1.0.4'), dst: ip('10.1.0.3'), protocol: 6, first: 80, last: 80 }],
      },
    });
    expect(renderDelta('t', before, after)).toBe(
      'delete element inet t in_point4 { 10.1.0.2 . 10.1.0.3 . 6 . 80 }\n' +
        'delete element inet t in_port6 { fd00::2 . fd00::3 . 17 . 5000-5100 }\n' +
        'add element inet t in_point4 { 10.1.0.4 . 10.1.0.3 . 6 . 80 }\n',
    );
    expect(renderDelta('t', before, before)).toBeUndefined();
  });
});

describe('diffElements', () => {
  it('is true for a deleted allowance or a newly managed or dead address, not for what only allows more', () => {
    const before = planElements(PLAN);
    const more = planElements({
      ...PLAN,
      egress: {
        open: [],
        any: [...PLAN.egress.any, { src: ip('10.1.0.3'), dst: ip('10.1.0.2') }],
        ports: [],
      },
    });
    const takesAway = (a: typeof before, b: typeof before): boolean => diffElements(a, b).takesAway;
    expect(takesAway(before, more)).toBe(false);
    expect(takesAway(more, before)).toBe(true);
    const dead = planElements({ ...PLAN, dead: AddressSet.of([ip('10.1.0.9')]) });
    expect(takesAway(before, dead)).toBe(true);
    expect(takesAway(dead, before)).toBe(false);
    const managed = planElements({ ...PLAN, managed: PLAN.managed.union(parseCidr('10.2.0.0/24')!.set) });
    expect(takesAway(before, managed)).toBe(true);
    expect(takesAway(managed, before)).toBe(false);
  });

  it('counts the deletes from interval sets only (hash-set deletes are cheap)', () => {
    const before = planElements(PLAN);
    const after = planElements({ ...PLAN, ingress: { open: [], any: [], ports: [] } });
    const diff = diffElements(before, after);
    expect([...diff.deletes.keys()].sort()).toEqual(['in_point4', 'in_port6']);
    expect(diff.intervalDeletes).toBe(1);
    expect(diff.adds.size).toBe(0);
  });
});

describe('table names', () => {
  it('accepts nft identifiers only, and never renders another', () => {
    expect(checkTableName('bulkhead')).toBeUndefined();
    expect(checkTableName('bhtest_123')).toBeUndefined();
    for (const bad of ['', '1abc', 'a b', 'a;delete table ip filter', 'x'.repeat(65), 'tab\n'])
      expect(checkTableName(bad), bad).toBeDefined();
    expect(() => renderUninstall('a;b')).toThrow();
    expect(renderUninstall('t')).toBe('table inet t\ndelete table inet t\n');
  });
});
