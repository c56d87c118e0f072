// Renders the connection list as txt, json, csv, md or dot. txt, csv, md and dot follow np-guard
// netpol-analyzer's output byte for byte, so its golden files compare directly.

import type { Diagnostic } from '../core/diagnostics.js';
import type { Workload } from '../core/model/cluster.js';
import { compareStrings, type ConnectionRow } from '../core/engine/connection-list.js';
import { diagnosticsJson, type PositionLookup } from './diagnostics.js';
import { csvField } from './csv.js';

export const CONNECTION_FORMATS = ['txt', 'json', 'csv', 'md', 'dot'] as const;
export type ConnectionFormat = (typeof CONNECTION_FORMATS)[number];

export interface ConnectionReport {
  readonly workloads: readonly Workload[];
  readonly rows: readonly ConnectionRow[];
  readonly diagnostics: readonly Diagnostic[];
  /** The files read, to give diagnostics a line and column. */
  readonly sources?: ReadonlyMap<string, PositionLookup>;
}

export function renderConnections(report: ConnectionReport, format: ConnectionFormat): string {
  switch (format) {
    case 'txt':
      return report.rows.map((r) => `${r.src} => ${r.dst} : ${r.conn}\n`).join('');
    case 'json':
      return renderJson(report);
    case 'csv':
      return (
        ['src,dst,conn', ...report.rows.map((r) => [r.src, r.dst, r.conn].map(csvField).join(','))].join(
          '\n',
        ) + '\n'
      );
    case 'md':
      return (
        [
          '| src | dst | conn |',
          '|-----|-----|------|',
          ...report.rows.map((r) => `| ${r.src} | ${r.dst} | ${r.conn} |`),
        ].join('\n') + '\n'
      );
    case 'dot':
      return renderDot(report);
  }
}

function renderJson(report: ConnectionReport): string {
  const document = {
    workloads: report.workloads.map((w) => ({
      id: w.id,
      kind: w.kind,
      namespace: w.namespace,
      name: w.name,
      labels: w.labels,
    })),
    connections: report.rows.map((r) => ({ src: r.src, dst: r.dst, conn: r.conn })),
    diagnostics: diagnosticsJson(report.diagnostics, report.sources),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/**
 * Graphviz: one cluster per namespace holding its workloads (all of them, connected or not), external ranges at
 * top level when some edge uses them, and one edge per connection.
 */
function renderDot(report: ConnectionReport): string {
  const lines = ['digraph {'];
  const byNamespace = new Map<string, Workload[]>();
  for (const w of report.workloads) {
    const list = byNamespace.get(w.namespace);
    if (list === undefined) byNamespace.set(w.namespace, [w]);
    else list.push(w);
  }
  for (const namespace of [...byNamespace.keys()].sort(compareStrings)) {
    lines.push(`\tsubgraph "cluster_${namespace.replace(/-/g, '_')}[namespace]" {`);
    lines.push('\t\tcolor="black"', '\t\tfontcolor="black"');
    const nodes = byNamespace
      .get(namespace)!
      .map((w) => `\t\t"${w.id}" [label="${w.name}[${w.kind}]" color="blue" fontcolor="blue"]`);
    lines.push(...nodes.sort(compareStrings));
    lines.push(`\t\tlabel="${namespace}[namespace]"`, '\t}');
  }
  const workloadIds = new Set(report.workloads.map((w) => w.id));
  const externals = new Set<string>();
  for (const r of report.rows) {
    for (const end of [r.src, r.dst]) if (!workloadIds.has(end)) externals.add(end);
  }
  lines.push(
    ...[...externals]
      .map(
        (e) =>
          `\t"${e}" [label="${e}" color="${e.endsWith('[External]') ? 'red2' : 'blue'}" fontcolor="${e.endsWith('[External]') ? 'red2' : 'blue'}"]`,
      )
      .sort(compareStrings),
  );
  const edges = report.rows.map(
    (r) =>
      `\t"${r.src}" -> "${r.dst}" [label="${r.conn}" color="gold2" fontcolor="darkgreen" weight=${r.src <= r.dst ? '0.5' : '1'}]`,
  );
  lines.push(...edges.sort(compareStrings));
  lines.push('}');
  return lines.join('\n');
}
