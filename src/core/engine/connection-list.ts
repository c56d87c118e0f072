// The list of allowed connections between workloads and external ranges, in the order reach prints them.

import type { Connectivity } from './connectivity.js';
import { INGRESS_CONTROLLER_ID } from './ingress-exposure.js';

export interface ConnectionRow {
  readonly src: string;
  readonly dst: string;
  /** The connlist grammar: `All Connections`, or `TCP 80,UDP 53`. */
  readonly conn: string;
}

/**
 * Every ordered pair with at least one allowed connection: workload to workload (self-pairs omitted), external
 * source range to workload, workload to external destination range, and the ingress controller to the workloads an
 * Ingress or Route exposes. Sorted by src, then dst, as plain strings.
 */
export function listConnections(model: Connectivity): ConnectionRow[] {
  const rows: ConnectionRow[] = [];
  const workloads = model.workloads;
  for (let s = 0; s < workloads.length; s++) {
    for (let d = 0; d < workloads.length; d++) {
      if (s === d) continue;
      const conn = model.between(s, d);
      if (!conn.isEmpty()) rows.push({ src: workloads[s]!.id, dst: workloads[d]!.id, conn: conn.toString() });
    }
    model.destinationExternals.forEach((range, e) => {
      const conn = model.toExternal(s, e);
      if (!conn.isEmpty()) rows.push({ src: workloads[s]!.id, dst: range.id, conn: conn.toString() });
    });
  }
  model.sourceExternals.forEach((range, e) => {
    for (let d = 0; d < workloads.length; d++) {
      const conn = model.fromExternal(e, d);
      if (!conn.isEmpty()) rows.push({ src: range.id, dst: workloads[d]!.id, conn: conn.toString() });
    }
  });
  for (const d of model.ingressExposedWorkloads) {
    const conn = model.fromIngressController(d);
    if (!conn.isEmpty())
      rows.push({ src: INGRESS_CONTROLLER_ID, dst: workloads[d]!.id, conn: conn.toString() });
  }
  return rows.sort((a, b) => compareStrings(a.src, b.src) || compareStrings(a.dst, b.dst));
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
