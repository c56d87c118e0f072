// A YAML value tree in which every node remembers the file and path it came from, and the Compose merge rules on it.

import type { PathSegment, SourceDocument } from '../k8s/documents.js';

/** Where a node was written: a file and the path of the value inside its (only) document. */
export interface Origin {
  readonly source: SourceDocument;
  readonly path: readonly PathSegment[];
}

export type Scalar = string | number | boolean | null;

export type LNode =
  | { readonly kind: 'scalar'; readonly value: Scalar; readonly origin: Origin }
  | { readonly kind: 'seq'; readonly items: LNode[]; readonly origin: Origin }
  | { readonly kind: 'map'; readonly entries: Map<string, LNode>; readonly origin: Origin };

export type MapNode = Extract<LNode, { kind: 'map' }>;
export type SeqNode = Extract<LNode, { kind: 'seq' }>;

/** A tree from a parsed JS value; every node's origin is `origin` extended by its path. */
export function fromJs(value: unknown, origin: Origin): LNode {
  if (Array.isArray(value))
    return {
      kind: 'seq',
      items: value.map((item, i) => fromJs(item, { ...origin, path: [...origin.path, i] })),
      origin,
    };
  if (value !== null && typeof value === 'object') {
    const entries = new Map<string, LNode>();
    for (const [key, child] of Object.entries(value))
      entries.set(key, fromJs(child, { ...origin, path: [...origin.path, key] }));
    return { kind: 'map', entries, origin };
  }
  if (value === undefined) return { kind: 'scalar', value: null, origin };
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return { kind: 'scalar', value, origin };
  return { kind: 'scalar', value: String(value), origin };
}

/** A tree from a JS value whose every node is attributed to one origin (values derived from one written value). */
export function derived(value: unknown, origin: Origin): LNode {
  if (Array.isArray(value)) return { kind: 'seq', items: value.map((v) => derived(v, origin)), origin };
  if (value !== null && typeof value === 'object') {
    const entries = new Map<string, LNode>();
    for (const [key, child] of Object.entries(value)) {
      if (child !== undefined) entries.set(key, derived(child, origin));
    }
    return { kind: 'map', entries, origin };
  }
  return fromJs(value, origin);
}

export function toJs(node: LNode): unknown {
  switch (node.kind) {
    case 'scalar':
      return node.value;
    case 'seq':
      return node.items.map(toJs);
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [key, child] of node.entries) out[key] = toJs(child);
      return out;
    }
  }
}

/** The deepest node along `path` (the node itself when the path leaves the tree). */
export function nodeAt(node: LNode, path: readonly PathSegment[]): { node: LNode; complete: boolean } {
  let current = node;
  for (const segment of path) {
    const next =
      current.kind === 'map'
        ? current.entries.get(String(segment))
        : current.kind === 'seq' && typeof segment === 'number'
          ? current.items[segment]
          : undefined;
    if (next === undefined) return { node: current, complete: false };
    current = next;
  }
  return { node: current, complete: true };
}

/** Service attributes whose value replaces, never appends: "command, entrypoint and healthcheck: test". */
const REPLACED = new Set(['command', 'entrypoint', 'healthcheck.test']);

/**
 * Compose spec, Unique resources: "Applies to the ports, volumes, secrets and configs services attributes. While
 * these types are modeled in a Compose file as a sequence, they have special uniqueness requirements: volumes:
 * target; secrets: target; configs: target; ports: {ip, target, published, protocol}. When merging Compose files,
 * Compose appends new entries that do not violate a uniqueness constraint and merge entries that share a unique key."
 */
const UNIQUE_KEYS: Readonly<Record<string, (item: LNode) => string>> = {
  ports: (item) => {
    const v = toJs(item) as Record<string, unknown>;
    return [v['host_ip'] ?? '', v['target'], v['published'] ?? '', v['protocol'] ?? 'tcp'].join('|');
  },
  volumes: (item) => String((toJs(item) as Record<string, unknown>)['target'] ?? JSON.stringify(toJs(item))),
  secrets: (item) => secretKey(toJs(item)),
  configs: (item) => secretKey(toJs(item)),
};

function secretKey(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  return String(v['target'] ?? v['source']);
}

/**
 * Merges `over` into `base` (a later file, or the extending service, into the earlier one). Compose spec, Merge:
 * "A YAML mapping gets merged by adding missing entries and merging the conflicting ones." "A YAML sequence is
 * merged by appending values from the overriding Compose file to the previous one." Equal scalars are not
 * repeated (`expose`, `dns`, `cap_add` are sets). `attribute` is the dotted path inside the service.
 */
export function mergeNodes(base: LNode, over: LNode, attribute = ''): LNode {
  if (base.kind === 'map' && over.kind === 'map') {
    const entries = new Map(base.entries);
    for (const [key, child] of over.entries) {
      const previous = entries.get(key);
      const path = attribute === '' ? key : `${attribute}.${key}`;
      entries.set(key, previous === undefined ? child : mergeNodes(previous, child, path));
    }
    return { kind: 'map', entries, origin: base.origin };
  }
  if (base.kind === 'seq' && over.kind === 'seq' && !REPLACED.has(attribute)) {
    const unique = Object.hasOwn(UNIQUE_KEYS, attribute) ? UNIQUE_KEYS[attribute]! : undefined;
    const items = [...base.items];
    for (const item of over.items) {
      if (unique !== undefined) {
        const key = unique(item);
        const at = items.findIndex((existing) => unique(existing) === key);
        if (at >= 0) items[at] = mergeNodes(items[at]!, item, '');
        else items.push(item);
      } else if (item.kind === 'scalar' && items.some((e) => e.kind === 'scalar' && e.value === item.value)) {
        continue;
      } else items.push(item);
    }
    return { kind: 'seq', items, origin: base.origin };
  }
  return over;
}
