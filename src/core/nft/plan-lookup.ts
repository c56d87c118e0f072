// What a plan lets through, decided in memory the way the ruleset decides it in the kernel. The agent uses it to
// find the tracked connections a change no longer allows (revocation); tests use it as the compiled side of
// "the ruleset equals the engine".

import { AddressSet, type AddressInterval } from '../model/address-set.js';
import type { AnyElement, DirectionPlan, EnforcementPlan, PortElement } from './plan.js';

const within = (address: bigint, i: AddressInterval): boolean => address >= i.first && address <= i.last;

/** An index over one direction's elements by the managed side's address (source for egress, destination for ingress). */
class DirectionIndex {
  private readonly open: AddressSet;
  private readonly any: readonly AnyElement[];
  private readonly ports: readonly PortElement[];

  constructor(
    plan: DirectionPlan,
    private readonly side: 'src' | 'dst',
  ) {
    const byFirst = <T extends AnyElement>(a: T, b: T): number =>
      a[side].first < b[side].first ? -1 : a[side].first > b[side].first ? 1 : 0;
    this.open = AddressSet.of(plan.open);
    this.any = [...plan.any].sort(byFirst);
    this.ports = [...plan.ports].sort(byFirst);
  }

  allows(src: bigint, dst: bigint, protocol: number, port: number | undefined): boolean {
    const own = this.side === 'src' ? src : dst;
    if (this.open.has(own)) return true;
    const match = (e: AnyElement): boolean => within(src, e.src) && within(dst, e.dst);
    if (this.candidates(this.any, own).some(match)) return true;
    if (port === undefined) return false;
    return this.candidates(this.ports, own).some(
      (e) => e.protocol === protocol && port >= e.first && port <= e.last && match(e),
    );
  }

  /** Elements whose managed side starts at or before `own` (sorted), cut to those that contain it. */
  private candidates<T extends AnyElement>(elements: readonly T[], own: bigint): T[] {
    let low = 0;
    let high = elements.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (elements[mid]![this.side].first <= own) low = mid + 1;
      else high = mid;
    }
    const out: T[] = [];
    for (let i = 0; i < low; i++) if (within(own, elements[i]![this.side])) out.push(elements[i]!);
    return out;
  }
}

export class PlanLookup {
  private readonly egress: DirectionIndex;
  private readonly ingress: DirectionIndex;

  constructor(private readonly plan: EnforcementPlan) {
    this.egress = new DirectionIndex(plan.egress, 'src');
    this.ingress = new DirectionIndex(plan.ingress, 'dst');
  }

  /**
   * Whether a new connection from `src` to `dst` (protocol number; destination port for TCP, UDP and SCTP) passes
   * the ruleset: neither end dead, and the egress check when the source is managed, the ingress check when the
   * destination is.
   */
  allows(src: bigint, dst: bigint, protocol: number, port?: number): boolean {
    if (this.plan.dead !== undefined && (this.plan.dead.has(src) || this.plan.dead.has(dst))) return false;
    if (this.plan.managed.has(src) && !this.egress.allows(src, dst, protocol, port)) return false;
    if (this.plan.managed.has(dst) && !this.ingress.allows(src, dst, protocol, port)) return false;
    return true;
  }
}
