// Port sets (1..65535) as sorted disjoint intervals, and connection sets: one port set per protocol.

export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const MIN_PORT = 1;
export const MAX_PORT = 65535;

export interface PortInterval {
  readonly first: number;
  readonly last: number;
}

/** An immutable, canonical set of ports: intervals sorted, disjoint and not adjacent. */
export class PortSet {
  static readonly EMPTY = new PortSet([]);
  static readonly ALL = new PortSet([{ first: MIN_PORT, last: MAX_PORT }]);

  private constructor(readonly intervals: readonly PortInterval[]) {}

  static of(intervals: readonly PortInterval[]): PortSet {
    const sorted = intervals.filter((i) => i.first <= i.last).sort((a, b) => a.first - b.first);
    const merged: PortInterval[] = [];
    for (const next of sorted) {
      const last = merged[merged.length - 1];
      if (last !== undefined && next.first <= last.last + 1) {
        if (next.last > last.last) merged[merged.length - 1] = { first: last.first, last: next.last };
      } else {
        merged.push(next);
      }
    }
    return merged.length === 0 ? PortSet.EMPTY : new PortSet(merged);
  }

  static range(first: number, last: number): PortSet {
    return PortSet.of([{ first, last }]);
  }

  isEmpty(): boolean {
    return this.intervals.length === 0;
  }

  isAll(): boolean {
    const only = this.intervals[0];
    return this.intervals.length === 1 && only!.first === MIN_PORT && only!.last === MAX_PORT;
  }

  has(port: number): boolean {
    return this.intervals.some((i) => port >= i.first && port <= i.last);
  }

  union(other: PortSet): PortSet {
    if (other.isEmpty()) return this;
    if (this.isEmpty()) return other;
    return PortSet.of([...this.intervals, ...other.intervals]);
  }

  intersect(other: PortSet): PortSet {
    const out: PortInterval[] = [];
    let i = 0;
    let j = 0;
    while (i < this.intervals.length && j < other.intervals.length) {
      const a = this.intervals[i]!;
      const b = other.intervals[j]!;
      const first = Math.max(a.first, b.first);
      const last = Math.min(a.last, b.last);
      if (first <= last) out.push({ first, last });
      if (a.last < b.last) i++;
      else j++;
    }
    return out.length === 0 ? PortSet.EMPTY : new PortSet(out);
  }

  subtract(other: PortSet): PortSet {
    let result: PortInterval[] = [...this.intervals];
    for (const b of other.intervals) {
      const next: PortInterval[] = [];
      for (const a of result) {
        if (b.last < a.first || b.first > a.last) next.push(a);
        else {
          if (a.first < b.first) next.push({ first: a.first, last: b.first - 1 });
          if (a.last > b.last) next.push({ first: b.last + 1, last: a.last });
        }
      }
      result = next;
    }
    return PortSet.of(result);
  }

  equals(other: PortSet): boolean {
    return this.key() === other.key();
  }

  /** `80`, `80-81`, joined by `,`: the range grammar of netpol-analyzer's connlist. */
  toString(): string {
    return this.intervals.map((i) => (i.first === i.last ? `${i.first}` : `${i.first}-${i.last}`)).join(',');
  }

  key(): string {
    return this.toString();
  }
}

/** Allowed ports per protocol. Immutable. */
export class ConnSet {
  static readonly NONE = new ConnSet(PortSet.EMPTY, PortSet.EMPTY, PortSet.EMPTY);
  static readonly ALL = new ConnSet(PortSet.ALL, PortSet.ALL, PortSet.ALL);

  private constructor(
    readonly tcp: PortSet,
    readonly udp: PortSet,
    readonly sctp: PortSet,
  ) {}

  static of(ports: Partial<Record<Protocol, PortSet>>): ConnSet {
    return new ConnSet(ports.TCP ?? PortSet.EMPTY, ports.UDP ?? PortSet.EMPTY, ports.SCTP ?? PortSet.EMPTY);
  }

  static ports(protocol: Protocol, ports: PortSet): ConnSet {
    return ConnSet.of({ [protocol]: ports });
  }

  get(protocol: Protocol): PortSet {
    return protocol === 'TCP' ? this.tcp : protocol === 'UDP' ? this.udp : this.sctp;
  }

  isEmpty(): boolean {
    return this.tcp.isEmpty() && this.udp.isEmpty() && this.sctp.isEmpty();
  }

  isAll(): boolean {
    return this.tcp.isAll() && this.udp.isAll() && this.sctp.isAll();
  }

  allows(protocol: Protocol, port: number): boolean {
    return this.get(protocol).has(port);
  }

  union(other: ConnSet): ConnSet {
    if (other.isEmpty()) return this;
    if (this.isEmpty()) return other;
    return new ConnSet(this.tcp.union(other.tcp), this.udp.union(other.udp), this.sctp.union(other.sctp));
  }

  intersect(other: ConnSet): ConnSet {
    return new ConnSet(
      this.tcp.intersect(other.tcp),
      this.udp.intersect(other.udp),
      this.sctp.intersect(other.sctp),
    );
  }

  subtract(other: ConnSet): ConnSet {
    return new ConnSet(
      this.tcp.subtract(other.tcp),
      this.udp.subtract(other.udp),
      this.sctp.subtract(other.sctp),
    );
  }

  equals(other: ConnSet): boolean {
    return this.key() === other.key();
  }

  /**
   * The connlist grammar: `All Connections` when every port of every protocol is allowed, `No Connections` when
   * none is, else `PROTO ranges` items sorted by protocol name and joined by `,` (`SCTP 1-65535,TCP 80,UDP 53`).
   */
  toString(): string {
    if (this.isAll()) return 'All Connections';
    const items: string[] = [];
    for (const [name, ports] of [
      ['SCTP', this.sctp],
      ['TCP', this.tcp],
      ['UDP', this.udp],
    ] as const) {
      if (!ports.isEmpty()) items.push(`${name} ${ports.toString()}`);
    }
    return items.length === 0 ? 'No Connections' : items.join(',');
  }

  key(): string {
    return `${this.tcp.key()}|${this.udp.key()}|${this.sctp.key()}`;
  }
}
