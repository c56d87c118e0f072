// An enforcement plan as nftables text: one `inet` table of Bulkhead's own with a constant number of rules, whose
// sets carry everything that grows with containers and policies. Pure; src/host/nft.ts runs `nft`.
//
// Every literal written here is produced from numbers (addresses are bigints formatted by formatAddress, ports and
// protocols are integers) or from a table name checked by `checkTableName`: nft treats an unparseable address as a
// host name and resolves it, so nothing from the input reaches the text as written.

import { AddressSet, V6_OFFSET, formatAddress, type AddressInterval } from '../model/address-set.js';
import {
  splitFamilies,
  type AnyElement,
  type DirectionPlan,
  type EnforcementPlan,
  type LimitPlan,
  type PortElement,
} from './plan.js';

export const DEFAULT_TABLE = 'bulkhead';

/** nft identifiers: a letter, then letters, digits and `_`; kept short (the kernel allows 256 bytes). */
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** Undefined when `name` can be a table name; else what is wrong with it. */
export function checkTableName(name: string): string | undefined {
  return TABLE_NAME.test(name)
    ? undefined
    : `table name "${name}" must start with a letter and hold only letters, digits and _ (at most 64)`;
}

/** Set names, per family: which addresses are managed, and the allowances per direction. */
export const SET_NAMES = [
  'managed4',
  'eg_open4',
  'in_open4',
  'eg_any4',
  'eg_point4',
  'eg_port4',
  'in_any4',
  'in_point4',
  'in_port4',
  'managed6',
  'eg_open6',
  'in_open6',
  'eg_any6',
  'eg_point6',
  'eg_port6',
  'in_any6',
  'in_point6',
  'in_port6',
  'dead4',
  'dead6',
] as const;

/**
 * Port elements between a single address and a single address go to the `*_point*` sets: hash sets, not the
 * concatenated interval (pipapo) sets, one element per port when they span at most SMALL_PORT_RANGE ports. Measured
 * on kernel 6.18: deleting 101 such elements from a 10,202-element pipapo set took 2.1 s, from a hash set 10 ms; and
 * a pipapo lookup costs more the more elements its set holds (the bench's connection rate through the 54k-element
 * `in_port4`), a hash lookup does not.
 */
export const SMALL_PORT_RANGE = 16;

export function isHashSet(name: string): boolean {
  return name.includes('_point') || name.includes('_open') || name.startsWith('dead');
}
export type SetName = (typeof SET_NAMES)[number];

/**
 * The elements of each set as nft writes them; the unit of incremental updates. Besides SET_NAMES, one `<key>_dst4`
 * and `<key>_dst6` set per flood limit.
 */
export type PlanElements = ReadonlyMap<string, ReadonlySet<string>>;

const SET_TYPES: Readonly<Record<SetName, string>> = {
  managed4: 'ipv4_addr',
  eg_open4: 'ipv4_addr',
  in_open4: 'ipv4_addr',
  eg_any4: 'ipv4_addr . ipv4_addr',
  eg_point4: 'ipv4_addr . ipv4_addr . inet_proto . inet_service',
  eg_port4: 'ipv4_addr . ipv4_addr . inet_proto . inet_service',
  in_any4: 'ipv4_addr . ipv4_addr',
  in_point4: 'ipv4_addr . ipv4_addr . inet_proto . inet_service',
  in_port4: 'ipv4_addr . ipv4_addr . inet_proto . inet_service',
  managed6: 'ipv6_addr',
  eg_open6: 'ipv6_addr',
  in_open6: 'ipv6_addr',
  eg_any6: 'ipv6_addr . ipv6_addr',
  eg_point6: 'ipv6_addr . ipv6_addr . inet_proto . inet_service',
  eg_port6: 'ipv6_addr . ipv6_addr . inet_proto . inet_service',
  in_any6: 'ipv6_addr . ipv6_addr',
  in_point6: 'ipv6_addr . ipv6_addr . inet_proto . inet_service',
  in_port6: 'ipv6_addr . ipv6_addr . inet_proto . inet_service',
  dead4: 'ipv4_addr',
  dead6: 'ipv6_addr',
};

/** Elements per `add element` command: large enough to keep nft fast, small enough for its parser's buffers. */
const CHUNK = 2000;

/**
 * Formatted addresses, remembered: a plan names the same few thousand addresses in tens of thousands of elements,
 * and formatting a bigint is the costly part of writing them. Bounded, so a long-running agent does not grow it.
 */
