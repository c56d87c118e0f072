// What every audit renderer shares: the report type, locations of findings, counts and labels.

import type { Diagnostic } from '../core/diagnostics.js';
import type { ReachGraph } from '../core/audit/graph.js';
import type { AuditResult } from '../core/audit/run.js';
import type { Finding, ResourceRef } from '../core/audit/types.js';
import type { Severity } from '../core/severity.js';
import type { PositionLookup } from './diagnostics.js';

export interface AuditReport {
  readonly result: AuditResult;
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: ReadonlyMap<string, PositionLookup>;
  /** Colour output (a TTY without NO_COLOR). */
  readonly color: boolean;
  /** The reachability graph, for the HTML picture; absent: the report says the graph was not built. */
  readonly graph?: ReachGraph;
  /** Absolute directory that SARIF artifact URIs are relative to (the working directory). */
  readonly baseDir?: string;
  /** Bulkhead's version, for SARIF's tool.driver.version. */
  readonly toolVersion?: string;
}

/** Highest first, the order of every grouping. */
export const SEVERITY_ORDER: readonly Severity[] = ['critical', 'high', 'medium', 'low'];

/** file, line and column of a finding (line/column absent when the input has no positions, e.g. JSON). */
export function findingLocation(
  f: Finding,
  sources: ReadonlyMap<string, PositionLookup>,
): { file: string; line?: number; column?: number } {
  const source = sources.get(f.location.file);
  const position =
    f.location.range !== undefined && source !== undefined ? source.position(f.location.range[0]) : undefined;
  return {
    file: f.location.file,
    ...(position !== undefined ? { line: position.line, column: position.column } : {}),
  };
}

/** The whole region of a finding (start and end), when its file has positions. */
export function findingRegion(
  f: Finding,
  sources: ReadonlyMap<string, PositionLookup>,
): { startLine: number; startColumn: number; endLine: number; endColumn: number } | undefined {
  const source = sources.get(f.location.file);
  const range = f.location.range;
  if (source === undefined || range === undefined) return undefined;
  const start = source.position(range[0]);
  const end = source.position(Math.max(range[0], range[1]));
  return { startLine: start.line, startColumn: start.column, endLine: end.line, endColumn: end.column };
}

/** `file:line:column`, or the file alone. */
export function locationText(f: Finding, sources: ReadonlyMap<string, PositionLookup>): string {
  const where = findingLocation(f, sources);
  return where.line !== undefined ? `${where.file}:${where.line}:${where.column}` : where.file;
}

/** `Deployment storefront/web`; cluster-scoped objects without the slash. */
export function resourceText(r: ResourceRef): string {
  return `${r.kind} ${r.namespace !== '' ? `${r.namespace}/` : ''}${r.name}`;
}

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/** `3 findings: 1 critical, 2 high, 0 medium, 0 low; 1 suppressed; 12 checks run`. */
export function summaryText(report: AuditReport): string {
  const { findings, suppressed, checks } = report.result;
  const counts = countBySeverity(findings);
  const perSeverity = SEVERITY_ORDER.map((s) => `${counts[s]} ${s}`).join(', ');
  return `${findings.length} finding${findings.length === 1 ? '' : 's'}: ${perSeverity}; ${suppressed.length} suppressed; ${checks.length} check${checks.length === 1 ? '' : 's'} run`;
}
