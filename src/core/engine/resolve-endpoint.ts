// Turns what a user typed (`ns/name[Kind]`, `ns/name`, `name`, an IP address) into an explain endpoint.

import type { Cluster } from '../model/cluster.js';
import { formatAddress, parseAddress } from '../model/address-set.js';
import type { Endpoint } from './explain.js';

export type ResolvedEndpoint =
  | { readonly ok: true; readonly endpoint: Endpoint }
  | { readonly ok: false; readonly message: string; readonly suggestions: readonly string[] };

/**
 * Resolves an endpoint: `ns/name[Kind]` (the exact id), `ns/name` (the one workload of that name, whatever its
 * kind), `name` (in namespace `default`), or an IP address (the workload that has it, else an address outside
 * the cluster).
 */
export function resolveEndpoint(cluster: Cluster, text: string): ResolvedEndpoint {
  const workloads = cluster.workloads;
  const address = parseAddress(text);
  if (address !== undefined) {
    const index = workloads.findIndex((w) => w.ips.includes(address));
    return index >= 0
      ? { ok: true, endpoint: { kind: 'workload', index } }
      : { ok: true, endpoint: { kind: 'external', first: address, last: address } };
  }
  const exact = workloads.findIndex((w) => w.id === text);
  if (exact >= 0) return { ok: true, endpoint: { kind: 'workload', index: exact } };
  const bracket = text.indexOf('[');
  const base = bracket >= 0 ? text.slice(0, bracket) : text;
  const qualified = base.includes('/') ? base : `default/${base}`;
  if (bracket < 0) {
    const matches = workloads
      .map((w, index) => ({ w, index }))
      .filter(({ w }) => `${w.namespace}/${w.name}` === qualified);
    if (matches.length === 1) return { ok: true, endpoint: { kind: 'workload', index: matches[0]!.index } };
    if (matches.length > 1)
      return {
        ok: false,
        message: `"${text}" is ambiguous: it names ${matches.length} workloads`,
        suggestions: matches.map(({ w }) => w.id).sort(),
      };
  }
  return {
    ok: false,
    message: `no workload "${text}" and not an IP address`,
    suggestions: closeMatches(
      workloads.map((w) => w.id),
      qualified,
    ),
  };
}

/** A label for an endpoint, as reach prints it: the workload id, or `<first>[-<last>][External]`. */
export function endpointLabel(cluster: Cluster, e: Endpoint): string {
  if (e.kind === 'workload') return cluster.workloads[e.index]!.id;
  return e.first === e.last
    ? `${formatAddress(e.first)}[External]`
    : `${formatAddress(e.first)}-${formatAddress(e.last)}[External]`;
}

/** Up to five ids closest to `wanted`: same name first, then by edit distance of `ns/name`. */
function closeMatches(ids: readonly string[], wanted: string): string[] {
  const name = wanted.slice(wanted.indexOf('/') + 1);
  const scored = ids.map((id) => {
    const base = id.slice(0, id.indexOf('['));
    const idName = base.slice(base.indexOf('/') + 1);
    const score = idName === name ? 0 : 1 + editDistance(base, wanted);
    return { id, score };
  });
  const limit = Math.max(3, Math.floor(wanted.length / 2));
  return scored
    .filter((s) => s.score <= limit || s.id.includes(name))
    .sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : 1))
    .slice(0, 5)
    .map((s) => s.id);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost));
    }
    previous = current;
  }
  return previous[b.length]!;
}
