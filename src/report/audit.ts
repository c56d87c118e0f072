// Renders audit results. `json` is DESIGN.md's contract: {findings: [...], checks: [...]}.

import type { Diagnostic } from '../core/diagnostics.js';
import type { AuditResult } from '../core/audit/run.js';
import type { CheckInfo, Finding } from '../core/audit/types.js';
import { diagnosticsJson, type PositionLookup } from './diagnostics.js';

export const AUDIT_FORMATS = ['table', 'json'] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];

export interface AuditReport {
  readonly result: AuditResult;
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: ReadonlyMap<string, PositionLookup>;
  /** Colour output (a TTY without NO_COLOR). */
  readonly color: boolean;
}

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

export function renderAudit(report: AuditReport, format: AuditFormat): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'table':
      return renderText(report);
  }
}

export function checkJson(c: CheckInfo): Record<string, unknown> {
  return {
    id: c.id,
    area: c.area,
    title: c.title,
    severity: c.severity,
    rationale: c.rationale,
    remediation: c.remediation,
    references: c.references,
    mappings: c.mappings,
  };
}

function renderJson(report: AuditReport): string {
  const { result } = report;
  return `${JSON.stringify(
    {
      findings: result.findings.map((f) => ({
        check: f.check,
        severity: f.severity,
        title: f.title,
        message: f.message,
        resource: f.resource,
        location: findingLocation(f, report.sources),
      })),
      checks: result.checks.map(checkJson),
      suppressed: result.suppressed.map((s) => ({
        check: s.finding.check,
        resource: s.finding.resource,
        by: s.by,
        reason: s.reason,
      })),
      diagnostics: diagnosticsJson([...report.diagnostics, ...result.notes], report.sources),
    },
    null,
    2,
  )}\n`;
}

/** A plain listing, one finding a line; the grouped table replaces it. */
function renderText(report: AuditReport): string {
  const lines = report.result.findings.map((f) => {
    const where = findingLocation(f, report.sources);
    const at = where.line !== undefined ? `${where.file}:${where.line}:${where.column}` : where.file;
    return `${at}: ${f.severity} ${f.check} ${f.title}: ${f.message}`;
  });
  const { findings, suppressed, checks } = report.result;
  lines.push(`${findings.length} finding(s), ${suppressed.length} suppressed, ${checks.length} checks run`);
  return `${lines.join('\n')}\n`;
}

/** The catalog alone (`--list-checks`). */
export function renderCatalog(checks: readonly CheckInfo[], format: AuditFormat): string {
  if (format === 'json') return `${JSON.stringify({ checks: checks.map(checkJson) }, null, 2)}\n`;
  return `${checks.map((c) => `${c.id}  ${c.severity.padEnd(8)} ${c.title}`).join('\n')}\n`;
}