const formatted = new Map<bigint, string>();
function address(value: bigint): string {
  let text = formatted.get(value);
  if (text === undefined) {
    if (formatted.size >= 1 << 18) formatted.clear();
    text = formatAddress(value);
    formatted.set(value, text);
  }
  return text;
}

function interval(i: AddressInterval): string {
  return i.first === i.last ? address(i.first) : `${address(i.first)}-${address(i.last)}`;
}

/**
 * An element as nft writes it, which also names it by value. Remembered per element object: the agent keeps the
 * elements the kernel holds between reconciles (src/core/nft/stable-plan.ts compares them with the next plan's), so
 * each element is written once, not at every comparison and every render.
 */
const texts = new WeakMap<AnyElement, string>();
export function elementText(e: AnyElement | PortElement): string {
  let text = texts.get(e);
  if (text === undefined) {
    text = `${interval(e.src)} . ${interval(e.dst)}`;
    if ('protocol' in e)
      text += ` . ${e.protocol} . ${e.first === e.last ? `${e.first}` : `${e.first}-${e.last}`}`;
    texts.set(e, text);
  }
  return text;
}

const isV6 = (i: AddressInterval): boolean => i.first >= V6_OFFSET;

/** The plan's elements, set by set. */
export function planElements(plan: EnforcementPlan): PlanElements {
  const out = new Map<string, Set<string>>(SET_NAMES.map((name) => [name, new Set<string>()]));
  const add = (name: string, element: string): void => {
    let set = out.get(name);
    if (set === undefined) out.set(name, (set = new Set()));
    set.add(element);
  };
  for (const limit of plan.limits ?? []) {
    out.set(`${limit.key}_dst4`, new Set());
    out.set(`${limit.key}_dst6`, new Set());
    for (const i of limit.subjects) add(`${limit.key}_dst${isV6(i) ? 6 : 4}`, interval(i));
  }
  for (const i of splitFamilies(plan.managed)) add(isV6(i) ? 'managed6' : 'managed4', interval(i));
  // A hash set of addresses holds single addresses: the intervals one address at a time.
  const addAddresses = (name: string, intervals: readonly AddressInterval[]): void => {
    for (const i of intervals)
      for (let a = i.first; a <= i.last; a++) add(`${name}${isV6(i) ? 6 : 4}`, address(a));
  };
  addAddresses('dead', splitFamilies(plan.dead ?? AddressSet.EMPTY));
  const direction = (prefix: 'eg' | 'in', d: DirectionPlan): void => {
    addAddresses(`${prefix}_open`, d.open);
    for (const e of d.any) add(`${prefix}_any${isV6(e.src) ? 6 : 4}`, elementText(e));
    for (const e of d.ports) {
      const family = isV6(e.src) ? 6 : 4;
      const points = e.src.first === e.src.last && e.dst.first === e.dst.last;
      if (!points || e.last - e.first >= SMALL_PORT_RANGE) add(`${prefix}_port${family}`, elementText(e));
      else if (e.first === e.last) add(`${prefix}_point${family}`, elementText(e));
      else {
        // A few ports between two addresses: one hash element per port (see SMALL_PORT_RANGE).
        const pair = `${interval(e.src)} . ${interval(e.dst)} . ${e.protocol}`;
        for (let port = e.first; port <= e.last; port++) add(`${prefix}_point${family}`, `${pair} . ${port}`);
      }
    }
  };
  direction('eg', plan.egress);
  direction('in', plan.ingress);
  return out;
}

/**
 * The shape of the table apart from set elements: two plans of the same shape differ by elements only, and the
 * agent updates elements; a different shape (flood limits added, removed or changed) replaces the table.
 */
export function planShape(plan: EnforcementPlan): string {
  return JSON.stringify((plan.limits ?? []).map((l) => [l.key, l.limits]));
}

/**
 * Flood limits, after the policy checks (only allowed new connections count): per source address, a token bucket
 * in a dynamic set (`limit rate over`) drops what exceeds the rate, and `ct count over` refuses connections beyond
 * the concurrent limit. The rule count grows with the number of distinct limits, never with containers.
 */
function limitRules(limits: readonly LimitPlan[]): string[] {
  const rules: string[] = [];
  for (const { key, limits: l } of limits)
    for (const [family, suffix] of [
      ['ip', '4'],
      ['ip6', '6'],
    ] as const) {
      if (l.rate !== undefined)
        rules.push(
          `    ct state new ${family} daddr @${key}_dst${suffix} update @${key}_rate${suffix} { ${family} saddr limit rate over ${l.rate.count}/${l.rate.per} burst ${l.rate.burst} packets } counter drop comment "rate limit ${key}"`,
        );
      if (l.concurrent !== undefined)
        rules.push(
          `    ct state new ${family} daddr @${key}_dst${suffix} add @${key}_conn${suffix} { ${family} saddr ct count over ${l.concurrent} } counter reject comment "connection limit ${key}"`,
        );
    }
  return rules;
}

