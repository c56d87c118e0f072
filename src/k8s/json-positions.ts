// Positions of values in a JSON text, for diagnostics and findings on JSON input without re-reading the file as
// YAML (5 s for a 7 MB cluster export). A container's children are indexed the first time a lookup walks through
// it, so the cost is one pass over the file plus the containers that findings point into.

import type { SourceRange } from '../core/diagnostics.js';

interface PositionNode {
  readonly start: number;
  readonly end: number;
  /** Object members (key range and value) or array items, indexed on first use. */
  members?: Map<string, { readonly keyStart: number; readonly keyEnd: number; readonly node: PositionNode }>;
  items?: PositionNode[];
}

export class JsonPositions {
  private readonly root: PositionNode | undefined;

  constructor(private readonly text: string) {
    const start = this.skipSpace(0);
    this.root = start < text.length ? { start, end: this.skipValue(start) } : undefined;
  }

  /** The range of the value at `path` (or of its key, with `key`); the deepest range found when the path ends early. */
  rangeOf(path: readonly (string | number)[], key = false): SourceRange | undefined {
    if (this.root === undefined) return undefined;
    let node: PositionNode = this.root;
    let best: SourceRange = [node.start, node.end];
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]!;
      const open = this.text[node.start];
      if (open === '{') {
        const member = this.membersOf(node).get(String(segment));
        if (member === undefined) return best;
        if (key && i === path.length - 1) return [member.keyStart, member.keyEnd];
        node = member.node;
      } else if (open === '[' && typeof segment === 'number') {
        const item = this.itemsOf(node)[segment];
        if (item === undefined) return best;
        node = item;
      } else {
        return best;
      }
      best = [node.start, node.end];
    }
    return best;
  }

  private membersOf(node: PositionNode): NonNullable<PositionNode['members']> {
    if (node.members !== undefined) return node.members;
    const members: NonNullable<PositionNode['members']> = new Map();
    let i = this.skipSpace(node.start + 1);
    while (i < node.end && this.text[i] === '"') {
      const keyStart = i;
      const keyEnd = this.skipString(i);
      const name = JSON.parse(this.text.slice(keyStart, keyEnd)) as string;
      i = this.skipSpace(keyEnd);
      if (this.text[i] !== ':') break;
      const valueStart = this.skipSpace(i + 1);
      const valueEnd = this.skipValue(valueStart);
      members.set(name, { keyStart, keyEnd, node: { start: valueStart, end: valueEnd } });
      i = this.skipSpace(valueEnd);
      if (this.text[i] === ',') i = this.skipSpace(i + 1);
    }
    node.members = members;
    return members;
  }

  private itemsOf(node: PositionNode): PositionNode[] {
    if (node.items !== undefined) return node.items;
    const items: PositionNode[] = [];
    let i = this.skipSpace(node.start + 1);
    while (i < node.end && this.text[i] !== ']') {
      const end = this.skipValue(i);
      items.push({ start: i, end });
      i = this.skipSpace(end);
      if (this.text[i] === ',') i = this.skipSpace(i + 1);
      else break;
    }
    node.items = items;
    return items;
  }

  private skipSpace(i: number): number {
    const text = this.text;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break;
      i++;
    }
    return i;
  }

  /** The offset just past the string starting at `i` (a `"`). */
  private skipString(i: number): number {
    const text = this.text;
    for (i++; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) return i + 1;
    }
    return text.length;
  }

  /** The offset just past the value starting at `i`. */
  private skipValue(i: number): number {
    const text = this.text;
    const c = text[i];
    if (c === '"') return this.skipString(i);
    if (c === '{' || c === '[') {
      let depth = 0;
      for (; i < text.length; i++) {
        const ch = text.charCodeAt(i);
        if (ch === 34) i = this.skipString(i) - 1;
        else if (ch === 123 || ch === 91) depth++;
        else if (ch === 125 || ch === 93) {
          depth--;
          if (depth === 0) return i + 1;
        }
      }
      return text.length;
    }
    // A number, true, false or null: up to the next delimiter.
    while (i < text.length && !',}] \n\r\t'.includes(text[i]!)) i++;
    return i;
  }
}
