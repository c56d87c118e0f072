// Interning of connection sets: each distinct ConnSet gets a small integer id, and unions and intersections
// of ids are memoized, so the all-pairs loops work on integers instead of objects.

import { ConnSet } from '../model/port-set.js';

const PAIR_SHIFT = 2 ** 26;
/** Ids below this have their intersections memoised in a dense array: the hot all-pairs loops hit it. */
const DENSE = 1024;

export class ConnTable {
  static readonly NONE_ID = 0;
  static readonly ALL_ID = 1;

  private readonly sets: ConnSet[] = [ConnSet.NONE, ConnSet.ALL];
  private readonly ids = new Map<string, number>([
    [ConnSet.NONE.key(), ConnTable.NONE_ID],
    [ConnSet.ALL.key(), ConnTable.ALL_ID],
  ]);
  private readonly unions = new Map<number, number>();
  private readonly meets = new Map<number, number>();
  /** Dense memo of intersections of ids below DENSE (-1: not computed yet), allocated on first use. */
  private denseMeets: Int32Array | undefined;
  private readonly differences = new Map<number, number>();

  intern(set: ConnSet): number {
    const key = set.key();
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.sets.length;
      this.sets.push(set);
      this.ids.set(key, id);
    }
    return id;
  }

  /** The id of a set already in the table, without adding it. */
  lookup(set: ConnSet): number | undefined {
    return this.ids.get(set.key());
  }

  get(id: number): ConnSet {
    return this.sets[id]!;
  }

  get size(): number {
    return this.sets.length;
  }

  union(a: number, b: number): number {
    if (a === b || b === ConnTable.NONE_ID || a === ConnTable.ALL_ID) return a;
    if (a === ConnTable.NONE_ID || b === ConnTable.ALL_ID) return b;
    const key = a < b ? a * PAIR_SHIFT + b : b * PAIR_SHIFT + a;
    let id = this.unions.get(key);
    if (id === undefined) {
      id = this.intern(this.get(a).union(this.get(b)));
      this.unions.set(key, id);
    }
    return id;
  }

  /** The connections of `a` that are not in `b`. */
  subtract(a: number, b: number): number {
    if (a === ConnTable.NONE_ID || b === ConnTable.NONE_ID) return a;
    if (a === b || b === ConnTable.ALL_ID) return ConnTable.NONE_ID;
    const key = a * PAIR_SHIFT + b;
    let id = this.differences.get(key);
    if (id === undefined) {
      id = this.intern(this.get(a).subtract(this.get(b)));
      this.differences.set(key, id);
    }
    return id;
  }

  intersect(a: number, b: number): number {
    if (a === b || b === ConnTable.ALL_ID || a === ConnTable.NONE_ID) return a;
    if (a === ConnTable.ALL_ID || b === ConnTable.NONE_ID) return b;
    if (a < DENSE && b < DENSE) {
      this.denseMeets ??= new Int32Array(DENSE * DENSE).fill(-1);
      const slot = a * DENSE + b;
      let id = this.denseMeets[slot]!;
      if (id < 0) {
        id = this.intern(this.get(a).intersect(this.get(b)));
        this.denseMeets[slot] = id;
      }
      return id;
    }
    const key = a < b ? a * PAIR_SHIFT + b : b * PAIR_SHIFT + a;
    let id = this.meets.get(key);
    if (id === undefined) {
      id = this.intern(this.get(a).intersect(this.get(b)));
      this.meets.set(key, id);
    }
    return id;
  }
}