function limitSets(limits: readonly LimitPlan[]): string[] {
  const lines: string[] = [];
  for (const { key } of limits)
    for (const [type, suffix] of [
      ['ipv4_addr', '4'],
      ['ipv6_addr', '6'],
    ] as const)
      lines.push(
        `  set ${key}_dst${suffix} {`,
        `    type ${type}`,
        '    flags interval',
        '  }',
        `  set ${key}_rate${suffix} {`,
        `    type ${type}`,
        '    flags dynamic,timeout',
        '    timeout 1m',
        '    size 65535',
        '  }',
        `  set ${key}_conn${suffix} {`,
        `    type ${type}`,
        '    flags dynamic',
        '    size 65535',
        '  }',
      );
  return lines;
}

/** The chains that check one direction of one family, by name (`egress4`, ...), as the forward chain jumps to them. */
export const CHECK_CHAINS = ['egress4', 'ingress4', 'egress6', 'ingress6'] as const;

/**
 * One direction's check of one family: an allowed packet returns at the first set that holds it, anything else
 * reaches the drop. The hash lookups come first (addresses no policy isolates in this direction; single addresses
 * and ports), then the interval lookups, the port set before the any-set: each interval lookup costs a new
 * connection about as much as a miss as a hit (BENCHMARKS.md (g)), and rules with ports are the common kind. Each lookup is
 * a rule of its own, so a packet whose key cannot be read (a transport header too short for `th dport`) fails that
 * rule and goes on towards the drop, never past it.
 */
function checkChain(family: 'ip' | 'ip6', suffix: '4' | '6', prefix: 'eg' | 'in'): string[] {
  const addresses = `${family} saddr . ${family} daddr`;
  const direction = prefix === 'eg' ? 'egress' : 'ingress';
  return [
    `  chain ${direction}${suffix} {`,
    `    ${family} ${prefix === 'eg' ? 'saddr' : 'daddr'} @${prefix}_open${suffix} return`,
    `    ${addresses} . meta l4proto . th dport @${prefix}_point${suffix} return`,
    `    ${addresses} . meta l4proto . th dport @${prefix}_port${suffix} return`,
    `    ${addresses} @${prefix}_any${suffix} return`,
    `    counter drop comment "${direction} not allowed"`,
    '  }',
  ];
}

/**
 * The rules. "established,related accept" first: replies and packets of allowed connections never reach a lookup,
 * which keeps throughput at the level of no rules. Then the dead addresses, then, for managed sources, a jump to
 * the egress check, and for managed destinations to the ingress check: a packet is dropped when none of that
 * direction's sets holds it. Both checks run in the same pass, so a connection needs both directions ("both the
 * egress policy on the source pod and the ingress policy on the destination pod need to allow the connection").
 * Protocols without ports (ICMP, ...) match only the any-sets: no port element names their protocol. Drops are
 * final across base chains; the accept here ends only this chain, so Docker's own rules still apply.
 */
function chains(limits: readonly LimitPlan[]): string[] {
  return [
    ...checkChain('ip', '4', 'eg'),
    ...checkChain('ip', '4', 'in'),
    ...checkChain('ip6', '6', 'eg'),
    ...checkChain('ip6', '6', 'in'),
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    '    ct state established,related accept',
    // Addresses of stopped containers whose elements are still in the sets (src/core/nft/stable-plan.ts).
    '    ip saddr @dead4 counter drop comment "stopped container"',
    '    ip daddr @dead4 counter drop comment "stopped container"',
    '    ip6 saddr @dead6 counter drop comment "stopped container"',
    '    ip6 daddr @dead6 counter drop comment "stopped container"',
    '    ip saddr @managed4 jump egress4',
    '    ip daddr @managed4 jump ingress4',
    '    ip6 saddr @managed6 jump egress6',
    '    ip6 daddr @managed6 jump ingress6',
    ...limitRules(limits),
    '  }',
  ];
}

function addElements(
  table: string,
  name: string,
  elements: Iterable<string>,
  verb: 'add' | 'delete',
): string[] {
  const lines: string[] = [];
  let chunk: string[] = [];
  const flush = (): void => {
    if (chunk.length > 0) lines.push(`${verb} element inet ${table} ${name} { ${chunk.join(', ')} }`);
    chunk = [];
  };
  for (const element of elements) {
    chunk.push(element);
    if (chunk.length === CHUNK) flush();
  }
  flush();
  return lines;
}

/**
 * The whole table as one transaction for `nft -f`: create it if missing (so that the delete cannot fail), delete it,
 * and build it again with every element. The kernel applies all of it or nothing, so there is no moment with an
 * empty or half-filled table, and existing conntrack entries (established connections) are kept.
 */
export function renderTable(
  table: string,
  elements: PlanElements,
  limits: readonly LimitPlan[] = [],
): string {
  assertTableName(table);
  const lines = [`table inet ${table}`, `delete table inet ${table}`, `table inet ${table} {`];
  for (const name of SET_NAMES) {
    // Every field of every set may be a range: a Compose project's subnet or an ipBlock is one element.
    lines.push(
      `  set ${name} {`,
      `    type ${SET_TYPES[name]}`,
      ...(isHashSet(name) ? [] : ['    flags interval']),
      '  }',
    );
  }
  lines.push(...limitSets(limits), ...chains(limits), '}');
  for (const [name, set] of elements) lines.push(...addElements(table, name, set, 'add'));
  return `${lines.join('\n')}\n`;
}

/** What changes from one set of elements to the next, found in one pass over both. */
export interface ElementDiff {
  /** Per set, the elements `before` has and `after` has not. */
  readonly deletes: ReadonlyMap<string, readonly string[]>;
  /** Per set, the elements `after` has and `before` has not. */
  readonly adds: ReadonlyMap<string, readonly string[]>;
  /** How many of the deletes are from interval sets (hash-set deletes are cheap; see SMALL_PORT_RANGE). */
  readonly intervalDeletes: number;
  /**
   * Whether the change can deny a connection `before` allowed: an allowance deleted, or an address newly managed or
   * dead. (Element adds to allowance sets and deletes from the managed and dead sets only allow more; flood-limit sets
   * do not decide established connections.) Elements are compared as text, so a managed range that changes its
   * bounds counts as new: true then, and the agent revokes needlessly but never misses a revocation.
   */
  readonly takesAway: boolean;
}

export function diffElements(before: PlanElements, after: PlanElements): ElementDiff {
  const deletes = new Map<string, string[]>();
  const adds = new Map<string, string[]>();
  let intervalDeletes = 0;
  let takesAway = false;
  const empty = new Set<string>();
  for (const name of new Set([...before.keys(), ...after.keys()])) {
    const old = before.get(name) ?? empty;
    const now = after.get(name) ?? empty;
    const gone: string[] = [];
    const added: string[] = [];
    for (const element of old) if (!now.has(element)) gone.push(element);
    for (const element of now) if (!old.has(element)) added.push(element);
    if (gone.length > 0) deletes.set(name, gone);
    if (added.length > 0) adds.set(name, added);
    if (!isHashSet(name)) intervalDeletes += gone.length;
    if ((SET_NAMES as readonly string[]).includes(name)) {
      const narrowing = name.startsWith('managed') || name.startsWith('dead') ? added : gone;
      if (narrowing.length > 0) takesAway = true;
    }
  }
  return { deletes, adds, intervalDeletes, takesAway };
}

/**
 * A diff as element deletes and adds in one transaction, deletes first (a widened interval replaces a narrower one
 * that would otherwise overlap it). Undefined when nothing changed.
 */
export function renderDiff(table: string, diff: ElementDiff): string | undefined {
  assertTableName(table);
  const lines: string[] = [];
  for (const [name, elements] of diff.deletes) lines.push(...addElements(table, name, elements, 'delete'));
  for (const [name, elements] of diff.adds) lines.push(...addElements(table, name, elements, 'add'));
  return lines.length === 0 ? undefined : `${lines.join('\n')}\n`;
}

/** The change from `before` to `after` as one transaction (see renderDiff). */
export function renderDelta(table: string, before: PlanElements, after: PlanElements): string | undefined {
  return renderDiff(table, diffElements(before, after));
}

/** Removes the table and everything in it; a no-op when it does not exist. */
export function renderUninstall(table: string): string {
  assertTableName(table);
  return `table inet ${table}\ndelete table inet ${table}\n`;
}

function assertTableName(table: string): void {
  const problem = checkTableName(table);
  // Callers validate at the edge; reaching this is a bug, not bad input.
  if (problem !== undefined) throw new Error(problem);
}
